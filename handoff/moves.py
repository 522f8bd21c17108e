"""One conversation that follows the person: when a verified customer writes on a second channel
while their handoff is open, the bot asks whether to continue there; the answer moves the live
chat (the agent's next message reaches the new channel, and the transcript shows the switch) or
leaves it where it is.

The bot asks and pauses itself (actions/session_start.py); the answer reaches the service through
Rasa's event stream like any message during a handoff (event_consumer.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.text import is_payload
from handoff import contacts
from handoff.models import Agent, ChannelMove, Conversation, Handoff, Message
from handoff.schemas import OpenElsewhere, Previously, Welcome
from handoff.states import OPEN, Status

YES, NO = "affirm", "deny"


@dataclass(frozen=True)
class Answered:
    """A move the customer answered, for the listeners (handoff/listeners.py)."""

    handoff_id: int
    accepted: bool
    conversation_id: str  # where the customer wrote the answer
    from_conversation_id: str


def offer(session: Session, handoff: Handoff, conversation_id: str, channel: str) -> None:
    """Remember that `conversation_id` was asked to continue `handoff` (once: an offer not
    answered yet is asked again, not doubled)."""
    for move in pending(session, {conversation_id}).values():
        move.answered_at, move.accepted = time.time(), False  # superseded by this one
    session.add(ChannelMove(handoff_id=handoff.id, conversation_id=conversation_id,
                            channel=channel, from_conversation_id=handoff.conversation_id,
                            from_channel=handoff.channel, offered_at=time.time()))


def _orders(handoff: Handoff) -> list[str]:
    return list((handoff.context.get("contact") or {}).get("order_numbers") or [])


def arrive(session: Session, conversation_id: str, channel: str,
           keys: list[contacts.Identity]) -> Welcome:
    """Link a starting conversation to its verified person, and say what the bot knows of them:
    a handoff open here (the bot stays paused), one open on another channel (offered to move
    here), or what their last resolved handoff knew."""
    return _welcome(session, contacts.link(session, conversation_id, channel, keys), channel)


def look_up(session: Session, conversation_id: str, channel: str) -> Welcome:
    """The same for a conversation nothing verifies (an anonymous web visitor): nothing is
    linked or stored; only a handoff the conversation itself has counts."""
    conversation = session.scalars(
        select(Conversation).where(Conversation.sender_id == conversation_id)).first()
    return Welcome() if conversation is None else _welcome(session, conversation, channel)


def _welcome(session: Session, conversation: Conversation, channel: str) -> Welcome:
    conversation_id = conversation.sender_id
    theirs = (select(Handoff).join(Conversation, Conversation.id == Handoff.conversation_pk)
              .where(Conversation.contact_id == conversation.contact_id))
    open_ones = session.scalars(theirs.where(Handoff.status.in_([str(s) for s in OPEN]))
                                .order_by(Handoff.created_at.desc())).all()
    if any(handoff.conversation_id == conversation_id for handoff in open_ones):
        return Welcome(waiting_here=True)
    if open_ones:
        handoff = open_ones[0]
        offer(session, handoff, conversation_id, channel)
        agent = session.get(Agent, handoff.agent_id) if handoff.agent_id else None
        return Welcome(open=OpenElsewhere(
            reference=handoff.reference, status=handoff.status, channel=handoff.channel,
            language=handoff.language,
            agent_name=agent.name if agent and handoff.status == Status.ASSIGNED else None,
            order_numbers=_orders(handoff)))
    last = session.scalars(theirs.where(Handoff.status == Status.RESOLVED)
                           .order_by(Handoff.resolved_at.desc())).first()
    if last is not None:
        return Welcome(previous=Previously(reference=last.reference, language=last.language,
                                           order_numbers=_orders(last), summary=last.summary))
    return Welcome()


def pending(session: Session, conversation_ids: set[str]) -> dict[str, ChannelMove]:
    """The unanswered offers of these conversations whose handoff is still open."""
    moves = session.scalars(
        select(ChannelMove).join(Handoff, Handoff.id == ChannelMove.handoff_id)
        .where(ChannelMove.conversation_id.in_(conversation_ids),
               ChannelMove.answered_at.is_(None),
               Handoff.status.in_([str(s) for s in OPEN]))
        .order_by(ChannelMove.id))
    return {move.conversation_id: move for move in moves}


def answer(session: Session, move: ChannelMove, text: str, intent: str | None,
           timestamp: float) -> Answered | None:
    """Read the customer's message as the answer to the offer; None while it is not one yet.

    The message that brought the customer here came before the question: it is kept for the
    agent. After the question, "no" leaves the handoff where it is, and "yes" or any other
    message moves it (the customer writes here now, about their open request).
    """
    if move.opening_text is None and intent not in (YES, NO):
        move.opening_text = text
        return None
    handoff = session.get(Handoff, move.handoff_id)
    move.answered_at, move.accepted = timestamp, intent != NO
    if move.accepted:
        conversation = session.scalars(select(Conversation).where(
            Conversation.sender_id == move.conversation_id)).first()
        handoff.conversation_id, handoff.channel = move.conversation_id, move.channel
        if conversation is not None:
            handoff.conversation_pk = conversation.id
        session.add(Message(handoff_id=handoff.id, sender="system", text=move.channel,
                            created_at=timestamp))
        for said in (move.opening_text, None if intent == YES else text):
            if said and not is_payload(said):
                session.add(Message(handoff_id=handoff.id, sender="customer", text=said,
                                    created_at=timestamp))
        session.flush()
    return Answered(handoff.id, bool(move.accepted), move.conversation_id,
                    move.from_conversation_id)
