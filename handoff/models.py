"""Tables of the handoff service. Times are UTC epoch seconds, as Rasa's events carry them."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from common.protocol import ATTACHMENT_REF_MAX
from handoff.db import Base

agent_teams = Table(
    "agent_teams",
    Base.metadata,
    Column("agent_id", ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)


class Team(Base):
    """A skill group with its own queue, time zone and business hours."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    business_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Public holidays of this country (ISO 3166-1) and subdivision (the `holidays` package's
    # codes), and the team's own closed dates (ISO dates): no shift starts on them.
    country: Mapped[str | None] = mapped_column(String(2))
    subdivision: Mapped[str | None] = mapped_column(String(16))
    closed_dates: Mapped[list[str] | None] = mapped_column(JSON)


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[int] = mapped_column(Integer, default=3)
    presence: Mapped[str] = mapped_column(String(16), default="offline")
    last_seen_at: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    role: Mapped[str] = mapped_column(String(16), default="agent")  # handoff.roles.Role
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: deactivated
    # A password reset an admin started: the SHA-256 of its one-time token, until it expires.
    reset_token_hash: Mapped[str | None] = mapped_column(String(64))
    reset_expires_at: Mapped[float | None] = mapped_column(Float)
    teams: Mapped[list[Team]] = relationship(secondary=agent_teams, lazy="selectin")

    @property
    def team_ids(self) -> list[int]:
        return [team.id for team in self.teams]


class SignIn(Base):
    """One signed-in session of an account: its token names it, and revoking it (signing out,
    a password change or reset, deactivation) ends the token at once, before it expires."""

    __tablename__ = "sign_ins"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the token's `sid`
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"),
                                          index=True)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    expires_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(64))  # where it signed in from


class AccountAudit(Base):
    """Every change to an account: who did it, to whom, and what."""

    __tablename__ = "account_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"),
                                          index=True)
    actor: Mapped[str] = mapped_column(String(64))  # "agent:3", "bootstrap"
    action: Mapped[str] = mapped_column(String(32))  # "created", "deactivated", ...
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class Contact(Base):
    """One person, recognised across channels by verified details."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class ContactIdentity(Base):
    """A verified identity of a contact (handoff/contacts.py): a channel's sender id, a phone
    number a platform vouched for, or the host site's signed user id or email."""

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_contact_identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"),
                                            index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(320))


class Conversation(Base):
    """A Rasa conversation (sender id) on one channel."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), unique=True)
    channel: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class Handoff(Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        # The queue in serving order, holding only waiting rows: "next for this team" is an
        # index scan that stops at the first row, however long the queue is.
        Index("ix_handoffs_queue", "team_id", text("priority DESC"), "created_at", "id",
              postgresql_where=text("status IN ('queued', 'transferred')"),
              sqlite_where=text("status IN ('queued', 'transferred')")),
        Index("ix_handoffs_agent_status", "agent_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    conversation_pk: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)  # Rasa's sender id
    channel: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text, default="")
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    priority: Mapped[int] = mapped_column(SmallInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    assigned_at: Mapped[float | None] = mapped_column(Float)
    first_response_at: Mapped[float | None] = mapped_column(Float)
    resolved_at: Mapped[float | None] = mapped_column(Float)
    # Last place in the queue the customer was told, so updates are sent only when it changes.
    notified_position: Mapped[int | None] = mapped_column(Integer)
    notified_at: Mapped[float | None] = mapped_column(Float)


class Message(Base):
    """A message of the live chat between customer and agent, in the order it happened."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("source_event_id", name="uq_messages_source_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    sender: Mapped[str] = mapped_column(String(16))  # "customer" or "agent"
    text: Mapped[str] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    # Customer messages: the id of the Rasa event they came from (makes consumption idempotent).
    source_event_id: Mapped[int | None] = mapped_column(Integer)
    # Agent messages: when a delivery was first tried, and when Rasa accepted it.
    sending_at: Mapped[float | None] = mapped_column(Float)
    delivered_at: Mapped[float | None] = mapped_column(Float)
    # Agent messages the customer's platform did not take (handoff/delivery.py): how often,
    # when to try again, and why it never will ("blocked", "window_closed", ...; "gave_up").
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_at: Mapped[float | None] = mapped_column(Float)
    undeliverable_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class ChannelMove(Base):
    """An open handoff offered to continue on the channel the same verified person now writes
    from; the customer's answer there moves the live chat, or leaves it where it is."""

    __tablename__ = "channel_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)  # the new channel's
    channel: Mapped[str] = mapped_column(String(64))
    from_conversation_id: Mapped[str] = mapped_column(String(255))
    from_channel: Mapped[str] = mapped_column(String(64))
    # What the customer wrote on arrival, before the question: the agent reads it if they move.
    opening_text: Mapped[str | None] = mapped_column(Text)
    offered_at: Mapped[float] = mapped_column(Float, default=time.time)
    answered_at: Mapped[float | None] = mapped_column(Float)
    accepted: Mapped[bool | None] = mapped_column(Boolean)


