"""Delivers agent messages to the customer through Rasa, in order, retrying until Rasa takes them.

Messages are stored first (an outbox), so an agent's message survives Rasa being down.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from handoff.background import pause
from handoff.models import Handoff, Message
from handoff.queue import undelivered_agent_messages
from handoff.rasa_client import RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)


class Outbox:
    def __init__(self, sessions: sessionmaker, rasa: RasaClient) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._lock = asyncio.Lock()  # one sender at a time keeps order and prevents doubles

    async def flush(self, handoff_id: int) -> bool:
        """Send the handoff's undelivered agent messages; True when none is left."""
        async with self._lock:
            with self._sessions() as session:
                handoff = session.get(Handoff, handoff_id)
                for message in undelivered_agent_messages(session, handoff_id):
                    try:
                        await self._rasa.send_agent_message(
                            handoff.conversation_id, message.text,
                            {"handoff_id": handoff.id, "message_id": message.id,
                             "agent_id": message.agent_id},
                        )
                    except RasaUnavailable as error:
                        logger.warning("agent message %s not delivered yet: %s", message.id, error)
                        return False
                    message.delivered_at = time.time()
                    session.commit()
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
