"""Delivers agent messages to the customer through Rasa, in order, exactly once.

Messages are stored first (an outbox). Before each send the attempt is recorded; a message whose
earlier attempt has an unknown outcome (the service died, or Rasa timed out) is looked up in the
Rasa tracker by its id before it is sent again, so a restart neither loses nor doubles it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

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


class Outbox:
    def __init__(self, sessions: sessionmaker, rasa: RasaClient,
                 on_delivered: Callable[[Message, Handoff], None] | None = None) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._on_delivered = on_delivered
        self._lock = asyncio.Lock()  # one sender at a time keeps order and prevents doubles

    async def _already_delivered(self, conversation_id: str, message_id: int) -> bool:
        metadata = await self._rasa.bot_metadata(conversation_id)
        return any(entry.get("message_id") == message_id for entry in metadata)

    async def flush(self, handoff_id: int) -> bool:
        """Send the handoff's undelivered agent messages; True when none is left."""
        async with self._lock:
            with self._sessions() as session:
                handoff = session.get(Handoff, handoff_id)
                for message in undelivered_agent_messages(session, handoff_id):
                    try:
                        uncertain = message.sending_at is not None
                        if not (uncertain and await self._already_delivered(
                                handoff.conversation_id, message.id)):
                            message.sending_at = time.time()
                            session.commit()
                            await self._rasa.send_bot_message(
                                handoff.conversation_id, message.text,
                                {"handoff_id": handoff.id, "message_id": message.id,
                                 "agent_id": message.agent_id},
                                widget_message(session, handoff, message),
                            )
                    except RasaUnavailable as error:
                        logger.warning("agent message %s not delivered yet: %s", message.id, error)
                        return False
                    message.delivered_at = time.time()
                    session.commit()
                    if self._on_delivered:
                        self._on_delivered(message, handoff)
        return True

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Retry whatever is still undelivered, until `stop` is set."""
        while not stop.is_set():
            with self._sessions() as session:
                pending = set(session.scalars(
                    select(Message.handoff_id).where(
                        Message.sender == "agent", Message.delivered_at.is_(None)
                    )
                ))
            for handoff_id in sorted(pending):
                await self.flush(handoff_id)
            await pause(stop, interval)
