"""The trainers' inbox: what the bot did not understand, grouped, masked, and decided on.

Trainers (and admins) read messages, never the agents' chats nor who wrote them: every text is
masked, a conversation is named by an opaque id (inbox.opaque_conversation), and a message's
conversation shows only what the customer said to the bot and what the bot answered, nothing of
the time with an agent. A decision writes the messages into `data/nlu/` (handoff/nlu_data.py)
with made-up contact details (masking.pseudonymise) and closes them.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select, text

from common.protocol import LANGUAGES, META_AGENT_ID, META_HANDOFF_ID, META_MESSAGE_ID
from handoff import inbox
from handoff.dependencies import (
    AppServices,
    AppSettings,
    DbSession,
    RowId,
    Trainer,
    TrainingData,
)
from handoff.masking import mask, pseudonymise
from handoff.models import InboxMessage
from handoff.nlu_data import InvalidIntent, Written
from handoff.schemas import (
    ConversationLine,
    DecisionOut,
    InboxDecision,
    InboxGroupOut,
    InboxItemOut,
    InboxOut,
    ValidationOut,
    WrittenOut,
)

routes = APIRouter(prefix="/api/v1/inbox", tags=["trainers"])

# turns of a conversation shown around an inbox message
CONTEXT_BEFORE = 6
CONTEXT_AFTER = 4
_EVENTS = text("SELECT id, data FROM events WHERE sender_id = :sender ORDER BY id")
# what marks a bot event as an agent's message, sent through Rasa by the service (delivery.py)
_AGENTS_MARKS = (META_AGENT_ID, META_HANDOFF_ID, META_MESSAGE_ID)


def _out(row: InboxMessage, secret: str) -> InboxItemOut:
    return InboxItemOut(id=row.id, language=row.language,
                        conversation=inbox.opaque_conversation(secret, row.conversation_id),
                        text=mask(row.text), reasons=row.reasons, intent=row.intent,
                        confidence=row.confidence, second_intent=row.second_intent,
                        second_confidence=row.second_confidence, created_at=row.created_at,
                        status=row.status, decided_intent=row.decided_intent)


@routes.get("", response_model=InboxOut)
def list_inbox(session: DbSession, trainer: Trainer, data: TrainingData, settings: AppSettings,
               language: str = Query(pattern="^(" + "|".join(LANGUAGES) + ")$"),
               state: Annotated[inbox.Status, Query(alias="status")] = inbox.Status.OPEN,
               limit: int = Query(1000, ge=1, le=5000)) -> InboxOut:
    rows = session.scalars(select(InboxMessage).where(
        InboxMessage.language == language, InboxMessage.status == state)
        .order_by(InboxMessage.created_at.desc()).limit(limit)).all()
    return InboxOut(language=language, intents=data.intents(), groups=[
        InboxGroupOut(count=group.count,
                      messages=[_out(row, settings.jwt_secret) for row in group.messages])
        for group in inbox.groups(rows)])


@routes.get("/{item_id}/conversation", response_model=list[ConversationLine])
def conversation(item_id: RowId, session: DbSession, trainer: Trainer,
                 services: AppServices) -> list[ConversationLine]:
    """What the customer said to the bot around this message, and the bot's answers."""
    row = session.get(InboxMessage, item_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no inbox message {item_id}")
    with services.events_engine.connect() as connection:
        events = connection.execute(_EVENTS, {"sender": row.conversation_id}).all()
    lines: list[ConversationLine] = []
    here = None
    with_agent = False  # between Rasa's pause and resume the customer talks to an agent
    for event_id, data in events:
        try:
            event = json.loads(data)
        except (TypeError, ValueError):
            continue
        if not isinstance(event, dict):
            continue
        if event.get("event") in ("pause", "resume"):
            with_agent = event["event"] == "pause"
            continue
        if (with_agent or event.get("event") not in ("user", "bot") or not event.get("text")
                or _by_agent(event)):
            continue
        mine = event_id == row.event_id or (
            row.event_id is None and event["event"] == "user" and event["text"] == row.text)
        if mine and here is None:
            here = len(lines)
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        lines.append(ConversationLine(
            sender="customer" if event["event"] == "user" else "bot", text=mask(event["text"]),
            timestamp=event.get("timestamp"), intent=intent, this=mine and here == len(lines)))
    if here is None:
        return lines[-CONTEXT_BEFORE:]
    return lines[max(0, here - CONTEXT_BEFORE):here + CONTEXT_AFTER + 1]


def _by_agent(event: dict[str, object]) -> bool:
    metadata = event.get("metadata")
    return isinstance(metadata, dict) and any(mark in metadata for mark in _AGENTS_MARKS)


def _written(written: Written) -> WrittenOut:
    return WrittenOut(language=written.language, intent=written.intent, added=written.added,
                      already_there=written.already_there, held_out=written.held_out,
                      unusable=written.unusable, new_intent=written.new_intent,
                      diff=written.diff)


@routes.post("/decisions", response_model=DecisionOut)
def decide(body: InboxDecision, session: DbSession, trainer: Trainer,
           data: TrainingData) -> DecisionOut:
    rows = session.scalars(select(InboxMessage).where(InboxMessage.id.in_(body.ids))).all()
    missing = sorted(set(body.ids) - {row.id for row in rows})
    if missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no inbox messages {missing}")
    if decided := [row.id for row in rows if row.status != inbox.Status.OPEN]:
        raise HTTPException(status.HTTP_409_CONFLICT, f"already decided: {decided}")
    intent = {"intent": body.intent, "out_of_scope": "out_of_scope"}.get(body.decision)
    written: list[WrittenOut] = []
    if intent is not None:
        by_language: dict[str, list[InboxMessage]] = defaultdict(list)
        for row in rows:
            by_language[row.language].append(row)
        try:
            written = [_written(data.add(language, intent,
                                         [pseudonymise(row.text) for row in members]))
                       for language, members in sorted(by_language.items())]
        except InvalidIntent as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    now = time.time()
    for row in rows:
        row.status = {"intent": inbox.Status.ADDED, "out_of_scope": inbox.Status.OUT_OF_SCOPE,
                      "ignore": inbox.Status.IGNORED}[body.decision]
        row.decided_intent, row.decided_by, row.decided_at = intent, trainer.id, now
    session.commit()
    return DecisionOut(decided=len(rows), written=written)


@routes.post("/validate", response_model=ValidationOut)
async def validate(trainer: Trainer, data: TrainingData) -> ValidationOut:
    """`rasa data validate` on the data as the decisions left it (about half a minute)."""
    result = await run_in_threadpool(data.validate)
    return ValidationOut(ok=result.ok, output=result.output)
