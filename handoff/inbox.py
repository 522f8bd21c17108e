"""The trainers' inbox: the customer messages the bot did not understand, or may not have.

The collector tails Rasa's event table with its own offset (as the event consumer does, so a
restart resumes where it stopped) and keeps a customer's message to the bot when
- NLU sent it to the fallback or predicted `out_of_scope`;
- its likeliest intent was less probable than LOW_CONFIDENCE, or led the second by less than
  AMBIGUOUS_MARGIN;
- the customer said much the same again right after the bot's answer (a rephrase: the answer
  missed), by the sentence embeddings' cosine similarity.

A listener adds the customer's last two messages before an escalation for fallback or
frustration (`record_escalation`), and an agent may flag a chat message (`flag`). Messages to
an agent during a handoff are the agent's, not the bot's, and are not collected. Every kept
message gets its embedding, so that `groups` gathers the messages of one meaning per language.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from sqlalchemy import Engine, inspect, select, text, update
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from common.protocol import LANGUAGES
from common.text import is_payload, script_language
from handoff.background import pause
from handoff.dead_letters import storable, storable_as_is
from handoff.masking import mask
from handoff.models import ConsumerOffset, Handoff, InboxMessage, Message
from nlu.embedding_cache import CachingEmbedder
from nlu.sentence_embeddings import E5Embedder, Embedder

logger = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.7
AMBIGUOUS_MARGIN = 0.1
# A message this similar to the one before it, sent this soon after the bot answered that one,
# says it again: multilingual-e5-small puts paraphrases at 0.93-0.95 and unrelated short
# messages up to 0.90.
REPHRASE_SIMILARITY = 0.92
REPHRASE_SECONDS = 120.0
# the same intent twice, the first at least this sure: not checked for a rephrase
REPHRASE_CHECK_BELOW = 0.9
GROUP_SIMILARITY = 0.92
# conversations whose last message and pause state are remembered for the rules above
REMEMBERED_CONVERSATIONS = 50_000
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
ESCALATION_REASONS = frozenset({"fallback", "frustration"})
OFFSET_NAME = "nlu-inbox"
_READ = text("SELECT id, sender_id, data FROM events WHERE id > :after ORDER BY id LIMIT :limit")


class Reason(StrEnum):
    FALLBACK = "fallback"
    OUT_OF_SCOPE = "out_of_scope"
    LOW_CONFIDENCE = "low_confidence"
    AMBIGUOUS = "ambiguous"
    REPHRASED = "rephrased"
    BEFORE_ESCALATION = "before_escalation"
    FLAGGED = "flagged"


class Status(StrEnum):
    OPEN = "open"
    ADDED = "added"  # written into the NLU data as an example of an intent
    OUT_OF_SCOPE = "out_of_scope"  # written in as an example of out_of_scope
    IGNORED = "ignored"


@dataclass(frozen=True)
class Reading:
    """What NLU made of a message: its two likeliest intents (the fallback set aside)."""

    intent: str | None = None
    confidence: float | None = None
    second_intent: str | None = None
    second_confidence: float | None = None
    fallback: bool = False


def _number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _name(entry: Any) -> str | None:
    """An intent's name, if `entry` is an intent with one (anything else in Rasa's table is
    read as no intent)."""
    name = entry.get("name") if isinstance(entry, dict) else None
    return name[:200] if isinstance(name, str) and name else None


def _confidence(entry: Any) -> float | None:
    value = entry.get("confidence") if isinstance(entry, dict) else None
    return float(value) if _number(value) else None


def reading(parse_data: dict[str, Any]) -> Reading:
    top = parse_data.get("intent")
    ranked = parse_data.get("intent_ranking")
    ranking = [entry for entry in (ranked if isinstance(ranked, list) else [])
               if _name(entry) not in (None, "nlu_fallback")]
    if not ranking and _name(top):
        ranking = [top]
    first = ranking[0] if ranking else {}
    second = ranking[1] if len(ranking) > 1 else {}
    return Reading(_name(first), _confidence(first), _name(second), _confidence(second),
                   _name(top) == "nlu_fallback")


def reasons_for(parse_data: dict[str, Any]) -> list[Reason]:
    """Why NLU's own reading puts a message in the inbox (empty: it does not)."""
    seen = reading(parse_data)
    if seen.fallback:
        return [Reason.FALLBACK]
    if seen.intent == "out_of_scope":
        return [Reason.OUT_OF_SCOPE]
    if seen.confidence is None:
        return []
    if seen.confidence < LOW_CONFIDENCE:
        return [Reason.LOW_CONFIDENCE]
    if seen.second_confidence is not None and (
            seen.confidence - seen.second_confidence < AMBIGUOUS_MARGIN):
        return [Reason.AMBIGUOUS]
    return []


