"""The shorter lock poll: a request on a busy conversation looks again after 20 ms, not 1 s."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core import lock_store
from rasa.core.lock_store import InMemoryLockStore

from rasa_runtime.fixes import lock_poll


def test_a_waiting_request_polls_the_lock_at_the_short_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lock_poll.apply(0.02)
    store = InMemoryLockStore()
    naps: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded_sleep(seconds: float) -> None:
        naps.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(lock_store.asyncio, "sleep", recorded_sleep)

    async def scenario() -> None:
        async def first() -> None:
            async with store.lock("c1"):
                await real_sleep(0.1)

        holder = asyncio.create_task(first())
        await real_sleep(0.01)
        async with store.lock("c1"):  # Rasa's own default asks for a 1 s poll
            pass
        await holder

    asyncio.run(scenario())
    assert naps and set(naps) == {0.02}
