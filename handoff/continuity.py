"""What follows the customer's answer to "continue here?" (handoff/moves.py): the bot of the
conversation the chat left answers again, and the customer is told, in their language, where the
chat goes on."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.orm import sessionmaker

from handoff.events import Event, Kind
from handoff.models import Agent, Handoff
from handoff.notices import CustomerNotices
from handoff.rasa_client import RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)


class Continuity:
    """Callable from any thread, once `bind` has given it the service's event loop."""

    def __init__(self, sessions: sessionmaker, rasa: RasaClient,
                 notices: CustomerNotices) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._notices = notices
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def hear(self, event: Event) -> None:
        if event.kind in (Kind.HANDOFF_MOVED, Kind.MOVE_DECLINED) and self._loop is not None \
                and not self._loop.is_closed():
            asyncio.run_coroutine_threadsafe(self._follow(event), self._loop)

    def _agent_name(self, handoff_id: int) -> str | None:
        with self._sessions() as session:
            handoff = session.get(Handoff, handoff_id)
            agent = session.get(Agent, handoff.agent_id) if handoff and handoff.agent_id else None
            return agent.name if agent else None

    async def _follow(self, event: Event) -> None:
        shown = event.data["handoff"]
        here, there = event.data["conversation_id"], event.data["from_conversation_id"]
        try:
            if event.kind == Kind.HANDOFF_MOVED:
                await self._rasa.resume(there)  # the old channel gets the bot back
                agent = await asyncio.to_thread(self._agent_name, shown["id"])
                await self._notices.send(
                    here, shown["language"],
                    "utter_moved_here_assigned" if agent else "utter_moved_here_waiting",
                    reference=shown["reference"], agent=agent or "")
            else:
                await self._rasa.resume(here)
                await self._notices.send(here, shown["language"], "utter_stay_there",
                                         reference=shown["reference"])
        except RasaUnavailable as error:
            logger.warning("after the move of handoff %s: %s", shown["id"], error)
