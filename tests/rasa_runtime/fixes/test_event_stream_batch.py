"""Publishing a save's new events: the same events as Rasa's own way, without reloading the
conversation, and into the SQL broker as the same rows."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.event import listen

from rasa_runtime.fixes import event_stream_batch

EXPECTED = ["session_started", "action", "user", "bot", "action", "session_started", "user"]


class RecordingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


def _converse(store: SQLTrackerStore) -> None:
    """Three saves, the last one starting a new session (fixed timestamps, to compare)."""
    async def scenario() -> None:
        tracker = DialogueStateTracker("c1", slots=[])
        tracker.update_with_events([SessionStarted(timestamp=1.0),
                                    ActionExecuted("action_listen", timestamp=2.0),
                                    UserUttered("hello", timestamp=3.0)], None, False)
        await store.save(tracker)
        tracker = await store.retrieve("c1")
        tracker.update_with_events([BotUttered("hi", timestamp=4.0),
                                    ActionExecuted("action_listen", timestamp=5.0)], None, False)
        await store.save(tracker)
        tracker = await store.retrieve("c1")
        tracker.update_with_events([SessionStarted(timestamp=6.0),
                                    UserUttered("again", timestamp=7.0)], None, False)
        await store.save(tracker)

    asyncio.run(scenario())


def _sql_broker_rows(broker: SQLEventBroker) -> list[dict[str, Any]]:
    with broker.session_scope() as session:
        rows = session.query(broker.SQLBrokerEvent).order_by(broker.SQLBrokerEvent.id).all()
        return [json.loads(row.data) for row in rows]


def _undo_after(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("stream_events", "_additional_events"):
        monkeypatch.setattr(SQLTrackerStore, name, getattr(SQLTrackerStore, name))


def _stored(store: SQLTrackerStore) -> list[tuple[str, str]]:
    with store.session_scope() as session:
        return [(row.type_name, row.data) for row in
                session.query(store.SQLEvent).order_by(store.SQLEvent.id)]


def _store(tmp_path: Path, name: str, broker: EventBroker) -> SQLTrackerStore:
    return SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / f"{name}.db"),
                           event_broker=broker)


@pytest.fixture
def rasa_way(tmp_path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What Rasa itself publishes: to any broker, and as rows of the SQL broker."""
    recording = RecordingBroker()
    _converse(_store(tmp_path, "rasa", recording))
    sql = SQLEventBroker(db=str(tmp_path / "rasa-events.db"))
    _converse(_store(tmp_path, "rasa-sql", sql))
    return recording.published, _sql_broker_rows(sql)


def test_publishes_what_rasa_publishes_without_reading_the_tracker_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rasa_way: tuple[list, list],
) -> None:
    _undo_after(monkeypatch)
    event_stream_batch.apply()
    broker = RecordingBroker()
    store = _store(tmp_path, "ours", broker)
    reads: list[str] = []
    retrieve = store.retrieve

    async def counted_retrieve(sender_id: str) -> DialogueStateTracker | None:
        reads.append(sender_id)
        return await retrieve(sender_id)

    monkeypatch.setattr(store, "retrieve", counted_retrieve)
    _converse(store)
    assert broker.published == rasa_way[0]
    assert [event["event"] for event in broker.published] == EXPECTED
    assert len(reads) == 2  # the two the conversation itself makes; none to publish


def test_the_sql_broker_gets_the_same_rows_in_one_commit_per_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rasa_way: tuple[list, list],
) -> None:
    _undo_after(monkeypatch)
    event_stream_batch.apply()
    broker = SQLEventBroker(db=str(tmp_path / "ours-events.db"))
    commits: list[int] = []
    sessionmaker = broker.sessionmaker

    def counted_session() -> Any:
        session = sessionmaker()
        commit = session.commit
        session.commit = lambda: (commits.append(1), commit())[1]
        return session

    monkeypatch.setattr(broker, "sessionmaker", counted_session)
    _converse(_store(tmp_path, "ours-sql", broker))
    assert _sql_broker_rows(broker) == rasa_way[1]
    assert [row["event"] for row in rasa_way[1]] == EXPECTED
    assert len(commits) == 3


def test_a_save_counts_the_stored_events_once_and_stores_what_rasa_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    theirs = _store(tmp_path, "theirs", SQLEventBroker(db=str(tmp_path / "theirs-events.db")))
    _converse(theirs)
    _undo_after(monkeypatch)
    event_stream_batch.apply()
    ours = _store(tmp_path, "ours", SQLEventBroker(db=str(tmp_path / "ours-events.db")))
    counts: list[str] = []
    listen(ours.engine, "before_cursor_execute",
           lambda _c, _cur, statement, *_: counts.append(statement)
           if "count(" in statement.lower() else None)
    _converse(ours)
    assert _stored(ours) == _stored(theirs)
    assert len(counts) == 3  # one a save (Rasa's own way: two)
