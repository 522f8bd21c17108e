"""Request and response bodies of the HTTP API (the context contract is in contract.py)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from common.protocol import LANGUAGES
from handoff import business_hours
from handoff.contract import Language, SignedIdentity, VerifiedIdentity
from handoff.roles import Role

Presence = Literal["online", "away", "offline"]
Availability = Literal["open", "no_agents", "closed"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ticket(BaseModel):
    """What the customer is told at escalation."""

    id: int
    reference: str
    status: str
    team: str
    position: int
    expected_wait_seconds: float | None
    availability: Availability
    opens_at: str | None = Field(description="next opening, ISO 8601 in the team's time zone")
    created: bool


class HandoffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    conversation_id: str
    channel: str
    language: str
    reason: str
    summary: str
    status: str
    priority: int
    team_id: int
    agent_id: int | None
    created_at: float
    assigned_at: float | None
    first_response_at: float | None
    resolved_at: float | None


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    handoff_id: int
    sender: str
    text: str
    agent_id: int | None
    created_at: float
    delivered_at: float | None
    # an agent's message the customer's platform will never take: "blocked", "window_closed",
    # "unknown_recipient", "refused", or "gave_up" after the tries allowed
    undeliverable_reason: str | None = None


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agent_id: int
    text: str
    created_at: float


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    actor: str
    agent_id: int | None
    detail: str
    created_at: float


class RatingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    score: int
    comment: str | None
    created_at: float


class AttachmentOut(BaseModel):
    """A photo the customer sent; `url` serves it to agents who may see the handoff."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    handoff_id: int
    message_id: int | None
    channel: str
    content_type: str | None
    state: Literal["fetching", "ready", "failed"]
    url: str
    created_at: float


class IdentityOut(BaseModel):
    """An identity of the contact that a platform or the host site verified."""

    kind: str
    value: str


class ResolvedOut(HandoffOut):
    """A resolved handoff, and what of it never reached the customer."""

    undeliverable_message_ids: list[int] = Field(
        description="the agent's messages of this handoff the customer's platform never took")
    handback_delivered: bool = Field(
        description="whether the platform took the bot's words after the handback")


class HandoffDetail(HandoffOut):
    position: int
    expected_wait_seconds: float | None
    context: dict[str, Any]
    messages: list[MessageOut]
    notes: list[NoteOut]
    history: list[HandoffOut] = Field(description="the same contact's other handoffs, any channel")
    audit: list[AuditOut]
    rating: RatingOut | None
    attachments: list[AttachmentOut]
    verified: list[IdentityOut] = Field(description="the contact's verified identities; what "
                                        "the customer only typed is in context.contact")


class CustomerStatus(BaseModel):
    """Where the customer's request stands, for the bot to tell them."""

    reference: str
    status: str
    position: int
    expected_wait_seconds: float | None
    agent_name: str | None


class SendText(Strict):
    text: str = Field(min_length=1, max_length=4000)


class Transfer(Strict):
    """To a colleague (`agent_id`) or to a team's queue (`team`)."""

    agent_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    team: str | None = Field(default=None, min_length=1, max_length=80)

    @model_validator(mode="after")
    def _somewhere(self) -> Transfer:
        if (self.agent_id is None) == (self.team is None):
            raise ValueError("give agent_id or team, one of them")
        return self


class RatingIn(Strict):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class TeamIn(Strict):
    name: str = Field(min_length=1, max_length=80, pattern=r"^[\w-]+$")
    timezone: str = Field(default="UTC", max_length=64)
    business_hours: dict[str, list[list[str]]] | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    # public holidays: ISO 3166-1 country and the `holidays` package's subdivision code
    country: str | None = Field(default=None, min_length=2, max_length=2)
    subdivision: str | None = Field(default=None, min_length=1, max_length=16)
    closed_dates: list[date] = Field(default_factory=list, max_length=400)

    @field_validator("business_hours")
    @classmethod
    def _valid_hours(cls, value: dict[str, list[list[str]]] | None
                     ) -> dict[str, list[list[str]]] | None:
        if value is not None:
            business_hours.validate(value)
        return value

    @model_validator(mode="after")
    def _known_country(self) -> TeamIn:
        business_hours.validate_country(self.country, self.subdivision)
        return self


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    timezone: str
    business_hours: dict[str, list[list[str]]] | None
    country: str | None = None
    subdivision: str | None = None
    closed_dates: list[str] | None = None


