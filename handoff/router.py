"""The router: assigns waiting handoffs to agents, and takes them back from agents who went quiet.

Each tick (every second, or at once when woken by a new handoff or an agent coming online):
1. online agents not seen for `presence_timeout_seconds` go offline; their chats are requeued;
2. assigned chats without an answer after `assign_timeout_seconds` are requeued;
3. the routing policy (routing.plan_assignments) pairs waiting handoffs with agents, and each pair
   is claimed like a manual claim, so it cannot collide with agents claiming at the same time;
4. waiting customers whose place in the queue improved are told so (at most once a minute).
Every replica may run it: claims and requeues are conditional UPDATEs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from handoff import queue, routing
from handoff.background import pause
from handoff.hub import Hub
from handoff.models import Agent, Handoff
from handoff.notices import CustomerNotices, status_notice, widget_status
from handoff.settings import Settings
from handoff.states import WAITING, Status

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    conversation_id: str
    language: str
    response: str
    values: dict[str, Any]
    status: dict[str, Any] | None = None


def notice_for(session: Session, handoff: Handoff) -> Notice:
    response, values = status_notice(session, handoff)
    return Notice(handoff.conversation_id, handoff.language, response, values,
                  widget_status(session, handoff))


class Router:
    def __init__(self, sessions: sessionmaker, settings: Settings, hub: Hub,
                 notices: CustomerNotices) -> None:
        self._sessions = sessions
        self._settings = settings
        self._hub = hub
        self._notices = notices
        self.wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        # Places are recomputed over the whole queue, so not on every tick.
        self._positions_every = min(10.0, settings.position_notice_seconds / 2)
        self._positions_due = 0.0

    def announce(self, handoff_id: int) -> None:
        """Tell the customer where their request stands now (e.g. who took it). Thread-safe."""
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._announce(handoff_id), self._loop)

    async def _announce(self, handoff_id: int) -> None:
        def load() -> list[Notice]:
            with self._sessions() as session:
                handoff = session.get(Handoff, handoff_id)
                return [notice_for(session, handoff)] if handoff else []

        await self._send(await asyncio.to_thread(load))

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        while not stop.is_set():
            self.wake.clear()  # before the tick: a wake-up during it means another tick
            try:
                await self.tick()
            except Exception:  # a failed tick must not stop routing for good
                logger.exception("router tick failed")
            await pause(stop, self._settings.router_interval, self.wake)

    async def tick(self) -> None:
        await self._send(await asyncio.to_thread(self._tick, time.time()))

    async def _send(self, notices: list[Notice]) -> None:
        for notice in notices:
            await self._notices.send(notice.conversation_id, notice.language, notice.response,
                                     status=notice.status, **notice.values)

    def _tick(self, now: float) -> list[Notice]:
        with self._sessions() as session:
            notices = self._expire_presence(session, now)
            notices += self._requeue_unanswered(session, now)
            notices += self._assign(session)
            if now >= self._positions_due:
                self._positions_due = now + self._positions_every
                notices += self._position_updates(session, now)
        return notices

    async def release(self, agent_id: int, detail: str) -> None:
        """Requeue every chat the agent has (they went offline), and tell those customers."""
        notices = await asyncio.to_thread(self._release, agent_id, detail)
        await self._send(notices)

    def _release(self, agent_id: int, detail: str) -> list[Notice]:
        with self._sessions() as session:
            return self._release_in(session, agent_id, detail)

    def _release_in(self, session: Session, agent_id: int, detail: str) -> list[Notice]:
        assigned = session.scalars(select(Handoff).where(
            Handoff.agent_id == agent_id, Handoff.status == Status.ASSIGNED)).all()
        return [n for h in assigned if (n := self._requeue(session, h, detail))]

    def _requeue(self, session: Session, handoff: Handoff, detail: str) -> Notice | None:
        agent_id = handoff.agent_id
        try:
            queue.requeue(session, handoff, "router", detail)
        except queue.HandoffConflict:
            return None
        self._hub.publish("handoff.requeued", team_id=handoff.team_id, handoff_id=handoff.id,
                          previous_agent_id=agent_id, detail=detail)
        return notice_for(session, handoff)

    def _expire_presence(self, session: Session, now: float) -> list[Notice]:
        cutoff = now - self._settings.presence_timeout_seconds
        stale = session.scalars(select(Agent.id).where(
            Agent.presence == "online", Agent.last_seen_at < cutoff)).all()
        if not stale:
            return []
        session.execute(update(Agent).where(Agent.id.in_(stale), Agent.last_seen_at < cutoff)
                        .values(presence="offline"))
        session.commit()
        notices = []
        for agent_id in stale:
            self._hub.publish("agent.presence", agent_id=agent_id, presence="offline")
            notices += self._release_in(session, agent_id, "agent not seen")
        return notices

    def _requeue_unanswered(self, session: Session, now: float) -> list[Notice]:
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
                self._hub.publish("agent.presence", agent_id=agent_id, presence="away")
        return [n for h in unanswered if (n := self._requeue(session, h, "no answer in time"))]

    def _assign(self, session: Session) -> list[Notice]:
        agents = [a for a in queue.agent_loads(session) if a.online and a.spare > 0]
        if not agents:
            return []
        notices = []
        for handoff_id, agent_id in routing.plan_assignments(queue.waiting_handoffs(session),
                                                             agents):
            try:
                handoff = queue.claim(session, handoff_id, agent_id, actor="router")
            except queue.HandoffConflict:
                continue  # an agent claimed it, or the agent filled up, meanwhile
            self._hub.publish("handoff.assigned", team_id=handoff.team_id, agent_id=agent_id,
                              handoff_id=handoff.id)
            notices.append(notice_for(session, handoff))
        return notices

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
            members.sort(key=lambda h: routing.queue_order(queue.waiting_view(h)))
            for position, handoff in enumerate(members, start=1):
                told = handoff.notified_position
                if told is None or position >= told or (handoff.notified_at or 0) > due_before:
                    continue
                handoff.notified_position, handoff.notified_at = position, now
                notices.append(notice_for(session, handoff))
        session.commit()
        return notices
