"""Rasa's events from RabbitMQ, against the machine's real broker: each event written once, in
order, by one replica at a time; a replica that dies (even between its commit and its
acknowledgement) or a broker restart loses nothing and doubles nothing.

The publisher here speaks Rasa's `pika` broker's wire format (rasa/core/brokers/pika.py): a
fanout exchange, each event's JSON with its `sender_id`, persistent. The scale-out end-to-end
test (tests/e2e/test_scaled.py) has the real Rasa publish.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import pytest
import requests
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, create_engine, text

from handoff.app import create_app
from handoff.rabbitmq_journal import Journal, Published, RabbitMQJournal
from handoff.settings import Settings
from tests.handoff.support import ACTION, ADMIN, escalate, make_agent, postgres_database, wait_for

AMQP_URL = os.environ.get("HANDOFF_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Broker:
    url: str
    queue: str
    exchange: str

    def replica(self, journal: Journal) -> RabbitMQJournal:
        return RabbitMQJournal(journal, self.url, self.queue, self.exchange)


@pytest.fixture
def broker() -> Iterator[Broker]:
    """A queue and an exchange of this test's own on the machine's RabbitMQ."""
    async def reach() -> None:
        connection = await aio_pika.connect(AMQP_URL, timeout=5)
        await connection.close()

    try:
        asyncio.run(reach())
    except Exception as error:
        pytest.skip(f"RabbitMQ not reachable at {AMQP_URL}: {error}")
    name = uuid.uuid4().hex[:10]
    yield Broker(AMQP_URL, f"handoff-test-{name}", f"rasa-test-{name}")

    async def clean() -> None:
        connection = await aio_pika.connect(AMQP_URL, timeout=5)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(f"handoff-test-{name}")
            await channel.exchange_delete(f"rasa-test-{name}")

    asyncio.run(clean())


@pytest.fixture
def events_engine() -> Iterator[Engine]:
    """The scale-out profile's event database: PostgreSQL."""
    url, drop = postgres_database()
    engine = create_engine(url)
    yield engine
    engine.dispose()
    drop()


