"""Rasa's socket.io channel for the web widget, with what Rasa 3.6's leaves open.

- **Origins.** Rasa's accepts a connection from any page (`cors_allowed_origins=[]` turns the
  check off). Here only the origins in `WIDGET_ORIGINS` (comma-separated; `*` for any) may
  connect; unset, only Rasa's own origin.
- **Session ids.** A client names its conversation; Rasa's takes any name, so a page could open
  `telegram:42` and speak in that Telegram customer's conversation. Here a session id is the
  widget's kind (8 to 64 of `A-Za-z0-9_-`); any other gets a fresh one at `session_request`.
  That request binds the socket to its session: a message naming any other is refused (the
  widget asks again after each reconnect, under its new socket).
- **Metadata.** Rasa's passes on whatever a client put in a message's metadata, so a page could
  claim a verified phone, attach photos from any URL or pose as an agent's message. Here only
  what a widget tells is kept, checked (`client_metadata`): its language, a pressed button's
  title, and the identity the host site signed; every reserved key
  (common/protocol.py `RESERVED_METADATA_KEYS`) a client sends is dropped.
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
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, Sanic

from common.protocol import (
    LANGUAGES,
    META_IDENTITY,
    META_LANGUAGE,
    META_SHOWN,
    WEB_CHANNEL,
    signed_identity,
)
from common.text import is_payload
from rasa_runtime.fixes import message_rate

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64_000  # a 4,000-character message in any script, with its metadata
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_SHOWN = 500  # characters of a button's title, as the agent reads it


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
    return isinstance(value, str) and bool(SESSION_ID.fullmatch(value))


def client_metadata(sent: object, text: object) -> dict[str, Any]:
    """What the widget may tell with a message (`text`): the language it shows, what the
    customer saw on the button that sent a payload, and the identity the host site signed.
    Anything else a client sends is dropped, the reserved keys first of all."""
    sent = sent if isinstance(sent, dict) else {}
    kept: dict[str, Any] = {}
    if sent.get(META_LANGUAGE) in LANGUAGES:
        kept[META_LANGUAGE] = sent[META_LANGUAGE]
    shown = sent.get(META_SHOWN)
    if isinstance(shown, str) and 0 < len(shown) <= MAX_SHOWN and isinstance(text, str) \
            and is_payload(text):
        kept[META_SHOWN] = shown
    if identity := signed_identity(sent.get(META_IDENTITY)):
        kept[META_IDENTITY] = identity
    return kept


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

        bound: dict[str, str] = {}  # socket -> the session it asked for

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            asked = data.get("session_id") if isinstance(data, dict) else None
            session_id = asked if valid_session_id(asked) else uuid.uuid4().hex
            # bound before any await: the socket's next message may be handled at once
            previous, bound[sid] = bound.get(sid), session_id
            if previous not in (None, session_id):
                await sio.leave_room(sid, previous, namespace=self.namespace)
            await rasa_session_request(sid, {"session_id": session_id})

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str, *_: Any) -> None:
            bound.pop(sid, None)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict) or sid not in bound \
                    or data.get("session_id") != bound[sid]:
                logger.warning("socket.io message refused: not the session its socket asked "
                               "for at session_request")
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
            await rasa_message(sid, {**data, self.metadata_key: client_metadata(
                data.get(self.metadata_key), data.get("message"))})

        return webhook

    @staticmethod
    def _rate_reply(data: dict[str, Any], wait: int) -> str:
        agent = getattr(Sanic.get_app().ctx, "agent", None)
        domain = agent.domain if agent is not None else None
        text = data.get("message")
        return message_rate.rate_reply(domain.responses if domain else {},
                                       text if isinstance(text, str) else "",
                                       data.get("metadata"), wait)
