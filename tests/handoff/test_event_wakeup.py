"""On PostgreSQL, Rasa's event table wakes the consumer (LISTEN/NOTIFY): a customer's message
reaches the agent without waiting for the next poll, here set 30 s apart."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from handoff.app import create_app
from handoff.event_wakeup import APPLICATION_NAME
from handoff.settings import Settings
from tests.handoff.support import RasaEvents, escalate, make_agent, postgres_database, wait_for


@pytest.fixture
def events_url() -> Iterator[str]:
    url, drop = postgres_database()
    yield url
    drop()


@pytest.fixture
def settings(settings: Settings, events_url: str) -> Settings:
    return settings.model_copy(update=dict(events_url=events_url, poll_interval=30.0,
                               notified_poll_interval=30.0))


def _customer_texts(client: TestClient, handoff_id: int, agent: dict[str, str]) -> list[str]:
    messages = client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=agent).json()
    return [m["text"] for m in messages if m["sender"] == "customer"]


def _listeners(events: RasaEvents) -> set[int]:
    with events.engine.connect() as connection:
        return set(connection.scalars(text(
            "SELECT pid FROM pg_stat_activity WHERE application_name = :name "
            "AND datname = current_database()"), {"name": APPLICATION_NAME}))


def test_a_customer_message_wakes_the_consumer_at_once(client: TestClient,
                                                       events: RasaEvents) -> None:
    ticket = escalate(client)
    agent = make_agent(client)
    wait_for(lambda: _listeners(events))
    events.user("conv-1", "سلام، کسی هست؟ 🙂")
    assert wait_for(lambda: _customer_texts(client, ticket["id"], agent),
                    timeout=3.0) == ["سلام، کسی هست؟ 🙂"]


def test_listening_resumes_after_its_connection_is_cut(client: TestClient,
                                                       events: RasaEvents) -> None:
    ticket = escalate(client)
    agent = make_agent(client)
    before = wait_for(lambda: _listeners(events))
    with events.engine.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE application_name = :name"), {"name": APPLICATION_NAME})
    wait_for(lambda: _listeners(events) - before)
    events.user("conv-1", "still there?")
    assert wait_for(lambda: _customer_texts(client, ticket["id"], agent),
                    timeout=3.0) == ["still there?"]


def test_without_the_right_to_add_a_trigger_it_polls(
        settings: Settings, events: RasaEvents, events_url: str,
        caplog: pytest.LogCaptureFixture) -> None:
    role = f"handoff_reader_{uuid.uuid4().hex[:8]}"
    with events.engine.connect() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        connection.execute(text(f"GRANT SELECT ON events TO {role}"))
        connection.commit()
    reader_url = events_url.replace("://postgres@", f"://{role}@")
    polling = settings.model_copy(update=dict(events_url=reader_url, poll_interval=0.05))
    try:
        with caplog.at_level(logging.WARNING), TestClient(create_app(polling)) as client:
            ticket = escalate(client)
            agent = make_agent(client)
            events.user("conv-1", "hello?")
            assert wait_for(lambda: _customer_texts(client, ticket["id"], agent)) == ["hello?"]
        assert "polling it instead" in caplog.text
    finally:
        with events.engine.connect() as connection:
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))
            connection.commit()
