"""Live updates for the agents' console over a WebSocket.

Connect to /api/v1/live and sign in with the agent's token, never in the URL (where logs and
proxies keep it): offer the subprotocols `handoff.live` and `bearer.<token>`, or send
`{"type": "auth", "token": "<token>"}` as the first frame within five seconds. A token in
the query string is refused. Once signed in, the service sends `{"type": "live.ready"}`.

Events are JSON objects with a `type`, one of
`handoff.events.Kind` (handoff.created, handoff.assigned, message.created, ...), and the
`handoff_id`, `team_id` and `agent_id` they concern. An open connection counts as the agent
being present; any text is a heartbeat, and `{"type": "typing", "handoff_id": N}` shows the
customer that the assigned agent is typing. Revoking the sign-in (signing out, a password
change or reset, deactivation) closes the connection with 1008 after a `sign_ins.revoked` event;
every HANDOFF_LIVE_RECHECK_SECONDS the sign-in is checked again: expired or revoked, the feed
closes with 4401; the agent's teams or role changed, with 1008 (a new connection gets the
teams' events as they are now). Trainers have no live feed: it carries the chats.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from sqlalchemy.orm import sessionmaker

from handoff.accounts import authenticated, current_sign_in
from handoff.api.streams import Closing, first_frame, stream
from handoff.dependencies import AppSettings, LiveHub, Sessions
from handoff.events import Kind
from handoff.models import Handoff
from handoff.roles import HANDLES_CHATS
from handoff.settings import Settings
from handoff.states import Status

routes = APIRouter()
PROTOCOL = "handoff.live"
BEARER = "bearer."  # the subprotocol that carries the token
SIGNED_OUT = 4401  # the sign-in expired or was revoked: sign in again


@dataclass(frozen=True)
class Admitted:
    agent_id: int
    team_ids: frozenset[int]


def _admitted(sessions: sessionmaker, token: str, settings: Settings) -> Admitted | Closing:
    """The agent a token signs in, if it may have the feed; else why not."""
    with sessions() as session:
        agent = authenticated(session, token, settings)
        if agent is None:
            return SIGNED_OUT, "invalid, expired or revoked token"
        if agent.role not in HANDLES_CHATS:
            return status.WS_1008_POLICY_VIOLATION, "no chats for this role"
        return Admitted(agent.id, frozenset(agent.team_ids))


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
async def live(websocket: WebSocket, sessions: Sessions, settings: AppSettings,
               hub: LiveHub) -> None:
    if "token" in websocket.query_params:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION,
                              reason="send the token in the first frame, not in the URL")
        return
    offered = list(websocket.scope.get("subprotocols") or [])
    token = next((p.removeprefix(BEARER) for p in offered if p.startswith(BEARER)), None)
    by_frame = token is None
    if by_frame:  # the socket must be open to read the first frame
        await websocket.accept()
        try:
            token = await first_frame(websocket, "auth", "token") or ""
        except WebSocketDisconnect:
            return
    admitted = await asyncio.to_thread(_admitted, sessions, token, settings)
    if not isinstance(admitted, Admitted):
        await websocket.close(code=admitted[0], reason=admitted[1])
        return
    if not by_frame:  # never the bearer subprotocol back: only the one naming the feed
        await websocket.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
    agent_id, sign_in = admitted.agent_id, current_sign_in(token, settings)

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

    async def recheck() -> Closing | None:
        now = await asyncio.to_thread(_admitted, sessions, token, settings)
        if not isinstance(now, Admitted):
            return now
        if now.team_ids != admitted.team_ids:
            return status.WS_1008_POLICY_VIOLATION, "teams changed; connect again"
        return None

    subscription = hub.subscribe(agent_id, list(admitted.team_ids))
    await websocket.send_json({"type": "live.ready"})
    await stream(websocket, hub, subscription, received, ends, recheck,
                 settings.live_recheck_seconds)
