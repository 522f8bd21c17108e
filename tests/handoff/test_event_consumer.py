"""Consuming Rasa's SQL event table: customer messages reach the handoff, exactly once."""

from __future__ import annotations

import asyncio
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker

from handoff import queue
from handoff.contract import HandoffContext
from handoff.db import make_engine, make_session_factory
from handoff.event_consumer import Batch, EventConsumer, Recorded
from handoff.migrate import upgrade
from handoff.models import Handoff
from handoff.settings import Settings
from tests.handoff.support import ACTION, RasaEvents, context, escalate, make_agent, wait_for


def test_customer_messages_during_a_handoff_reach_the_agent(
    client: TestClient, events: RasaEvents
) -> None:
    events.user("conv-1", "this was before the handoff")
    ticket = escalate(client)
    events.user("conv-1", "کفش‌ها سایز ۴۲ هستند ولی ۴۴ سفارش دادم 👟")
    events.user("someone-else", "not part of this handoff")
    events.publish("conv-1", {"event": "bot", "text": "agent echo", "timestamp": time.time()})
    events.publish("conv-1", {"event": "user", "text": None, "timestamp": time.time()})
    agent = make_agent(client)

    def customer_texts() -> list[str]:
        messages = client.get(f"/api/v1/handoffs/{ticket['id']}/messages", headers=agent).json()
        return [m["text"] for m in messages if m["sender"] == "customer"]

    assert wait_for(customer_texts) == ["کفش‌ها سایز ۴۲ هستند ولی ۴۴ سفارش دادم 👟"]


def test_consumption_resumes_after_a_restart_without_loss_or_duplicates(
    settings: Settings, events: RasaEvents
) -> None:
    upgrade(settings.database_url)
    sessions = make_session_factory(make_engine(settings.database_url))
    with sessions() as session:
        handoff, _ = queue.create_handoff(session, HandoffContext.model_validate(context()),
                                          "support")
    consumer = EventConsumer(create_engine(settings.events_url), sessions, batch_size=2)

    for i in range(5):
        events.user("conv-1", f"message {i}")
    assert consumer.poll_once().read == 2  # the service dies after this batch ...
    restarted = EventConsumer(create_engine(settings.events_url), sessions, batch_size=2)
    while restarted.poll_once().read:
        pass
    events.user("conv-1", "message 5", intent="ask_handoff_status")
    batch = restarted.poll_once()
    assert batch.read == 1 and [r.intent for r in batch.recorded] == ["ask_handoff_status"]
    assert restarted.poll_once().read == 0

    with sessions() as session:
        texts = [m.text for m in queue.messages_after(session, handoff.id)]
    assert texts == [f"message {i}" for i in range(6)]


def test_waiting_for_rasas_table_makes_no_failing_queries(settings: Settings) -> None:
    """Before Rasa creates its table, the consumer looks for it instead of querying it: a failed
    query every 50 ms filled PostgreSQL's log with errors while Rasa started."""
    upgrade(settings.database_url)
    sessions = make_session_factory(make_engine(settings.database_url))
    with sessions() as session:
        queue.create_handoff(session, HandoffContext.model_validate(context()), "support")
    events_engine = create_engine(settings.events_url)
    failures: list[Exception] = []
    event.listen(events_engine, "handle_error",
                 lambda context: failures.append(context.original_exception))
    recorded: list[Recorded] = []

    async def consume() -> None:
        stop = asyncio.Event()

        async def on_recorded(batch: Batch) -> None:
            recorded.extend(batch.recorded)
            stop.set()

        consumer = EventConsumer(events_engine, sessions)
        task = asyncio.create_task(consumer.run(0.02, stop, on_recorded))
        await asyncio.sleep(0.3)  # about 15 polls with no table
        RasaEvents(settings.events_url).user("conv-1", "are you there?")
        await asyncio.wait_for(task, 5)

    asyncio.run(consume())
    assert failures == []
    assert len(recorded) == 1


def _service_with_a_handoff(settings: Settings) -> tuple[Engine, sessionmaker, Handoff]:
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        handoff, _ = queue.create_handoff(session, HandoffContext.model_validate(context()),
                                          "support")
    return engine, sessions, handoff


def _statements_on(engine: Engine) -> list[str]:
    """Every statement the engine runs from now on."""
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, *_: statements.append(statement))
    return statements


