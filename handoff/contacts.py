"""Recognising one person across channels, by verified identities only.

An identity is verified when a platform or the host site vouches for it: the channel's own sender
id, WhatsApp's sender number, a phone number shared with Telegram's contact button as the
sender's own, and the web widget's identity signed with the site's secret. What the customer only
typed (an email, a phone number, an order number) is shown to agents as stated, and never links
two conversations: anyone can type someone else's order number.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from common.protocol import IDENTITY_HASH, WHATSAPP
from common.text import ascii_digits
from handoff.contract import HandoffContext, SignedIdentity, VerifiedIdentity
from handoff.models import Contact, ContactIdentity, Conversation

Identity = tuple[str, str]  # (kind, normalised value)


class MalformedSignature(ValueError):
    """A signed identity whose hash is not 64 hex digits: a client error, never a crash."""


def check_form(identity: SignedIdentity | None) -> None:
    """Raise MalformedSignature unless the identity, if any, carries a well-formed hash."""
    if identity is not None and not IDENTITY_HASH.fullmatch(identity.identifier_hash):
        raise MalformedSignature("identifier_hash must be 64 hex digits (HMAC-SHA256)")


def normalize_phone(phone: str) -> str:
    """A plus and ASCII digits: the same number gives the same value in any digits, with any
    separators or direction marks around them; a leading 00 is the international +."""
    kept = re.sub(r"[^0-9+]", "", ascii_digits(phone))
    digits = kept.replace("+", "")
    if kept.startswith("+"):
        return "+" + digits
    return "+" + digits[2:] if digits.startswith("00") else digits


def identity_hash(secret: str, identifier: str) -> str:
    """What the host site's backend computes for its signed-in user: hex HMAC-SHA256 of the
    user's id (or email) with the site's secret (README, "Signed-in customers on the web")."""
    return hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).hexdigest()


def signed(identity: SignedIdentity | None, secret: str | None) -> list[Identity]:
    """The site's user, if the site signed them; nothing when no secret is set or the hash is
    wrong or malformed (compare_digest raises on non-ASCII text, so the form is checked first)."""
    if identity is None or not secret:
        return []
    digest = identity.identifier_hash.lower()
    if not IDENTITY_HASH.fullmatch(digest) or not hmac.compare_digest(
            digest, identity_hash(secret, identity.identifier)):
        return []
    value = identity.identifier.strip()
    return [("email", value.lower())] if "@" in value else [("site_user", value)]


def channel_identities(conversation_id: str, channel: str) -> list[Identity]:
    """What the channel itself vouches for: its sender id, and on WhatsApp the number."""
    sender = conversation_id if conversation_id.startswith(f"{channel}:") \
        else f"{channel}:{conversation_id}"  # the messengers' ids carry their channel already
    found = [("channel", sender)]
    if channel == WHATSAPP and (phone := normalize_phone(conversation_id.partition(":")[2])):
        found.append(("phone", phone))
    return found


def identities(conversation_id: str, channel: str, verified: list[VerifiedIdentity],
               signed_identity: SignedIdentity | None, secret: str | None) -> list[Identity]:
    """Every verified identity of a conversation's customer."""
    found = channel_identities(conversation_id, channel)
    found.extend(("phone", phone) for phone in (normalize_phone(v.value) for v in verified)
                 if phone)
    found.extend(signed(signed_identity, secret))
    return list(dict.fromkeys(found))


def link(session: Session, conversation_id: str, channel: str,
         keys: list[Identity], name: str | None = None) -> Conversation:
    """The conversation, linked to the contact its identities point to; identities not known
    yet are attached to that contact, so the next channel the person uses is recognised."""
    known = session.scalars(
        select(ContactIdentity).where(tuple_(ContactIdentity.kind, ContactIdentity.value).in_(keys))
    ).all()
    conversation = session.scalars(
        select(Conversation).where(Conversation.sender_id == conversation_id)).first()
    if known:
        contact_id = min(identity.contact_id for identity in known)
    elif conversation is not None:
        contact_id = conversation.contact_id
    else:
        contact = Contact(name=name)
        session.add(contact)
        session.flush()
        contact_id = contact.id
    existing = {(identity.kind, identity.value) for identity in known}
    session.add_all(ContactIdentity(contact_id=contact_id, kind=kind, value=value)
                    for kind, value in keys if (kind, value) not in existing)
    if conversation is None:
        conversation = Conversation(sender_id=conversation_id, channel=channel,
                                    contact_id=contact_id)
        session.add(conversation)
    conversation.contact_id = contact_id
    session.flush()
    return conversation


def conversation_for(session: Session, context: HandoffContext,
                     secret: str | None) -> Conversation:
    """The conversation of this handoff, linked to the contact of its verified identities."""
    keys = identities(context.conversation_id, context.channel, context.verified,
                      context.signed_identity, secret)
    return link(session, context.conversation_id, context.channel, keys, context.contact.name)
