"""Lets Sanic 21.12 (pinned by Rasa 3.6) serve websockets on Python 3.11.

Sanic 21.12's websocket `recv` passes a bare coroutine to `asyncio.wait`, which Python 3.11
refuses ("Passing coroutines is forbidden"), so every socket.io websocket upgrade failed and
customers were left on long-polling. Later Sanic releases wrap the coroutine in a task; this module
does the same for the one module that needs it, without touching anything else.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Awaitable, Iterable
from typing import Any


async def _wait(awaitables: Iterable[Awaitable[Any]], **kwargs: Any) -> Any:
    return await asyncio.wait([asyncio.ensure_future(a) for a in awaitables], **kwargs)


def apply() -> None:
    """Give sanic.server.websockets.impl an `asyncio` whose `wait` accepts coroutines."""
    from sanic.server.websockets import impl

    patched = types.ModuleType("asyncio")
    patched.__dict__.update(asyncio.__dict__)
    patched.wait = _wait
    impl.asyncio = patched