class AgentCreate(Strict):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=8, max_length=200)
    languages: list[Language] = Field(default_factory=lambda: list(LANGUAGES),
                                      min_length=1)
    teams: list[str] = Field(default_factory=lambda: ["support"], min_length=1)
    capacity: int = Field(default=3, ge=1, le=50)
    role: Role = Role.AGENT


class AgentUpdate(Strict):
    """An admin's change to an account; `active: false` deactivates it."""

    languages: list[Language] | None = Field(default=None, min_length=1)
    teams: list[str] | None = Field(default=None, min_length=1)
    capacity: int | None = Field(default=None, ge=1, le=50)
    role: Role | None = None
    active: bool | None = None


class ConsoleSettings(BaseModel):
    assign_timeout_seconds: float  # an assigned chat without a reply goes back to the queue


class AgentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    languages: list[str]
    capacity: int
    presence: str
    role: Role
    active: bool
    teams: list[TeamOut]


class PresenceIn(Strict):
    presence: Presence


class Login(Strict):
    email: str = Field(max_length=320)
    password: str = Field(max_length=200)


class PasswordChange(Strict):
    current_password: str = Field(max_length=200)
    new_password: str = Field(min_length=8, max_length=200)


class PasswordReset(Strict):
    """Setting a new password with the one-time token an admin handed over."""

    token: str = Field(min_length=16, max_length=200)
    new_password: str = Field(min_length=8, max_length=200)


class ResetOut(BaseModel):
    reset_token: str
    reset_path: str  # the console's page where the owner sets the new password
    expires_at: float


class Colleague(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    presence: str
    languages: list[str]


class CannedOut(BaseModel):
    key: str
    language: Language
    text: str


class SlotCorrection(Strict):
    value: str | int | float | bool | None = Field(
        description="the corrected value; null clears the slot")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: float
    role: Role


class Arrival(Strict):
    """A conversation starting (or starting a new session), with what verifies its customer."""

    channel: str = Field(min_length=1, max_length=64)
    verified: list[VerifiedIdentity] = Field(default_factory=list, max_length=20)
    signed_identity: SignedIdentity | None = None


class OpenElsewhere(BaseModel):
    """The same person's handoff, open on another channel."""

    reference: str
    status: str
    channel: str
    language: str
    agent_name: str | None
    order_numbers: list[str]


class Previously(BaseModel):
    """What the same person's last resolved handoff knew, so the bot need not ask again."""

    reference: str
    language: str
    order_numbers: list[str]
    summary: str


class Welcome(BaseModel):
    """What the bot says first to a customer it recognises: at most one is set."""

    waiting_here: bool = False  # their handoff is open in this conversation: stay paused
    open: OpenElsewhere | None = None
    previous: Previously | None = None


class Check(BaseModel):
    """One part of the service, as readiness sees it."""

    ok: bool
    detail: str | None = None
    lag_events: int | None = None  # event consumer: Rasa's events not read yet
    seconds_since_poll: float | None = None
    waiting: int | None = None  # outbox: agent messages not delivered yet
    oldest_seconds: float | None = None


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, Check]


class InboxItemOut(BaseModel):
    """A message of the trainers' inbox; its text is masked (handoff/masking.py)."""

    id: int
    conversation: str = Field(description="an opaque id, the same for the messages of one "
                              "conversation; never the channel's id of the customer")
    language: str
    text: str
    reasons: list[str]
    intent: str | None
    confidence: float | None
    second_intent: str | None
    second_confidence: float | None
    created_at: float
    status: str
    decided_intent: str | None


