"""Delivers agent messages to the customer through Rasa, in order, exactly once.

Messages are stored first (an outbox). Before each send the attempt is recorded; a message whose
earlier attempt has an unknown outcome (the service died, or Rasa timed out) is looked up in the
Rasa tracker by its id before it is sent again, so a restart neither loses nor doubles it.
Several replicas of the service take turns on a handoff's messages (a PostgreSQL advisory lock
per handoff), so two of them never send the same message.

A message the customer's platform refuses for ever (the bot blocked, outside the platform's reply
window) is marked undeliverable at once; one it fails to take for now is tried again after a
growing pause, and marked undeliverable (`gave_up`) after `attempts` tries. Until then the
handoff's later messages wait behind it, to keep their order; an undeliverable one holds up
nothing. Rasa being unreachable is not counted: the message waits for it, as before.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from itertools import takewhile
from typing import Any

from sqlalchemy import Engine, or_, select, text, update
from sqlalchemy.orm import sessionmaker

from common.protocol import (
    META_AGENT_ID,
    META_HANDOFF_ID,
    META_MESSAGE_ID,
    WEB_CHANNEL,
    widget_custom,
)
from handoff.background import pause
from handoff.logs import about
from handoff.models import Agent, Handoff, Message
from handoff.rasa_client import PlatformFailed, RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)
REPLICA_LOCKS = 0x68616E6F  # pg_advisory_lock's first key ("hano"); the handoff's id the second
GAVE_UP = "gave_up"  # the reason of a message the platform failed to take `attempts` times
MAX_PAUSE = 300.0  # seconds between two tries of a message, at most


def widget_message(channel: str, message_id: int, agent_name: str | None) -> dict | None:
    """Who wrote it and its id, beside the text, for the web widget: it labels the message with
    the agent's name and, after a reconnect, asks for the ones it missed (api/widget.py)."""
    if channel != WEB_CHANNEL:
        return None
    return widget_custom(agent_message={"id": message_id, "agent": agent_name or ""})


@dataclass(frozen=True)
class Outgoing:
    """An agent message waiting for delivery, read out of its database session."""

    message_id: int
    handoff_id: int
    team_id: int
    agent_id: int | None
    conversation_id: str
    text: str
    created_at: float
    uncertain: bool  # an earlier attempt may or may not have reached Rasa
    custom: dict[str, Any] | None
    attempts: int = 0  # tries the customer's platform did not take

    @property
    def metadata(self) -> dict[str, Any]:
        """Carried by the bot event in the tracker: how a retry finds out it was delivered."""
        return {META_HANDOFF_ID: self.handoff_id, META_MESSAGE_ID: self.message_id,
                META_AGENT_ID: self.agent_id}


@dataclass
class Flushed:
    """What one flush did: whether the handoff has nothing left to send, and when Rasa took each
    message this flush sent."""

    complete: bool = True
    delivered_at: dict[int, float] = field(default_factory=dict)
    undeliverable: dict[int, str] = field(default_factory=dict)  # message id -> reason


