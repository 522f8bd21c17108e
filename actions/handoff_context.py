"""Builds the handoff context (contract version 1) from a Rasa tracker.

It is everything the agent needs so that the customer never repeats themselves. The handoff service
validates it at its edge (handoff/contract.py). A customer message's reserved metadata (a verified
phone, a signed identity, photos, a button's title) is read only from a message whose input channel
owns that key (common/protocol.py `METADATA_OWNERS`): a web visitor cannot write a photo or a phone.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from common.protocol import (
    ATTACHMENT_REF_MAX,
    CONTRACT_VERSION,
    DEFAULT_LANGUAGE,
    HANDOFF_INTENT,
    META_ATTACHMENTS,
    META_HANDOFF_ID,
    META_IDENTITY,
    META_SHOWN,
    META_VERIFIED_PHONE,
    TELEGRAM,
    owned,
)
from common.protocol import signed_identity as signed_shape
from common.text import is_payload

MAX_TRANSCRIPT = 200
MAX_INTENTS = 10
CONTACT_SLOTS = ("name", "email", "phone")
ORDER_SLOTS = ("order_number",)
# Bookkeeping, not something the customer told the bot: Rasa's (the session's metadata, the
# slot a form is asking for) and the bot's own (the reference it gave, why it offered a person).
BOOKKEEPING_SLOTS = frozenset({"session_started_metadata", "requested_slot", "handoff_reference",
                        "handoff_offer"})


def _transcript(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    entries = []
    for event in events:
        kind = event.get("event")
        if kind not in ("user", "bot") or not event.get("text"):
            continue
        text = event["text"]
        if kind == "user" and is_payload(text):
            # a button: the agent reads what the customer saw on it, not the machine payload
            text = owned(event.get("metadata"), META_SHOWN, event.get("input_channel"))
            if not text:
                continue
        sender = "customer" if kind == "user" else "bot"
        if kind == "bot" and (event.get("metadata") or {}).get(META_HANDOFF_ID):
            sender = "agent"
        entries.append({"sender": sender, "text": text, "timestamp": event.get("timestamp")})
    return entries[-MAX_TRANSCRIPT:]


def _last_intents(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    intents = []
    for event in events:
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if intent.get("name"):
            intents.append({
                "name": intent["name"],
                "confidence": float(intent.get("confidence") or 0.0),
                "text": event.get("text") or "",
            })
    return intents[-MAX_INTENTS:]


NOT_A_PROBLEM = frozenset({HANDOFF_INTENT, "greet", "goodbye", "thank", "affirm", "deny"})


def _summary(intents: list[dict[str, Any]]) -> str:
    """The customer's own words about their problem: their latest message of a few words that is
    not small talk, a yes/no or the handoff request itself (an order number alone says little);
    failing that, their latest message."""
    for intent in reversed(intents):
        words = intent["text"].split()
        if intent["name"] not in NOT_A_PROBLEM and len(words) >= 2:
            return intent["text"][:300]
    return intents[-1]["text"][:300] if intents else ""


def _contact(slots: dict[str, Any]) -> dict[str, Any]:
    contact: dict[str, Any] = {key: slots.get(key) for key in CONTACT_SLOTS if slots.get(key)}
    contact["order_numbers"] = [str(slots[key]) for key in ORDER_SLOTS if slots.get(key)]
    return contact


def _owned(event: dict[str, Any], key: str) -> Any:
    """`key` of a customer message's metadata, if the message's channel is one that sets it."""
    return owned(event.get("metadata"), key, event.get("input_channel")) \
        if event.get("event") == "user" else None


def verified_identities(events: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Phone numbers shared with Telegram's contact button, which the connector accepted
    only as the sender's own."""
    phones = {_owned(event, META_VERIFIED_PHONE) for event in events
              if event.get("input_channel") == TELEGRAM}
    return [{"kind": "phone", "value": phone, "source": "telegram_contact"}
            for phone in sorted(phone for phone in phones if phone)]


def signed_identity(events: list[dict[str, Any]]) -> dict[str, str] | None:
    """The latest identity the shop signed (the web widget's, or a Messenger m.me link's),
    unchecked here: the service holds the shop's secret and checks the hash."""
    for event in reversed(events):
        if identity := signed_shape(_owned(event, META_IDENTITY)):
            return identity
    return None


def attachments(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The photos the customer sent, for the agent to see: each of the platform that
    brought the message, with a ref the handoff contract takes (one it would refuse would
    refuse the whole escalation)."""
    found = []
    for event in events:
        listed = _owned(event, META_ATTACHMENTS)
        for attachment in listed if isinstance(listed, list) else []:
            if isinstance(attachment, dict) and isinstance(attachment.get("ref"), str) \
                    and 0 < len(attachment["ref"]) <= ATTACHMENT_REF_MAX \
                    and attachment.get("channel") == event["input_channel"]:
                found.append({"type": "image", "channel": event["input_channel"],
                              "ref": str(attachment["ref"]),
                              "timestamp": event.get("timestamp")})
    return found[-50:]


def build_context(tracker: Tracker, reason: str) -> dict[str, Any]:
    """Return the handoff context for the conversation in `tracker`."""
    slots = {key: value for key, value in tracker.slots.items()
             if value is not None and key not in BOOKKEEPING_SLOTS}
    intents = _last_intents(tracker.events)
    active_loop = tracker.active_loop or {}
    return {
        "version": CONTRACT_VERSION,
        "conversation_id": tracker.sender_id,
        "channel": tracker.get_latest_input_channel() or "unknown",
        "language": slots.get("language") or DEFAULT_LANGUAGE,
        "reason": reason,
        "summary": _summary(intents),
        "contact": _contact(slots),
        "verified": verified_identities(tracker.events),
        "signed_identity": signed_identity(tracker.events),
        "attachments": attachments(tracker.events),
        "slots": slots,
        "active_form": active_loop.get("name"),
        "last_intents": [{"name": i["name"], "confidence": i["confidence"]} for i in intents],
        "transcript": _transcript(tracker.events),
    }
