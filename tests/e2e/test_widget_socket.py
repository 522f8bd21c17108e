"""The widget's socket.io channel: only allowed pages connect, and a page cannot name another
channel's conversation (rasa_runtime/channels/socketio.py)."""

from __future__ import annotations

import queue
import time
import uuid
from typing import Any

import pytest
import socketio

from tests.e2e import domain_texts
from tests.e2e.clients import Customer, eventually
from tests.e2e.fixtures import Platforms
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



def _drained(customer: Customer) -> list[str]:
    """Every text the customer gets until 3 s pass without one."""
    texts = []
    while True:
        try:
            texts.append(customer.receive_text(timeout=3.0))
        except queue.Empty:
            return texts


def test_a_conversation_over_its_rate_is_told_once_and_the_rest_is_not_read(
    stack: Stack, customer: Customer
) -> None:
    """12 messages at once: Rasa reads 10 (the default rate, 10 in 10 seconds), answers the
    11th with the wait in the customer's language, and drops the 12th without another reply."""
    for turn in range(12):
        customer.say(f"سفارش ۵۸۲۳{turn % 10} کجاست؟")
    texts = _drained(customer)
    warnings = [text for text in texts
                if domain_texts.pattern("utter_message_rate", "fa").match(text)]
    assert len(warnings) == 1, texts
    assert len(user_events(stack, customer.session_id)) == 10


def test_one_connection_cannot_spread_a_flood_over_many_conversations(stack: Stack) -> None:
    """Each message asks for a conversation of its own first (a socket speaks only in the one
    it asked for); the connection's rate (20 in 10 seconds) still holds, and the page is told
    once, in the language of its messages."""
    page = _connect(stack, stack.config.handoff_url)
    texts: queue.Queue[str] = queue.Queue()
    page.on("bot_uttered", lambda message: texts.put(message.get("text", "")))
    sessions = [uuid.uuid4().hex for _ in range(22)]
    try:
        for session in sessions:
            page.emit("session_request", {"session_id": session})
            page.emit("user_uttered", {"message": "ما هي طرق الدفع؟", "session_id": session})
        eventually(lambda: sum(1 for s in sessions if user_events(stack, s)) == 20, timeout=60)
        time.sleep(2.0)  # nothing more is read, and no second warning comes
        assert sum(1 for session in sessions if user_events(stack, session)) == 20
    finally:
        page.disconnect()
    got = [texts.get() for _ in range(texts.qsize())]
    warnings = [text for text in got
                if domain_texts.pattern("utter_message_rate", "ar").match(text)]
    assert len(warnings) == 1, got
