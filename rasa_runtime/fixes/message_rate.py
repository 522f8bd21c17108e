"""Customer messages limited per conversation (every channel) and per socket.io connection.

Rasa processes whatever arrives, as fast as it arrives: one client sending without pause takes
turns from everyone else. Here a message over its conversation's rate (RASA_MESSAGE_RATE,
`limits`' notation, default 10 in 10 seconds and 60 a minute) or its connection's
(RASA_CONNECTION_RATE, default 20 in 10 seconds and 120 a minute: one page may open several
conversations) is not processed and not stored. The first one refused is answered, in the
customer's language, with how long to wait (`utter_message_rate`), and logged; those after it,
until the wait is over, are dropped quietly, so that a flood turns into neither a flood of
replies nor of log lines.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Mapping
from typing import Any

from limits import RateLimitItem, parse_many, storage, strategies

from common.plurals import seconds
from rasa_runtime.refusal import refusal

logger = logging.getLogger(__name__)

RESPONSE = "utter_message_rate"
DEFAULTS = {"conversation": "10/10 seconds;60/minute", "connection": "20/10 seconds;120/minute"}
VARIABLES = {"conversation": "RASA_MESSAGE_RATE", "connection": "RASA_CONNECTION_RATE"}
TOLD_KEPT = 10_000  # conversations and connections remembered as told, at most


class MessageRate:
    """Moving-window limits per key, and whom the refusal was told to until when."""

    def __init__(self, conversation: str, connection: str) -> None:
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self._limits = {"conversation": parse_many(conversation),
                        "connection": parse_many(connection)}
        self._told: dict[tuple[str, str], float] = {}

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MessageRate:
        return cls(*(env.get(VARIABLES[kind]) or DEFAULTS[kind]
                     for kind in ("conversation", "connection")))

    def refused(self, kind: str, key: str) -> int | None:
        """Count one message; None if it may be processed, else the seconds to wait."""
        items = self._limits[kind]
        if all(self._limiter.hit(item, kind, key) for item in items):
            return None
        return max(self._wait(item, kind, key) for item in items)

    def _wait(self, item: RateLimitItem, kind: str, key: str) -> int:
        reset = self._limiter.get_window_stats(item, kind, key).reset_time
        return max(1, math.ceil(reset - time.time()))

    def tell(self, kind: str, key: str, wait: int) -> bool:
        """Whether to answer this refusal: the first since the last wait ended."""
        now = time.time()
        if self._told.get((kind, key), 0.0) > now:
            return False
        if len(self._told) >= TOLD_KEPT:
            self._told = {k: until for k, until in self._told.items() if until > now}
        self._told[(kind, key)] = now + wait
        return True


def rate_reply(responses: dict[str, Any], text: str, metadata: Any, wait: int) -> str:
    return refusal(responses, RESPONSE, text, metadata,
                   "You are sending messages too fast. Please wait a moment.",
                   lambda language: {"wait": seconds(wait, language)})


LIMITS: MessageRate | None = None  # set by apply(); the socket.io channel reads it


def apply(env: Mapping[str, str] | None = None) -> None:
    """Wrap MessageProcessor.handle_message with the per-conversation limit, and make the
    limits the socket.io channel applies per connection."""
    global LIMITS
    LIMITS = limits = MessageRate.from_env(os.environ if env is None else env)
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.handle_message

    async def handle_message(self: MessageProcessor, message: Any) -> Any:
        wait = limits.refused("conversation", message.sender_id or "")
        if wait is None:
            return await original(self, message)
        if not limits.tell("conversation", message.sender_id or "", wait):
            return None
        logger.warning("messages from %s refused for %d s: over the conversation's rate",
                       message.sender_id, wait)
        if message.output_channel is not None:
            await message.output_channel.send_text_message(
                message.sender_id,
                rate_reply(self.domain.responses, message.text or "", message.metadata, wait))
        return None

    MessageProcessor.handle_message = handle_message
