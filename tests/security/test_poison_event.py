"""One bad event must not stop the human tier: a customer's crafted message, or junk in Rasa's
event table, is set aside as a dead letter and the messages behind it still reach the agents;
a background worker that fails is restarted, and /readyz names it meanwhile.

The attack through the real stack (socket.io, Rasa, the service) comes first; the socket.io
channel also strips reserved metadata keys now, so the same junk is then written straight into
Rasa's event table for the service alone (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
import requests
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from handoff import bot_sessions
from handoff.app import create_app
from handoff.db import make_engine, make_session_factory
from handoff.event_consumer import EventConsumer
from handoff.inbox import InboxCollector
from handoff.migrate import upgrade
from handoff.models import ConsumerOffset, DeadLetter, InboxMessage, Message
from handoff.rabbitmq_journal import Published
from handoff.settings import Settings
from handoff.supervisor import Supervisor
from tests.e2e.clients import Agent, Customer, eventually
from tests.handoff.conftest import client, database_url, events, settings  # noqa: F401 - fixtures
from tests.handoff.support import RasaEvents, escalate, make_agent, wait_for

LONG_REF = "https://example.com/" + "p" * 2100  # two refs alike in their first 2,000 characters
JUNK_METADATA: list[dict[str, Any]] = [
    {"attachments": ["boom"]},
    {"attachments": "boom"},
    {"attachments": [None, 7, {"type": "image", "ref": ["x"]}, {"type": ["image"]}]},
    {"attachments": [{"type": "image", "channel": "socketio", "ref": LONG_REF + "1"},
                     {"type": "image", "channel": "socketio", "ref": LONG_REF + "2"}]},
]


@pytest.mark.e2e
def test_a_customers_junk_metadata_stops_no_other_customer(
    stack: Any, agent_factory: Callable[..., Agent]
) -> None:
    agent = agent_factory(capacity=10, languages=("en",))
    attacker, victim = Customer(stack.config.rasa_url), Customer(stack.config.rasa_url)
    attacker.connect()
    victim.connect()
    try:
        for person in (attacker, victim):
            person.say("I want to talk to a human")
        eventually(lambda: agent.find(attacker.session_id), timeout=60)
        ticket = eventually(lambda: agent.find(victim.session_id), timeout=60)
        agent.set_presence("online")

        for metadata in JUNK_METADATA:  # during the attacker's handoff
            attacker.metadata = metadata
            attacker.say("here is my photo")
        victim.say("are you there?")

        def victims_texts() -> list[str]:
            return [m["text"] for m in agent.detail(ticket["id"])["messages"]
                    if m["sender"] == "customer"]

        assert eventually(victims_texts, timeout=60) == ["are you there?"]
        checks = requests.get(f"{stack.config.handoff_url}/readyz", timeout=10).json()["checks"]
        assert checks["event_consumer"]["ok"] and checks["workers"]["ok"], checks
    finally:
        attacker.disconnect()
        victim.disconnect()


def _write(table: RasaEvents, sender: str | None, data: str) -> int:
    """A row of Rasa's event table as anyone with a hand in it could write it; its id."""
    with table.engine.begin() as connection:
        connection.execute(text("INSERT INTO events (sender_id, data) VALUES (:s, :d)"),
                           {"s": sender, "d": data})
        return connection.execute(text("SELECT MAX(id) FROM events")).scalar_one()


def _user(said: Any, **fields: Any) -> str:
    return json.dumps({"event": "user", "text": said, "timestamp": time.time(),
                       "parse_data": {"intent": {"name": "inform", "confidence": 0.9}}} | fields)


def test_poison_rows_in_rasas_table_are_set_aside_and_the_next_message_arrives(
    client: TestClient, events: RasaEvents  # noqa: F811 - fixtures
) -> None:
    services = client.app.state.services
    ticket = escalate(client, "conv-1", "en")
    other = escalate(client, "conv-2", "en")
    with events.engine.connect() as connection:  # the id the planted message claims
        planted_id = (connection.execute(text("SELECT MAX(id) FROM events")).scalar() or 0) + 1
    with services.sessions() as session:  # recorded, but not by the consumer: its offset is older
        session.add(Message(handoff_id=ticket["id"], sender="customer", text="planted",
                            source_event_id=planted_id, created_at=time.time()))
        session.commit()

    set_aside = {  # event id -> the error its dead letter names
        _write(events, "conv-1", _user("the same event twice")): "IntegrityError",
        _write(events, "conv-1", "{not json"): "JSONDecodeError",
        _write(events, "conv-1", "[1, 2, 3]"): "MalformedEvent",
        _write(events, "conv-1", _user(42)): "MalformedEvent",
        _write(events, "conv-1", _user({"text": "x"})): "MalformedEvent",
        _write(events, "conv-1", _user("parse_data a list", parse_data=[1])): "MalformedEvent",
        _write(events, "conv-1", _user("metadata a list", metadata=["boom"])): "MalformedEvent",
        _write(events, "conv-1", _user("when?", timestamp="soon")): "MalformedEvent",
    }
    assert min(set_aside) == planted_id
    for metadata in JUNK_METADATA:  # set aside, or read as no photo: either way, not in the way
        _write(events, "conv-1", _user("here is my photo", metadata=metadata))
    _write(events, "conv-\x00", _user("a sender id no table can hold"))
    _write(events, None, _user("no sender at all"))
    good = _write(events, "conv-1", _user("my order is 58231"))
    _write(events, "conv-2", _user("and mine is 58232"))

    agent = make_agent(client)

    def texts(handoff_id: int) -> list[str]:
        messages = client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=agent).json()
        return [m["text"] for m in messages if m["sender"] == "customer"]

    assert "my order is 58231" in wait_for(lambda: texts(ticket["id"]), timeout=20)
    assert wait_for(lambda: texts(other["id"])) == ["and mine is 58232"]
    wait_for(lambda: _offset(services) >= good)
    with services.sessions() as session:
        letters = {letter.event_id: letter for letter in session.scalars(select(DeadLetter))}
        offset = session.get(ConsumerOffset, "rasa-events").last_event_id
        recorded = session.scalar(select(func.count(Message.id)).where(
            Message.source_event_id == planted_id))
    assert {event_id: letters[event_id].error_type for event_id in set_aside
            if event_id in letters} == set_aside
    assert all(letters[event_id].error and letters[event_id].event for event_id in set_aside)
    assert letters[planted_id].sender_id == "conv-1" and recorded == 1
    assert offset >= good
    checks = client.get("/readyz").json()["checks"]
    assert checks["event_consumer"]["ok"] and checks["workers"]["ok"], checks


