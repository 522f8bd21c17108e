"""One person across channels, linked only on verified identities: the channel's sender id,
WhatsApp's number, a phone number shared with Telegram's contact button, and the web identity the
host site signed. Typed details are shown as stated and link nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from handoff.app import create_app
from handoff.contacts import identity_hash
from handoff.models import ContactIdentity, Conversation, Handoff
from handoff.settings import Settings
from tests.handoff.support import escalate, make_agent

SITE_SECRET = "the shop's widget secret, 32 chars"


@pytest.fixture
def client(settings: Settings, events: object) -> Iterator[TestClient]:
    signed = settings.model_copy(update={"widget_identity_secret": SITE_SECRET})
    with TestClient(create_app(signed)) as test_client:
        yield test_client


def _resolve_locally(client: TestClient, handoff_id: int) -> None:
    with client.app.state.services.sessions() as session:  # Rasa is not running in these tests
        session.get(Handoff, handoff_id).status = "resolved"
        session.commit()


def _contact_of(client: TestClient, conversation_id: str) -> int:
    with client.app.state.services.sessions() as session:
        return session.scalars(select(Conversation.contact_id).where(
            Conversation.sender_id == conversation_id)).one()


def _history(client: TestClient, agent: dict[str, str], handoff: dict) -> list[int]:
    detail = client.get(f"/api/v1/handoffs/{handoff['id']}", headers=agent).json()
    return [h["id"] for h in detail["history"]]


def test_typed_emails_and_order_numbers_of_someone_else_link_nothing(client: TestClient) -> None:
    sara = make_agent(client)
    leila = escalate(client, "web-leila", "fa", contact={"email": "Leila@Example.com",
                                                          "order_numbers": ["۵۸۲۳۱"]})
    _resolve_locally(client, leila["id"])
    stranger = escalate(client, "telegram:100", "en", channel="telegram",
                        contact={"email": "leila@example.com", "order_numbers": ["58231"]})

    assert _contact_of(client, "web-leila") != _contact_of(client, "telegram:100")
    with client.app.state.services.sessions() as session:
        kinds = set(session.scalars(select(ContactIdentity.kind)))
    assert kinds == {"channel"}  # nothing typed became an identity
    detail = client.get(f"/api/v1/handoffs/{stranger['id']}", headers=sara).json()
    assert detail["history"] == []
    assert detail["verified"] == [{"kind": "channel", "value": "telegram:100"}]
    assert detail["context"]["contact"]["email"] == "leila@example.com"  # shown as stated


def test_telegram_contact_button_and_whatsapp_number_are_one_person(client: TestClient) -> None:
    sara = make_agent(client)
    telegram = escalate(client, "telegram:42", "fa", channel="telegram",
                        verified=[{"kind": "phone", "value": "+98 912 ۱۲۳ ۴۵۶۷",
                                   "source": "telegram_contact"}])
    _resolve_locally(client, telegram["id"])
    whatsapp = escalate(client, "whatsapp:+989121234567", "fa", channel="whatsapp")
    assert _history(client, sara, whatsapp) == [telegram["id"]]
    verified = client.get(f"/api/v1/handoffs/{whatsapp['id']}", headers=sara).json()["verified"]
    assert {"kind": "phone", "value": "+989121234567"} in verified


def test_a_typed_phone_number_is_not_a_verified_one(client: TestClient) -> None:
    sara = make_agent(client)
    first = escalate(client, "whatsapp:+989121234567", "fa", channel="whatsapp")
    _resolve_locally(client, first["id"])
    typed = escalate(client, "telegram:7", "fa", channel="telegram",
                     contact={"phone": "+989121234567"})
    assert _history(client, sara, typed) == []


def test_a_signed_web_identity_links_and_a_forged_one_does_not(client: TestClient) -> None:
    sara = make_agent(client)
    identity = {"identifier": "leila@example.com",
                "identifier_hash": identity_hash(SITE_SECRET, "leila@example.com")}
    first = escalate(client, "browser-1", "en", signed_identity=identity)
    _resolve_locally(client, first["id"])
    second = escalate(client, "browser-2", "en", signed_identity=identity)
    assert _history(client, sara, second) == [first["id"]]

    forged = escalate(client, "browser-3", "en", signed_identity={
        "identifier": "leila@example.com", "identifier_hash": identity_hash("guess", "x")})
    assert _history(client, sara, forged) == []
    assert _contact_of(client, "browser-3") != _contact_of(client, "browser-1")
