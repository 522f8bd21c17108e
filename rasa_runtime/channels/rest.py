"""Rasa's REST channel behind a bearer token: for the shop's own backend, not for browsers.

Rasa's REST channel speaks for whichever sender id it is given and returns the bot's answers, so
anyone who reached it could talk as any customer and read what the bot tells them. Here every
request must carry `Authorization: Bearer $RASA_REST_TOKEN` (401 otherwise, before Rasa sees the
message); without that variable the channel is off. A message over the length limit gets 413 with
the reply the customer is to see.

Rasa's also takes the event's input channel from the request (`"input_channel": "telegram"`),
which the action server and the service trust to tell whose metadata an event carries. Here it
is always `rest`, no metadata is passed on (Rasa's REST channel passes none), and a sender id of
a messenger's conversation ("telegram:42") is refused with 403.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from common.protocol import MESSENGER, TELEGRAM, WHATSAPP
from rasa_runtime.fixes.message_cap import limit_from, too_long_reply

MESSENGER_PREFIXES = tuple(f"{name}:" for name in (TELEGRAM, MESSENGER, WHATSAPP))


def too_long(request: Request) -> HTTPResponse | None:
    """413, with the reply the customer is to see, for a message over the length limit
    (rasa_runtime/fixes/message_cap.py refuses it on every other channel)."""
    if os.environ.get("RASA_MAX_MESSAGE_CHARS", "").strip() == "0" or request.method != "POST":
        return None
    try:
        body = request.json
    except Exception:  # Rasa's own handler answers malformed JSON
        return None
    text = body.get("message") if isinstance(body, dict) else None
    if not isinstance(text, str):
        return None
    domain = request.app.ctx.agent.domain
    reply = too_long_reply(domain.responses if domain else {}, text, body.get("metadata"),
                           limit_from(os.environ))
    if reply is None:
        return None
    return response.json({"error": "message too long", "text": reply}, status=413)


def foreign_sender(request: Request) -> HTTPResponse | None:
    """403 for a sender id that names a messenger's conversation: its connector alone speaks
    there, and the bot's answers (an open request, an order) would come back here."""
    try:
        body = request.json
    except Exception:  # Rasa's own handler answers malformed JSON
        return None
    sender = body.get("sender") if isinstance(body, dict) else None
    if isinstance(sender, str) and sender.startswith(MESSENGER_PREFIXES):
        return response.json({"error": "a messenger's conversation"}, status=403)
    return None


class TokenRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TokenRestInput:
        return cls(os.environ["RASA_REST_TOKEN"])

    def __init__(self, token: str) -> None:
        self.token = token

    def _extract_input_channel(self, request: Request) -> str:
        return self.name()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def require_token(request: Request) -> HTTPResponse | None:
            given = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return response.json({"error": "the REST channel needs its bearer token"},
                                     status=401)
            return foreign_sender(request) or too_long(request)

        return webhook
