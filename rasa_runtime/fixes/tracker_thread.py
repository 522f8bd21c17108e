"""Runs the SQL tracker store's database work in one worker thread, off Rasa's event loop.

Rasa 3.6's SQLTrackerStore is `async` in name only: its reads and saves (and the SQL event
broker's inserts inside a save) are synchronous SQLAlchemy calls made on the event loop, so while
one conversation's tracker is read or written every other conversation waits, socket.io traffic
included. On PostgreSQL each call is a round trip to another process, which on a busy machine
first has to wait for a CPU. In the handoff load run that was where the live-chat tail was: an
agent's message sat in Rasa's socket.io queue for up to 235 ms after Rasa had emitted it, and a
customer's message waited up to 145 ms before Rasa began to handle it (bench/README.md, 18).

One thread, not a pool: database work stays one call after another, in the order Rasa asked for
it, as on the loop. So the SQL event broker's ids are still committed in increasing order, and
the handoff service, which reads that table by id, cannot skip an event that commits late.
A store whose broker is not the SQL broker (Kafka, RabbitMQ: their clients live on Rasa's loop)
is left on the loop.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore

T = TypeVar("T")
_worker: asyncio.AbstractEventLoop | None = None
_starting = threading.Lock()


def worker_loop() -> asyncio.AbstractEventLoop:
    """The worker thread's event loop, started on first use."""
    global _worker
    with _starting:
        if _worker is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="tracker-store", daemon=True).start()
            _worker = loop
        return _worker


def off_the_loop(method: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Run `method` on the worker thread's loop; the caller's loop awaits it without blocking."""

    @functools.wraps(method)
    async def run(self: SQLTrackerStore, *args: Any, **kwargs: Any) -> T:
        if self.event_broker is not None and not isinstance(self.event_broker, SQLEventBroker):
            return await method(self, *args, **kwargs)
        done = asyncio.run_coroutine_threadsafe(method(self, *args, **kwargs), worker_loop())
        return await asyncio.wrap_future(done)

    return run


def apply() -> None:
    """Move SQLTrackerStore's reads and saves to the worker; call before Rasa loads a store."""
    for name in ("_retrieve", "save", "keys"):
        setattr(SQLTrackerStore, name, off_the_loop(getattr(SQLTrackerStore, name)))
