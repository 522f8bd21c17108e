"""What the agents' console needs beyond the queue: colleagues to transfer to, canned responses,
the service's rules it shows, and correcting a detail the bot collected (written back to the
Rasa tracker)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from sqlalchemy import select

from handoff import canned
from handoff.api.handoffs import assigned_to
from handoff.api.upstream import rasa_failed
from handoff.contract import Language
from handoff.dependencies import AppSettings, CurrentAgent, DbSession, Events, Rasa, RowId
from handoff.events import Kind, about
from handoff.models import Agent, AuditEvent, Handoff, agent_teams
from handoff.rasa_client import RasaUnavailable
from handoff.roles import HANDLES_CHATS
from handoff.schemas import CannedOut, Colleague, ConsoleSettings, SlotCorrection
from handoff.slot_values import InvalidSlot, checked_value

routes = APIRouter(prefix="/api/v1", tags=["console"])


@routes.get("/agents", response_model=list[Colleague])
def colleagues(session: DbSession, agent: CurrentAgent) -> list[Agent]:
    """The agents of your teams (to transfer a chat to): active accounts that handle chats."""
    teammates = select(agent_teams.c.agent_id).where(agent_teams.c.team_id.in_(agent.team_ids))
    query = select(Agent).where(Agent.id.in_(teammates), Agent.active,
                                Agent.role.in_([str(role) for role in HANDLES_CHATS])
                                ).order_by(Agent.name)
    return list(session.scalars(query))


@routes.get("/console/settings", response_model=ConsoleSettings)
def console_settings(settings: AppSettings, agent: CurrentAgent) -> ConsoleSettings:
    """What the console shows the agent of the service's rules: when an unanswered chat goes
    back to the queue."""
    return ConsoleSettings(assign_timeout_seconds=settings.assign_timeout_seconds)


@routes.get("/canned-responses", response_model=list[CannedOut])
def canned_responses(session: DbSession, agent: CurrentAgent,
                     language: Language) -> list[CannedOut]:
    """The canned responses in one language, as admins last saved them."""
    return [CannedOut(key=entry.key, language=language, text=entry.texts[language])
            for entry in canned.all_responses(session) if entry.texts.get(language)]


@routes.put("/handoffs/{handoff_id}/slots/{name}", response_model=dict[str, Any])
async def correct_slot(handoff_id: RowId, name: str, body: SlotCorrection, session: DbSession,
                       agent: CurrentAgent, rasa: Rasa, events: Events) -> dict[str, Any]:
    """Correct a detail the bot collected. It is written to the Rasa tracker first, so the bot
    keeps it after the handback; then to the handoff's context, with an audit entry."""
    handoff = await run_in_threadpool(assigned_to, session, handoff_id, agent)
    await run_in_threadpool(session.commit)  # no connection held while Rasa is awaited
    try:
        slots = (await rasa.domain()).get("slots", {})
        value = checked_value(slots, name, body.value)
        await rasa.set_slot(handoff.conversation_id, name, value)
    except InvalidSlot as error:  # as FastAPI's own 422s are, so the schema holds for it
        raise RequestValidationError([{"type": "value_error", "loc": ("body", "value"),
                                       "msg": str(error), "input": body.value}]) from error
    except RasaUnavailable as error:
        raise rasa_failed(error) from None
    await run_in_threadpool(_record, session, handoff, agent, name, value)
    events.emit(about(Kind.HANDOFF_UPDATED, handoff, slots=handoff.context["slots"]))
    return handoff.context["slots"]


def _record(session: DbSession, handoff: Handoff, agent: Agent, name: str, value: Any) -> None:
    context = dict(handoff.context)
    slots = dict(context.get("slots") or {})
    before = slots.get(name)
    if value is None:
        slots.pop(name, None)
    else:
        slots[name] = value
    handoff.context = context | {"slots": slots}  # a new dict, so SQLAlchemy sees the change
    session.add(AuditEvent(handoff_id=handoff.id, from_status=handoff.status,
                           to_status=handoff.status, actor=f"agent:{agent.id}", agent_id=agent.id,
                           detail=f"corrected {name}: {before!r} -> {value!r}"[:500],
                           created_at=time.time()))
    session.commit()
