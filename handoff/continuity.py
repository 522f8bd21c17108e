"""What follows the customer's answer to "continue here?" (handoff/moves.py): the bot of the
conversation the chat left answers again, and the customer is told, in their language, where the
chat goes on."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.orm import sessionmaker

from handoff.background import LoopBound
from handoff.events import Event, Kind
from handoff.models import Handoff
from handoff.notices import CustomerNotices, whereabouts, widget_status
from handoff.rasa_client import RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)


class Continuity(LoopBound):
    """Callable from any thread, once `bind` has given it the service's event loop."""

    def __init__(self, sessions: sessionmaker, rasa: RasaClient,
                 notices: CustomerNotices) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._notices = notices

    def hear(self, event: Event) -> None:
        if event.kind in (Kind.HANDOFF_MOVED, Kind.MOVE_DECLINED):
            self.submit(self._follow(event))

    def _standing(self, handoff_id: int) -> tuple[str | None, dict[str, Any] | None]:
        """Who has the request, and the web widget's status card (None on other channels)."""
        with self._sessions() as session:
            handoff = session.get(Handoff, handoff_id)
            where = whereabouts(session, handoff)
            return where.agent, widget_status(handoff, where)

    async def _follow(self, event: Event) -> None:
        shown = event.data["handoff"]
        here, there = event.data["conversation_id"], event.data["from_conversation_id"]
        try:
            if event.kind == Kind.HANDOFF_MOVED:
                await self._rasa.resume(there)  # the old channel gets the bot back
                agent, status = await asyncio.to_thread(self._standing, shown["id"])
                await self._notices.send(
                    here, shown["language"],
                    "utter_moved_here_assigned" if agent else "utter_moved_here_waiting",
                    status=status, reference=shown["reference"], agent=agent or "")
            else:
                await self._rasa.resume(here)
                await self._notices.send(here, shown["language"], "utter_stay_there",
                                         reference=shown["reference"])
        except RasaUnavailable as error:
            logger.warning("after the move of handoff %s: %s", shown["id"], error)
