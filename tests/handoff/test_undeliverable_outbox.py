"""Agent messages a customer's platform will not take end, instead of being retried for ever:
what the service does with Rasa's answers for a refusal (422 `Undeliverable`) and for a failure
that may pass (502 `PlatformUnavailable`), as rasa_runtime/fixes/undeliverable.py gives them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from handoff.app import create_app
from handoff.events import Event, Kind
from handoff.settings import Settings
from tests.handoff.support import RasaApi, _RasaHandler, escalate, make_agent, wait_for

REFUSED = {"status": "failure", "reason": "Undeliverable", "code": 422,
           "message": "the platform refused the message: blocked", "details": {
               "refusal": "blocked"}}
FAILING = {"status": "failure", "reason": "PlatformUnavailable", "code": 502,
           "message": "the platform did not take the message", "details": {}}


class _Handler(_RasaHandler):
    server: PlatformsBehindRasa

    def do_POST(self) -> None:
        """Only what goes out through the channel (a bot event, the bot's words after a
        triggered intent) meets the platform's answer; pause and resume events do not."""
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = self.server.answers.get(self.path.split("/")[2])
        to_customer = "trigger_intent" in self.path or (
            isinstance(body, dict) and body.get("event") == "bot")
        if self.server.failing:
            self._reply(503, {"message": "restarting"})
        elif answer is not None and to_customer:
            self.server.refused.append(body)
            self._reply(answer["code"], answer)
        else:
            if "/tracker/events" in self.path:
                self.server.received.append(body)
            self._reply(200, {})


    def do_GET(self) -> None:
        if self.path.split("/")[2] in self.server.unreadable:
            self._reply(200, {"events": "not a list of events"})
        else:
            super().do_GET()


class PlatformsBehindRasa(RasaApi):
    """Rasa's API whose answer for a conversation's bot messages can be its platform's
    refusal (`answers`: conversation id -> Rasa's error body)."""

    def __init__(self) -> None:
        ThreadingHTTPServer.__init__(self, ("127.0.0.1", 0), _Handler)
        self.received: list[dict[str, Any]] = []
        self.refused: list[dict[str, Any]] = []
        self.failing = False
        self.answers: dict[str, dict[str, Any]] = {}
        self.unreadable: set[str] = set()  # conversations whose tracker comes back malformed


@pytest.fixture
def platforms() -> Iterator[PlatformsBehindRasa]:
    server = PlatformsBehindRasa()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(settings: Settings, platforms: PlatformsBehindRasa) -> Settings:
    return settings.model_copy(update=dict(
        rasa_url=f"http://127.0.0.1:{platforms.server_port}", delivery_attempts=2))


def _sent(platforms: PlatformsBehindRasa) -> list[str]:
    return [body["text"] for body in platforms.received if body.get("event") == "bot"]


def test_a_customer_who_blocked_the_bot_gets_nothing_more_and_holds_up_nobody(
        settings: Settings, platforms: PlatformsBehindRasa) -> None:
    app = create_app(settings)
    live: list[Event] = []
    with TestClient(app) as client:
        app.state.services.events.listen(live.append)
        blocked, other = escalate(client, "conv-1"), escalate(client, "conv-2")
        sara = make_agent(client)
        for ticket in (blocked, other):
            client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
        platforms.answers["conv-1"] = REFUSED

        first = client.post(f"/api/v1/handoffs/{blocked['id']}/messages",
                            json={"text": "one"}, headers=sara)
        second = client.post(f"/api/v1/handoffs/{blocked['id']}/messages",
                             json={"text": "two"}, headers=sara)
        elsewhere = client.post(f"/api/v1/handoffs/{other['id']}/messages",
                                json={"text": "for conv-2"}, headers=sara)

        assert first.status_code == second.status_code == 201
        assert first.json()["undeliverable_reason"] == "blocked"
        assert first.json()["delivered_at"] is None
        assert second.json()["undeliverable_reason"] == "blocked"  # tried, not held behind one
        assert elsewhere.json()["delivered_at"] is not None
        assert _sent(platforms) == ["for conv-2"]
        marked = [event for event in live if event.kind == Kind.MESSAGE_UNDELIVERABLE]
        assert [event.data["message"]["undeliverable_reason"] for event in marked] == [
            "blocked", "blocked"]
        listed = client.get(f"/api/v1/handoffs/{blocked['id']}/messages", headers=sara).json()
        assert [m["undeliverable_reason"] for m in listed] == ["blocked", "blocked"]

        resolved = client.post(f"/api/v1/handoffs/{blocked['id']}/resolve", headers=sara)
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["status"] == "resolved"
        assert resolved.json()["undeliverable_message_ids"] == [first.json()["id"],
                                                                second.json()["id"]]
        assert resolved.json()["handback_delivered"] is False  # the bot's goodbye: refused


def test_a_failing_platform_is_tried_a_limited_number_of_times_then_given_up(
        client: TestClient, platforms: PlatformsBehindRasa) -> None:
    ticket = escalate(client)
    sara = make_agent(client)
    client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
    platforms.answers["conv-1"] = FAILING

    first = client.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": "one"},
                        headers=sara).json()
    assert first["undeliverable_reason"] is None and first["delivered_at"] is None

    def listed() -> list[dict[str, Any]]:
        return client.get(f"/api/v1/handoffs/{ticket['id']}/messages", headers=sara).json()

    # the outbox's loop tries it again after a pause; with 2 tries allowed it then gives up
    assert wait_for(lambda: listed()[0]["undeliverable_reason"] == "gave_up", timeout=15)
    assert len([b for b in platforms.refused if b.get("event") == "bot"]) == 2

    del platforms.answers["conv-1"]  # the platform is back: the next message goes out
    later = client.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": "two"},
                        headers=sara).json()
    assert later["delivered_at"] is not None
    assert _sent(platforms) == ["two"]


def test_rasa_being_unreachable_is_not_counted_against_the_message(
        client: TestClient, platforms: PlatformsBehindRasa) -> None:
    ticket = escalate(client)
    sara = make_agent(client)
    client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
    platforms.failing = True
    for text in ("one", "two", "three"):
        client.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": text},
                    headers=sara)
    platforms.failing = False
    last = client.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": "four"},
                       headers=sara).json()
    assert last["delivered_at"] is not None
    assert _sent(platforms) == ["one", "two", "three", "four"]


def test_one_handoff_whose_retry_fails_does_not_hold_up_the_others_retries(
        client: TestClient, platforms: PlatformsBehindRasa) -> None:
    first, second = escalate(client, "conv-1"), escalate(client, "conv-2")
    sara = make_agent(client)
    platforms.failing = True
    for ticket, text in ((first, "for conv-1"), (second, "for conv-2")):
        client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
        client.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": text},
                    headers=sara)
    platforms.unreadable.add("conv-1")  # its retry raises, before conv-2's in every round
    platforms.failing = False
    assert wait_for(lambda: _sent(platforms) == ["for conv-2"], timeout=15)
