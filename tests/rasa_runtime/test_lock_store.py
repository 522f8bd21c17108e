"""The conversation lock shared by several Rasa replicas (rasa_runtime/lock_store.py), against the
machine's Redis, from separate processes as replicas are: one request at a time per
conversation, in the order they came; a replica killed while holding it stalls the conversation
for one ticket's life, not Rasa's 60 s."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from rasa_runtime.lock_store import AtomicRedisLockStore

REDIS = {"host": "127.0.0.1", "port": 6379, "db": 15}


@pytest.fixture
def prefix() -> Iterator[str]:
    client = redis.Redis(**REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at 127.0.0.1:6379: {error}")
    name = f"test{uuid.uuid4().hex[:8]}"
    yield name
    for key in client.scan_iter(f"{name}*"):
        client.delete(key)
    client.delete(f"{name}-log")


def store(prefix: str, ticket_seconds: float = 10.0) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(client=redis.Redis(**REDIS), key_prefix=prefix,
                                ticket_seconds=ticket_seconds)


def replica(prefix: str, requests: int, start: float) -> None:
    """One Rasa replica's requests on one conversation, each logging its entry and exit."""
    log = redis.Redis(**REDIS)
    lock_store = store(prefix)

    async def one(n: int) -> None:
        async with lock_store.lock("conversation"):
            log.rpush(f"{prefix}-log", f"in {os.getpid()}-{n}")
            await asyncio.sleep(0.002)
            log.rpush(f"{prefix}-log", f"out {os.getpid()}-{n}")

    async def all_of_them() -> None:
        await asyncio.sleep(max(0.0, start - time.time()))
        await asyncio.gather(*(one(n) for n in range(requests)))

    asyncio.run(all_of_them())


def test_replicas_take_turns_on_a_conversation(prefix: str) -> None:
    """Eight replicas, 25 requests each, all at once: a race between them shows."""
    context = multiprocessing.get_context("fork")
    start = time.time() + 1.0  # all at once
    replicas = [context.Process(target=replica, args=(prefix, 25, start)) for _ in range(8)]
    for process in replicas:
        process.start()
    for process in replicas:
        process.join(timeout=120)
        assert process.exitcode == 0
    log = [entry.decode() for entry in redis.Redis(**REDIS).lrange(f"{prefix}-log", 0, -1)]
    assert len(log) == 400
    for entry, after in zip(log[::2], log[1::2], strict=True):  # never two inside at once
        assert entry.startswith("in ") and after == "out " + entry[3:]


def hold_and_hang(prefix: str, holding: multiprocessing.Event) -> None:
    async def hang() -> None:
        async with store(prefix, ticket_seconds=1.0).lock("conversation"):
            holding.set()
            await asyncio.sleep(3600)

    asyncio.run(hang())


def test_a_replica_killed_holding_the_lock_stalls_its_conversation_one_ticket_life(
        prefix: str) -> None:
    context = multiprocessing.get_context("fork")
    holding = context.Event()
    holder = context.Process(target=hold_and_hang, args=(prefix, holding))
    holder.start()
    assert holding.wait(timeout=30)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join()

    async def next_request() -> float:
        began = time.monotonic()
        async with store(prefix).lock("conversation"):
            return time.monotonic() - began

    waited = asyncio.run(next_request())
    assert waited < 2.5  # the dead replica's ticket lived 1 s
    assert not store(prefix).is_someone_waiting("conversation")