def test_a_caught_up_poll_is_one_query_on_rasas_table(settings: Settings,
                                                      events: RasaEvents) -> None:
    """Polled every 50 ms, an idle consumer read its offset from the service's database each
    time; now it keeps it, and that database sees no query until there is something new."""
    engine, sessions, handoff = _service_with_a_handoff(settings)
    consumer = EventConsumer(create_engine(settings.events_url), sessions)
    consumer.poll_once()
    statements = _statements_on(engine)
    for _ in range(5):
        assert consumer.poll_once().read == 0
    assert statements == []
    events.user("conv-1", "still there?")
    assert [r.handoff_id for r in consumer.poll_once().recorded] == [handoff.id]
    assert statements  # the message and the offset, committed together


def test_events_without_customer_messages_touch_no_service_table(settings: Settings,
                                                                 events: RasaEvents) -> None:
    """Half of Rasa's events in a live chat are the agents' own messages (bot events): reading
    them costs the service's database nothing, and a restart after them loses nothing."""
    engine, sessions, handoff = _service_with_a_handoff(settings)
    events.user("conv-1", "first")
    consumer = EventConsumer(create_engine(settings.events_url), sessions)
    assert len(consumer.poll_once().recorded) == 1
    statements = _statements_on(engine)
    for said in ("agent one", "agent two"):
        events.publish("conv-1", {"event": "bot", "text": said, "timestamp": time.time()})
        assert consumer.poll_once().read == 1
    assert statements == []

    events.user("conv-1", "second")
    restarted = EventConsumer(create_engine(settings.events_url), sessions)
    assert restarted.poll_once().read == 3  # the two bot events again, and the new message
    assert restarted.poll_once().read == 0
    with sessions() as session:
        assert [m.text for m in queue.messages_after(session, handoff.id)] == ["first", "second"]


def test_a_handoff_filed_late_gets_the_messages_written_since_the_request_once(
    client: TestClient, events: RasaEvents
) -> None:
    """The service was down when the customer asked: the action server files the request later
    with its reference and time. The customer's messages since then, which the consumer has
    read past already, are recorded once; filing the reference again files nothing."""
    asked = time.time()
    events.user("conv-late", "before the request")
    time.sleep(0.01)
    late_asked = time.time()
    for text in ("سفارشم ۵۸۲۳۱ است", "are you there? 🙂"):
        events.user("conv-late", text)
    time.sleep(0.5)  # the consumer reads past them: there is no handoff yet
    sara = make_agent(client)
    body = {"reference": "LATE23", "escalated_at": late_asked}
    first = escalate(client, "conv-late", **body)
    assert first["created"] is True and first["reference"] == "LATE23"

    def texts() -> list[str]:
        detail = client.get(f"/api/v1/handoffs/{first['id']}", headers=sara).json()
        return [m["text"] for m in detail["messages"] if m["sender"] == "customer"]

    wait_for(lambda: texts() == ["سفارشم ۵۸۲۳۱ است", "are you there? 🙂"])
    again = escalate(client, "conv-late", **body)
    assert (again["id"], again["created"]) == (first["id"], False)
    events.user("conv-late", "and one more")
    wait_for(lambda: texts()[-1:] == ["and one more"])
    time.sleep(0.3)
    assert texts() == ["سفارشم ۵۸۲۳۱ است", "are you there? 🙂", "and one more"]
    handoff = client.get(f"/api/v1/handoffs/{first['id']}", headers=sara).json()
    assert handoff["created_at"] == pytest.approx(late_asked) and asked < late_asked
    # catching up again (a second delivery racing the first) records nothing twice, and the
    # consumer goes on
    client.app.state.services.consumer.catch_up(first["id"])
    events.user("conv-late", "still here")
    wait_for(lambda: texts()[-1:] == ["still here"])
    assert texts() == ["سفارشم ۵۸۲۳۱ است", "are you there? 🙂", "and one more", "still here"]
    # filed again after it was resolved (the outbox never heard the answer): still that one
    with client.app.state.services.sessions() as session:  # resolving needs Rasa, absent here
        session.get(Handoff, first["id"]).status = "resolved"
        session.commit()
    retried = escalate(client, "conv-late", **body)
    assert (retried["id"], retried["created"]) == (first["id"], False)
    # a reference another conversation filed is a clash, not a second handoff
    clash = client.post("/api/v1/handoffs", json=context("conv-other", reference="LATE23"),
                        headers={"Authorization": f"Bearer {ACTION}"})
    assert clash.status_code == 409
