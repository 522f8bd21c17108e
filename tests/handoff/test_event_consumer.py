"""Consuming Rasa's SQL event table: customer messages reach the handoff, exactly once."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from handoff import queue
from handoff.contract import HandoffContext
from handoff.db import Base, make_engine, make_session_factory
from handoff.event_consumer import EventConsumer
from handoff.settings import Settings
from tests.handoff.support import RasaEvents, context, escalate, make_agent

T = TypeVar("T")


def _wait_for(predicate: Callable[[], T], timeout: float = 5.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_customer_messages_during_a_handoff_reach_the_agent(
    client: TestClient, events: RasaEvents
) -> None:
    events.user("conv-1", "this was before the handoff")
    ticket = escalate(client)
    events.user("conv-1", "کفش‌ها سایز ۴۲ هستند ولی ۴۴ سفارش دادم 👟")
    events.user("someone-else", "not part of this handoff")
    events.publish("conv-1", {"event": "bot", "text": "agent echo", "timestamp": time.time()})
    agent = make_agent(client)

    def customer_texts() -> list[str]:
        messages = client.get(f"/api/v1/handoffs/{ticket['id']}/messages", headers=agent).json()
        return [m["text"] for m in messages if m["sender"] == "customer"]

    assert _wait_for(customer_texts) == ["کفش‌ها سایز ۴۲ هستند ولی ۴۴ سفارش دادم 👟"]


def test_consumption_resumes_after_a_restart_without_loss_or_duplicates(
    settings: Settings, events: RasaEvents
) -> None:
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        handoff, _ = queue.create_handoff(session, HandoffContext.model_validate(context()))
    consumer = EventConsumer(create_engine(settings.events_url), sessions, batch_size=2)

    for i in range(5):
        events.user("conv-1", f"message {i}")
    assert consumer.poll_once() == 2  # the service dies after this batch ...
    restarted = EventConsumer(create_engine(settings.events_url), sessions, batch_size=2)
    while restarted.poll_once():
        pass
    events.user("conv-1", "message 5")
    assert restarted.poll_once() == 1
    assert restarted.poll_once() == 0

    with sessions() as session:
        texts = [m.text for m in queue.messages_after(session, handoff.id)]
    assert texts == [f"message {i}" for i in range(6)]
