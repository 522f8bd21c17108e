"""Queue benchmark on PostgreSQL: 10,000 queued handoffs, 200 agents claiming concurrently.

Every agent's worker calls `claim_next` (SELECT ... FOR UPDATE SKIP LOCKED, then a conditional
UPDATE) until the queue is empty. Prints assignments per second, claim latency p50/p99, and the
number of double assignments (which must be 0). Usage:

    .venv/bin/python -m bench.queue_bench [--handoffs 10000] [--agents 200] [--threads 4]

It creates and drops its own database on the server at HANDOFF_TEST_POSTGRES_URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.orm import sessionmaker

from common.protocol import LANGUAGES, WEB_CHANNEL
from handoff import queue
from handoff.migrate import upgrade
from handoff.models import Agent, AuditEvent, Contact, Conversation, Handoff, agent_teams
from tests.handoff.support import postgres_database


def seed(sessions: sessionmaker, handoffs: int, agents: int) -> list[int]:
    """Bulk rows: seeding is not what is measured."""
    with sessions() as session:
        team = queue.team_named(session, "support")
        session.commit()
        now = time.time()
        session.execute(insert(Contact),
                        [{"id": i + 1, "created_at": now} for i in range(handoffs)])
        session.execute(insert(Conversation), [
            {"id": i + 1, "sender_id": f"c{i}", "channel": WEB_CHANNEL, "contact_id": i + 1,
             "created_at": now} for i in range(handoffs)])
        session.execute(insert(Handoff), [
            {"reference": f"R{i:07d}", "conversation_pk": i + 1, "conversation_id": f"c{i}",
             "channel": WEB_CHANNEL, "language": LANGUAGES[i % 4], "reason": "explicit_request",
             "summary": "", "context": {}, "team_id": team.id, "priority": int(i % 3 == 0),
             "status": "queued", "created_at": now - handoffs + i} for i in range(handoffs)])
        capacity = -(-handoffs // agents) + 1
        session.execute(insert(Agent), [
            {"id": i + 1, "email": f"a{i}@example.com", "name": f"a{i}", "password_hash": "x",
             "languages": list(LANGUAGES), "capacity": capacity, "presence": "online",
             "last_seen_at": now, "created_at": now} for i in range(agents)])
        session.execute(insert(agent_teams), [{"agent_id": i + 1, "team_id": team.id}
                                              for i in range(agents)])
        session.commit()
    return list(range(1, agents + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--handoffs", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    url, drop = postgres_database()
    try:
        upgrade(url)
        engine = create_engine(url, pool_size=args.threads, max_overflow=0)
        sessions = sessionmaker(engine, expire_on_commit=False)
        agent_ids = seed(sessions, args.handoffs, args.agents)
        latencies: list[float] = []
        claimed: list[int] = []
        lock = threading.Lock()
        done = threading.Event()

        def worker(seed_value: int) -> None:
            rng = random.Random(seed_value)
            with sessions() as session:
                while not done.is_set():
                    agent_id = rng.choice(agent_ids)
                    started = time.perf_counter()
                    try:
                        handoff = queue.claim_next(session, agent_id)
                    except queue.HandoffConflict:
                        continue  # the agent is full; another agent takes the next one
                    elapsed = time.perf_counter() - started
                    if handoff is None:
                        if not queue.waiting_handoffs(session):
                            done.set()
                        continue
                    with lock:
                        latencies.append(elapsed)
                        claimed.append(handoff.id)

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            list(pool.map(worker, range(args.threads)))
        wall = time.perf_counter() - began

        with sessions() as session:
            audit = Counter(session.scalars(
                select(AuditEvent.handoff_id).where(AuditEvent.to_status == "assigned")))
            assigned = session.scalar(select(func.count()).select_from(Handoff)
                                      .where(Handoff.status == "assigned"))
        doubles = sum(1 for n in Counter(claimed).values() if n > 1) + sum(
            1 for n in audit.values() if n > 1)
        ordered = sorted(latencies)
        print(f"PostgreSQL queue benchmark: {args.handoffs} handoffs, {args.agents} agents, "
              f"{args.threads} concurrent claimers")
        print(f"assigned {assigned} of {args.handoffs} in {wall:.1f} s: "
              f"{len(claimed) / wall:.0f} assignments/s")
        print(f"claim latency p50 {statistics.median(ordered) * 1000:.2f} ms, "
              f"p99 {ordered[int(0.99 * len(ordered))] * 1000:.2f} ms")
        print(f"double assignments: {doubles}")
        engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
