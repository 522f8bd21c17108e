"""On SQLite (the embedded profile), the consumer is woken as soon as Rasa commits events, instead
of waiting for its next poll (50 ms apart: 25 ms of a customer's message to the agent on average).

SQLite has no notifications, but `PRAGMA data_version` on a connection of its own changes
whenever another connection (Rasa's, in another process) has committed to the file. Asking it
reads a counter in the WAL's shared memory, a few microseconds, so it is asked every
CHECK_SECONDS on the event loop (200 times a second: well under 1 % of a core). Until its
connection is open `active` is False and the consumer polls at its usual interval, as with
PostgreSQL's notifications (handoff/event_wakeup.py).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from sqlalchemy import Engine

from handoff.background import pause

logger = logging.getLogger(__name__)

CHECK_SECONDS = 0.005


class SqliteWakeup:
    """`event` is set whenever another connection committed to the events database."""

    def __init__(self, path: str) -> None:
        self._path = path
        self.event = asyncio.Event()
        self._connection: sqlite3.Connection | None = None

    @classmethod
    def of(cls, events_engine: Engine) -> SqliteWakeup | None:
        """For a SQLite file; None for another database or an in-memory one."""
        path = events_engine.url.database
        if events_engine.dialect.name != "sqlite" or not path or path == ":memory:":
            return None
        return cls(path)

    @property
    def active(self) -> bool:
        return self._connection is not None

    def install(self) -> None:
        """Nothing to install in the database (the interface of handoff/event_wakeup.py)."""

    async def run(self, stop: asyncio.Event) -> None:
        """Ask the database's version every CHECK_SECONDS until `stop` is set."""
        seen = None
        try:
            while not stop.is_set():
                try:
                    if self._connection is None:
                        self._connection = sqlite3.connect(
                            f"file:{self._path}?mode=ro", uri=True, timeout=0,
                            check_same_thread=False)
                    version = self._connection.execute("PRAGMA data_version").fetchone()[0]
                except sqlite3.Error as error:  # not created yet, or busy: poll meanwhile
                    logger.debug("no data_version of Rasa's events yet: %s", error)
                    self.close()
                    await pause(stop, 1.0)
                    continue
                if version != seen:
                    seen = version
                    self.event.set()
                await asyncio.sleep(CHECK_SECONDS)  # one timer, not pause()'s two tasks
        finally:
            self.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
