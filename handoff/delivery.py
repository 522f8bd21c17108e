"""Delivers agent messages to the customer through Rasa, in order, exactly once.

Messages are stored first (an outbox). Before each send the attempt is recorded; a message whose
earlier attempt has an unknown outcome (the service died, or Rasa timed out) is looked up in the
Rasa tracker by its id before it is sent again, so a restart neither loses nor doubles it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handoff.background import pause
from handoff.models import Agent, Handoff, Message
from handoff.notices import WIDGET_CHANNEL
from handoff.queue import undelivered_agent_messages
from handoff.rasa_client import RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)


def widget_message(session: Session, handoff: Handoff, message: Message) -> dict | None:
    """Who wrote it and its id, beside the text, for the web widget: it labels the message with
    the agent's name and, after a reconnect, asks for the ones it missed (api/widget.py)."""
    if handoff.channel != WIDGET_CHANNEL:
        return None
    agent = session.get(Agent, message.agent_id) if message.agent_id else None
    return {"data": {"agent_message": {"id": message.id, "agent": agent.name if agent else ""}}}


@dataclass(frozen=True)
class Outgoing:
    """An agent message waiting for delivery, read out of its database session."""

    message_id: int
    conversation_id: str
    text: str
    uncertain: bool  # an earlier attempt may or may not have reached Rasa
    metadata: dict[str, Any]
    custom: dict[str, Any] | None


class Outbox:
    def __init__(self, sessions: sessionmaker, rasa: RasaClient,
                 on_delivered: Callable[[Message, Handoff], None] | None = None) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._on_delivered = on_delivered
        # One sender per handoff keeps its order and prevents doubles; different handoffs are
        # delivered side by side. A lock lives as long as someone holds or awaits it.
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = (
            weakref.WeakValueDictionary())

    def _lock_for(self, handoff_id: int) -> asyncio.Lock:
        lock = self._locks.get(handoff_id)
        if lock is None:
            lock = self._locks[handoff_id] = asyncio.Lock()
        return lock

    async def _already_delivered(self, conversation_id: str, message_id: int) -> bool:
        metadata = await self._rasa.bot_metadata(conversation_id)
        return any(entry.get("message_id") == message_id for entry in metadata)

    def _claim_pending(self, handoff_id: int) -> list[Outgoing]:
        """The handoff's undelivered agent messages, each with its send attempt recorded in the
        same transaction (one database round trip before the send, not two)."""
        with self._sessions() as session:
            handoff = session.get(Handoff, handoff_id)
            pending = []
            for message in undelivered_agent_messages(session, handoff_id):
                pending.append(Outgoing(
                    message.id, handoff.conversation_id, message.text,
                    message.sending_at is not None,
                    {"handoff_id": handoff.id, "message_id": message.id,
                     "agent_id": message.agent_id},
                    widget_message(session, handoff, message)))
                message.sending_at = message.sending_at or time.time()
            session.commit()
            return pending

    def _mark_delivered(self, message_id: int) -> tuple[Message, Handoff]:
        with self._sessions() as session:
            message = session.get(Message, message_id)
            message.delivered_at = time.time()
            session.commit()
            return message, session.get(Handoff, message.handoff_id)

    async def flush(self, handoff_id: int) -> bool:
        """Send the handoff's undelivered agent messages; True when none is left. The database
        work runs in worker threads, so a busy database never stalls the event loop."""
        async with self._lock_for(handoff_id):
            for item in await asyncio.to_thread(self._claim_pending, handoff_id):
                try:
                    if not (item.uncertain and await self._already_delivered(
                            item.conversation_id, item.message_id)):
                        await self._rasa.send_bot_message(item.conversation_id, item.text,
                                                          item.metadata, item.custom)
                except RasaUnavailable as error:
                    logger.warning("agent message %s not delivered yet: %s",
                                   item.message_id, error)
                    return False
                message, handoff = await asyncio.to_thread(self._mark_delivered, item.message_id)
                if self._on_delivered:
                    self._on_delivered(message, handoff)
        return True

    def _handoffs_waiting(self) -> set[int]:
        with self._sessions() as session:
            return set(session.scalars(select(Message.handoff_id).where(
                Message.sender == "agent", Message.delivered_at.is_(None))))

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Retry whatever is still undelivered, until `stop` is set."""
        while not stop.is_set():
            for handoff_id in sorted(await asyncio.to_thread(self._handoffs_waiting)):
                await self.flush(handoff_id)
            await pause(stop, interval)