class SameEmbedder:
    """Every text alike: enough for the inbox to keep messages, without loading a model."""

    dimensions = 4

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.full((len(texts), self.dimensions), 0.5, dtype=np.float32)


def test_junk_in_rasas_table_stops_neither_the_inbox_nor_the_reports(
    settings: Settings, events: RasaEvents  # noqa: F811 - fixtures
) -> None:
    upgrade(settings.database_url)
    sessions = make_session_factory(make_engine(settings.database_url))
    collector = InboxCollector(make_engine(settings.events_url), sessions, SameEmbedder(),
                               readers=[bot_sessions.record])
    unsure = {"intent": {"name": "nlu_fallback", "confidence": 0.4}}
    for sender, data in [
        ("c1", "[1, 2, 3]"), ("c1", _user(42)), ("c1", _user("a list", parse_data=[1])),
        ("c1", _user("when?", timestamp="soon")),
        ("c1", _user("junk ranking", parse_data={
            "intent": "nlu_fallback", "intent_ranking": ["x", {"name": ["a"]},
                                                         {"name": "greet", "confidence": "high"}],
            "entities": [None, {"entity": "language", "value": ["en"]}]})),
        ("c\x00", _user("a sender id no table can hold", parse_data=unsure)),
        ("c1", _user("nul\x00inside", parse_data=unsure)),
    ]:
        _write(events, sender, data)
    last = _write(events, "c1", _user("can you recommend a film", parse_data=unsure))
    while collector.poll_once():
        pass
    with sessions() as session:
        kept = set(session.scalars(select(InboxMessage.text)))
        offset = session.get(ConsumerOffset, "nlu-inbox").last_event_id
    assert "can you recommend a film" in kept and offset == last


@pytest.mark.parametrize("body", [
    '{"sender_id": "c1", "event": "user"}'.encode("utf-16"),  # JSON, but not the table's UTF-8
    b'{"sender_id": "c\\u0000", "event": "user"}',
    b'{"sender_id": "\\ud800", "event": "user"}',
    b'{"sender_id": ["c1"], "event": "user"}',
], ids=["utf-16", "nul", "lone-surrogate", "list"])
def test_junk_on_rasas_exchange_is_dropped_not_raised(body: bytes) -> None:
    """Left unacknowledged, a message that raises comes back after every restart."""
    assert Published(body).row() is None


def _offset(services: Any) -> int:
    with services.sessions() as session:
        saved = session.get(ConsumerOffset, "rasa-events")
        return saved.last_event_id if saved else 0


def test_a_worker_that_fails_is_restarted_and_readiness_names_it_meanwhile(
    settings: Settings, events: RasaEvents, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    failures = 3
    poll_once = EventConsumer.poll_once

    def failing(consumer: EventConsumer) -> Any:
        nonlocal failures
        if failures:
            failures -= 1
            raise RuntimeError("the consumer's bug")
        return poll_once(consumer)

    monkeypatch.setattr(EventConsumer, "poll_once", failing)
    token = "metrics-token-0123456789"
    app = create_app(settings.model_copy(update={"metrics_token": token}))
    with TestClient(app) as service:
        def workers() -> dict[str, Any]:
            return service.get("/readyz").json()["checks"]["workers"]

        down = wait_for(lambda: None if (check := workers())["ok"] else check)
        assert down["detail"] == "restarting: event_consumer (RuntimeError)"
        wait_for(lambda: workers()["ok"] and not failures, timeout=20)
        ticket = escalate(service, "conv-1", "en")
        events.user("conv-1", "after the restarts")
        services = app.state.services

        def heard() -> str | None:
            with services.sessions() as session:
                return session.scalar(select(Message.text).where(
                    Message.handoff_id == ticket["id"], Message.sender == "customer"))

        assert wait_for(heard) == "after the restarts"
        assert services.workers.restarts["event_consumer"] == 3
        scraped = service.get("/metrics", headers={"Authorization": f"Bearer {token}"}).text
        assert 'handoff_worker_restarts_total{worker="event_consumer"} 3.0' in scraped


def test_restarts_back_off_doubling_up_to_the_cap() -> None:
    """0.5 s doubling to 30 s in the service; scaled down here."""
    started: list[float] = []

    async def failing() -> None:
        started.append(time.monotonic())
        if len(started) < 6:
            raise RuntimeError("again")

    async def run() -> Supervisor:
        supervisor, stop = Supervisor(first_delay=0.1, max_delay=0.4), asyncio.Event()
        await supervisor.start("worker", failing, stop)
        return supervisor

    supervisor = asyncio.run(run())
    gaps = [later - earlier for earlier, later in itertools.pairwise(started)]
    assert supervisor.restarts["worker"] == 5 and not supervisor.down
    for gap, expected in zip(gaps, [0.1, 0.2, 0.4, 0.4, 0.4], strict=True):
        assert expected <= gap < expected + 0.3
