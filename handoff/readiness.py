"""Whether the service can do its work now, part by part: its database, how far behind Rasa's
event stream the consumer is (customers' messages wait that long), how many agent messages are
waiting for delivery, whether Rasa answers, and which background workers are down (they restart
by themselves: handoff/supervisor.py)."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select, text

from handoff.models import Message
from handoff.schemas import Check, Readiness
from handoff.services import Services

# The consumer polls every HANDOFF_POLL_INTERVAL (or waits for PostgreSQL's notifications for
# up to HANDOFF_NOTIFIED_POLL_INTERVAL); silent for longer than this, it is stuck.
CONSUMER_SILENT_SECONDS = 10.0
# An agent message still undelivered after this long means the customer's channel is down.
OUTBOX_OLDEST_SECONDS = 60.0
_MAX_EVENT = text("SELECT MAX(id) FROM events")


def _database(services: Services) -> Check:
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver's failure is a "not ready"
        return Check(ok=False, detail=str(error).splitlines()[0][:200])
    return Check(ok=True)


def _consumer(services: Services) -> Check:
    if not services.lease.held:  # handoff/lease.py: another replica reads them now
        return Check(ok=True, detail="another replica reads Rasa's events")
    consumer = services.consumer
    silent = None if consumer.polled_at is None else time.monotonic() - consumer.polled_at
    try:
        with services.events_engine.connect() as connection:
            newest = connection.execute(_MAX_EVENT).scalar() or 0
    except Exception as error:
        return Check(ok=False, detail=f"Rasa's event table: {str(error).splitlines()[0][:200]}")
    lag = max(0, newest - (consumer.position or 0))
    ok = silent is not None and silent < CONSUMER_SILENT_SECONDS
    return Check(ok=ok, lag_events=lag, seconds_since_poll=silent,
                 detail=None if ok else "the event consumer has not polled lately")


def _outbox(services: Services) -> Check:
    with services.sessions() as session:
        waiting, oldest = session.execute(
            select(func.count(Message.id), func.min(Message.created_at))
            .where(Message.sender == "agent", Message.delivered_at.is_(None),
                   Message.undeliverable_reason.is_(None))).one()
    age = time.time() - oldest if oldest is not None else 0.0
    ok = age < OUTBOX_OLDEST_SECONDS
    return Check(ok=ok, waiting=waiting, oldest_seconds=round(age, 1),
                 detail=None if ok else "agent messages are not being delivered")


def _workers(services: Services) -> Check:
    down = services.workers.down
    if not down:
        return Check(ok=True)
    return Check(ok=False, detail="restarting: " + ", ".join(
        f"{worker} ({error})" for worker, error in sorted(down.items())))


async def readiness(services: Services) -> Readiness:
    database = await asyncio.to_thread(_database, services)
    consumer = await asyncio.to_thread(_consumer, services)
    outbox = await asyncio.to_thread(_outbox, services) if database.ok else Check(
        ok=False, detail="no database")
    rasa = Check(ok=await services.rasa.reachable())
    checks = {"database": database, "event_consumer": consumer, "outbox": outbox, "rasa": rasa,
              "workers": _workers(services)}
    return Readiness(ready=all(check.ok for check in checks.values()), checks=checks)
