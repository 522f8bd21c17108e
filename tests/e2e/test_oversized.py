"""A message over the length limit is refused before NLU on every way in, and the customer is told
in their language; a body over Rasa's size limit gets 413 (rasa_runtime/fixes/message_cap.py)."""

from __future__ import annotations

import json
import os
import struct
import uuid

import pytest
import requests
import websocket

from tests.e2e.clients import Customer
from tests.e2e.fixtures import Platforms
from tests.e2e.platforms import TelegramUser
from tests.e2e.test_messengers import matches, user_events
from tools.stack import Stack

pytestmark = pytest.mark.e2e
LONG_ARABIC = "أين طلبي " * 500  # 4,500 characters


def test_the_widget_is_told_in_arabic_and_nothing_is_processed(stack: Stack) -> None:
    customer = Customer(stack.config.rasa_url)
    customer.connect()
    try:
        customer.say(LONG_ARABIC)
        assert matches(customer.receive_text(), "utter_message_too_long", "ar")["limit"] == \
            "٤,٠٠٠"
        customer.say("مرحبا")  # the conversation goes on
        matches(customer.receive_text(), "utter_greet", "ar")
    finally:
        customer.disconnect()
    assert [e["text"] for e in user_events(stack, customer.session_id)] == ["مرحبا"]


def test_rest_answers_413_with_the_reply(stack: Stack) -> None:
    url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    sender = f"long-{uuid.uuid4().hex}"
    refused = requests.post(url, json={"sender": sender, "message": "x" * 4001},
                            headers=stack.config.rest_headers(), timeout=30)
    assert refused.status_code == 413
    matches(refused.json()["text"], "utter_message_too_long", "en")
    assert user_events(stack, sender) == []


def test_a_body_over_rasas_size_limit_is_never_read(stack: Stack, platforms: Platforms) -> None:
    """2 MB of an otherwise valid Telegram update (which would be ignored as having no message)."""
    huge = requests.post(platforms.telegram.webhook_url, timeout=30, headers={
        "X-Telegram-Bot-Api-Secret-Token": platforms.telegram.secret,
        "Content-Type": "application/json"},
        data=b'{"update_id": 5, "padding": "' + b"a" * 2_000_000 + b'"}')
    assert huge.status_code == 413


def test_telegram_gets_the_reply_and_200(stack: Stack, platforms: Platforms) -> None:
    user = TelegramUser(platforms.telegram, 991100)
    assert user.say("שלום " * 900).status_code == 200  # platforms retry on errors
    matches(user.receive().body["text"], "utter_message_too_long", "he")
    assert user_events(stack, user.sender_id) == []


def test_the_services_live_feeds_close_on_an_oversized_frame(stack: Stack,
                                                              customer: Customer) -> None:
    """Over HANDOFF_MAX_FRAME_BYTES (64 KB) a WebSocket closes with 1009; a heartbeat is fine.

    The frame's header alone announces 70,000 bytes: the service refuses it at the header, before
    reading any of it. (Sending the payload too would leave it unread in the service's socket,
    and the kernel answers a close with unread data by a reset, which can overtake the close
    frame.)"""
    url = stack.config.handoff_url.replace("http", "ws", 1) + "/api/v1/widget/live"
    live = websocket.create_connection(url, origin=stack.config.handoff_url, timeout=10)
    try:
        live.send(json.dumps({"type": "hello", "conversation_id": customer.session_id}))
        live.send("typing")
        # FIN + text, masked, 64-bit length, then the mask key: a client frame's header
        live.sock.sendall(struct.pack("!BBQ", 0x81, 0x80 | 127, 70_000) + os.urandom(4))
        frame = live.recv_frame()  # without answering the close, which the service needs not
        while frame.opcode != websocket.ABNF.OPCODE_CLOSE:
            frame = live.recv_frame()
        assert int.from_bytes(frame.data[:2], "big") == 1009
    finally:
        live.shutdown()
