"""The assigner: gives waiting handoffs to agents, and takes them back from agents who went quiet.

Each tick (every second, or at once when woken by a new handoff or an agent coming online):
1. online agents not seen for `presence_timeout_seconds` go offline; their chats are requeued;
2. assigned chats without an answer after `assign_timeout_seconds` are requeued;
3. the routing policy (routing_policy.plan_assignments) pairs waiting handoffs with agents, and
   each pair is claimed like a manual claim, so it cannot collide with agents claiming meanwhile;
4. waiting customers whose place in the queue improved are told so (at most once a minute).
Every replica may run it: claims and requeues are conditional UPDATEs. What it does goes out as
events (handoff/events.py); the listeners tell the agents and the customers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from handoff import queue, routing_policy
from handoff.background import pause
from handoff.events import Dispatcher, Event, Kind, about
from handoff.models import Agent, Handoff
from handoff.notices import CustomerNotices, Notice, notice_for
from handoff.settings import Settings
from handoff.states import WAITING, Status

logger = logging.getLogger(__name__)


class Assigner:
    def __init__(self, sessions: sessionmaker, settings: Settings, events: Dispatcher,
                 notices: CustomerNotices) -> None:
        self._sessions = sessions
        self._settings = settings
        self._events = events
        self._notices = notices
        self.wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        # Places are recomputed over the whole queue, so not on every tick.
        self._positions_every = min(10.0, settings.position_notice_seconds / 2)
        self._positions_due = 0.0

    def wake_up(self) -> None:
        """Look for work now instead of at the next tick (something changed). Thread-safe."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.wake.set)

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        while not stop.is_set():
            self.wake.clear()  # before the tick: a wake-up during it means another tick
            try:
                await self.tick()
            except Exception:  # a failed tick must not stop routing for good
                logger.exception("assigner tick failed")
            await pause(stop, self._settings.assigner_interval, self.wake)

    async def tick(self) -> None:
        for notice in await asyncio.to_thread(self._tick, time.time()):
            await self._notices.tell(notice)

    def _tick(self, now: float) -> list[Notice]:
        """One pass; returns the position notices (assignments and requeues are events)."""
        with self._sessions() as session:
            self._expire_presence(session, now)
            self._requeue_unanswered(session, now)
            self._assign(session)
            if now >= self._positions_due:
                self._positions_due = now + self._positions_every
                return self._position_updates(session, now)
        return []

    async def release(self, agent_id: int, detail: str) -> None:
        """Requeue every chat the agent has (they went offline); their customers are told."""
        def release() -> None:
            with self._sessions() as session:
                self._release_in(session, agent_id, detail)

        await asyncio.to_thread(release)

    def _release_in(self, session: Session, agent_id: int, detail: str) -> None:
        assigned = session.scalars(select(Handoff).where(
            Handoff.agent_id == agent_id, Handoff.status == Status.ASSIGNED)).all()
        for handoff in assigned:
            self._requeue(session, handoff, detail)

    def _requeue(self, session: Session, handoff: Handoff, detail: str) -> None:
        agent_id = handoff.agent_id
        try:
            queue.requeue(session, handoff, "router", detail)
        except queue.HandoffConflict:
            return
        self._events.emit(about(Kind.HANDOFF_REQUEUED, handoff, previous_agent_id=agent_id,
                                detail=detail))

    def _presence(self, agent_id: int, presence: str) -> None:
        self._events.emit(Event(Kind.AGENT_PRESENCE, agent_id=agent_id,
                                data={"presence": presence}))

    def _expire_presence(self, session: Session, now: float) -> None:
        cutoff = now - self._settings.presence_timeout_seconds
        stale = session.scalars(select(Agent.id).where(
            Agent.presence == "online", Agent.last_seen_at < cutoff)).all()
        if not stale:
            return
        session.execute(update(Agent).where(Agent.id.in_(stale), Agent.last_seen_at < cutoff)
                        .values(presence="offline"))
        session.commit()
        for agent_id in stale:
            self._presence(agent_id, "offline")
            self._release_in(session, agent_id, "agent not seen")

    def _requeue_unanswered(self, session: Session, now: float) -> None:
        """Requeue chats nobody answered, and set their agents away so the chats move on to
        someone else instead of bouncing back to the same absent person."""
        cutoff = now - self._settings.assign_timeout_seconds
        unanswered = session.scalars(select(Handoff).where(
            Handoff.status == Status.ASSIGNED, Handoff.first_response_at.is_(None),
            Handoff.assigned_at < cutoff)).all()
        absent = {handoff.agent_id for handoff in unanswered}
        if absent:
            session.execute(update(Agent).where(Agent.id.in_(absent), Agent.presence == "online")
                            .values(presence="away"))
            session.commit()
            for agent_id in absent:
                self._presence(agent_id, "away")
        for handoff in unanswered:
            self._requeue(session, handoff, "no answer in time")

    def _assign(self, session: Session) -> None:
        agents = [a for a in queue.agent_loads(session) if a.online and a.spare > 0]
        if not agents:
            return
        for handoff_id, agent_id in routing_policy.plan_assignments(
                queue.waiting_handoffs(session), agents):
            try:
                handoff = queue.claim(session, handoff_id, agent_id, actor="router")
            except queue.HandoffConflict:
                continue  # an agent claimed it, or the agent filled up, meanwhile
            self._events.emit(about(Kind.HANDOFF_ASSIGNED, handoff))

    def _position_updates(self, session: Session, now: float) -> list[Notice]:
        """Tell waiting customers their better place, at most every `position_notice_seconds`."""
        due_before = now - self._settings.position_notice_seconds
        waiting = session.scalars(select(Handoff).where(
            Handoff.status.in_([str(s) for s in WAITING]))).all()
        groups: dict[tuple[int, str], list[Handoff]] = defaultdict(list)
        for handoff in waiting:
            groups[(handoff.team_id, handoff.language)].append(handoff)
        notices = []
        for members in groups.values():
            members.sort(key=lambda h: routing_policy.queue_order(queue.waiting_view(h)))
            for position, handoff in enumerate(members, start=1):
                told = handoff.notified_position
                if told is None or position >= told or (handoff.notified_at or 0) > due_before:
                    continue
                handoff.notified_position, handoff.notified_at = position, now
                notices.append(notice_for(session, handoff))
        session.commit()
        return notices
