"""Helpers for the service's background loops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


async def pause(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> None:
    """Sleep for `seconds`, or less when `stop` (or `wake`) is set meanwhile, so shutdown is
    prompt and a loop with news to read does not wait for its next turn."""
    if wake is None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        return
    waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
    await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()


class LoopBound:
    """A part that any thread hands work to, run on the service's event loop once `bind` has
    given it that loop; before (or after shutdown) the work is dropped."""

    _loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def submit(self, work: Coroutine[Any, Any, Any]) -> None:
        if self._loop is not None and not self._loop.is_closed():
            asyncio.run_coroutine_threadsafe(work, self._loop)
        else:
            work.close()
