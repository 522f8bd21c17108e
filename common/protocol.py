"""The names and payloads the bot's side and the handoff service exchange, written once.

Languages, Rasa's channel name of the web widget, the intents the service triggers or reads, the
keys of bot-message metadata, how a wait is rounded into minutes, and the web widget's status
payload (the custom JSON beside a text on the socket.io channel).
"""

from __future__ import annotations

import math
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

# The handoff context the action server sends (handoff/contract.py); its JSON Schema, generated
# from that contract with `python -m handoff.contract`, lies beside this module.
CONTRACT_VERSION = 1
CONTEXT_SCHEMA = Path(__file__).with_name("handoff_context.schema.json")

# A handoff's reference, as the customer is told it. The action server makes it, so that it
# holds even when the service is down at the time and files the handoff later.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
REFERENCE_PATTERN = rf"^[{REFERENCE_ALPHABET}]{{6}}$"


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


LANGUAGES = ("en", "fa", "ar", "he")
RIGHT_TO_LEFT = frozenset({"fa", "ar", "he"})
DEFAULT_LANGUAGE = "en"

# Rasa's input channel of the web widget; only it receives the custom JSON below.
WEB_CHANNEL = "socketio"

HANDOFF_INTENT = "human_handoff"  # the customer asks for a person
STATUS_INTENT = "ask_handoff_status"  # "where is my request?"
HANDED_BACK_INTENT = "EXTERNAL_handoff_resolved"  # the service hands the chat back to the bot

# Keys of a bot message's metadata in the Rasa tracker, and of a customer message's from a channel.
META_HANDOFF_ID = "handoff_id"  # written by an agent (the message came from the handoff service)
META_MESSAGE_ID = "message_id"  # the service's id of that agent message
META_AGENT_ID = "agent_id"
META_NOTICE = "handoff_notice"  # the response the service sent as a status notice
META_HANDOFF_STATUS = "handoff_status"
META_LANGUAGE = "language"  # the language the customer chose in the widget
META_SHOWN = "shown"  # what a button the customer pressed said
# Set by the messenger connectors (rasa_runtime/channels/) on a customer message:
META_PLATFORM_MESSAGE_ID = "platform_message_id"  # the platform's id, to drop repeat deliveries
META_ATTACHMENTS = "attachments"  # photos: [{"type": "image", "channel": ..., "ref": ...}]
ATTACHMENT_REF_MAX = 2000  # a photo's ref (file id or URL): a longer one is dropped, never cut
META_VERIFIED_PHONE = "verified_phone"  # a phone number the platform vouches is the sender's
META_IDENTITY = "identity"  # the web widget's identity, as the host site signed it

# Rasa channel names of the messengers (rasa_runtime/channels/); each prefixes its sender ids
# with its name, so that ids of different platforms never meet in one conversation.
TELEGRAM, MESSENGER, WHATSAPP = "telegram", "messenger", "whatsapp"

# The reserved keys of a customer message's metadata, each with the channels whose connector
# sets it (rasa_runtime/channels/). Every connector drops these keys from what its client sent
# and sets its own, and whoever reads one (the action server, the service) takes it only from an
# event whose input channel owns it: a web visitor cannot claim a verified phone or a photo.
METADATA_OWNERS: dict[str, frozenset[str]] = {
    META_IDENTITY: frozenset({WEB_CHANNEL, MESSENGER}),  # the widget's signed one; an m.me ref
    META_VERIFIED_PHONE: frozenset({TELEGRAM, WHATSAPP}),
    META_ATTACHMENTS: frozenset({TELEGRAM, WHATSAPP, MESSENGER}),
    META_PLATFORM_MESSAGE_ID: frozenset({TELEGRAM, WHATSAPP, MESSENGER}),
    META_SHOWN: frozenset({WEB_CHANNEL, TELEGRAM, WHATSAPP, MESSENGER}),  # a button's title
}
# Keys of the bot messages the service writes through Rasa's API; no channel sets them.
BOT_METADATA_KEYS = frozenset({META_HANDOFF_ID, META_MESSAGE_ID, META_AGENT_ID, META_NOTICE,
                               META_HANDOFF_STATUS})
RESERVED_METADATA_KEYS = frozenset(METADATA_OWNERS) | BOT_METADATA_KEYS

IDENTIFIER_MAX = 320  # characters of a signed identifier (an email address at most)
IDENTITY_HASH = re.compile(r"[0-9a-fA-F]{64}")  # hex HMAC-SHA256 of it


def signed_identity(value: object) -> dict[str, str] | None:
    """An identity the shop signed, as its two strings (`identifier`, `identifier_hash`), or
    None if it has not that shape; whether the hash is right only the service can tell."""
    if not isinstance(value, dict):
        return None
    identifier, digest = value.get("identifier"), value.get("identifier_hash")
    if not (isinstance(identifier, str) and 0 < len(identifier) <= IDENTIFIER_MAX
            and isinstance(digest, str) and IDENTITY_HASH.fullmatch(digest)):
        return None
    return {"identifier": identifier, "identifier_hash": digest}


def owned(metadata: object, key: str, channel: str | None) -> Any:
    """`metadata[key]` if `channel` (the event's input channel) owns that key, else None."""
    if channel not in METADATA_OWNERS.get(key, ()) or not isinstance(metadata, dict):
        return None
    return metadata.get(key)


Availability = Literal["open", "no_agents", "closed"]


def wait_minutes(seconds: float | None) -> int:
    """A wait as customers are told it: whole minutes, rounded up, at least one."""
    return max(1, math.ceil((seconds or 0) / 60))


def opening_time(iso: str | None) -> str:
    """'2026-11-24T09:00+03:30' -> '2026-11-24 09:00' (the team's local time)."""
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M") if iso else ""


def widget_status(*, reference: str, status: str, availability: Availability | None,
                  position: int | None, expected_wait_seconds: float | None,
                  agent: str | None, opens_at: str | None = None) -> dict[str, Any]:
    """Where the request stands, for the widget's status bar. Every sender fills every field,
    so a later update never loses what an earlier one said (that the team is closed, say)."""
    return {
        "reference": reference, "status": status, "availability": availability,
        "position": position, "expected_wait_seconds": expected_wait_seconds,
        "expected_wait_minutes": (wait_minutes(expected_wait_seconds)
                                  if expected_wait_seconds is not None else None),
        "agent": agent, "opens_at": opens_at,
    }


def widget_custom(**payload: dict[str, Any]) -> dict[str, Any]:
    """The custom JSON as Rasa's socket.io channel emits it: `data` is what the widget gets,
    e.g. `widget_custom(handoff=status)` or `widget_custom(agent_message={...})`."""
    return {"data": payload}
