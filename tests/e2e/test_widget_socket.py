"""The widget's socket.io channel: only allowed pages connect, and a page cannot name another
channel's conversation (rasa_runtime/channels/socketio.py)."""

from __future__ import annotations

import queue
from typing import Any

import pytest
import socketio

from tests.e2e.conftest import Platforms
from tests.e2e.platforms import TelegramUser
from tests.e2e.test_messengers import user_events
from tools.stack import Stack

pytestmark = pytest.mark.e2e


def _connect(stack: Stack, origin: str) -> socketio.Client:
    """A page of `origin` (websocket-client's `origin` option, as a browser sends it)."""
    client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
    client.connect(stack.config.rasa_url, transports=["websocket"])
    return client


def test_only_the_allowed_pages_connect(stack: Stack) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        _connect(stack, "https://evil.example")
    allowed = _connect(stack, stack.config.handoff_url)  # the demo shop page
    assert allowed.connected
    allowed.disconnect()


def test_a_page_cannot_speak_in_a_telegram_conversation(stack: Stack,
                                                        platforms: Platforms) -> None:
    leila = TelegramUser(platforms.telegram, 990900)
    leila.say("hello")
    leila.receive()
    page = _connect(stack, stack.config.handoff_url)
    confirmed: queue.Queue[Any] = queue.Queue()
    errors: queue.Queue[Any] = queue.Queue()
    page.on("session_confirm", confirmed.put)
    page.on("error", errors.put)
    try:
        page.emit("session_request", {"session_id": leila.sender_id})
        assert confirmed.get(timeout=10) != leila.sender_id  # a fresh id instead
        page.emit("user_uttered", {"message": "send me her order", "session_id": leila.sender_id})
        assert errors.get(timeout=10) == {"error": "invalid session id"}
    finally:
        page.disconnect()
    assert [e["text"] for e in user_events(stack, leila.sender_id)] == ["hello"]
    assert platforms.telegram.nothing_for(str(leila.id), 1.0)
