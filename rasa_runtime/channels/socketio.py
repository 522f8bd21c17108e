"""Rasa's socket.io channel for the web widget, with what Rasa 3.6's leaves open.

- **Origins.** Rasa's accepts a connection from any page (`cors_allowed_origins=[]` turns the
  check off). Here only the origins in `WIDGET_ORIGINS` (comma-separated; `*` for any) may
  connect; unset, only Rasa's own origin.
- **Session ids.** A client names its conversation; Rasa's takes any name, so a page could open
  `telegram:42` and speak in that Telegram customer's conversation. Here a session id is the
  widget's kind (8 to 64 of `A-Za-z0-9_-`); any other gets a fresh one at `session_request`, and
  a message under any other is refused.
- **Frames.** One socket.io message is at most `MAX_FRAME_BYTES`; engine.io closes a connection
  that sends more (Rasa's allows 1 MB).
- **Replicas.** With `RASA_SOCKETIO_REDIS_URL`, the rooms are shared through Redis
  (python-socketio's Redis manager, on the channel `RASA_SOCKETIO_REDIS_CHANNEL`): a message
  for a customer, an agent's included, reaches them from whichever Rasa replica handles it,
  whichever replica holds their socket.
- **Rate.** A connection's messages are limited (rasa_runtime/fixes/message_rate.py), whatever
  conversations they name; each conversation's are limited on every channel.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, Sanic

from common.protocol import WEB_CHANNEL
from rasa_runtime.fixes import message_rate

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64_000  # a 4,000-character message in any script, with its metadata
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def allowed_origins(env: Mapping[str, str]) -> list[str] | str | None:
    """engine.io's `cors_allowed_origins`: a list, "*" for any, or None for the same origin."""
    value = env.get("WIDGET_ORIGINS", "").strip()
    if value == "*":
        return "*"
    origins = [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
    return origins or None


def share_rooms(sio: Any, url: str, channel: str) -> None:
    """Emits go through Redis to every replica, each delivering to the sockets it holds."""
    from socketio import AsyncRedisManager

    manager = AsyncRedisManager(url, channel=channel)
    manager.set_server(sio)
    sio.manager = manager  # before the first connection, which initialises it


def valid_session_id(value: object) -> bool:
    return isinstance(value, str) and bool(SESSION_ID.match(value))


class WidgetSocketInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return WEB_CHANNEL

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        sio = self.sio
        sio.eio.cors_allowed_origins = allowed_origins(os.environ)
        sio.eio.max_http_buffer_size = MAX_FRAME_BYTES
        if redis_url := os.environ.get("RASA_SOCKETIO_REDIS_URL"):
            share_rooms(sio, redis_url,
                        os.environ.get("RASA_SOCKETIO_REDIS_CHANNEL", "handoffdesk-socketio"))
        handlers = sio.handlers[self.namespace or "/"]
        rasa_session_request = handlers["session_request"]
        rasa_message = handlers[self.user_message_evt]

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            data = dict(data) if isinstance(data, dict) else {}
            if not valid_session_id(data.get("session_id")):
                data["session_id"] = None  # Rasa's handler makes a fresh one
            await rasa_session_request(sid, data)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict) or not valid_session_id(data.get("session_id")):
                logger.warning("socket.io message refused: no valid session id")
                await sio.emit("error", {"error": "invalid session id"}, room=sid)
                return
            limits = message_rate.LIMITS
            if limits is not None and (wait := limits.refused("connection", sid)) is not None:
                if limits.tell("connection", sid, wait):
                    logger.warning("messages of socket.io connection %s refused for %d s: "
                                   "over the connection's rate", sid, wait)
                    await sio.emit(self.bot_message_evt, {"text": self._rate_reply(data, wait)},
                                   room=sid)
                return
            await rasa_message(sid, data)

        return webhook

    @staticmethod
    def _rate_reply(data: dict[str, Any], wait: int) -> str:
        agent = getattr(Sanic.get_app().ctx, "agent", None)
        domain = agent.domain if agent is not None else None
        text = data.get("message")
        return message_rate.rate_reply(domain.responses if domain else {},
                                       text if isinstance(text, str) else "",
                                       data.get("metadata"), wait)