def event(sender: str, seq: int) -> dict[str, Any]:
    """A customer's message as Rasa publishes it, numbered in its conversation."""
    return {"sender_id": sender, "event": "user", "text": f"message {seq}", "seq": seq,
            "timestamp": time.time(), "message_id": uuid.uuid4().hex,
            "parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.3}}}


@asynccontextmanager
async def publisher(broker: Broker) -> AsyncIterator[Callable[[dict[str, Any]], Any]]:
    """Publishes as Rasa's broker does: the same exchange and queue declarations."""
    connection = await aio_pika.connect(broker.url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(broker.exchange, aio_pika.ExchangeType.FANOUT)
        queue = await channel.declare_queue(broker.queue, durable=True)
        await queue.bind(exchange, "")

        async def publish(body: dict[str, Any]) -> None:
            await exchange.publish(aio_pika.Message(
                json.dumps(body).encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT), "")

        yield publish


def written(engine: Engine) -> list[tuple[int, str, dict[str, Any]]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, sender_id, data FROM events ORDER BY id"))
        return [(row.id, row.sender_id, json.loads(row.data)) for row in rows]


def in_order_once(rows: list[tuple[int, str, dict[str, Any]]], senders: list[str],
                  per_sender: int) -> None:
    """Every conversation's events, each once, in the order they were published."""
    for sender in senders:
        assert [data["seq"] for _, who, data in rows if who == sender] == list(range(per_sender))


async def until(probe: Callable[[], Any], seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (value := await asyncio.to_thread(probe)):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
    return value


def test_one_replica_writes_another_takes_over_and_order_holds(
        broker: Broker, events_engine: Engine) -> None:
    journal = Journal(events_engine)
    senders = [f"conv-{i}" for i in range(5)]

    async def scenario() -> tuple[int, int]:
        first, second = broker.replica(journal), broker.replica(journal)
        stop_first, stop_second = asyncio.Event(), asyncio.Event()
        running_first = asyncio.create_task(first.run(stop_first))
        await until(lambda: first.holding)
        running_second = asyncio.create_task(second.run(stop_second))
        await asyncio.sleep(1.5)  # the second has asked for the queue at least once
        assert not second.holding
        async with publisher(broker) as publish:
            for seq in range(40):
                for sender in senders:
                    await publish(event(sender, seq))
            await until(lambda: len(written(events_engine)) == 200)
            stop_first.set()  # the first replica goes away: the second takes the queue
            await running_first
            for seq in range(40, 80):
                for sender in senders:
                    await publish(event(sender, seq))
            await until(lambda: second.holding)
            await until(lambda: len(written(events_engine)) == 400)
        stop_second.set()
        await running_second
        return first.stored, second.stored

    assert asyncio.run(scenario()) == (200, 200)
    in_order_once(written(events_engine), senders, 80)


def test_an_event_delivered_again_is_written_once(broker: Broker, tmp_path: Path) -> None:
    """The replica that held the queue committed a batch and died before acknowledging it:
    RabbitMQ delivers the batch again, to the next replica, which recognises every event."""
    engine = create_engine(f"sqlite:///{tmp_path / 'events.db'}")
    journal = Journal(engine)
    journal.create()

    async def scenario() -> int:
        async with publisher(broker) as publish:
            for seq in range(30):
                await publish(event("conv-1", seq))
            died = await aio_pika.connect(broker.url)
            channel = await died.channel()
            queue = await channel.declare_queue(broker.queue, durable=True)
            taken = [await queue.get(no_ack=False, timeout=5) for _ in range(30)]
            assert journal.store([Published(m.body) for m in taken]) == 30
            await died.close()  # no acknowledgement: the 30 go back to the queue

            replica, stop = broker.replica(journal), asyncio.Event()
            running = asyncio.create_task(replica.run(stop))
            await publish(event("conv-1", 30))
            await until(lambda: len(written(engine)) == 31)
            await asyncio.sleep(0.5)
            stop.set()
            await running
            return replica.stored

    assert asyncio.run(scenario()) == 1
    rows = written(engine)
    in_order_once(rows, ["conv-1"], 31)


def test_a_message_that_is_no_event_is_dropped_and_the_rest_go_on(
        broker: Broker, tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'events.db'}")
    journal = Journal(engine)

    async def scenario() -> None:
        replica, stop = broker.replica(journal), asyncio.Event()
        running = asyncio.create_task(replica.run(stop))
        await until(lambda: replica.holding)
        async with publisher(broker) as publish:
            await publish(event("conv-1", 0))
            connection = await aio_pika.connect(broker.url)
            async with connection:
                channel = await connection.channel()
                exchange = await channel.get_exchange(broker.exchange)
                for junk in (b"{not json", b"[1, 2]", b'{"event": "user"}', "👟".encode()):
                    await exchange.publish(aio_pika.Message(junk), "")
            await publish(event("conv-1", 1))
            await until(lambda: len(written(engine)) == 2)
        stop.set()
        await running

    asyncio.run(scenario())
    in_order_once(written(engine), ["conv-1"], 2)


def rabbitmqctl(*args: str) -> None:
    subprocess.run([shutil.which("rabbitmqctl") or "rabbitmqctl", *args], check=True,
                   capture_output=True, timeout=120)


def test_a_broker_restart_loses_nothing(broker: Broker, tmp_path: Path) -> None:
    """RabbitMQ stopped and started mid-run: what was published before is still in the
    (durable) queue, the replica reconnects by itself, and what comes after arrives too."""
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl not found: this test restarts the machine's RabbitMQ")
    engine = create_engine(f"sqlite:///{tmp_path / 'events.db'}")
    journal = Journal(engine)

    async def scenario() -> None:
        replica, stop = broker.replica(journal), asyncio.Event()
        running = asyncio.create_task(replica.run(stop))
        await until(lambda: replica.holding)
        async with publisher(broker) as publish:
            for seq in range(20):
                await publish(event("conv-1", seq))
        await asyncio.to_thread(rabbitmqctl, "stop_app")
        try:
            await until(lambda: not replica.holding)
        finally:
            await asyncio.to_thread(rabbitmqctl, "start_app")
        await until(lambda: replica.holding, seconds=60)
        async with publisher(broker) as publish:
            for seq in range(20, 40):
                await publish(event("conv-1", seq))
        await until(lambda: len(written(engine)) == 40)
        stop.set()
        await running

    asyncio.run(scenario())
    in_order_once(written(engine), ["conv-1"], 40)


def test_the_service_hears_a_customer_through_rabbitmq(
        broker: Broker, settings: Settings, tmp_path: Path) -> None:
    settings = settings.model_copy(update={
        "events_url": f"sqlite:///{tmp_path / 'journal.db'}", "rabbitmq_url": broker.url,
        "rabbitmq_queue": broker.queue, "rabbitmq_exchange": broker.exchange})
    with TestClient(create_app(settings)) as client:
        ticket = escalate(client, "conv-1")
        agent = make_agent(client)

        async def customer_writes() -> None:
            async with publisher(broker) as publish:
                await publish(event("conv-1", 0) | {"text": "سفارشم ۵۸۲۳۱ کجاست؟"})

        asyncio.run(customer_writes())

        def customer_texts() -> list[str]:
            messages = client.get(f"/api/v1/handoffs/{ticket['id']}/messages",
                                  headers=agent).json()
            return [m["text"] for m in messages if m["sender"] == "customer"]

        assert wait_for(customer_texts, timeout=15) == ["سفارشم ۵۸۲۳۱ کجاست؟"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def active(port: int, token: str) -> float | None:
    """The replica's handoff_rabbitmq_consumer_active, or None while it does not answer."""
    try:
        response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2,
                                headers={"Authorization": f"Bearer {token}"})
    except requests.RequestException:
        return None
    for family in text_string_to_metric_families(response.text):
        if family.name == "handoff_rabbitmq_consumer_active":
            return family.samples[0].value
    return None


def test_kill_9_of_the_writing_replica_mid_stream_loses_and_doubles_nothing(
        broker: Broker, events_engine: Engine, tmp_path: Path) -> None:
    """Two real service processes; the one holding the queue is killed with SIGKILL while
    events stream in; the other takes over, and every event is written exactly once, in order."""
    database, drop = postgres_database()
    token = "metrics-token-0123456789"
    environment = {**os.environ, "HANDOFF_DATABASE_URL": database,
                   "HANDOFF_EVENTS_URL": events_engine.url.render_as_string(False),
                   "RASA_URL": "http://127.0.0.1:9", "RASA_JWT_SECRET": "r" * 32,
                   "HANDOFF_ACTION_SECRET": ACTION, "HANDOFF_ADMIN_TOKEN": ADMIN,
                   "HANDOFF_JWT_SECRET": "jwt-secret-for-tests-0123456789abcdef",
                   "HANDOFF_RABBITMQ_URL": broker.url, "HANDOFF_RABBITMQ_QUEUE": broker.queue,
                   "HANDOFF_RABBITMQ_EXCHANGE": broker.exchange,
                   "HANDOFF_METRICS_TOKEN": token, "HANDOFF_PROJECT_DIR": str(tmp_path)}
    ports = [free_port(), free_port()]
    replicas = []
    try:
        for port in ports:
            log = (tmp_path / f"replica-{port}.log").open("w")
            replicas.append(subprocess.Popen(
                [sys.executable, "-m", "handoff"], cwd=ROOT, stdout=log, stderr=log,
                env={**environment, "HANDOFF_PORT": str(port)}))
            wait_for(lambda port=port: active(port, token) is not None, timeout=60)
        def holding() -> int | None:  # the replica's number, counted from 1
            return next((i + 1 for i, port in enumerate(ports) if active(port, token) == 1),
                        None)

        holder = wait_for(holding, timeout=30) - 1
        senders = [f"conv-{i}" for i in range(10)]

        async def stream() -> None:
            async with publisher(broker) as publish:
                for seq in range(100):
                    for sender in senders:
                        await publish(event(sender, seq))
                    if seq == 30:
                        replicas[holder].send_signal(signal.SIGKILL)
                    await asyncio.sleep(0.01)

        asyncio.run(stream())
        replicas[holder].wait(timeout=10)
        survivor = 1 - holder
        wait_for(lambda: active(ports[survivor], token) == 1, timeout=30)
        wait_for(lambda: len(written(events_engine)) >= 1000, timeout=60)
        time.sleep(1)  # anything still arriving would be a duplicate
        rows = written(events_engine)
        assert len(rows) == 1000
        in_order_once(rows, senders, 100)
    finally:
        for replica in replicas:
            replica.kill()
            replica.wait(timeout=10)
        drop()
