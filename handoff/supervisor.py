"""Keeps the service's background workers running. A worker that raises is logged and started
again after a pause that doubles from FIRST_DELAY up to MAX_DELAY (and is FIRST_DELAY again once
it ran HEALTHY_AFTER seconds before failing); until then it is down, and /readyz names it. A
worker that returns is done (the service stops, or it has nothing to do on this replica)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

from handoff.background import pause

logger = logging.getLogger(__name__)

FIRST_DELAY = 0.5
MAX_DELAY = 30.0
HEALTHY_AFTER = 60.0

Work = Callable[[], Coroutine[Any, Any, None]]  # a new run of the worker at each call


class Supervisor:
    """Starts the workers and restarts those that fail; says which are down and how often each
    was restarted (/readyz, /metrics)."""

    def __init__(self, first_delay: float = FIRST_DELAY, max_delay: float = MAX_DELAY,
                 healthy_after: float = HEALTHY_AFTER) -> None:
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._healthy_after = healthy_after
        self.down: dict[str, str] = {}  # worker -> the type of the error it stopped with
        self.restarts: Counter[str] = Counter()

    def start(self, name: str, work: Work, stop: asyncio.Event) -> asyncio.Task[None]:
        return asyncio.create_task(self._keep(name, work, stop), name=name)

    async def _keep(self, name: str, work: Work, stop: asyncio.Event) -> None:
        delay = self._first_delay
        while not stop.is_set():
            started = time.monotonic()
            try:
                await work()
                return
            except Exception as error:  # any failure of a worker: it is started again
                if time.monotonic() - started >= self._healthy_after:
                    delay = self._first_delay
                self.down[name] = type(error).__name__
                logger.error("background worker %s failed; restarting it in %.1f s", name,
                             delay, exc_info=error)
            await pause(stop, delay)
            delay = min(delay * 2, self._max_delay)
            if not stop.is_set():
                self.restarts[name] += 1
                del self.down[name]
