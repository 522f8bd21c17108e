"""What the waiting customer is told by the service itself: who has their request, where it
stands, and how long it will take. The texts are the bot's own responses in domain.yml (one source
of truth, in en/fa/ar/he), fetched from Rasa's /domain and sent through the customer's channel."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from common import protocol
from common.plurals import about_minutes
from common.responses import render, variant
from common.text import localize_digits
from handoff.availability import team_availability
from handoff.background import LoopBound
from handoff.logs import about
from handoff.models import Agent, Handoff, Team
from handoff.queue import Standing, standing
from handoff.rasa_client import RasaClient, RasaUnavailable
from handoff.states import Status

logger = logging.getLogger(__name__)


class CustomerNotices:
    def __init__(self, rasa: RasaClient) -> None:
        self._rasa = rasa

    async def _templates(self) -> dict[str, list[dict[str, Any]]]:
        return (await self._rasa.domain()).get("responses", {})

    async def send(self, conversation_id: str, language: str, response: str, *,
                   status: dict[str, Any] | None = None, **values: Any) -> bool:
        """Send the response to the customer (with the widget's status card, if given); False
        (logged) when Rasa cannot take it now."""
        try:
            chosen = variant((await self._templates()).get(response, []), language)
            template = chosen.get("text") if chosen else None
            if template is None:
                logger.error("domain has no response %s", response)
                return False
            await self._rasa.send_bot_message(conversation_id, render(template, language, values),
                                              {protocol.META_NOTICE: response},
                                              protocol.widget_custom(handoff=status)
                                              if status else None)
        except RasaUnavailable as error:
            with about(conversation_id=conversation_id):
                logger.warning("notice %s not sent: %s", response, error)
            return False
        return True

    async def tell(self, notice: Notice) -> bool:
        return await self.send(notice.conversation_id, notice.language, notice.response,
                               status=notice.status, **notice.values)


@dataclass(frozen=True)
class Notice:
    """What one customer is to be told, read out of its database session."""

    conversation_id: str
    language: str
    response: str
    values: dict[str, Any]
    status: dict[str, Any] | None = None


def notice_for(session: Session, handoff: Handoff) -> Notice:
    where = whereabouts(session, handoff)
    response, values = status_notice(handoff, where)
    return Notice(handoff.conversation_id, handoff.language, response, values,
                  widget_status(handoff, where))


class Announcer(LoopBound):
    """Tells a customer where their request stands now (who took it, their place); callable
    from any thread, once `bind` has given it the service's event loop."""

    def __init__(self, sessions: sessionmaker, notices: CustomerNotices) -> None:
        self._sessions = sessions
        self._notices = notices

    def announce(self, handoff_id: int) -> None:
        self.submit(self._announce(handoff_id))

    async def _announce(self, handoff_id: int) -> None:
        def load() -> Notice | None:
            with self._sessions() as session:
                handoff = session.get(Handoff, handoff_id)
                return notice_for(session, handoff) if handoff else None

        notice = await asyncio.to_thread(load)
        if notice is not None:
            await self._notices.tell(notice)


@dataclass(frozen=True)
class Whereabouts:
    """Where a request stands, read once for both the text and the widget's status."""

    place: Standing | None  # None once resolved
    availability: protocol.Availability | None
    opens_at: str | None
    agent: str | None  # who has it, while assigned


def whereabouts(session: Session, handoff: Handoff) -> Whereabouts:
    if handoff.status == Status.RESOLVED:
        return Whereabouts(None, None, None, None)
    agent = session.get(Agent, handoff.agent_id) if handoff.agent_id is not None else None
    place = standing(session, handoff)
    availability, opens_at = team_availability(session.get(Team, handoff.team_id),
                                               place.agents_online)
    return Whereabouts(place, availability, opens_at,
                       agent.name if agent and handoff.status == Status.ASSIGNED else None)


def widget_status(handoff: Handoff, where: Whereabouts) -> dict[str, Any] | None:
    """Where the request stands, for the web widget's status bar; None on other channels,
    which get the text alone."""
    if handoff.channel != protocol.WEB_CHANNEL:
        return None
    place = where.place
    return protocol.widget_status(
        reference=handoff.reference, status=str(handoff.status), availability=where.availability,
        position=place.position if place else None,
        expected_wait_seconds=place.expected_wait_seconds if place else None,
        agent=where.agent, opens_at=where.opens_at)


def status_notice(handoff: Handoff, where: Whereabouts) -> tuple[str, dict[str, Any]]:
    """The response (and its values) that tells the customer where their request stands."""
    if handoff.status == Status.ASSIGNED and handoff.agent_id is not None:
        return "utter_handoff_assigned", {"agent": where.agent or ""}
    place = where.place or Standing(0, None, 0)
    if where.availability == "closed":
        opens = localize_digits(protocol.opening_time(where.opens_at), handoff.language)
        return "utter_handoff_closed", {"reference": handoff.reference, "opens": opens}
    if place.expected_wait_seconds is None:
        return "utter_handoff_no_agents", {"reference": handoff.reference}
    wait = about_minutes(protocol.wait_minutes(place.expected_wait_seconds), handoff.language)
    return "utter_handoff_position", {"reference": handoff.reference, "position": place.position,
                                      "wait": wait}
