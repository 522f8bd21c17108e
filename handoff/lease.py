"""One replica at a time runs the service's readers of Rasa's events (the event consumer, the
trainers' inbox) and its retry loops (agents' messages, customers' photos).

The lease is a PostgreSQL advisory lock, held on a connection of its own. When the holder dies
(`kill -9` included), PostgreSQL ends its session and frees the lock, and another replica takes
it within `RETRY_SECONDS`; a holder that loses its connection stops its workers at its next
check. On SQLite, a one-machine database with one replica, every replica holds it. Everything
else (the API, the live feeds, the assigner, whose claims are conditional updates) runs on every
replica.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from handoff.background import pause

logger = logging.getLogger(__name__)

WORKERS_LEASE = 0x68616E65  # pg_try_advisory_lock's key: "hane"
RETRY_SECONDS = 1.0  # how soon a replica asks again, and how often a holder checks its hold


class Lease:
    def __init__(self, engine: Engine, key: int = WORKERS_LEASE) -> None:
        self._engine = engine
        self._key = key
        self._connection: Connection | None = None
        self.held = engine.dialect.name != "postgresql"
        self.changed = asyncio.Event()  # set whenever `held` changes

    def _try(self) -> bool:
        """Take the lock if it is free, or check that the connection holding it still lives."""
        if self._connection is not None:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
            return True
        connection = self._engine.connect()
        try:
            taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                       {"key": self._key}).scalar()
            connection.commit()  # the lock is the session's; no transaction stays open
        except SQLAlchemyError:
            connection.close()
            raise
        if taken:
            self._connection = connection
        else:
            connection.close()
        return bool(taken)

    def _release(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                connection.invalidate()  # closing the session frees the lock
            finally:
                connection.close()

    def _set(self, held: bool) -> None:
        if held != self.held:
            self.held = held
            self.changed.set()
            logger.info("this replica %s the workers' lease",
                        "holds" if held else "does not hold")

    async def run(self, stop: asyncio.Event) -> None:
        """Ask for the lease, then keep checking it, until `stop`; then give it back."""
        if self._engine.dialect.name != "postgresql":
            return
        try:
            while not stop.is_set():
                try:
                    self._set(await asyncio.to_thread(self._try))
                except SQLAlchemyError as error:
                    logger.warning("workers' lease: %s", str(error).splitlines()[0])
                    await asyncio.to_thread(self._release)
                    self._set(False)
                await pause(stop, RETRY_SECONDS)
        finally:
            await asyncio.to_thread(self._release)
            self._set(False)

    async def wait_until(self, stop: asyncio.Event, held: bool) -> None:
        """Until this replica holds the lease (`held`) or does not, or `stop`."""
        while not stop.is_set() and self.held != held:
            self.changed.clear()
            if self.held == held:
                return
            await pause(stop, RETRY_SECONDS, self.changed)


Worker = Callable[[asyncio.Event], Awaitable[None]]


async def while_held(lease: Lease, stop: asyncio.Event, work: Worker) -> None:
    """Run `work` whenever this replica holds the lease; the event it is given is set when the
    lease is lost or the service stops, and `work` returns then."""
    while not stop.is_set():
        await lease.wait_until(stop, True)
        if stop.is_set():
            return
        lost = asyncio.Event()
        watcher = asyncio.create_task(_set_when_lost(lease, stop, lost))
        try:
            await work(lost)
        finally:
            watcher.cancel()


async def _set_when_lost(lease: Lease, stop: asyncio.Event, lost: asyncio.Event) -> None:
    await lease.wait_until(stop, False)
    lost.set()
