"""Queue operations on handoffs and their messages. Plain functions over a SQLAlchemy session."""

from __future__ import annotations

import secrets
import time

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from handoff.contract import HandoffContext
from handoff.models import Handoff, Message

OPEN_STATES = ("queued", "assigned")
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class HandoffConflict(Exception):
    """The handoff is not in a state that allows the operation (e.g. already claimed)."""


def _new_reference() -> str:
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


def open_handoff_for(session: Session, conversation_id: str) -> Handoff | None:
    return session.scalars(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.status.in_(OPEN_STATES))
        .order_by(Handoff.id.desc())
    ).first()


def create_handoff(session: Session, context: HandoffContext) -> tuple[Handoff, bool]:
    """Queue a handoff, or return the conversation's open one. The flag says whether it is new."""
    existing = open_handoff_for(session, context.conversation_id)
    if existing is not None:
        return existing, False
    handoff = Handoff(
        reference=_new_reference(),
        conversation_id=context.conversation_id,
        channel=context.channel,
        language=context.language,
        reason=context.reason,
        summary=context.summary,
        context=context.model_dump(mode="json"),
        status="queued",
        created_at=time.time(),
    )
    session.add(handoff)
    session.commit()
    return handoff, True


def queue_position(session: Session, handoff: Handoff) -> int:
    """1 for the next handoff an agent will take; 0 once the handoff is no longer queued."""
    if handoff.status != "queued":
        return 0
    ahead = session.scalar(
        select(func.count()).select_from(Handoff)
        .where(Handoff.status == "queued", Handoff.id < handoff.id)
    )
    return (ahead or 0) + 1


def claim(session: Session, handoff_id: int, agent_id: int) -> Handoff:
    """Assign a queued handoff to the agent.

    One conditional UPDATE, so of two concurrent claims only one can win.
    """
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == "queued")
        .values(status="assigned", agent_id=agent_id, assigned_at=time.time())
    )
    session.commit()
    if result.rowcount != 1:
        raise HandoffConflict("handoff is not queued (already claimed, or closed)")
    return session.get(Handoff, handoff_id)


def mark_resolved(session: Session, handoff: Handoff) -> Handoff:
    if handoff.status != "assigned":
        raise HandoffConflict(f"cannot resolve a handoff that is {handoff.status}")
    handoff.status = "resolved"
    handoff.resolved_at = time.time()
    session.commit()
    return handoff


def add_agent_message(session: Session, handoff: Handoff, agent_id: int, text: str) -> Message:
    if handoff.status != "assigned":
        raise HandoffConflict(f"cannot send to a handoff that is {handoff.status}")
    message = Message(handoff_id=handoff.id, sender="agent", text=text, agent_id=agent_id,
                      created_at=time.time())
    session.add(message)
    session.commit()
    return message


def messages_after(session: Session, handoff_id: int, after_id: int = 0) -> list[Message]:
    return list(session.scalars(
        select(Message)
        .where(Message.handoff_id == handoff_id, Message.id > after_id)
        .order_by(Message.id)
    ))


def undelivered_agent_messages(session: Session, handoff_id: int) -> list[Message]:
    return list(session.scalars(
        select(Message)
        .where(Message.handoff_id == handoff_id, Message.sender == "agent",
               Message.delivered_at.is_(None))
        .order_by(Message.id)
    ))
