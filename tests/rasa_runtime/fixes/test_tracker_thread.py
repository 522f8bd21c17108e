"""The SQL tracker store's database work runs in one worker thread: Rasa's event loop keeps
serving other conversations meanwhile, and the SQL broker's rows stay in the order of the saves."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event

from rasa_runtime.fixes import tracker_thread

SLOW_QUERY = 0.05


class RecordingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


@pytest.fixture(autouse=True)
def patched(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("_retrieve", "save", "keys"):
        monkeypatch.setattr(SQLTrackerStore, name, getattr(SQLTrackerStore, name))
    tracker_thread.apply()


def _tracker(sender_id: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender_id, slots=[])
    tracker.update_with_events([SessionStarted(), ActionExecuted("action_listen"),
                                UserUttered(f"hello from {sender_id}")], None, False)
    return tracker


def _slow_and_watched(store: SQLTrackerStore) -> set[int]:
    """Every statement takes SLOW_QUERY seconds; returns the threads that ran them."""
    threads: set[int] = set()

    def before(*_: Any) -> None:
        threads.add(threading.get_ident())
        time.sleep(SLOW_QUERY)

    event.listen(store.engine, "before_cursor_execute", before)
    return threads


def test_the_loop_keeps_running_while_a_tracker_is_saved_and_read(tmp_path: Path) -> None:
    broker = SQLEventBroker(db=str(tmp_path / "events.db"))
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"),
                            event_broker=broker)
    threads = _slow_and_watched(store)
    ticks: list[float] = []

    async def scenario() -> DialogueStateTracker | None:
        async def ticker() -> None:
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.005)

        ticking = asyncio.create_task(ticker())
        await asyncio.gather(store.save(_tracker("first")), store.save(_tracker("second")))
        found = await store.retrieve("first")
        ticking.cancel()
        return found

    found = asyncio.run(scenario())
    assert threading.get_ident() not in threads and len(threads) == 1
    # the statements took several SLOW_QUERY periods; the loop ticked all along
    assert max(b - a for a, b in itertools.pairwise(ticks)) < SLOW_QUERY
    assert found is not None and found.latest_message.text == "hello from first"
    with broker.session_scope() as session:
        rows = session.query(broker.SQLBrokerEvent).order_by(broker.SQLBrokerEvent.id).all()
        senders = [json.loads(row.data)["sender_id"] for row in rows]
    assert senders == ["first"] * 3 + ["second"] * 3  # in the order of the saves


def test_a_store_with_another_broker_stays_on_the_loop(tmp_path: Path) -> None:
    """Kafka and RabbitMQ clients live on Rasa's loop; their stores are left where they are."""
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"),
                            event_broker=RecordingBroker())
    threads = _slow_and_watched(store)
    asyncio.run(store.save(_tracker("first")))
    assert threads == {threading.get_ident()}