def _may_have_missed(earlier: dict[str, Any], later: dict[str, Any]) -> bool:
    """Worth embedding the two to see whether the later says the earlier again: NLU read them
    as different intents, or was not sure of the earlier. (A confident answer followed by the
    same intent was most likely right; skipping those keeps the embedding off most turns.)"""
    first, second = reading(earlier.get("parse_data") or {}), reading(later.get("parse_data") or {})
    return first.intent != second.intent or (first.confidence or 0.0) < REPHRASE_CHECK_BELOW


def language_of(event: dict[str, Any]) -> str:
    """The language NLU tagged (nlu.language_detector), else the one its letters tell."""
    entities = (event.get("parse_data") or {}).get("entities")
    for entity in entities if isinstance(entities, list) else []:
        if isinstance(entity, dict) and entity.get("entity") == "language" and (
                entity.get("value") in LANGUAGES):
            return str(entity["value"])
    return script_language(event.get("text") or "")


def _remembered(event: dict[str, Any]) -> dict[str, Any]:
    """What the rules read of a conversation's last message, not the whole event: up to
    REMEMBERED_CONVERSATIONS are remembered, and a whole event with Rasa's parse is about 9 KiB
    as Python objects (the service grew 17 MiB over 1,800 conversations in a 30-minute soak,
    bench/README.md)."""
    parse_data = event.get("parse_data") or {}
    ranked, entities = parse_data.get("intent_ranking"), parse_data.get("entities")
    return {"text": event.get("text"), "timestamp": event.get("timestamp"), "parse_data": {
        "intent": parse_data.get("intent"),
        "intent_ranking": ranked[:3] if isinstance(ranked, list) else None,
        "entities": [entity for entity in (entities if isinstance(entities, list) else [])
                     if isinstance(entity, dict) and entity.get("entity") == "language"]}}


@dataclass
class _Said:
    """A conversation's last message to the bot, and whether the bot has answered it."""

    event_id: int
    event: dict[str, Any]
    answered: bool = False
    vector: np.ndarray | None = None  # its embedding, once a rephrase check needed it

    @property
    def timestamp(self) -> float:
        return float(self.event.get("timestamp") or 0)


@dataclass
class _Conversation:
    last: _Said | None = None
    paused: bool = False  # with an agent: what the customer writes is for the agent


@dataclass
class _Found:
    event_id: int
    conversation_id: str
    event: dict[str, Any]
    reasons: list[Reason] = field(default_factory=list)
    vector: np.ndarray | None = None  # its embedding, when a rephrase check made one


def opaque_conversation(secret: str, conversation_id: str) -> str:
    """What trainers see instead of a conversation's id (the customer's Telegram id or phone
    number, and a handle to the chat): a keyed hash, the same for every message of one
    conversation, that tells them nothing else."""
    digest = hmac.new(secret.encode(), b"trainers-inbox\0" + conversation_id.encode(),
                      hashlib.sha256)
    return digest.hexdigest()[:20]


def _event(row: Any) -> dict[str, Any] | None:
    """The row's event, if it has the shape Rasa writes where the inbox reads it; anything else
    in Rasa's table is skipped (logged), so that it holds up nothing behind it."""
    try:
        event = json.loads(row.data)
    except (TypeError, ValueError):
        event = None
    if (isinstance(event, dict) and storable_as_is(row.sender_id)
            and isinstance(event.get("text") or "", str)
            and isinstance(event.get("parse_data") or {}, dict)
            and _number(event.get("timestamp") or 0)):
        return event
    logger.warning("the inbox skipped event %s: not the shape of Rasa's events", row.id)
    return None


def _to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32)


# Another reader of the same events, in the same transaction as the offset (bot_sessions.record).
Reader = Callable[[Session, list[Any]], None]