class Outbox:
    def __init__(self, sessions: sessionmaker, rasa: RasaClient,
                 on_delivered: Callable[[Outgoing, float], None] | None = None,
                 on_undeliverable: Callable[[Outgoing, str], None] | None = None,
                 attempts: int = 6, pause: float = 2.0) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._on_delivered = on_delivered
        self._on_undeliverable = on_undeliverable
        self._attempts = attempts  # tries before a failing message is given up
        self._pause = pause  # seconds before the second try; doubled for each one after
        # One sender per handoff keeps its order and prevents doubles; different handoffs are
        # delivered side by side. A lock lives as long as someone holds or awaits it.
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = (
            weakref.WeakValueDictionary())

    @asynccontextmanager
    async def _replicas_turn(self, handoff_id: int) -> AsyncIterator[None]:
        """Held while this replica sends the handoff's messages (PostgreSQL; SQLite has one)."""
        engine: Engine = self._sessions.kw["bind"]
        if engine.dialect.name != "postgresql":
            yield
            return
        lock = {"kind": REPLICA_LOCKS, "id": handoff_id}
        connection = await asyncio.to_thread(engine.connect)
        try:
            await asyncio.to_thread(connection.execute,
                                    text("SELECT pg_advisory_lock(:kind, :id)"), lock)
            await asyncio.to_thread(connection.commit)
            yield
            await asyncio.to_thread(connection.execute,
                                    text("SELECT pg_advisory_unlock(:kind, :id)"), lock)
            await asyncio.to_thread(connection.commit)
        except BaseException:
            await asyncio.to_thread(connection.invalidate)  # its session, and any lock, end
            raise
        finally:
            await asyncio.to_thread(connection.close)

    def _lock_for(self, handoff_id: int) -> asyncio.Lock:
        lock = self._locks.get(handoff_id)
        if lock is None:
            lock = self._locks[handoff_id] = asyncio.Lock()
        return lock

    async def _already_delivered(self, conversation_id: str, message_id: int) -> bool:
        metadata = await self._rasa.bot_metadata(conversation_id)
        return any(entry.get(META_MESSAGE_ID) == message_id for entry in metadata)

    def _claim_pending(self, handoff_id: int) -> tuple[list[Outgoing], bool]:
        """The handoff's undelivered agent messages up to the first one waiting for its next
        try, each with its send attempt recorded in the same transaction: one query and one
        update before the send (this is on every agent message's way to the customer). The
        flag says whether some wait for a later try."""
        with self._sessions() as session:
            pending = session.execute(
                select(Message.id, Message.text, Message.agent_id, Message.sending_at,
                       Message.created_at, Message.attempts, Message.retry_at,
                       Handoff.team_id, Handoff.conversation_id, Handoff.channel, Agent.name)
                .join(Handoff, Handoff.id == Message.handoff_id)
                .outerjoin(Agent, Agent.id == Message.agent_id)
                .where(Message.handoff_id == handoff_id, Message.sender == "agent",
                       Message.delivered_at.is_(None), Message.undeliverable_reason.is_(None))
                .order_by(Message.id)
            ).all()
            now = time.time()
            rows = list(takewhile(lambda row: (row.retry_at or 0) <= now, pending))
            if not rows:
                return [], bool(pending)
            session.execute(update(Message)
                            .where(Message.id.in_([row.id for row in rows]),
                                   Message.sending_at.is_(None))
                            .values(sending_at=time.time()))
            session.commit()
        return [Outgoing(row.id, handoff_id, row.team_id, row.agent_id, row.conversation_id,
                         row.text, row.created_at, row.sending_at is not None,
                         widget_message(row.channel, row.id, row.name), row.attempts or 0)
                for row in rows], len(rows) < len(pending)

    def _mark_delivered(self, message_id: int) -> float:
        with self._sessions() as session:
            delivered_at = time.time()
            session.execute(update(Message).where(Message.id == message_id)
                            .values(delivered_at=delivered_at))
            session.commit()
        return delivered_at

    def _record_failure(self, item: Outgoing, error: PlatformFailed) -> str | None:
        """Count the platform's refusal: the reason the message is now undeliverable, or None
        when it is to be tried again (after a pause that doubles with each try)."""
        attempts = item.attempts + 1
        reason = error.reason if error.permanent else (
            GAVE_UP if attempts >= self._attempts else None)
        retry_at = None if reason else time.time() + min(
            self._pause * 2 ** (attempts - 1), MAX_PAUSE)
        with self._sessions() as session:
            session.execute(update(Message).where(Message.id == item.message_id).values(
                attempts=attempts, retry_at=retry_at, undeliverable_reason=reason))
            session.commit()
        return reason

    async def flush(self, handoff_id: int) -> Flushed:
        """Send the handoff's undelivered agent messages, in order. The database work runs in
        worker threads, so a busy database never stalls the event loop."""
        flushed = Flushed()
        async with self._lock_for(handoff_id), self._replicas_turn(handoff_id):
            claimed, waiting = await asyncio.to_thread(self._claim_pending, handoff_id)
            flushed.complete = not waiting
            for item in claimed:
                try:
                    if not (item.uncertain and await self._already_delivered(
                            item.conversation_id, item.message_id)):
                        await self._rasa.send_bot_message(item.conversation_id, item.text,
                                                          item.metadata, item.custom)
                except PlatformFailed as error:
                    reason = await asyncio.to_thread(self._record_failure, item, error)
                    with about(handoff_id=handoff_id, conversation_id=item.conversation_id):
                        logger.warning("agent message %s: %s%s", item.message_id, error,
                                       f" (undeliverable: {reason})" if reason else "")
                    if reason is None:
                        flushed.complete = False
                        return flushed
                    flushed.undeliverable[item.message_id] = reason
                    if self._on_undeliverable:
                        self._on_undeliverable(item, reason)
                    continue
                except RasaUnavailable as error:
                    with about(handoff_id=handoff_id, conversation_id=item.conversation_id):
                        logger.warning("agent message %s not delivered yet: %s",
                                       item.message_id, error)
                    flushed.complete = False
                    return flushed
                delivered_at = await asyncio.to_thread(self._mark_delivered, item.message_id)
                flushed.delivered_at[item.message_id] = delivered_at
                if self._on_delivered:
                    self._on_delivered(item, delivered_at)
        return flushed

    def _handoffs_waiting(self) -> set[int]:
        """Handoffs with an agent message to send now (none waiting for a later try)."""
        with self._sessions() as session:
            return set(session.scalars(select(Message.handoff_id).where(
                Message.sender == "agent", Message.delivered_at.is_(None),
                Message.undeliverable_reason.is_(None),
                or_(Message.retry_at.is_(None), Message.retry_at <= time.time()))))

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Retry whatever is still undelivered, until `stop` is set."""
        while not stop.is_set():
            for handoff_id in sorted(await asyncio.to_thread(self._handoffs_waiting)):
                try:
                    await self.flush(handoff_id)
                except Exception:  # one handoff's failure never holds up the others
                    logger.exception("agent messages of handoff %s not retried", handoff_id)
            await pause(stop, interval)
