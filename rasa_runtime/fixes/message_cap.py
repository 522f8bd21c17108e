"""Refuses a customer message longer than RASA_MAX_MESSAGE_CHARS (default 4,000) before NLU.

Rasa reads a message of any length: one REST message of 6 MB (2 million short words) kept it busy
for 37 s, and every other customer's answer waited behind it. Here such a message is not
processed and not stored; the customer is told, in their language (the widget's, else the one
its letters show), to send a shorter one (`utter_message_too_long`), on the channel it came from.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from common.text import localize_digits
from rasa_runtime.refusal import refusal

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 4000
RESPONSE = "utter_message_too_long"


def limit_from(env: Mapping[str, str]) -> int:
    return int(env.get("RASA_MAX_MESSAGE_CHARS") or DEFAULT_LIMIT)


def too_long_reply(responses: dict[str, Any], text: str, metadata: dict[str, Any] | None,
                   limit: int) -> str | None:
    """The reply to a message over `limit` characters; None for one within it."""
    if len(text) <= limit:
        return None
    return refusal(responses, RESPONSE, text, metadata, "Please send a shorter message.",
                   lambda language: {"limit": localize_digits(f"{limit:,}", language)})


def apply(limit: int | None = None) -> None:
    """Wrap MessageProcessor.handle_message: an oversized message gets the reply instead."""
    limit = limit_from(os.environ) if limit is None else limit
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.handle_message

    async def handle_message(self: MessageProcessor, message: Any) -> Any:
        reply = too_long_reply(self.domain.responses, message.text or "", message.metadata, limit)
        if reply is None:
            return await original(self, message)
        logger.warning("message of %d characters from %s refused (limit %d)",
                       len(message.text), message.sender_id, limit)
        if message.output_channel is not None:
            await message.output_channel.send_text_message(message.sender_id, reply)
        return None

    MessageProcessor.handle_message = handle_message