class InboxCollector:
    """Reads Rasa's events after its stored offset and keeps what the trainers should see; the
    same events go to `readers`, which are not urgent either (the reports' bot sessions)."""

    def __init__(self, events_engine: Engine, sessions: sessionmaker,
                 embedder: Embedder | None = None, batch_size: int = 500,
                 readers: Sequence[Reader] = ()) -> None:
        self._events = events_engine
        self._sessions = sessions
        self._embedder = embedder
        self._readers = list(readers)
        self._batch_size = batch_size
        self._conversations: OrderedDict[str, _Conversation] = OrderedDict()
        self._offset: int | None = None

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._embedder is None:  # loaded on first use: 90 MB the service may never need
            self._embedder = CachingEmbedder(E5Embedder())
        return self._embedder.embed(texts)

    def _conversation(self, sender: str) -> _Conversation:
        conversation = self._conversations.pop(sender, None) or _Conversation()
        self._conversations[sender] = conversation
        while len(self._conversations) > REMEMBERED_CONVERSATIONS:
            self._conversations.popitem(last=False)
        return conversation

    def poll_once(self) -> int:
        """Collect from one batch of events; returns how many were read (0: caught up)."""
        with self._sessions() as session:
            if self._offset is None:
                saved = session.get(ConsumerOffset, OFFSET_NAME)
                self._offset = saved.last_event_id if saved else 0
            with self._events.connect() as connection:
                rows = connection.execute(
                    _READ, {"after": self._offset, "limit": self._batch_size}).all()
            if rows:
                readable = [(row, event) for row in rows if (event := _event(row)) is not None]
                self._keep(session, self._found(readable))
                for read in self._readers:
                    read(session, [row for row, _ in readable])
                session.merge(ConsumerOffset(name=OFFSET_NAME, last_event_id=rows[-1].id))
            session.commit()
        if rows:
            self._offset = rows[-1].id
        self._embed_missing()
        return len(rows)

    def _found(self, rows: Iterable[tuple[Any, dict[str, Any]]]) -> list[_Found]:
        """The messages of these events (row, event) that belong in the inbox, with their
        reasons."""
        found: dict[int, _Found] = {}
        # (earlier message, the one that may repeat it, and that one as found)
        pairs: list[tuple[_Said, _Said, _Found]] = []
        for row, event in rows:
            conversation = self._conversation(row.sender_id)
            kind = event.get("event")
            if kind == "pause":
                conversation.paused = True
            elif kind == "resume":
                conversation.paused = False
            elif kind == "bot" and conversation.last is not None:
                conversation.last.answered = True
            elif kind == "user" and not conversation.paused:
                said = event.get("text") or ""
                if not said.strip() or is_payload(said):
                    continue
                item = _Found(row.id, row.sender_id, event,
                              reasons_for(event.get("parse_data") or {}))
                earlier, conversation.last = conversation.last, _Said(row.id, _remembered(event))
                if (earlier is not None and earlier.answered
                        and float(event.get("timestamp") or 0) - earlier.timestamp
                        <= REPHRASE_SECONDS and _may_have_missed(earlier.event, event)):
                    pairs.append((earlier, conversation.last, item))
                if item.reasons:
                    found[row.id] = item
        self._rephrased(pairs, found)
        return list(found.values())

    def _rephrased(self, pairs: list[tuple[_Said, _Said, _Found]],
                   found: dict[int, _Found]) -> None:
        """The earlier message of each pair the customer said again joins the inbox. Each
        message is embedded once: the later of one pair is the earlier of the next."""
        unembedded = list({id(said): said for earlier, later, _ in pairs
                           for said in (earlier, later) if said.vector is None}.values())
        if unembedded:
            vectors = self._embed([mask(said.event["text"]) for said in unembedded])
            for said, vector in zip(unembedded, vectors, strict=True):
                said.vector = vector.copy()  # its own 1.5 KiB, not a view of the batch
        for earlier, said, later in pairs:
            later.vector = said.vector  # kept too, it is not embedded again
            if float(earlier.vector @ said.vector) < REPHRASE_SIMILARITY:
                continue
            if earlier.event_id in found:
                found[earlier.event_id].reasons.append(Reason.REPHRASED)
            else:  # said in an earlier batch: its row, if any, is updated in _keep
                found[earlier.event_id] = _Found(earlier.event_id, later.conversation_id,
                                                 earlier.event, [Reason.REPHRASED],
                                                 earlier.vector)

    def _keep(self, session: Session, found: list[_Found]) -> None:
        if not found:
            return
        stored = {row.event_id: row for row in session.scalars(select(InboxMessage).where(
            InboxMessage.event_id.in_([item.event_id for item in found])))}
        new = [item for item in found if item.event_id not in stored]
        texts = [storable(item.event["text"], len(item.event["text"])) for item in new]
        # embedded before this session's first write (of the masked text: one order number or
        # email is like any other): on SQLite a write transaction held while a batch is
        # embedded would hold up every other writer of the service, agents' messages among them
        unembedded = [text for item, text in zip(new, texts, strict=True)
                      if item.vector is None or text != item.event["text"]]
        made = iter(self._embed([mask(text) for text in unembedded]) if unembedded else [])
        vectors = [item.vector if item.vector is not None and text == item.event["text"]
                   else next(made) for item, text in zip(new, texts, strict=True)]
        for item in found:
            if (row := stored.get(item.event_id)) is not None:
                row.reasons = sorted(set(row.reasons) | set(item.reasons))
        for item, said, vector in zip(new, texts, vectors, strict=True):
            seen = reading(item.event.get("parse_data") or {})
            session.add(InboxMessage(
                event_id=item.event_id, conversation_id=item.conversation_id,
                language=language_of(item.event), text=said,
                reasons=[str(reason) for reason in item.reasons], intent=seen.intent,
                confidence=seen.confidence, second_intent=seen.second_intent,
                second_confidence=seen.second_confidence, embedding=_to_bytes(vector),
                created_at=float(item.event.get("timestamp") or time.time())))
        session.flush()

    def _embed_missing(self) -> None:
        """Messages kept without an embedding (flagged by an agent, said before an escalation)
        get one, made outside any transaction (as in `_keep`)."""
        with self._sessions() as session:
            pending = session.execute(select(InboxMessage.id, InboxMessage.text).where(
                InboxMessage.embedding.is_(None)).limit(self._batch_size)).all()
        if not pending:
            return
        # of the masked text: one order number or email is like any other
        vectors = self._embed([mask(said) for _, said in pending])
        with self._sessions() as session:
            for (row_id, _), vector in zip(pending, vectors, strict=True):
                session.execute(update(InboxMessage).where(
                    InboxMessage.id == row_id, InboxMessage.embedding.is_(None)
                ).values(embedding=_to_bytes(vector)))
            session.commit()

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; wait while Rasa has not created its table yet. The offset is
        read again first: another replica may have read meanwhile (handoff/lease.py)."""
        self._offset = None
        while not stop.is_set():
            try:
                if not await asyncio.to_thread(inspect(self._events).has_table, "events"):
                    await pause(stop, interval)
                    continue
                read = await asyncio.to_thread(self.poll_once)
            except (OperationalError, ProgrammingError) as error:
                logger.warning("the inbox could not read Rasa's events: %s", error.orig)
                read = 0
            if read == 0:
                await pause(stop, interval)


def _add(session: Session, conversation_id: str, language: str, said: str, reason: Reason,
         created_at: float) -> None:
    """The message joins the inbox for `reason`, or gains it if it is there already."""
    row = session.scalars(select(InboxMessage).where(
        InboxMessage.conversation_id == conversation_id, InboxMessage.text == said)).first()
    if row is None:
        session.add(InboxMessage(conversation_id=conversation_id, language=language, text=said,
                                 reasons=[str(reason)], created_at=created_at))
    elif reason not in row.reasons:
        row.reasons = sorted({*row.reasons, str(reason)})


def record_escalation(session: Session, handoff: Handoff) -> None:
    """The customer's last two messages before an escalation for fallback or frustration."""
    if handoff.reason not in ESCALATION_REASONS:
        return
    said = [entry for entry in (handoff.context or {}).get("transcript") or []
            if entry.get("sender") == "customer" and entry.get("text")
            and not is_payload(entry["text"])]
    for entry in said[-2:]:
        _add(session, handoff.conversation_id, handoff.language, entry["text"],
             Reason.BEFORE_ESCALATION, float(entry.get("timestamp") or handoff.created_at))


def flag(session: Session, handoff: Handoff, message: Message) -> None:
    """An agent marks a customer's chat message as one the bot should have understood."""
    _add(session, handoff.conversation_id, handoff.language, message.text, Reason.FLAGGED,
         message.created_at)


@dataclass
class Group:
    """Messages of one meaning: the first is the one the others were compared with."""

    messages: list[InboxMessage]

    @property
    def count(self) -> int:
        return len(self.messages)


def groups(rows: Sequence[InboxMessage]) -> list[Group]:
    """`rows` gathered by meaning, largest group first: each message joins the first group
    whose first message is at least GROUP_SIMILARITY alike (rows of one language)."""
    found: list[tuple[np.ndarray | None, Group]] = []
    for row in rows:
        vector = _from_bytes(row.embedding) if row.embedding else None
        for leader, group in found:
            if vector is not None and leader is not None and (
                    float(leader @ vector) >= GROUP_SIMILARITY):
                group.messages.append(row)
                break
        else:
            found.append((vector, Group([row])))
    return sorted((group for _, group in found), key=lambda group: -group.count)
