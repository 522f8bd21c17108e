"""A customer who blocked the bot, or whose platform's reply window has closed, cannot make the
desk retry a message for ever: against the real Rasa server, action server and service, with the
platforms' stand-ins answering as Telegram, Messenger and Twilio do (tests/e2e/platforms.py).

The agent's message is marked undeliverable at once, the agent sees it in the API and on the
live feed, other customers' messages go out, and resolving the chat works and says what never
reached the customer."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import websocket

from tests.e2e.clients import Agent, eventually
from tests.e2e.fixtures import Platforms
from tests.e2e.platforms import TelegramUser
from tools.stack import Stack

pytestmark = pytest.mark.e2e

ASK_FOR_A_HUMAN = "I want to talk to a human"


def _claimed(agent: Agent, conversation_id: str) -> dict[str, Any]:
    handoff = eventually(lambda: agent.find(conversation_id), timeout=60)
    assert agent.call("POST", f"/handoffs/{handoff['id']}/claim").status_code == 200
    return handoff


def _live_feed(stack: Stack, agent: Agent) -> websocket.WebSocket:
    url = stack.config.handoff_url.replace("http", "ws", 1) + "/api/v1/live"
    feed = websocket.create_connection(url, origin=stack.config.handoff_url, timeout=10)
    token = agent.http.headers["Authorization"].removeprefix("Bearer ")
    feed.send(json.dumps({"type": "auth", "token": token}))
    return feed


def _event(feed: websocket.WebSocket, kind: str, message_id: int,
           seconds: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        event = json.loads(feed.recv())
        if event.get("type") == kind and (event.get("message") or {}).get("id") == message_id:
            return event
    raise AssertionError(f"no {kind} for message {message_id}")


def _send(agent: Agent, handoff: dict[str, Any], text: str) -> dict[str, Any]:
    sent = agent.call("POST", f"/handoffs/{handoff['id']}/messages", json={"text": text})
    assert sent.status_code == 201, sent.text
    return sent.json()


def test_a_reply_to_a_telegram_customer_who_blocked_the_bot_ends_and_resolve_says_so(
        platforms: Platforms, stack: Stack, agent_factory: Callable[..., Agent]) -> None:
    telegram, twilio = platforms.telegram, platforms.twilio
    agent = agent_factory(languages=("en",))
    user = TelegramUser(telegram, 970000 + uuid.uuid4().int % 10_000)
    user.say(ASK_FOR_A_HUMAN)
    blocked = _claimed(agent, user.sender_id)
    telegram.block(user.id)
    feed = _live_feed(stack, agent)
    try:
        message = _send(agent, blocked, "Hello, I am looking at your order now.")
        # marked as the send returns: one try, not one every two seconds for ever
        assert message["undeliverable_reason"] == "blocked"
        assert message["delivered_at"] is None
        shown = _event(feed, "message.undeliverable", message["id"])
        assert shown["message"]["undeliverable_reason"] == "blocked"
    finally:
        feed.close()
    tried = [c for c in telegram.refused if c.body.get("text", "").startswith("Hello, I am")]
    assert len(tried) == 1
    listed = agent.detail(blocked["id"])["messages"]
    assert [m["undeliverable_reason"] for m in listed if m["id"] == message["id"]] == ["blocked"]

    number = f"whatsapp:+98912{uuid.uuid4().int % 10_000_000:07d}"  # another customer
    twilio.deliver(number, ASK_FOR_A_HUMAN)
    other = _claimed(agent, number)
    assert _send(agent, other, "Hi, how can I help?")["delivered_at"] is not None
    assert eventually(lambda: "Hi, how can I help?" in [
        c.body.get("Body") for c in twilio.calls if c.body.get("To") == number])

    resolved = agent.call("POST", f"/handoffs/{blocked['id']}/resolve")
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["undeliverable_message_ids"] == [message["id"]]
    assert resolved.json()["handback_delivered"] is False
    assert len([c for c in telegram.refused if c.body.get("text", "").startswith(
        "Hello, I am")]) == 1  # and never tried again after


def test_outside_messengers_and_whatsapps_reply_window_a_message_ends_as_window_closed(
        platforms: Platforms, stack: Stack, agent_factory: Callable[..., Agent]) -> None:
    messenger, twilio = platforms.messenger, platforms.twilio
    agent = agent_factory(languages=("en",))
    psid = f"psid{uuid.uuid4().hex[:8]}"
    number = f"whatsapp:+98912{uuid.uuid4().int % 10_000_000:07d}"
    messenger.deliver([messenger.event(psid, text=ASK_FOR_A_HUMAN)])
    twilio.deliver(number, ASK_FOR_A_HUMAN)
    on_messenger, on_whatsapp = _claimed(agent, f"messenger:{psid}"), _claimed(agent, number)
    messenger.close_window(psid)
    twilio.close_window(number)

    assert _send(agent, on_messenger, "Sorry for the wait.")["undeliverable_reason"] == \
        "window_closed"
    assert _send(agent, on_whatsapp, "Sorry for the wait.")["undeliverable_reason"] == \
        "window_closed"
    for handoff in (on_messenger, on_whatsapp):
        resolved = agent.call("POST", f"/handoffs/{handoff['id']}/resolve")
        assert resolved.status_code == 200, resolved.text
        assert len(resolved.json()["undeliverable_message_ids"]) == 1
