"""What operators scrape at `/metrics` (Prometheus' text format): the queue, the pipes between the
tiers, HTTP, and how long Rasa takes to answer.

Each app has its own registry, so that two apps in one process (the tests) count apart. Counts
and latencies are observed as things happen (named events, requests, Rasa's events as the
consumer reads them); the state of the queue and the backlogs are read from the database when
scraped, so they are right on every replica and after a restart.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import sessionmaker

from handoff.models import Handoff, Message, Team
from handoff.states import WAITING

# Seconds: a customer waits seconds to many minutes for a person; deliveries and turns take
# milliseconds to seconds.
WAITING_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)
FAST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# Conversations whose customer message still waits for the bot's reply, at most: the oldest
# is forgotten first (a turn that never got a reply is not a latency).
PENDING_TURNS = 10_000
_MAX_EVENT = text("SELECT MAX(id) FROM events")


class TurnClock:
    """Rasa's turn latency from its own event timestamps: a customer's message to the bot's
    first reply in the same conversation."""

    def __init__(self, histogram: Histogram) -> None:
        self._histogram = histogram
        self._pending: OrderedDict[str, float] = OrderedDict()

    def hear(self, events: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Rasa's events in the order it wrote them, as (conversation, event)."""
        for sender, event in events:
            kind, timestamp = event.get("event"), event.get("timestamp")
            if not isinstance(timestamp, int | float):
                continue
            if kind == "user":
                self._pending[sender] = float(timestamp)
                self._pending.move_to_end(sender)
                while len(self._pending) > PENDING_TURNS:
                    self._pending.popitem(last=False)
            elif kind == "bot" and (asked := self._pending.pop(sender, None)) is not None:
                self._histogram.observe(max(0.0, timestamp - asked))


class StateCollector(Collector):
    """The queue per team, the agents' undelivered messages and the event consumer's lag, read
    when scraped."""

    def __init__(self, sessions: sessionmaker, events_engine: Engine, consumer: Any) -> None:
        self._sessions = sessions
        self._events = events_engine
        self._consumer = consumer  # handoff.event_consumer.EventConsumer (its position)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = time.time()
        queue = GaugeMetricFamily("handoff_queue_length", "Handoffs waiting for an agent.",
                                  labels=["team"])
        oldest = GaugeMetricFamily("handoff_queue_oldest_seconds",
                                   "How long the longest-waiting handoff has waited.",
                                   labels=["team"])
        with self._sessions() as session:
            rows = session.execute(
                select(Team.name, func.count(Handoff.id), func.min(Handoff.created_at))
                .join(Handoff, (Handoff.team_id == Team.id)
                      & Handoff.status.in_([str(s) for s in WAITING]), isouter=True)
                .group_by(Team.name)).all()
            backlog, first = session.execute(
                select(func.count(Message.id), func.min(Message.created_at))
                .where(Message.sender == "agent", Message.delivered_at.is_(None),
                       Message.undeliverable_reason.is_(None))).one()
        for team, waiting, since in rows:
            queue.add_metric([team], waiting)
            oldest.add_metric([team], now - since if since is not None else 0.0)
        yield queue
        yield oldest
        yield GaugeMetricFamily("handoff_outbox_backlog",
                                "Agents' messages not yet delivered to the customer.",
                                value=backlog)
        yield GaugeMetricFamily("handoff_outbox_oldest_seconds",
                                "Age of the oldest undelivered agent message.",
                                value=now - first if first is not None else 0.0)
        lag = GaugeMetricFamily("handoff_event_consumer_lag_events",
                                "Rasa's events written but not yet read by the service.")
        try:
            with self._events.connect() as connection:
                newest = connection.execute(_MAX_EVENT).scalar() or 0
        except Exception:  # Rasa has not made its table yet, or its database is down
            newest = None
        if newest is not None:
            lag.add_metric([], max(0, newest - (self._consumer.position or 0)))
        yield lag


class JournalCollector(Collector):
    """Whether this replica is RabbitMQ's consumer of Rasa's events, and what it wrote."""

    def __init__(self, journal: Any) -> None:
        self._journal = journal  # handoff.rabbitmq_journal.RabbitMQJournal

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        yield GaugeMetricFamily(
            "handoff_rabbitmq_consumer_active",
            "1 while this replica holds the queue of Rasa's events (one replica at a time).",
            value=int(self._journal.holding))
        yield CounterMetricFamily("handoff_rabbitmq_events_written",
                                  "Rasa's events this replica wrote to the event table.",
                                  value=self._journal.stored)


class WorkersCollector(Collector):
    """How often each background worker failed and was restarted, and which are down now."""

    def __init__(self, supervisor: Any) -> None:
        self._supervisor = supervisor  # handoff.supervisor.Supervisor

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        restarts = CounterMetricFamily("handoff_worker_restarts",
                                       "Background workers restarted after failing.",
                                       labels=["worker"])
        for worker, count in sorted(self._supervisor.restarts.items()):
            restarts.add_metric([worker], count)
        yield restarts
        down = GaugeMetricFamily("handoff_worker_down",
                                 "1 while a failed background worker waits to restart.",
                                 labels=["worker"])
        for worker in sorted(self._supervisor.down):
            down.add_metric([worker], 1)
        yield down


class _Gauge(Collector):
    """One value, read when scraped."""

    def __init__(self, name: str, documentation: str, read: Any) -> None:
        self._name, self._documentation, self._read = name, documentation, read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(self._name, self._documentation, value=self._read())


class Metrics:
    """The instruments the service observes, in one registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.waiting = Histogram(
            "handoff_waiting_seconds", "From a handoff's request to its assignment to an agent.",
            ["team"], buckets=WAITING_BUCKETS, registry=self.registry)
        self.handoffs = Counter(
            "handoff_handoffs", "Handoffs filed, by why the bot handed off and the channel.",
            ["reason", "channel"], registry=self.registry)
        self.resolved = Counter("handoff_resolved", "Handoffs resolved by an agent.",
                                registry=self.registry)
        self.delivery = Histogram(
            "handoff_delivery_seconds",
            "From an agent's message to its delivery on the customer's channel.",
            buckets=FAST_BUCKETS, registry=self.registry)
        self.requests = Counter(
            "handoff_http_requests", "HTTP requests answered, by route and status.",
            ["method", "route", "status"], registry=self.registry)
        self.request_seconds = Histogram(
            "handoff_http_request_seconds", "HTTP request duration, by route.",
            ["method", "route"], buckets=FAST_BUCKETS, registry=self.registry)
        self.rasa_turn = Histogram(
            "rasa_turn_seconds",
            "From a customer's message to the bot's first reply, by Rasa's event timestamps.",
            buckets=FAST_BUCKETS, registry=self.registry)
        self.turns = TurnClock(self.rasa_turn)

    def watch_state(self, sessions: sessionmaker, events_engine: Engine, consumer: Any) -> None:
        self.registry.register(StateCollector(sessions, events_engine, consumer))

    def watch_lease(self, lease: Any) -> None:
        """handoff.lease.Lease: whether this replica runs the readers and the retry loops."""
        self.registry.register(_Gauge("handoff_workers_lease_held",
                                      "1 while this replica holds the workers' lease.",
                                      lambda: int(lease.held)))

    def watch_journal(self, journal: Any) -> None:
        self.registry.register(JournalCollector(journal))

    def watch_workers(self, supervisor: Any) -> None:
        self.registry.register(WorkersCollector(supervisor))
