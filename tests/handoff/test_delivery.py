"""Agent messages on their way to the customer: what Rasa receives, in which order, and what the
way costs the database (it is on every agent message's path; bench/README.md, fix 19)."""

from __future__ import annotations

import contextvars
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from handoff.app import create_app
from handoff.settings import Settings
from tests.handoff.support import RasaApi, RasaEvents, escalate, make_agent

_in_request = contextvars.ContextVar("in_request", default=False)


@pytest.fixture
def settings(settings: Settings, rasa: RasaApi) -> Settings:
    return settings.model_copy(update=dict(rasa_url=f"http://127.0.0.1:{rasa.server_port}"))


class RequestsMarked:
    """Marks the context of each HTTP request, so statements of the service's background loops
    (assigner, outbox retries) that run meanwhile are not counted as the request's."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            _in_request.set(True)
        await self.app(scope, receive, send)


def _sent_texts(rasa: RasaApi) -> list[str]:
    return [body["text"] for body in rasa.received if body.get("event") == "bot"]


def test_an_agent_message_reaches_rasa_with_its_ids_in_six_statements_and_the_replicas_turn(
        settings: Settings, events: RasaEvents, rasa: RasaApi) -> None:
    app = create_app(settings)
    statements: list[str] = []
    with TestClient(RequestsMarked(app)) as client:
        event.listen(app.state.services.sessions.kw["bind"], "before_cursor_execute",
                     lambda _conn, _cursor, statement, *_: (
                         statements.append(statement) if _in_request.get() else None))
        ticket = escalate(client)
        sara = make_agent(client)
        client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
        client.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": "hi"},
                    headers=sara)
        statements.clear()

        sent = client.post(f"/api/v1/handoffs/{ticket['id']}/messages",
                           json={"text": "سلام، سارا هستم 👋"}, headers=sara)

        assert sent.status_code == 201, sent.text
        message = sent.json()
        assert message["delivered_at"] is not None
        # The token's agent with their teams; the handoff, the message; the pending messages,
        # their send attempt; the delivery. It was 13 statements in 6 worker-thread calls. On
        # PostgreSQL, where several replicas may share the database, two more: the handoff's
        # turn among the replicas (handoff/delivery.py), taken and given back.
        turn = [s for s in statements if "pg_advisory" in s]
        assert len(turn) == (2 if settings.database_url.startswith("postgresql") else 0), turn
        assert len(statements) - len(turn) <= 6, statements
        assert [body for body in rasa.received if body.get("event") == "bot"][-1] == {
            "event": "bot", "text": "سلام، سارا هستم 👋",
            "metadata": {"handoff_id": ticket["id"], "message_id": message["id"],
                         "agent_id": message["agent_id"]},
            "data": {"custom": {"data": {"agent_message": {"id": message["id"],
                                                           "agent": "sara"}}}},
        }
        listed = client.get(f"/api/v1/handoffs/{ticket['id']}/messages", headers=sara).json()
        assert listed[-1]["delivered_at"] == message["delivered_at"]


def test_messages_held_while_rasa_was_down_go_out_once_and_in_order(
        client: TestClient, rasa: RasaApi) -> None:
    ticket = escalate(client)
    sara = make_agent(client)
    client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
    rasa.failing = True
    first = client.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": "one"},
                        headers=sara)
    assert first.status_code == 201
    assert first.json()["delivered_at"] is None

    rasa.failing = False
    second = client.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": "two"},
                         headers=sara)
    third = client.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": "three"},
                        headers=sara)

    assert second.json()["delivered_at"] is not None
    assert third.json()["delivered_at"] is not None
    assert _sent_texts(rasa) == ["one", "two", "three"]
    listed = client.get(f"/api/v1/handoffs/{ticket['id']}/messages", headers=sara).json()
    assert all(message["delivered_at"] is not None for message in listed)
    assert client.post(f"/api/v1/handoffs/{ticket['id']}/resolve", headers=sara).status_code == 200
