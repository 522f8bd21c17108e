"""Readiness says which part keeps the service from its work: Rasa unreachable, agent messages
piling up, the event consumer not polling. Liveness only says the process answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from handoff import readiness
from handoff.app import create_app
from handoff.models import Message
from handoff.settings import Settings
from tests.handoff.support import RasaEvents, escalate, make_agent, wait_for


class Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"Hello from Rasa: 3.6.21"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def rasa_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _ready(client: TestClient) -> tuple[int, dict]:
    response = client.get("/readyz")
    return response.status_code, response.json()


def test_ready_when_every_part_works(settings: Settings, events: object, rasa_url: str) -> None:
    with TestClient(create_app(settings.model_copy(update={"rasa_url": rasa_url}))) as client:
        body = wait_for(lambda: (lambda r: r[1] if r[0] == 200 else None)(_ready(client)))
        assert body["ready"] is True
        assert set(body["checks"]) == {"database", "event_consumer", "outbox", "rasa", "workers"}
        assert body["checks"]["event_consumer"]["lag_events"] == 0
        assert client.get("/healthz").json() == {"status": "ok"}


def test_not_ready_says_why(client: TestClient) -> None:
    """Rasa is not running here: unreachable, and an agent's message cannot be delivered."""
    code, body = _ready(client)
    assert code == 503 and body["ready"] is False
    assert body["checks"]["rasa"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True

    sara = make_agent(client)
    ticket = escalate(client, "conv-ready", "en")
    client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
    client.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": "hi"}, headers=sara)
    with client.app.state.services.sessions() as session:  # written two minutes ago
        for message in session.query(Message).all():
            message.created_at = time.time() - 120
        session.commit()
    outbox = _ready(client)[1]["checks"]["outbox"]
    assert (outbox["ok"], outbox["waiting"]) == (False, 1)
    assert outbox["oldest_seconds"] >= 119



def test_a_silent_or_blind_event_consumer_is_not_ready(
        client: TestClient, events: RasaEvents, monkeypatch: pytest.MonkeyPatch) -> None:
    assert wait_for(lambda: _ready(client)[1]["checks"]["event_consumer"]["ok"])
    monkeypatch.setattr(readiness, "CONSUMER_SILENT_SECONDS", 0.0)  # any silence is too long
    consumer = _ready(client)[1]["checks"]["event_consumer"]
    assert consumer["ok"] is False
    assert consumer["detail"] == "the event consumer has not polled lately"
    monkeypatch.undo()
    with events.engine.begin() as connection:
        connection.execute(text("DROP TABLE events"))
    consumer = _ready(client)[1]["checks"]["event_consumer"]
    assert consumer["ok"] is False and consumer["detail"].startswith("Rasa's event table")