class Attachment(Base):
    """A photo the customer sent: fetched from the platform once, served only to agents who may
    see its handoff."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("handoff_id", "ref", name="uq_attachment_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    channel: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(String(ATTACHMENT_REF_MAX))  # the platform's file id or URL
    content_type: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # None until fetched
    error: Mapped[str | None] = mapped_column(String(500))  # why fetching failed, if it did
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class Note(Base):
    """An internal note: agents see it, the customer never does."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class Rating(Base):
    """The customer's rating of a resolved handoff (CSAT 1-5)."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), unique=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class AuditEvent(Base):
    """Every status change of a handoff: from, to, who, and why."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    actor: Mapped[str] = mapped_column(String(64))  # "agent:3", "router", "action-server", ...
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class ConsumerOffset(Base):
    """How far a consumer has read Rasa's event stream; committed with what it produced."""

    __tablename__ = "consumer_offsets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)


class DeadLetter(Base):
    """An event a reader of Rasa's stream could not handle, kept with its error and skipped, so
    that one bad event holds up nothing behind it (handoff/dead_letters.py)."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))  # the reader: "rasa-events", "rabbitmq"
    event_id: Mapped[int | None] = mapped_column(Integer)  # its id in Rasa's event table
    sender_id: Mapped[str | None] = mapped_column(String(255))
    event: Mapped[str] = mapped_column(Text)  # as read, cut at dead_letters.EVENT_CHARS
    error_type: Mapped[str] = mapped_column(String(100))
    error: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[float] = mapped_column(Float, default=time.time, index=True)


class InboxMessage(Base):
    """A customer message the bot did not understand, or may not have, for the trainers
    (handoff/inbox.py): why it is here, what the bot made of it, and the trainer's decision."""

    __tablename__ = "inbox_messages"
    __table_args__ = (
        UniqueConstraint("event_id", name="uq_inbox_messages_event"),
        Index("ix_inbox_messages_open", "status", "language", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Rasa's event of the message (none for a chat message an agent flagged)
    event_id: Mapped[int | None] = mapped_column(Integer)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)  # as written; masked whenever it is shown
    reasons: Mapped[list[str]] = mapped_column(JSON)  # inbox.Reason values
    intent: Mapped[str | None] = mapped_column(String(200))  # the bot's likeliest intent
    confidence: Mapped[float | None] = mapped_column(Float)
    second_intent: Mapped[str | None] = mapped_column(String(200))
    second_confidence: Mapped[float | None] = mapped_column(Float)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)  # float32, for grouping
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    status: Mapped[str] = mapped_column(String(16), default="open")  # inbox.Status values
    decided_intent: Mapped[str | None] = mapped_column(String(200))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    decided_at: Mapped[float | None] = mapped_column(Float)


class BotSession(Base):
    """One session of a customer with the bot, read from Rasa's events (handoff/bot_sessions.py):
    what the reports' containment counts, whether or not a person took over."""

    __tablename__ = "bot_sessions"
    __table_args__ = (UniqueConstraint("conversation_id", "started_at",
                                       name="uq_bot_sessions_start"),
                      Index("ix_bot_sessions_started", "started_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    channel: Mapped[str] = mapped_column(String(64), default="unknown")
    language: Mapped[str] = mapped_column(String(8), default="en")
    started_at: Mapped[float] = mapped_column(Float)
    last_message_at: Mapped[float | None] = mapped_column(Float)
    messages: Mapped[int] = mapped_column(Integer, default=0)  # the customer's


class CannedResponse(Base):
    """A reply agents insert with one click, in every language; admins edit them in the console
    and the next chat an agent opens has the change."""

    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    texts: Mapped[dict[str, str]] = mapped_column(JSON)  # language -> text
    updated_at: Mapped[float] = mapped_column(Float, default=time.time)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))


class AdminAudit(Base):
    """Every change an admin makes to teams and canned responses: who, what, before and after
    (accounts have their own, account_audit)."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))  # "agent:3"
    action: Mapped[str] = mapped_column(String(32))  # "team.saved", "canned.deleted", ...
    target: Mapped[str] = mapped_column(String(120))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float, default=time.time, index=True)
