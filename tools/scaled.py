"""The scale-out profile on one machine (`make run-scaled`): two replicas of every tier behind
HAProxy, on PostgreSQL, Redis and RabbitMQ.

    customers, agents ─► HAProxy :8000, the public front
      /socket.io/, /webhooks/<channel>/webhook ─► rasa-1 :5105, rasa-2 :5106
      everything else ──────────────────────────► handoff-1 :8100, handoff-2 :8101
    service ──► HAProxy :5005 (Rasa's API, internal) ──► rasa-1, rasa-2
    Rasa ─────► HAProxy :5055 (internal) ──► actions-1 :5155, actions-2 :5156
    tracker: PostgreSQL; locks, socket.io rooms, live feeds: Redis; events: RabbitMQ

The balancer keeps the embedded profile's ports, so clients are configured the same way; the
widget's socket.io and the webhooks are also on the public front, as in deploy/. Where
the servers are comes from SCALED_POSTGRES_URL, SCALED_REDIS_URL and SCALED_RABBITMQ_URL (the
machine's own by default); the databases are named after SCALED_PREFIX and made if missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aio_pika
from sqlalchemy import create_engine, text

from tools.model import ROOT
from tools.stack import APP_PY, RASA_PY, Stack, StackConfig, ready_line, serve

HAPROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"
REPLICAS = (1, 2)
# Each replica's port: the balancer's front port plus these.
OFFSETS = {"rasa": 100, "actions": 100, "handoff": 100}


@dataclass
class ScaledConfig(StackConfig):
    postgres_url: str = field(default_factory=lambda: os.environ.get(
        "SCALED_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"))
    redis_url: str = field(default_factory=lambda: os.environ.get(
        "SCALED_REDIS_URL", "redis://127.0.0.1:6379"))
    rabbitmq_url: str = field(default_factory=lambda: os.environ.get(
        "SCALED_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    prefix: str = field(default_factory=lambda: os.environ.get("SCALED_PREFIX", "handoffdesk"))
    stats_port: int = 8404  # HAProxy's page of the replicas
    # Each replica's port, where not its front's port + 100 + replica - 1 ("rasa": (5105, 5106))
    replica_ports: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def port(self, tier: str, replica: int) -> int:
        if tier in self.replica_ports:
            return self.replica_ports[tier][replica - 1]
        front = {"rasa": self.rasa_port, "actions": self.actions_port,
                 "handoff": self.handoff_port}[tier]
        return front + OFFSETS[tier] + replica - 1

    def databases(self) -> dict[str, str]:
        """Rasa's tracker store, the service's database, and the table of Rasa's events."""
        return {kind: f"{self.prefix}_{kind}" for kind in ("tracker", "handoff", "events")}

    def prepare(self) -> None:
        admin = create_engine(f"{self.postgres_url}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            existing = set(connection.scalars(text("SELECT datname FROM pg_database")))
            for name in self.databases().values():
                if name not in existing:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()

    def discard(self) -> None:
        """Drop the profile's databases, queue and exchange (a test's or a benchmark's run)."""
        admin = create_engine(f"{self.postgres_url}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in self.databases().values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        environment = self.environment()

        async def delete() -> None:
            connection = await aio_pika.connect(self.rabbitmq_url)
            async with connection:
                channel = await connection.channel()
                await channel.queue_delete(environment["HANDOFF_RABBITMQ_QUEUE"])
                await channel.exchange_delete(environment["HANDOFF_RABBITMQ_EXCHANGE"])

        asyncio.run(delete())

    def environment(self) -> dict[str, str]:
        postgres, redis, rabbitmq = (urlsplit(url) for url in (
            self.postgres_url, self.redis_url, self.rabbitmq_url))
        names = self.databases()
        balancer = {"BALANCER_HOST": "127.0.0.1", "INTERNAL_HOST": "127.0.0.1",
                    "STATS_HOST": "127.0.0.1", "RASA_PORT": str(self.rasa_port),
                    "ACTIONS_PORT": str(self.actions_port),
                    "HANDOFF_PORT": str(self.handoff_port), "STATS_PORT": str(self.stats_port)}
        for tier in OFFSETS:
            for replica in REPLICAS:
                balancer[f"{tier.upper()}_{replica}"] = f"127.0.0.1:{self.port(tier, replica)}"
        return super().environment() | balancer | {
            "RASA_ENDPOINTS": "endpoints.scaled.yml",
            "RASA_PG_HOST": f"{postgres.hostname}:{postgres.port or 5432}",
            "RASA_PG_USER": postgres.username or "postgres",
            "RASA_PG_PASSWORD": postgres.password or "",
            "RASA_TRACKER_DB": names["tracker"],
            "RASA_REDIS_HOST": redis.hostname or "127.0.0.1",
            "RASA_REDIS_PORT": str(redis.port or 6379),
            "RASA_REDIS_LOCK_DB": "1",
            "RASA_REDIS_LOCK_PREFIX": self.prefix.replace("_", "").replace("-", ""),
            "RASA_SOCKETIO_REDIS_URL": f"{self.redis_url}/3",
            "RASA_SOCKETIO_REDIS_CHANNEL": f"{self.prefix}-socketio",
            "RASA_RABBITMQ_URL": f"amqp://{rabbitmq.hostname}:{rabbitmq.port or 5672}",
            "RASA_RABBITMQ_USER": rabbitmq.username or "guest",
            "RASA_RABBITMQ_PASSWORD": rabbitmq.password or "guest",
            "HANDOFF_DATABASE_URL": f"{self.postgres_url}/{names['handoff']}",
            "HANDOFF_EVENTS_URL": f"{self.postgres_url}/{names['events']}",
            "RASA_RABBITMQ_EXCHANGE": f"{self.prefix}-rasa",
            "RASA_RABBITMQ_QUEUE": f"{self.prefix}_events",
            "HANDOFF_RABBITMQ_URL": self.rabbitmq_url,
            "HANDOFF_RABBITMQ_EXCHANGE": f"{self.prefix}-rasa",
            "HANDOFF_RABBITMQ_QUEUE": f"{self.prefix}_events",
            "HANDOFF_REDIS_URL": f"{self.redis_url}/0",
            "HANDOFF_REDIS_CHANNEL": f"{self.prefix}:live",
            "HANDOFF_RATE_LIMIT_STORAGE": f"{self.redis_url}/2",
            # HAProxy (option forwardfor) reaches the replicas from here: sign-in limits count
            # the address it forwards
            "HANDOFF_TRUSTED_PROXIES": "127.0.0.1",
            "RASA_REDIS_PASSWORD": redis.password or "",
            # browsers open the widget's socket.io through the public front
            "HANDOFF_WIDGET_SOCKET_URL": self.handoff_url,
        } | self.overrides

    def process_environment(self, name: str) -> dict[str, str]:
        tier, _, replica = name.rpartition("-")
        if tier == "handoff":
            return {"HANDOFF_PORT": str(self.port("handoff", int(replica)))}
        if tier == "actions":  # each keeps its own outbox of escalations
            return {"ACTIONS_OUTBOX_PATH": str(self.var_dir / f"escalations-{replica}.sqlite3")}
        return {}

    def commands(self) -> dict[str, list[str]]:
        commands: dict[str, list[str]] = {}
        for replica in REPLICAS:
            commands[f"handoff-{replica}"] = [str(APP_PY), "-m", "handoff"]
            commands[f"actions-{replica}"] = [
                str(RASA_PY), "-m", "actions.server", "--port", str(self.port("actions", replica))]
            commands[f"rasa-{replica}"] = [
                str(RASA_PY), "-m", "rasa_runtime", "--model", str(self.model),
                "--port", str(self.port("rasa", replica)), "--interface", "127.0.0.1"]
        commands["balancer"] = [haproxy(), "-f", str(HAPROXY_CONFIG)]
        return commands

    def readiness(self) -> dict[str, str]:
        ready = {"balancer": f"{self.handoff_url}/healthz"}
        for replica in REPLICAS:
            for tier, path in (("handoff", "/healthz"), ("actions", "/health"), ("rasa", "/")):
                ready[f"{tier}-{replica}"] = f"http://127.0.0.1:{self.port(tier, replica)}{path}"
        return ready


def haproxy() -> str:
    """Debian's HAProxy (`make haproxy` installs it)."""
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")
    if found is None:
        raise FileNotFoundError("HAProxy is not installed: `make haproxy` installs Debian's")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    config = ScaledConfig(var_dir=ROOT / "var" / "scaled")
    return serve(Stack(config, echo=True), ready_line(config).replace(
        "ready:", "ready (scale-out, two replicas of every tier behind HAProxy):", 1))


if __name__ == "__main__":
    sys.exit(main())
