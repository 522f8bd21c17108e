"""One WebSocket loop for both live feeds (agents' console, customer's widget): push what the hub
has for the subscriber, hand each text the client sends to `on_text`, and close after an event
that `ends` the connection (a revoked sign-in)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect, status

from handoff.hub import Hub, Subscription


async def stream(websocket: WebSocket, hub: Hub, subscription: Subscription,
                 on_text: Callable[[str], Awaitable[None]],
                 ends: Callable[[dict[str, Any]], bool] | None = None) -> None:
    async def listen() -> None:
        while True:
            await on_text(await websocket.receive_text())

    listener = asyncio.create_task(listen())
    try:
        while not listener.done():
            getter = asyncio.create_task(subscription.queue.get())
            done, _ = await asyncio.wait({getter, listener}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                event = getter.result()
                await websocket.send_json(event)
                if ends is not None and ends(event):
                    await websocket.close(code=status.WS_1008_POLICY_VIOLATION,
                                          reason="signed out")
                    break
            else:
                getter.cancel()
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(subscription)
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await listener
