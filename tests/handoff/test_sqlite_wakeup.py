"""On SQLite, a commit to Rasa's event file wakes the consumer: a customer's message reaches the
agent without waiting for the next poll, here set 30 s apart (handoff/sqlite_wakeup.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from handoff.db import make_engine
from handoff.settings import Settings
from handoff.sqlite_wakeup import SqliteWakeup
from tests.handoff.support import RasaEvents, escalate, make_agent, wait_for


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update=dict(poll_interval=30.0, notified_poll_interval=30.0))


def _customer_texts(client: TestClient, handoff_id: int, agent: dict[str, str]) -> list[str]:
    messages = client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=agent).json()
    return [m["text"] for m in messages if m["sender"] == "customer"]


def test_a_customer_message_wakes_the_consumer_at_once(client: TestClient,
                                                       events: RasaEvents) -> None:
    ticket = escalate(client)
    agent = make_agent(client)
    events.user("conv-1", "سلام، کسی هست؟ ۵۸۲۳۱")
    assert wait_for(lambda: _customer_texts(client, ticket["id"], agent),
                    timeout=3.0) == ["سلام، کسی هست؟ ۵۸۲۳۱"]
    events.user("conv-1", "שלום?")  # and again: each commit, not only the first
    assert wait_for(lambda: _customer_texts(client, ticket["id"], agent)[1:],
                    timeout=3.0) == ["שלום?"]


def test_only_a_sqlite_file_is_watched(settings: Settings) -> None:
    assert SqliteWakeup.of(make_engine(settings.events_url)) is not None
    assert SqliteWakeup.of(create_engine("sqlite://")) is None  # in memory: no file
