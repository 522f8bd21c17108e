"""Rasa's events from RabbitMQ (its `pika` event broker), written in order to the event table that
the service's readers tail by id.

With several Rasa replicas, the SQL event broker's table gets its ids from several writers whose
commits land out of order, so a tail by id can skip an event for good. Through RabbitMQ every
replica publishes to one exchange, and one replica of the service at a time writes the events to
the table: the queue's **exclusive consumer**, RabbitMQ's own lease. When the holder's connection
drops (a crash, `kill -9`, a restart), RabbitMQ gives its unacknowledged messages back to the
queue, in their order, and another replica takes the consumer within `RETRY_SECONDS`. One writer
means the ids grow in the queue's order, and the queue keeps each conversation's events in the
order Rasa published them (Rasa's lock store lets one replica at a time process a conversation).

Delivery is at least once: a batch is acknowledged after it is committed, and an event delivered
again (the holder died between the commit and the acknowledgement, or Rasa published it again
after a broker outage) is recognised by its identity, the SHA-256 of the JSON Rasa published,
and not written twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from aio_pika.exceptions import AMQPError
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from handoff.background import pause
from handoff.dead_letters import storable_as_is

logger = logging.getLogger(__name__)

# How soon a replica tries again for the consumer, or to reach RabbitMQ.
RETRY_SECONDS = 1.0
# Messages RabbitMQ hands out unacknowledged, and the most written in one transaction.
PREFETCH = 500

metadata = MetaData()
# The columns of Rasa's SQL event broker's table, so every reader tails either the same way, and
# the identity that makes a second delivery a no-op.
events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sender_id", String(255), nullable=False),
    Column("data", Text, nullable=False),
    Column("event_key", String(64), nullable=False, unique=True),
)


@dataclass(frozen=True)
class Published:
    """One event as Rasa's pika broker published it: its JSON, with the sender's id inside."""

    body: bytes

    @property
    def key(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    def row(self) -> dict[str, str] | None:
        """The table's row, or None for a body that is no Rasa event (logged, then dropped)."""
        try:  # UTF-8 first: json.loads alone would take UTF-16 too, which the table cannot
            data = self.body.decode()
            event = json.loads(data)
        except ValueError:
            data, event = "", None
        if not isinstance(event, dict) or not storable_as_is(event.get("sender_id")):
            logger.warning("dropping a message on Rasa's exchange that is no event: %.200r",
                           self.body)
            return None
        return {"sender_id": event["sender_id"][:255], "data": data, "event_key": self.key}


class Journal:
    """Writes Rasa's published events to `events`, each once, in the order they arrive."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        insert = {"postgresql": postgresql.insert,
                  "sqlite": sqlite.insert}[engine.dialect.name]
        # RETURNING tells a new row from a known one on both (a row count is -1 on PostgreSQL).
        self._insert = insert(events).on_conflict_do_nothing(
            index_elements=["event_key"]).returning(events.c.id)

    def create(self) -> None:
        metadata.create_all(self._engine, checkfirst=True)

    def store(self, published: Sequence[Published]) -> int:
        """Write a batch in one transaction; the number of events that were new."""
        rows = [row for item in published if (row := item.row()) is not None]
        if not rows:
            return 0
        with self._engine.begin() as connection:
            # one statement a row, so the ids follow the batch's order
            return sum(len(connection.execute(self._insert, row).all()) for row in rows)


class RabbitMQJournal:
    """The queue's consumer on one replica of the service: waits for the lease, then writes."""

    def __init__(self, journal: Journal, url: str, queue: str, exchange: str) -> None:
        self._journal = journal
        self._url = url
        self._queue = queue
        self._exchange = exchange
        self.holding = False  # whether this replica is the queue's consumer now
        self.stored = 0  # events written by this replica since it started

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop`; reconnect, and ask again for the consumer, every RETRY_SECONDS."""
        said: str | None = None
        while not stop.is_set():
            try:
                await self._consume(stop)
                said = None
            # The database refusing a batch leaves it unacknowledged: RabbitMQ keeps it.
            except (AMQPError, OSError, ConnectionError, SQLAlchemyError) as error:
                reason = type(error).__name__
                if reason != said:  # once per kind of trouble, not every second
                    logger.info("not consuming Rasa's events from RabbitMQ (%s): %s",
                                reason, error)
                said = reason
            finally:
                self.holding = False
            await pause(stop, RETRY_SECONDS)

    async def _consume(self, stop: asyncio.Event) -> None:
        # Replicas starting together may both create it: the loser retries, and finds it.
        await asyncio.to_thread(self._journal.create)
        connection = await aio_pika.connect(self._url, timeout=5)
        async with connection:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=PREFETCH)
            # Declared as Rasa's broker declares them, so whichever starts first, both agree.
            exchange = await channel.declare_exchange(self._exchange,
                                                      aio_pika.ExchangeType.FANOUT)
            queue = await channel.declare_queue(self._queue, durable=True)
            await queue.bind(exchange, "")
            arrived: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
            await queue.consume(arrived.put, exclusive=True)  # the lease, or ACCESS_REFUSED
            self.holding = True
            logger.info("consuming Rasa's events from RabbitMQ queue %s", self._queue)
            lost = asyncio.Event()
            connection.close_callbacks.add(lambda *_: lost.set())
            while not stop.is_set() and not lost.is_set():
                batch = await _next_batch(arrived)
                if batch:
                    self.stored += await asyncio.to_thread(
                        self._journal.store, [Published(m.body) for m in batch])
                    await batch[-1].ack(multiple=True)
            if lost.is_set():
                raise ConnectionError("the connection to RabbitMQ was closed")


async def _next_batch(
        arrived: asyncio.Queue[AbstractIncomingMessage]) -> list[AbstractIncomingMessage]:
    """What has arrived, up to PREFETCH messages; waits up to half a second for the first."""
    try:
        first = await asyncio.wait_for(arrived.get(), timeout=0.5)
    except TimeoutError:
        return []
    batch = [first]
    while len(batch) < PREFETCH and not arrived.empty():
        batch.append(arrived.get_nowait())
    return batch
