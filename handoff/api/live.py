"""Live updates for the agents' console over a WebSocket.

Connect to /api/v1/live?token=<agent token>. Events are JSON objects with a `type`:
handoff.created, handoff.assigned, handoff.requeued, handoff.transferred, handoff.resolved,
handoff.rated, handoff.updated, message.created, message.delivered, note.created,
customer.typing, agent.presence. An open connection counts as the agent being present; any text
is a heartbeat, and `{"type": "typing", "handoff_id": N}` shows the customer that the assigned
agent is typing.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, WebSocket, status

from handoff.api.streams import stream
from handoff.dependencies import agent_for_token
from handoff.models import Handoff
from handoff.states import Status

router = APIRouter()


def _typing_to(sessions: object, agent_id: int, text: str) -> str | None:
    """The conversation to tell "the agent is typing", if the text asks it for a chat of theirs."""
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("type") != "typing":
        return None
    handoff_id = message.get("handoff_id")
    if not isinstance(handoff_id, int):
        return None
    with sessions() as session:
        handoff = session.get(Handoff, handoff_id)
        if handoff and handoff.agent_id == agent_id and handoff.status == Status.ASSIGNED:
            return handoff.conversation_id
    return None


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
    agent_id = agent.id

    async def received(text: str) -> None:
        def handle() -> str | None:
            with app.state.sessions() as session:
                agent_for_token(session, token, app.state.settings)  # heartbeat
            return _typing_to(app.state.sessions, agent_id, text)

        conversation_id = await asyncio.to_thread(handle)
        if conversation_id is not None:
            app.state.hub.tell_customer(conversation_id, "agent.typing")

    await stream(websocket, app.state.hub, app.state.hub.subscribe(agent_id, team_ids), received)
