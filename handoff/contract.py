"""The handoff context contract, version 1: what the action server sends at escalation."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from common.protocol import (
    ATTACHMENT_REF_MAX,
    CONTEXT_SCHEMA,
    CONTRACT_VERSION,
    LANGUAGES,
    REFERENCE_PATTERN,
)

Language = Literal[LANGUAGES]
Reason = Literal["explicit_request", "fallback", "frustration", "business_rule"]


class Contact(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    order_numbers: list[str] = Field(default_factory=list, max_length=50)


class VerifiedIdentity(BaseModel):
    """A detail a platform vouches for: Telegram's contact button with the sender's own
    `user_id` (the channel's sender id and WhatsApp's number the service reads itself)."""

    kind: Literal["phone"]
    value: str = Field(min_length=1, max_length=64)
    source: Literal["telegram_contact"]


class SignedIdentity(BaseModel):
    """The web widget's identity as the host site signed it: the service checks the hash."""

    identifier: str = Field(min_length=1, max_length=320)  # the site's user id or email
    identifier_hash: str = Field(min_length=1, max_length=128)  # hex HMAC-SHA256


class Attachment(BaseModel):
    """A photo the customer sent; the service fetches it from the platform for the agent."""

    type: Literal["image"]
    channel: str = Field(min_length=1, max_length=64)
    # Telegram's file_id, or the platform's URL
    ref: str = Field(min_length=1, max_length=ATTACHMENT_REF_MAX)
    timestamp: float | None = None


class IntentScore(BaseModel):
    name: str = Field(max_length=200)
    confidence: float = Field(ge=0.0, le=1.0)


class TranscriptEntry(BaseModel):
    sender: Literal["customer", "bot", "agent"]
    text: str = Field(max_length=10_000)
    timestamp: float | None = None


class HandoffContext(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[CONTRACT_VERSION]
    conversation_id: str = Field(min_length=1, max_length=255)
    channel: str = Field(min_length=1, max_length=64)
    language: Language
    reason: Reason
    summary: str = Field(default="", max_length=1000)
    # What the customer typed: shown to agents as stated, never used to link contacts.
    contact: Contact = Field(default_factory=Contact)
    verified: list[VerifiedIdentity] = Field(default_factory=list, max_length=20)
    signed_identity: SignedIdentity | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=50)
    slots: dict[str, Any] = Field(default_factory=dict)
    active_form: str | None = Field(default=None, max_length=200)
    # Routing hints from the bot's business rules: the team (skill) and a priority 0-3.
    team: str | None = Field(default=None, min_length=1, max_length=80)
    priority: int = Field(default=0, ge=0, le=3)
    last_intents: list[IntentScore] = Field(default_factory=list, max_length=50)
    transcript: list[TranscriptEntry] = Field(default_factory=list, max_length=1000)
    # Made by the action server when the customer asked: filing the same reference again files
    # nothing twice, and a handoff filed late (the service was down) is as old as the request.
    reference: str | None = Field(default=None, pattern=REFERENCE_PATTERN)
    escalated_at: float | None = Field(default=None, gt=0)
    # Filed from the action server's outbox after an outage: the customer was told only that
    # they are in line, so the service tells them where the request stands.
    delayed: bool = False


# The contract as JSON Schema (CONTEXT_SCHEMA), for the bot's side, which has neither pydantic 2
# nor this package: the action server's tests validate build_context() against it.


def schema_text() -> str:
    """The JSON Schema of HandoffContext, as the schema file holds it."""
    return json.dumps(HandoffContext.model_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # python -m handoff.contract: rewrite the schema file
    CONTEXT_SCHEMA.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {CONTEXT_SCHEMA}")
