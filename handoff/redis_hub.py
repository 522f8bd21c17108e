"""Live updates shared by every replica of the service through Redis pub/sub.

Each replica publishes its events to one Redis channel and fans out to its own WebSocket
connections what it hears on that channel, its own events included: an agent connected to one
replica sees what happens on any other. Redis pub/sub delivers to whoever listens at that moment,
as the in-process hub does; a replica that is reconnecting misses what was said meanwhile, and
the console reads its queue again when its socket reconnects. While Redis cannot be reached, a
replica fans its own events out locally, so its own agents still hear them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from handoff.background import pause
from handoff.hub import Hub

logger = logging.getLogger(__name__)
CHANNEL = "handoff:live"
RECONNECT_SECONDS = 1.0


class RedisHub(Hub):
    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        super().__init__()
        self._redis = redis.from_url(url)
        self._channel = channel
        self._sending: set[asyncio.Task[None]] = set()

    def publish(self, kind: str, *, team_id: int | None = None, agent_id: int | None = None,
                **payload: Any) -> None:
        event = {"type": kind, "team_id": team_id, "agent_id": agent_id, "at": time.time(),
                 **payload}
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._send, event)

    def _send(self, event: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._publish(event))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _publish(self, event: dict[str, Any]) -> None:
        try:
            await self._redis.publish(self._channel, json.dumps(event, default=str))
        except (RedisError, OSError) as error:
            logger.warning("live event %s not shared through Redis, only here: %s",
                           event["type"], error)
            self._fan_out(event)

    async def run(self, stop: asyncio.Event) -> None:
        """Listen to the channel until `stop`; reconnect when Redis goes away."""
        while not stop.is_set():
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    while not stop.is_set():
                        message = await pubsub.get_message(ignore_subscribe_messages=True,
                                                           timeout=0.5)
                        if message is not None and (event := _event(message["data"])):
                            self._fan_out(event)
            except (RedisError, OSError) as error:
                logger.warning("not listening to Redis for live events: %s", error)
                await pause(stop, RECONNECT_SECONDS)

    async def aclose(self) -> None:
        await asyncio.gather(*self._sending, return_exceptions=True)
        await self._redis.aclose()


def _event(data: bytes) -> dict[str, Any] | None:
    """A live event from the channel; anything else on it is logged and skipped."""
    try:
        event = json.loads(data)
    except ValueError:
        event = None
    if isinstance(event, dict):
        return event
    logger.warning("skipping a message on Redis' live channel that is no live event")
    return None
