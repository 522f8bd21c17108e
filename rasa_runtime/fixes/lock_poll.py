"""Shortens how long Rasa waits between tries for a busy conversation lock.

Rasa 3.6 serialises everything on one conversation with a ticket lock, and a request that finds it
busy sleeps a whole second before it looks again (`LockStore._acquire_lock`, a fixed default). A
handoff makes such collisions common: the service tells the customer "Sara has your request" while
the escalation turn still holds the lock, and an agent's first reply queues behind that. Measured
in the browser (bench/ui_latency.py), agent send → customer screen went from p50 1054 ms to tens of
milliseconds with a 20 ms poll. Waiting stays in order (tickets); only the poll is shorter.
"""

from __future__ import annotations

import os
from typing import Any

DEFAULT_WAIT_SECONDS = 0.02


def apply(wait_seconds: float | None = None) -> None:
    """Make every LockStore poll at most every `wait_seconds` (RASA_LOCK_WAIT_SECONDS)."""
    from rasa.core.lock_store import LockStore

    wait = wait_seconds or float(os.environ.get("RASA_LOCK_WAIT_SECONDS") or DEFAULT_WAIT_SECONDS)
    original = LockStore._acquire_lock

    async def _acquire_lock(self: LockStore, conversation_id: str, ticket: int,
                            wait_time_in_seconds: float) -> Any:
        return await original(self, conversation_id, ticket, min(wait_time_in_seconds, wait))

    LockStore._acquire_lock = _acquire_lock
