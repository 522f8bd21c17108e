"""The queue: the action server files handoffs; agents list, claim, chat and resolve them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from sqlalchemy import or_, select

from handoff import queue
from handoff.contract import HandoffContext
from handoff.dependencies import CurrentAgent, DbSession, action_server
from handoff.models import Agent, Handoff, Message
from handoff.rasa_client import RasaUnavailable
from handoff.schemas import HandoffDetail, HandoffOut, MessageOut, SendMessage, Ticket

router = APIRouter(prefix="/api/v1/handoffs", tags=["handoffs"])


def _get(session: DbSession, handoff_id: int) -> Handoff:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no handoff {handoff_id}")
    return handoff


def _assigned_to(session: DbSession, handoff_id: int, agent: Agent) -> Handoff:
    handoff = _get(session, handoff_id)
    if handoff.agent_id != agent.id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this handoff is not assigned to you")
    return handoff


def _conflict(error: queue.HandoffConflict) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, str(error))


@router.post("", response_model=Ticket, dependencies=[Depends(action_server)])
def create_handoff(context: HandoffContext, session: DbSession) -> Ticket:
    """Queue a handoff (called by the action server). Asking again returns the open one."""
    handoff, created = queue.create_handoff(session, context)
    return Ticket(id=handoff.id, reference=handoff.reference, status=handoff.status,
                  position=queue.queue_position(session, handoff), created=created)


@router.get("", response_model=list[HandoffOut])
def list_handoffs(
    session: DbSession, agent: CurrentAgent,
    status_: str = Query("open", alias="status", pattern="^(open|queued|assigned|resolved)$"),
) -> list[Handoff]:
    """Open handoffs are the queue plus the agent's own assigned ones, oldest first."""
    query = select(Handoff).order_by(Handoff.id)
    if status_ == "open":
        query = query.where(or_(Handoff.status == "queued",
                                (Handoff.status == "assigned") & (Handoff.agent_id == agent.id)))
    else:
        query = query.where(Handoff.status == status_)
    return list(session.scalars(query.limit(500)))


@router.get("/{handoff_id}", response_model=HandoffDetail)
def get_handoff(handoff_id: int, session: DbSession, agent: CurrentAgent) -> HandoffDetail:
    handoff = _get(session, handoff_id)
    return HandoffDetail(
        **HandoffOut.model_validate(handoff).model_dump(),
        position=queue.queue_position(session, handoff),
        context=handoff.context,
        messages=[MessageOut.model_validate(m) for m in queue.messages_after(session, handoff.id)],
    )


@router.post("/{handoff_id}/claim", response_model=HandoffOut)
def claim(handoff_id: int, session: DbSession, agent: CurrentAgent) -> Handoff:
    _get(session, handoff_id)
    try:
        return queue.claim(session, handoff_id, agent.id)
    except queue.HandoffConflict as error:
        raise _conflict(error) from error


@router.get("/{handoff_id}/messages", response_model=list[MessageOut])
def list_messages(
    handoff_id: int, session: DbSession, agent: CurrentAgent, after: int = Query(0, ge=0)
) -> list[Message]:
    _get(session, handoff_id)
    return queue.messages_after(session, handoff_id, after)


@router.post("/{handoff_id}/messages", response_model=MessageOut, status_code=201)
async def send_message(
    handoff_id: int, body: SendMessage, request: Request, session: DbSession, agent: CurrentAgent
) -> Message:
    """Store the agent's message, then deliver it; if Rasa is down it is retried, not lost."""
    handoff = _assigned_to(session, handoff_id, agent)
    try:
        message = queue.add_agent_message(session, handoff, agent.id, body.text)
    except queue.HandoffConflict as error:
        raise _conflict(error) from error
    await request.app.state.outbox.flush(handoff_id)
    session.refresh(message)
    return message


@router.post("/{handoff_id}/resolve", response_model=HandoffOut)
async def resolve(handoff_id: int, request: Request, session: DbSession,
                  agent: CurrentAgent) -> Handoff:
    """Hand the conversation back to the bot, which resumes with the slots it had."""
    handoff = _assigned_to(session, handoff_id, agent)
    if handoff.status != "assigned":
        raise _conflict(queue.HandoffConflict(f"cannot resolve a handoff that is {handoff.status}"))
    if not await request.app.state.outbox.flush(handoff_id):
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, "Rasa has not taken earlier messages yet")
    try:
        await request.app.state.rasa.hand_back(handoff.conversation_id)
    except RasaUnavailable as error:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"Rasa unavailable: {error}") from error
    return queue.mark_resolved(session, handoff)