class InboxGroupOut(BaseModel):
    count: int
    messages: list[InboxItemOut]


class InboxOut(BaseModel):
    language: str
    groups: list[InboxGroupOut]
    intents: list[str]  # what a message may be assigned to (or a new name)


class InboxDecision(Strict):
    """Messages assigned to an intent (an existing one or a new name), marked out of scope, or
    ignored."""

    ids: list[int] = Field(min_length=1, max_length=500)
    decision: Literal["intent", "out_of_scope", "ignore"]
    intent: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _intent_named(self) -> InboxDecision:
        if self.decision == "intent" and not self.intent:
            raise ValueError("assigning to an intent needs the intent's name")
        return self


class WrittenOut(BaseModel):
    language: str
    intent: str
    added: list[str]
    already_there: list[str]
    held_out: list[str]
    unusable: list[str]
    new_intent: bool
    diff: str


class DecisionOut(BaseModel):
    decided: int
    written: list[WrittenOut]


class ValidationOut(BaseModel):
    ok: bool
    output: str


class ConversationLine(BaseModel):
    """One turn of the conversation around an inbox message, masked."""

    sender: Literal["customer", "bot"]
    text: str
    timestamp: float | None
    intent: str | None = None
    this: bool = False  # the inbox message itself


class TrainingRunOut(BaseModel):
    """A training run from the trainers' page: where it is, and once reported, its figures
    (`summary`: macro-F1 per language of both models, held-out and cross-validation, and the
    intents that got worse)."""

    id: int
    status: str
    phase: str
    detail: str | None
    percent: int | None
    started_by: int
    started_at: float
    finished_at: float | None
    candidate: str | None
    baseline: str | None
    summary: dict[str, Any] | None
    error: str | None
    decided_by: int | None


class Spread(BaseModel):
    """Durations in seconds: how many, and their median and 90th percentile."""

    count: int
    p50: float | None
    p90: float | None


class CsatFigures(BaseModel):
    average: float | None  # of the scores given, 1-5
    ratings: int
    resolved: int
    response_rate: float | None  # ratings / resolved handoffs
    distribution: dict[str, int]  # "1".."5" -> how many


class GroupFigures(BaseModel):
    """The figures of one group (a reason, a team, a day, ... or "all")."""

    key: str
    handoffs: int
    sessions: int | None  # the customers' sessions with the bot; None where it has no meaning
    contained: int | None  # of them, finished without a person
    containment: float | None
    waiting: Spread  # request -> an agent had it
    first_response: Spread  # request -> the agent's first reply
    resolution: Spread  # request -> resolved
    csat: CsatFigures


class ReportOut(BaseModel):
    since: date
    until: date
    timezone: str
    total: GroupFigures
    by_reason: list[GroupFigures]
    by_day: list[GroupFigures]


class AgentLoad(BaseModel):
    id: int
    name: str
    presence: str
    open: int  # chats assigned to them now
    capacity: int


class TeamNow(BaseModel):
    id: int
    name: str
    waiting: int
    oldest_waiting_since: float | None  # the longest-waiting chat's request time
    online: int
    agents: list[AgentLoad]


class CannedTexts(Strict):
    """A canned response's text in every language."""

    en: str = Field(min_length=1, max_length=2000)
    fa: str = Field(min_length=1, max_length=2000)
    ar: str = Field(min_length=1, max_length=2000)
    he: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _not_blank(self) -> CannedTexts:
        blank = [language for language, text in self.texts().items() if not text.strip()]
        if blank:
            raise ValueError(f"no text in {', '.join(blank)}")
        return self

    def texts(self) -> dict[str, str]:
        return {language: getattr(self, language).strip() for language in LANGUAGES}


class CannedEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    texts: dict[str, str]
    updated_at: float


class AuditEntry(BaseModel):
    at: float
    actor: str
    action: str
    target: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
