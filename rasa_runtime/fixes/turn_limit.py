"""Lets a few customer messages through Rasa's message processing at a time; the rest wait in line.

Rasa runs every turn on one event loop. NLU and the policies are CPU work that does not yield, so
when many messages are in flight each of them is a ~25 ms block in the loop's ready queue. A turn
that awaits something (an action server call: aiohttp sends the body in a task of its own, then
waits for the reply) goes to the back of that queue at every await, behind every message that
arrived meanwhile: at 32 customers an order lookup took four times as long as a greeting. With at
most RASA_MAX_CONCURRENT_TURNS (default 4) messages being processed and the others waiting for a
place in order, an await costs a few blocks instead of a whole queue; the order of service and
the throughput stay as they were. The limit is taken inside the conversation's lock, so a message
holding a place never waits for one that is waiting for a place.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

DEFAULT_LIMIT = 4


def apply(limit: int | None = None) -> None:
    """Wrap MessageProcessor.handle_message in a semaphore (one per event loop) of `limit`
    places (RASA_MAX_CONCURRENT_TURNS, default 4)."""
    limit = int(os.environ.get("RASA_MAX_CONCURRENT_TURNS", DEFAULT_LIMIT)) if limit is None \
        else limit
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.handle_message
    places: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    async def handle_message(self: MessageProcessor, message: Any) -> Any:
        loop = asyncio.get_running_loop()
        place = places.get(loop) or places.setdefault(loop, asyncio.Semaphore(limit))
        async with place:
            return await original(self, message)

    MessageProcessor.handle_message = handle_message
