"""Hears the customer during a handoff by tailing Rasa's SQL event broker table by id.

The offset and the messages it produces are committed in one transaction, so a restart resumes
exactly where consumption stopped: nothing is lost and nothing is recorded twice. Each event is
handled in a savepoint of its own: one whose handling fails is kept as a dead letter with its
error and skipped (handoff/dead_letters.py), and nothing behind it waits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from queue import Empty, SimpleQueue
from typing import Any

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from common.protocol import META_ATTACHMENTS, META_SHOWN, META_VERIFIED_PHONE, TELEGRAM
from common.text import is_payload
from handoff import attachments, contacts, dead_letters, moves
from handoff.background import pause
from handoff.event_wakeup import EventWakeup
from handoff.events import Event, Kind
from handoff.metrics import TurnClock
from handoff.models import ChannelMove, ConsumerOffset, Handoff, Message
from handoff.schemas import MessageOut
from handoff.sqlite_wakeup import SqliteWakeup
from handoff.states import OPEN

logger = logging.getLogger(__name__)

# How long the offset may go unsaved while the events read hold no customer message.
OFFSET_SAVE_SECONDS = 5.0
_READ = text("SELECT id, sender_id, data FROM events WHERE id > :after ORDER BY id LIMIT :limit")
# One conversation's events up to where the consumer has read (a handoff filed late).
_READ_SENDER = text("SELECT id, sender_id, data FROM events WHERE sender_id = :sender "
                    "AND id <= :upto ORDER BY id")
# Rasa's table has no index on sender_id; catching up reads by it.
_SENDER_INDEX = text("CREATE INDEX IF NOT EXISTS ix_events_sender_id ON events (sender_id)")


class MalformedEvent(ValueError):
    """An event without the shape Rasa writes (a field read here of another type)."""


def _parsed(rows: list[Any]) -> tuple[list[tuple[int, str, dict[str, Any]]],
                                      list[tuple[Any, Exception]]]:
    """The rows' events, and the rows that hold none, with why."""
    events, unreadable = [], []
    for row in rows:
        try:
            event = json.loads(row.data)
        except (TypeError, ValueError) as error:
            unreadable.append((row, error))
            continue
        if isinstance(event, dict):
            events.append((row.id, row.sender_id, event))
        else:
            unreadable.append((row, MalformedEvent(f"a JSON {type(event).__name__}, not an "
                                                   "object")))
    return events, unreadable


def _customer_messages(events: list[tuple[int, str, dict[str, Any]]],
                       ) -> list[tuple[int, str, dict[str, Any]]]:
    return [(event_id, sender, event) for event_id, sender, event in events
            if event.get("event") == "user" and event.get("text")]


def _timestamp(event: dict[str, Any]) -> float:
    timestamp = event.get("timestamp") or 0
    if isinstance(timestamp, bool) or not isinstance(timestamp, int | float) or not (
            math.isfinite(timestamp)):
        raise MalformedEvent("timestamp is not a number")
    return float(timestamp)


def _check(event: dict[str, Any]) -> None:
    """The fields a customer message is recorded from have the types Rasa writes."""
    if not isinstance(event["text"], str):
        raise MalformedEvent("text is not a string")
    for key in ("parse_data", "metadata"):
        if not isinstance(event.get(key) or {}, dict):
            raise MalformedEvent(f"{key} is not an object")


def _intent(event: dict[str, Any]) -> str | None:
    """The intent Rasa's NLU gave the message, if it names one."""
    intent = (event.get("parse_data") or {}).get("intent")
    name = intent.get("name") if isinstance(intent, dict) else None
    return name if isinstance(name, str) else None


def _recorded_already(session: Session, event_id: int) -> bool:
    return session.scalar(select(Message.id).where(Message.source_event_id == event_id)) \
        is not None


def _open_handoffs(session: Session, conversation_ids: set[str]) -> dict[str, Handoff]:
    handoffs = session.scalars(
        select(Handoff).where(
            Handoff.conversation_id.in_(conversation_ids),
            Handoff.status.in_([str(s) for s in OPEN]),
        )
    )
    return {handoff.conversation_id: handoff for handoff in handoffs}


def shown_text(event: dict[str, Any]) -> str:
    """What the agent reads: for a button or a photo, what the customer saw or sent."""
    text = event["text"]
    shown = (event.get("metadata") or {}).get(META_SHOWN)
    return str(shown) if is_payload(text) and shown else text


