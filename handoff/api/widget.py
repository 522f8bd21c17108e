"""The customer's side of the live feed, for the web widget: typing both ways, and catching up.

Connect to /api/v1/widget/live and send `{"type": "hello", "conversation_id": <the widget's
socket.io session id>}` as the first frame within five seconds. The session id is the widget's
secret, as it is for Rasa's socket.io channel: it only ever reaches that one conversation, and
it never travels in the URL (access logs and proxies keep URLs); one in the query string is
refused. Only pages of the service's own origin or of `WIDGET_ORIGINS` may connect.
The widget receives `{"type": "agent.typing"}`; it sends `{"type": "typing"}`,
which the agents of an open web-chat handoff of that conversation see as `customer.typing`.
After a reload or reconnect it sends `{"type": "sync", "after": <last agent message id>}` and
receives `{"type": "missed", "messages": [{"id", "text", "agent"}]}`: the agent messages Rasa
delivered while its socket was away.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select

from common.protocol import WEB_CHANNEL
from handoff.api.streams import first_frame, stream
from handoff.dependencies import AppSettings, Events, LiveHub, Sessions
from handoff.events import Event, Kind
from handoff.models import Agent, Handoff, Message
from handoff.states import OPEN

routes = APIRouter()
MAX_MISSED = 200
SESSION_ID_LENGTH = (16, 255)  # as Rasa's socket.io channel makes them, and their limit
TYPING_EVERY_SECONDS = 1.0


@routes.websocket("/api/v1/widget/live")
async def widget_live(websocket: WebSocket, sessions: Sessions, hub: LiveHub, events: Events,
                      settings: AppSettings) -> None:
    origin = websocket.headers.get("origin")
    own = f"{'https' if websocket.url.scheme == 'wss' else 'http'}://" \
          f"{websocket.headers.get('host', '')}"
    if origin and not settings.widget_may_open(origin, own):
        await websocket.close(code=1008, reason="origin not allowed")  # a page of another site
        return
    if "conversation_id" in websocket.query_params:
        await websocket.close(code=1008, reason="send the session id in the first frame")
        return
    await websocket.accept()
    try:
        conversation_id = await first_frame(websocket, "hello", "conversation_id") or ""
    except WebSocketDisconnect:
        return
    if not SESSION_ID_LENGTH[0] <= len(conversation_id) <= SESSION_ID_LENGTH[1]:
        await websocket.close(code=1008, reason="no session id")
        return
    subscription = hub.subscribe_customer(conversation_id)

    def open_handoff() -> tuple[int, int | None, int] | None:
        with sessions() as session:
            handoff = session.scalars(select(Handoff).where(
                Handoff.conversation_id == conversation_id, Handoff.channel == WEB_CHANNEL,
                Handoff.status.in_([str(s) for s in OPEN])).order_by(Handoff.id.desc())).first()
            return (handoff.team_id, handoff.agent_id, handoff.id) if handoff else None

    def missed(after: int) -> list[dict[str, Any]]:
        with sessions() as session:
            rows = session.execute(
                select(Message, Agent.name).join(Handoff, Message.handoff_id == Handoff.id)
                .outerjoin(Agent, Message.agent_id == Agent.id)
                .where(Handoff.conversation_id == conversation_id,
                       Handoff.channel == WEB_CHANNEL, Message.sender == "agent",
                       Message.delivered_at.is_not(None), Message.id > after)
                .order_by(Message.id).limit(MAX_MISSED))
            return [{"id": m.id, "text": m.text, "agent": name or ""} for m, name in rows]

    last_typing = 0.0

    async def received(text: str) -> None:
        nonlocal last_typing
        try:
            message = json.loads(text)
            kind = message.get("type")
        except (ValueError, AttributeError):
            return
        if kind == "typing":  # at most one a second per connection reaches the database
            if time.monotonic() - last_typing < TYPING_EVERY_SECONDS:
                return
            last_typing = time.monotonic()
        if kind == "sync" and isinstance(after := message.get("after", 0), int):
            # answered through the subscription's queue: one task writes to the socket
            subscription.queue.put_nowait({"type": "missed",
                                           "messages": await asyncio.to_thread(missed, after)})
        found = await asyncio.to_thread(open_handoff) if kind == "typing" else None
        if found is not None:
            team_id, agent_id, handoff_id = found
            events.emit(Event(Kind.CUSTOMER_TYPING, handoff_id, team_id, agent_id))

    await stream(websocket, hub, subscription, received)
