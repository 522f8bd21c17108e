"""No double assignment, ever: 50 concurrent claims on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import sessionmaker

from handoff import queue
from handoff.contract import HandoffContext
from handoff.db import make_engine
from handoff.migrate import upgrade
from handoff.models import Agent, AuditEvent, Handoff
from handoff.settings import Settings
from tests.handoff.support import context

WORKERS = 50


@pytest.fixture
def sessions(settings: Settings) -> sessionmaker:
    upgrade(settings.database_url)
    if settings.database_url.startswith("sqlite"):
        engine = make_engine(settings.database_url)
    else:  # a connection per worker, so all 50 really run at once
        engine = create_engine(settings.database_url, pool_size=WORKERS, max_overflow=0)
    return sessionmaker(engine, expire_on_commit=False)


def _agents(sessions: sessionmaker, count: int, capacity: int) -> list[int]:
    with sessions() as session:
        team = queue.team_named(session, "support")
        agents = [Agent(email=f"a{i}@example.com", name=f"a{i}", password_hash="x",
                        languages=["fa"], capacity=capacity, teams=[team]) for i in range(count)]
        session.add_all(agents)
        session.commit()
        return [agent.id for agent in agents]


def _handoffs(sessions: sessionmaker, count: int) -> list[int]:
    with sessions() as session:
        return [queue.create_handoff(
            session, HandoffContext.model_validate(context(f"conv-{i}")), "support")[0].id
            for i in range(count)]


def _race(calls: list[Callable[[], object]]) -> list[object]:
    """Start all calls at the same moment, each in its own thread."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        barrier.wait()
        try:
            return call()
        except queue.HandoffConflict as error:
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _assignments(sessions: sessionmaker) -> Counter[int]:
    with sessions() as session:
        return Counter(session.scalars(
            select(AuditEvent.handoff_id).where(AuditEvent.to_status == "assigned")))


def test_fifty_agents_claim_one_handoff(sessions: sessionmaker) -> None:
    agent_ids = _agents(sessions, WORKERS, capacity=3)
    [handoff_id] = _handoffs(sessions, 1)

    def claim(agent_id: int) -> Callable[[], object]:
        def call() -> object:
            with sessions() as session:
                return queue.claim(session, handoff_id, agent_id).agent_id
        return call

    results = _race([claim(agent_id) for agent_id in agent_ids])
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    assert _assignments(sessions) == {handoff_id: 1}
    with sessions() as session:
        assert session.get(Handoff, handoff_id).agent_id == winners[0]


def test_fifty_agents_take_next_from_a_shared_queue(sessions: sessionmaker) -> None:
    agent_ids = _agents(sessions, WORKERS, capacity=1)
    handoff_ids = _handoffs(sessions, 30)

    def take(agent_id: int) -> Callable[[], object]:
        def call() -> object:
            with sessions() as session:
                handoff = queue.claim_next(session, agent_id)
                return handoff.id if handoff else None
        return call

    results = _race([take(agent_id) for agent_id in agent_ids])
    taken = [r for r in results if isinstance(r, int)]
    assert len(taken) == len(set(taken)), "a handoff was handed out twice"
    assert set(_assignments(sessions).values()) <= {1}
    with sessions() as session:
        per_agent = dict(session.execute(
            select(Handoff.agent_id, func.count()).where(Handoff.status == "assigned")
            .group_by(Handoff.agent_id)).all())
        assigned = session.scalar(select(func.count()).select_from(Handoff)
                                  .where(Handoff.status == "assigned"))
    assert max(per_agent.values()) == 1, "an agent went over capacity"
    assert assigned == len(taken)
    if sessions.kw["bind"].dialect.name == "postgresql":
        # SKIP LOCKED: no claimer waits for or loses to a row another one holds
        assert sorted(taken) == sorted(handoff_ids)


def test_one_agent_claiming_fifty_at_once_stays_within_capacity(sessions: sessionmaker) -> None:
    [agent_id] = _agents(sessions, 1, capacity=3)
    handoff_ids = _handoffs(sessions, WORKERS)

    def claim(handoff_id: int) -> Callable[[], object]:
        def call() -> object:
            with sessions() as session:
                return queue.claim(session, handoff_id, agent_id).id
        return call

    results = _race([claim(handoff_id) for handoff_id in handoff_ids])
    assert len([r for r in results if isinstance(r, int)]) == 3