def learn_from(session: Session, handoff: Handoff, message: Message, event: dict[str, Any],
               photo_limits: attachments.Limits = attachments.DEFAULT_LIMITS) -> None:
    """A photo sent during the handoff is kept for the agent (only one the event's own channel
    set, of the handoff's channel); a phone number shared with Telegram's contact button (which
    the connector accepted only as the sender's own) becomes a verified identity of the
    contact."""
    metadata = event.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    if isinstance(found := metadata.get(META_ATTACHMENTS), list):
        attachments.record(session, handoff, found, photo_limits, message.id,
                           input_channel=str(event.get("input_channel") or ""))
    phone = metadata.get(META_VERIFIED_PHONE)
    if event.get("input_channel") == TELEGRAM and phone and (
            value := contacts.normalize_phone(str(phone))):
        contacts.link(session, handoff.conversation_id, handoff.channel, [("phone", value)])


@dataclass(frozen=True)
class Recorded:
    """A customer message now stored for its handoff, with the intent Rasa's NLU gave it."""

    handoff_id: int
    message_id: int
    intent: str | None
    team_id: int
    agent_id: int | None
    message: dict[str, Any]  # as the API shows it (schemas.MessageOut)

    def event(self) -> Event:
        return Event(Kind.MESSAGE_CREATED, self.handoff_id, self.team_id, self.agent_id,
                     {"message_id": self.message_id, "sender": "customer",
                      "intent": self.intent, "message": self.message})


def _record(session: Session, handoff: Handoff, event_id: int, event: dict[str, Any],
            timestamp: float, photo_limits: attachments.Limits) -> Recorded:
    """Store the customer's message for the handoff, with what it brings (learn_from)."""
    _check(event)
    message = Message(handoff_id=handoff.id, sender="customer", text=shown_text(event),
                      source_event_id=event_id, created_at=timestamp)
    session.add(message)
    session.flush()
    learn_from(session, handoff, message, event, photo_limits)
    session.flush()  # what learn_from added fails here, in the event's own savepoint
    return Recorded(handoff.id, message.id, _intent(event), handoff.team_id, handoff.agent_id,
                    MessageOut.model_validate(message).model_dump(mode="json"))


def _hear(session: Session, handoff: Handoff | None, move: ChannelMove | None, event_id: int,
          event: dict[str, Any], photo_limits: attachments.Limits,
          ) -> Recorded | moves.Answered | None:
    """A customer message, as the answer to an offer to continue here, or for the open handoff
    of its conversation; None when it is neither."""
    timestamp = _timestamp(event)
    if move is not None and timestamp >= move.offered_at:
        _check(event)
        return moves.answer(session, move, shown_text(event), _intent(event), timestamp)
    if handoff is None or timestamp < handoff.created_at:
        return None
    return _record(session, handoff, event_id, event, timestamp, photo_limits)


@dataclass
class Batch:
    read: int = 0
    recorded: list[Recorded] = field(default_factory=list)
    moved: list[moves.Answered] = field(default_factory=list)  # offers to continue, answered


OnRecorded = Callable[[Batch], Awaitable[None]]


