"""One WebSocket loop for both live feeds (agents' console, customer's widget): push what the hub
has for the subscriber, hand each text the client sends to `on_text`, and close after an event
that `ends` the connection (a revoked sign-in) or when `recheck`, asked every `every` seconds,
names a reason (the sign-in expired, the agent left a team)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect, status

from handoff.hub import Hub, Subscription

Closing = tuple[int, str]  # a WebSocket close code and its reason
FIRST_FRAME_SECONDS = 5.0  # how long an open socket may take to say who it is


async def first_frame(websocket: WebSocket, kind: str, key: str) -> str | None:
    """`key` of a `{"type": kind, key: "..."}` first frame sent in time, else None
    (WebSocketDisconnect if the client left). Credentials travel so, never in the URL, where
    access logs and proxies keep them."""
    try:
        message = json.loads(await asyncio.wait_for(websocket.receive_text(),
                                                     FIRST_FRAME_SECONDS))
    except (TimeoutError, ValueError, KeyError):  # KeyError: a binary frame
        return None
    if isinstance(message, dict) and message.get("type") == kind \
            and isinstance(message.get(key), str):
        return message[key]
    return None


async def stream(websocket: WebSocket, hub: Hub, subscription: Subscription,
                 on_text: Callable[[str], Awaitable[None]],
                 ends: Callable[[dict[str, Any]], bool] | None = None,
                 recheck: Callable[[], Awaitable[Closing | None]] | None = None,
                 every: float = 5.0) -> None:
    async def listen() -> None:
        while True:
            await on_text(await websocket.receive_text())

    loop = asyncio.get_running_loop()
    listener = asyncio.create_task(listen())
    getter: asyncio.Task[dict[str, Any]] | None = None
    next_check = loop.time() + every
    try:
        while not listener.done():
            if getter is None:  # kept across rechecks, so no event is lost to a cancel
                getter = asyncio.create_task(subscription.queue.get())
            done, _ = await asyncio.wait(
                {getter, listener}, return_when=asyncio.FIRST_COMPLETED,
                timeout=max(0.0, next_check - loop.time()) if recheck else None)
            if getter in done:
                event, getter = getter.result(), None
                await websocket.send_json(event)
                if ends is not None and ends(event):
                    await websocket.close(code=status.WS_1008_POLICY_VIOLATION,
                                          reason="signed out")
                    break
            if recheck is not None and loop.time() >= next_check:
                if closing := await recheck():
                    await websocket.close(code=closing[0], reason=closing[1])
                    break
                next_check = loop.time() + every
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(subscription)
        if getter is not None:
            getter.cancel()
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await listener
