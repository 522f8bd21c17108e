"""Two replicas of the service share their live feeds through Redis: an agent connected to one
hears what happens on the other. Without Redis, a replica still tells its own agents."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from handoff.app import create_app
from handoff.settings import Settings
from tests.handoff.support import RasaEvents, escalate, live_protocols, make_agent
from tests.handoff.test_live import _next_of

REDIS_URL = "redis://127.0.0.1:6379/0"


def within(websocket: Any, kind: str, seconds: float = 10.0) -> dict:
    """The next `kind` event, or a failure after `seconds` (a receive alone would wait forever;
    the waiting thread ends when the socket closes)."""
    waiting = ThreadPoolExecutor(max_workers=1)
    try:
        return waiting.submit(_next_of, websocket, kind).result(timeout=seconds)
    finally:
        waiting.shutdown(wait=False)


@pytest.fixture
def shared(settings: Settings) -> Settings:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")
    return settings.model_copy(update={"redis_url": REDIS_URL,
                                       "redis_channel": f"handoff:test:{uuid.uuid4().hex}"})


def test_an_agent_on_one_replica_hears_what_happens_on_the_other(
        shared: Settings, events: RasaEvents) -> None:
    with TestClient(create_app(shared)) as first, TestClient(create_app(shared)) as second:
        sara = make_agent(first)
        with second.websocket_connect("/api/v1/live",
                                      subprotocols=live_protocols(sara)) as websocket:
            ticket = escalate(first, "conv-7", "ar")
            created = within(websocket, "handoff.created")
            assert created["handoff_id"] == ticket["id"]
            assert created["handoff"]["language"] == "ar"
            first.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
            assert within(websocket, "handoff.assigned")["agent_id"] is not None


def test_without_redis_a_replica_still_tells_its_own_agents(
        settings: Settings, events: RasaEvents) -> None:
    unreachable = settings.model_copy(update={"redis_url": "redis://127.0.0.1:9/0"})
    with TestClient(create_app(unreachable)) as client:
        sara = make_agent(client)
        with client.websocket_connect("/api/v1/live",
                                      subprotocols=live_protocols(sara)) as websocket:
            ticket = escalate(client)
            assert within(websocket, "handoff.created")["handoff_id"] == ticket["id"]