class EventConsumer:
    """Reads events after the stored offset and records customer messages of open handoffs."""

    def __init__(
        self, events_engine: Engine, sessions: sessionmaker, name: str = "rasa-events",
        batch_size: int = 500, wakeup: EventWakeup | SqliteWakeup | None = None,
        turns: TurnClock | None = None,
        photo_limits: attachments.Limits = attachments.DEFAULT_LIMITS,
    ) -> None:
        self._events = events_engine
        self._wakeup = wakeup
        self._sessions = sessions
        self._name = name
        self._batch_size = batch_size
        self._offset: int | None = None  # the last event consumed, once read from the database
        self._offset_due = 0.0  # when the offset is next saved even with nothing to store
        self.polled_at: float | None = None  # time.monotonic() of the last poll that worked
        self._late: SimpleQueue[int] = SimpleQueue()  # handoffs to catch up on
        self._retried: int | None = None  # the event whose failure was last taken as passing
        self._turns = turns  # Rasa's turn latency, from the events as they are read
        self._photo_limits = photo_limits  # how many photos a message and a handoff may keep
        self.running = False  # whether run() reads events on this replica now

    def catch_up(self, handoff_id: int) -> list[Recorded]:
        """A handoff was filed late (the service was down when the customer asked): the
        customer's messages since their request that the consumer already read past are
        recorded for it. Where this consumer runs, at its next poll, before any newer one
        (returns nothing now); on a replica where it does not (handoff/lease.py), at once, up to
        the offset the running one saved, and those recorded are returned."""
        if self.running:
            self._late.put(handoff_id)
            return []
        self._offset = None  # the running replica's, as saved
        self._load_offset()
        return self._catch_up(handoff_id)

    @property
    def position(self) -> int | None:
        """The id of the last event consumed (None before the first poll)."""
        return self._offset

    def poll_once(self) -> Batch:
        """Consume one batch; `read` is 0 once caught up. Caught up, or reading events with no
        customer message in them, a poll is one query on Rasa's table: the offset is read from
        the database once and then kept here (it is still committed with the messages it
        produces, so a restart resumes exactly where it was)."""
        self._load_offset()
        with self._events.connect() as connection:
            rows = connection.execute(
                _READ, {"after": self._offset, "limit": self._batch_size}).all()
        self.polled_at = time.monotonic()
        if not rows:
            return Batch()
        events, unreadable = _parsed(rows)
        messages = _customer_messages(events)
        if not messages and not unreadable and time.monotonic() < self._offset_due:
            # Only the bot's and the agents' own events: nothing to store, so the offset waits
            # for the next messages or OFFSET_SAVE_SECONDS. A restart meanwhile reads these
            # events again, and they again store nothing.
            self._offset = rows[-1].id
            self._time_turns(events)
            return Batch(len(rows))
        batch = Batch(len(rows))
        with self._sessions() as session:
            # Written first: on SQLite this write opens the transaction that the events'
            # savepoints nest in (pysqlite begins one only before a write).
            session.merge(ConsumerOffset(name=self._name, last_event_id=rows[-1].id))
            session.flush()
            for row, error in unreadable:
                dead_letters.keep(session, self._name, row.id, row.sender_id, row.data, error)
            # a sender id no table could hold has no handoff (and breaks PostgreSQL's query)
            senders = {sender for _, sender, _ in messages
                       if dead_letters.storable_as_is(sender)}
            handoffs = _open_handoffs(session, senders) if messages else {}
            offers = moves.pending(session, senders - set(handoffs)) if messages else {}
            for event_id, sender, event in messages:
                try:
                    with session.begin_nested():
                        heard = _hear(session, handoffs.get(sender), offers.get(sender),
                                      event_id, event, self._photo_limits)
                except Exception as error:  # whatever the event makes fail: see _set_aside
                    self._set_aside(session, event_id, sender, event, error, retry=True)
                    continue
                if isinstance(heard, Recorded):
                    batch.recorded.append(heard)
                elif isinstance(heard, moves.Answered):
                    batch.moved.append(heard)
                    del offers[sender]
                    if heard.accepted:  # what follows is the handoff's now
                        handoffs[sender] = session.get(Handoff, heard.handoff_id)
            session.commit()
        self._offset = rows[-1].id
        self._offset_due = time.monotonic() + OFFSET_SAVE_SECONDS
        self._time_turns(events)
        return batch

    def _time_turns(self, events: list[tuple[int, str, dict[str, Any]]]) -> None:
        """Rasa's turns in events now consumed: once each, even when a batch is read again, and
        never counted before the consumer's position (its lag on /metrics) includes them."""
        if self._turns is not None:
            self._turns.hear((sender, event) for _, sender, event in events)

    def _set_aside(self, session: Session, event_id: int, sender: str, event: dict[str, Any],
                   error: Exception, retry: bool) -> None:
        """An event whose handling failed is kept as a dead letter and skipped. The database's
        own failures (a lost connection, a lock timeout) are not the event's: they go up, and the
        batch is read again from the saved offset until the database works again (readiness
        says the consumer is stuck meanwhile). Another replica having recorded the event first
        may pass too: with `retry` (a poll) the batch is read again once, and the same event
        failing again is a dead letter, so no batch is read for ever; without (a late handoff's
        catch-up) an event recorded already is skipped."""
        if isinstance(error, OperationalError) or (
                isinstance(error, DBAPIError) and error.connection_invalidated):
            raise error
        recorded = isinstance(error, IntegrityError) and _recorded_already(session, event_id)
        if recorded and not retry:
            return
        if recorded and event_id != self._retried:
            self._retried = event_id
            raise error
        dead_letters.keep(session, self._name, event_id, sender, json.dumps(event), error)

    def _load_offset(self) -> None:
        if self._offset is None:
            with self._sessions() as session:
                saved = session.get(ConsumerOffset, self._name)
                self._offset = saved.last_event_id if saved else 0

    def caught_up(self) -> list[Recorded]:
        """Record the customer messages of late handoffs that were read past before they were
        filed (newer ones the next reads record as usual). Idempotent by event id."""
        self._load_offset()
        recorded: list[Recorded] = []
        while True:
            try:
                handoff_id = self._late.get_nowait()
            except Empty:
                return recorded
            recorded += self._catch_up(handoff_id)

    def _catch_up(self, handoff_id: int) -> list[Recorded]:
        with self._sessions() as session:
            handoff = session.get(Handoff, handoff_id)
            if handoff is None or handoff.status not in OPEN:
                return []
            known = set(session.scalars(select(Message.source_event_id).where(
                Message.handoff_id == handoff.id, Message.source_event_id.is_not(None))))
            with self._events.connect() as connection:
                rows = connection.execute(_READ_SENDER, {"sender": handoff.conversation_id,
                                                         "upto": self._offset}).all()
            events, _ = _parsed(rows)  # those that hold none were set aside when first read
            recorded = []
            for event_id, sender, event in _customer_messages(events):
                if event_id in known:
                    continue
                try:
                    with session.begin_nested():
                        timestamp = _timestamp(event)
                        heard = (_record(session, handoff, event_id, event, timestamp,
                                         self._photo_limits)
                                 if timestamp >= handoff.created_at else None)
                except Exception as error:  # whatever the event makes fail: see _set_aside
                    self._set_aside(session, event_id, sender, event, error, retry=False)
                    continue
                if heard is not None:
                    recorded.append(heard)
            session.commit()
            return recorded

    def _poll(self, look_for_table: bool) -> Batch | None:
        """None while Rasa has not created its table. Looking for the table, instead of querying
        it and failing, keeps the database's log free of an error every poll interval."""
        if look_for_table:
            if not inspect(self._events).has_table("events"):
                return None
            self._index_senders()
            if self._wakeup is not None:
                self._wakeup.install()
        late = self.caught_up()
        batch = self.poll_once()
        batch.recorded[:0] = late
        return batch

    def _index_senders(self) -> None:
        try:
            with self._events.begin() as connection:
                connection.execute(_SENDER_INDEX)
        except (OperationalError, ProgrammingError) as error:  # no right to; reads still work
            logger.warning("could not index Rasa's events by sender: %s", error.orig)

    async def _wait(self, stop: asyncio.Event, interval: float, notified_interval: float) -> None:
        """Until the next poll: the interval, or until Rasa's table notifies (PostgreSQL) or its
        file changes (SQLite)."""
        if self._wakeup is None:
            await pause(stop, interval)
            return
        await pause(stop, notified_interval if self._wakeup.active else interval,
                    self._wakeup.event)
        self._wakeup.event.clear()  # before the poll: whatever is written after it wakes again

    async def run(self, interval: float, stop: asyncio.Event, on_recorded: OnRecorded,
                  notified_interval: float | None = None) -> None:
        """Poll until `stop` is set; wait while Rasa has not created its table yet. Where the
        table notifies, polls `notified_interval` apart are only a safety net. The offset is
        read again first: another replica may have consumed meanwhile (handoff/lease.py)."""
        self._offset = None
        self.running = True
        try:
            await self._run(interval, stop, on_recorded, notified_interval)
        finally:
            self.running = False

    async def _run(self, interval: float, stop: asyncio.Event, on_recorded: OnRecorded,
                   notified_interval: float | None) -> None:
        look_for_table, said_so = True, False
        while not stop.is_set():
            try:
                batch = await asyncio.to_thread(self._poll, look_for_table)
                reason = "not created yet"
            except IntegrityError:
                # Another replica recorded these events (the lease changed hands as this one
                # read): read on from the offset it saved.
                logger.warning("events already recorded by another replica; reading on from "
                               "the saved offset")
                self._offset = None
                await pause(stop, interval)
                continue
            except (OperationalError, ProgrammingError) as error:
                batch, reason = None, str(error.orig)
            look_for_table = batch is None
            if batch is None:
                if not said_so:
                    logger.info("waiting for Rasa's event table: %s", reason)
                said_so, batch = True, Batch()
            else:
                said_so = False
            if batch.recorded or batch.moved:
                await on_recorded(batch)
            if batch.read == 0:
                await self._wait(stop, interval, notified_interval or interval)
