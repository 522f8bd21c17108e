"""Live updates for the agents' console over a WebSocket.

Connect to /api/v1/live?token=<agent token>. Events are JSON objects with a `type`:
handoff.created, handoff.assigned, handoff.requeued, handoff.transferred, handoff.resolved,
handoff.rated, message.created, message.delivered, note.created, agent.presence. An open
connection counts as the agent being present; send any text as a heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from handoff.dependencies import agent_for_token

router = APIRouter()


@router.websocket("/api/v1/live")
async def live(websocket: WebSocket, token: str = "") -> None:
    app = websocket.app
    with app.state.sessions() as session:
        agent = agent_for_token(session, token, app.state.settings)
        team_ids = agent.team_ids if agent else []
    if agent is None:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="invalid token")
        return
    await websocket.accept()
    subscription = app.state.hub.subscribe(agent.id, team_ids)

    async def heartbeats() -> None:
        while True:
            await websocket.receive_text()
            with app.state.sessions() as session:
                agent_for_token(session, token, app.state.settings)

    listener = asyncio.create_task(heartbeats())
    try:
        while not listener.done():
            getter = asyncio.create_task(subscription.queue.get())
            done, _ = await asyncio.wait({getter, listener}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                await websocket.send_json(getter.result())
            else:
                getter.cancel()
    except WebSocketDisconnect:
        pass
    finally:
        app.state.hub.unsubscribe(subscription)
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await listener
