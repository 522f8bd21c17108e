"""Live updates for the agents' console over a WebSocket.

Connect to /api/v1/live?token=<agent token>. Events are JSON objects with a `type`, one of
`handoff.events.Kind` (handoff.created, handoff.assigned, message.created, ...), and the
`handoff_id`, `team_id` and `agent_id` they concern. An open connection counts as the agent
being present; any text is a heartbeat, and `{"type": "typing", "handoff_id": N}` shows the
customer that the assigned agent is typing. Revoking the sign-in (signing out, a password
change or reset, deactivation) closes the connection with 1008 after a `sign_ins.revoked` event.
Trainers have no live feed: it carries the chats.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, WebSocket, status
from sqlalchemy.orm import sessionmaker

from handoff.accounts import authenticated, current_sign_in
from handoff.api.streams import stream
from handoff.dependencies import AppSettings, LiveHub, Sessions
from handoff.events import Kind
from handoff.models import Handoff
from handoff.roles import HANDLES_CHATS
from handoff.states import Status

routes = APIRouter()


def _typing_to(sessions: sessionmaker, agent_id: int, text: str) -> str | None:
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


@routes.websocket("/api/v1/live")
async def live(websocket: WebSocket, sessions: Sessions, settings: AppSettings, hub: LiveHub,
               token: str = "") -> None:
    with sessions() as session:
        agent = authenticated(session, token, settings)
        team_ids = agent.team_ids if agent else []
    if agent is None or agent.role not in HANDLES_CHATS:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION,
                              reason="invalid token" if agent is None else "no chats for this role")
        return
    await websocket.accept()
    agent_id, sign_in = agent.id, current_sign_in(token, settings)

    def ends(event: dict) -> bool:
        return event["type"] == Kind.SIGN_INS_REVOKED and sign_in in event.get("sign_ins", ())

    async def received(text: str) -> None:
        def handle() -> str | None:
            with sessions() as session:
                authenticated(session, token, settings)  # heartbeat
            return _typing_to(sessions, agent_id, text)

        conversation_id = await asyncio.to_thread(handle)
        if conversation_id is not None:
            hub.tell_customer(conversation_id, "agent.typing")

    await stream(websocket, hub, hub.subscribe(agent_id, team_ids), received, ends)
