"""One trust boundary per channel, tried as an attacker with the public widget's socket.io, the
REST channel and a forged call to the action server: a client cannot write what a channel
vouches for (common/protocol.py METADATA_OWNERS), speak in another session than its socket
asked for, or make the action server run an action (rasa_runtime/channels/, actions/server.py).
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import socketio

from common.protocol import RESERVED_METADATA_KEYS
from tests.e2e.clients import Agent, Customer, eventually
from tests.e2e.fixtures import Platforms
from tests.e2e.platforms import TelegramUser
from tools.stack import Stack

pytestmark = pytest.mark.e2e

VICTIM_PHONE = "+989121110000"


class Recorder:
    """A local HTTP server that records every request made to it (a photo 'host')."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                recorder.paths.append(self.path)
                self.send_response(404)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    made = Recorder()
    yield made
    made.server.shutdown()


def user_events(stack: Stack, sender_id: str) -> list[dict[str, Any]]:
    """The customer messages in Rasa's tracker, read through its API as the service does."""
    tracker = requests.get(f"{stack.config.rasa_url}/conversations/{sender_id}/tracker",
                           headers=stack.config.rasa_headers(), timeout=30)
    tracker.raise_for_status()
    return [event for event in tracker.json()["events"] if event["event"] == "user"]


def forged_metadata(recorder: Recorder) -> dict[str, Any]:
    """Every reserved key, as a page could write it, beside what the widget sends."""
    return {
        "language": "en", "shown": "not a button", "some_key": "x" * 1000,
        "identity": {"identifier": "victim@shop.example", "identifier_hash": "ü" * 64},
        "verified_phone": VICTIM_PHONE,
        "attachments": [{"type": "image", "channel": "messenger",
                         "ref": f"{recorder.url}/internal.png"}],
        "platform_message_id": "m1", "handoff_id": 1, "message_id": 1, "agent_id": 1,
        "handoff_notice": "utter_handoff_resolved", "handoff_status": {"status": "resolved"},
    }


def test_a_page_cannot_write_what_a_channel_vouches_for(stack: Stack,
                                                        recorder: Recorder) -> None:
    page = Customer(stack.config.rasa_url, metadata=forged_metadata(recorder))
    page.connect()
    try:
        page.say("hello")
        page.receive_text()
    finally:
        page.disconnect()
    metadata = user_events(stack, page.session_id)[-1]["metadata"]
    assert metadata["language"] == "en"
    assert not RESERVED_METADATA_KEYS & set(metadata), metadata
    assert "some_key" not in metadata


def test_a_page_attaches_no_photo_and_links_no_phone(
        stack: Stack, recorder: Recorder, agent_factory: Callable[..., Agent]) -> None:
    """Before the handoff (the action server's context) and during it (the service's
    consumer): no photo is recorded or fetched, and no Telegram-shaped phone is linked."""
    agent = agent_factory(languages=("en",))
    forged = forged_metadata(recorder)
    page = Customer(stack.config.rasa_url, metadata={
        key: forged[key] for key in ("language", "attachments", "verified_phone")})
    page.connect()
    try:
        page.say("my shoes came in the wrong size")
        page.receive_text()
        page.say("I want to talk to a human")
        handoff = eventually(lambda: agent.find(page.session_id), timeout=30)
        page.say("here is the photo")
        eventually(lambda: any(m["text"] == "here is the photo"
                               for m in agent.detail(handoff["id"])["messages"]), timeout=30)
    finally:
        page.disconnect()
    time.sleep(2.0)  # the photo fetcher would have gone by now
    detail = agent.detail(handoff["id"])
    assert detail["attachments"] == [] and detail["context"]["attachments"] == []
    assert recorder.paths == []
    assert detail["context"]["verified"] == []
    assert [v for v in detail["verified"] if v["kind"] == "phone"] == []


def _page(stack: Stack) -> tuple[socketio.Client, queue.Queue[Any]]:
    client = socketio.Client(reconnection=False)
    errors: queue.Queue[Any] = queue.Queue()
    client.on("error", errors.put)
    client.connect(stack.config.rasa_url, transports=["websocket"])
    return client, errors


def test_a_socket_speaks_only_in_the_session_it_asked_for(stack: Stack,
                                                          customer: Customer) -> None:
    customer.say("hello")
    customer.receive_text()
    attacker, errors = _page(stack)
    confirmed: queue.Queue[Any] = queue.Queue()
    attacker.on("session_confirm", confirmed.put)
    try:
        # without any session_request, and then under its own session
        attacker.emit("user_uttered", {"message": "I want to talk to a human",
                                       "session_id": customer.session_id})
        assert errors.get(timeout=10) == {"error": "invalid session id"}
        attacker.emit("session_request", {"session_id": uuid.uuid4().hex})
        confirmed.get(timeout=10)
        attacker.emit("user_uttered", {"message": "I want to talk to a human",
                                       "session_id": customer.session_id})
        assert errors.get(timeout=10) == {"error": "invalid session id"}
    finally:
        attacker.disconnect()
    assert customer.nothing_received(2.0)
    assert [e["text"] for e in user_events(stack, customer.session_id)] == ["hello"]


def test_the_rest_channel_names_its_own_channel_and_no_messengers_conversation(
        stack: Stack, platforms: Platforms) -> None:
    url, headers = f"{stack.config.rasa_url}/webhooks/rest/webhook", stack.config.rest_headers()
    sender = uuid.uuid4().hex
    said = requests.post(url, headers=headers, timeout=60, json={
        "sender": sender, "message": "hello", "input_channel": "telegram"})
    assert said.status_code == 200
    assert [e["input_channel"] for e in user_events(stack, sender)] == ["rest"]

    leila = TelegramUser(platforms.telegram, 990901)
    leila.say("hello")
    leila.receive()
    refused = requests.post(url, headers=headers, timeout=60, json={
        "sender": leila.sender_id, "message": "what is my order?"})
    assert refused.status_code == 403
    assert [e["text"] for e in user_events(stack, leila.sender_id)] == ["hello"]


def _action_call(action: str, sender_id: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """What Rasa posts to the action server, made up."""
    return {"next_action": action, "sender_id": sender_id, "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": sender_id, "slots": {"session_started_metadata": metadata},
                        "latest_message": {}, "events": [], "paused": False,
                        "followup_action": None, "active_loop": {},
                        "latest_action_name": None}}


def test_the_action_server_answers_only_rasa(stack: Stack) -> None:
    actions = f"http://127.0.0.1:{stack.config.actions_port}"
    token = stack.config.environment()["ACTION_SERVER_TOKEN"]
    # an attacker's Telegram chat, claiming a customer's phone at its session's start
    forged = _action_call("action_session_start", "telegram:66600666",
                          {"verified_phone": VICTIM_PHONE})
    for headers in ({}, {"Authorization": "Bearer not-the-token"},
                    {"Authorization": token}):
        assert requests.post(f"{actions}/webhook", json=forged, headers=headers,
                             timeout=30).status_code == 401
        assert requests.get(f"{actions}/actions", headers=headers, timeout=30).status_code == 401
    assert requests.get(f"{actions}/health", timeout=30).status_code == 200
    rasa = requests.post(f"{actions}/webhook", timeout=30,
                         headers={"Authorization": f"Bearer {token}"},
                         json=_action_call("action_session_start", uuid.uuid4().hex, {}))
    assert rasa.status_code == 200
    assert rasa.json()["events"][0]["event"] == "session_started"
