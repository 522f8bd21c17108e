"""One person across channels: recognised by verified details; the agent sees their history."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.handoff.support import escalate, make_agent


def _resolve_locally(client: TestClient, headers: dict[str, str], handoff_id: int) -> None:
    from handoff.models import Handoff

    with client.app.state.services.sessions() as session:  # Rasa is not running in these tests
        session.get(Handoff, handoff_id).status = "resolved"
        session.commit()


def test_earlier_conversations_on_other_channels_are_shown(client: TestClient) -> None:
    sara = make_agent(client)
    web = escalate(client, "web-visitor-1", "fa",
                   contact={"email": "Leila@Example.com", "order_numbers": ["۵۸۲۳۱"]})
    _resolve_locally(client, sara, web["id"])
    telegram = escalate(client, "telegram-99", "fa", channel="telegram",
                        contact={"order_numbers": ["58231"]})
    stranger = escalate(client, "telegram-100", "fa", channel="telegram",
                        contact={"order_numbers": ["77777"]})

    history = client.get(f"/api/v1/handoffs/{telegram['id']}", headers=sara).json()["history"]
    assert [(h["id"], h["channel"]) for h in history] == [(web["id"], "socketio")]
    assert client.get(f"/api/v1/handoffs/{stranger['id']}", headers=sara).json()["history"] == []


def test_phone_numbers_match_across_digit_scripts(client: TestClient) -> None:
    sara = make_agent(client)
    first = escalate(client, "a", "fa", contact={"phone": "+98 912 ۱۲۳ ۴۵۶۷"})
    _resolve_locally(client, sara, first["id"])
    second = escalate(client, "b", "ar", channel="telegram", contact={"phone": "+989121234567"})
    history = client.get(f"/api/v1/handoffs/{second['id']}", headers=sara).json()["history"]
    assert [h["id"] for h in history] == [first["id"]]
