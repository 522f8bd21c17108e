"""Recognising one person across channels by the verified details the bot collected."""

from __future__ import annotations

import re

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from common.text import ascii_digits
from handoff.contract import HandoffContext
from handoff.models import Contact, ContactIdentity, Conversation


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", ascii_digits(phone))
    return ("+" if phone.strip().startswith(("+", "00")) else "") + digits.removeprefix("00")


def identities(context: HandoffContext) -> list[tuple[str, str]]:
    """(kind, normalised value) pairs; the channel sender is one too, for returning customers."""
    found = [("channel", f"{context.channel}:{context.conversation_id}")]
    if context.contact.email:
        found.append(("email", context.contact.email.strip().lower()))
    if context.contact.phone and (phone := normalize_phone(context.contact.phone)):
        found.append(("phone", phone))
    found.extend(("order", ascii_digits(order).strip().upper())
                 for order in context.contact.order_numbers if order.strip())
    return found


def conversation_for(session: Session, context: HandoffContext) -> Conversation:
    """The conversation of this handoff, linked to the contact its details identify.

    A detail already known points to its contact; new details are attached to that contact, so the
    next channel the person uses is recognised as well. No known detail makes a new contact.
    """
    keys = identities(context)
    known = session.scalars(
        select(ContactIdentity).where(tuple_(ContactIdentity.kind, ContactIdentity.value).in_(keys))
    ).all()
    conversation = session.scalars(
        select(Conversation).where(Conversation.sender_id == context.conversation_id)
    ).first()
    if known:
        contact_id = min(identity.contact_id for identity in known)
    elif conversation is not None:
        contact_id = conversation.contact_id
    else:
        contact = Contact(name=context.contact.name)
        session.add(contact)
        session.flush()
        contact_id = contact.id
    existing = {(identity.kind, identity.value) for identity in known}
    session.add_all(ContactIdentity(contact_id=contact_id, kind=kind, value=value)
                    for kind, value in keys if (kind, value) not in existing)
    if conversation is None:
        conversation = Conversation(sender_id=context.conversation_id, channel=context.channel,
                                    contact_id=contact_id)
        session.add(conversation)
    conversation.contact_id = contact_id
    session.flush()
    return conversation
