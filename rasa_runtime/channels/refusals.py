"""Which of a platform's error answers mean "this customer can never get the message", as each
platform writes them, so that an agent's message to them ends instead of being retried forever.

A permanent refusal has a reason the agents' console shows: `blocked` (the customer blocked the
bot or opted out), `window_closed` (outside the platform's reply window: Messenger's 24 hours, 7
days with the HUMAN_AGENT tag; WhatsApp's 24 hours) or `unknown_recipient` (no such chat or
number, or the account is gone). Anything else (5xx, 429, timeouts, errors not listed here) is
taken as passing: the sender retries it, a limited number of times.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from common.protocol import MESSENGER, TELEGRAM, WHATSAPP

BLOCKED = "blocked"
WINDOW_CLOSED = "window_closed"
UNKNOWN_RECIPIENT = "unknown_recipient"

# Meta's Send API: (code, subcode) -> reason; a subcode of None matches any.
MESSENGER_REFUSALS: dict[tuple[int, int | None], str] = {
    (10, 2018278): WINDOW_CLOSED,  # "This message is sent outside of allowed window."
    (10, 2018065): WINDOW_CLOSED,  # the same, for a tag the page may not use
    (10, 2018108): BLOCKED,  # "This person isn't receiving messages from you right now."
    (551, None): BLOCKED,  # "This person isn't available right now." (blocked, deactivated)
    (100, 2018001): UNKNOWN_RECIPIENT,  # "No matching user found"
}
# Twilio's REST error codes for a WhatsApp (or SMS) message that can never reach the number.
TWILIO_REFUSALS: dict[int, str] = {
    63016: WINDOW_CLOSED,  # outside the 24-hour window: only an approved template may go
    21610: BLOCKED,  # the recipient unsubscribed (replied STOP)
    21211: UNKNOWN_RECIPIENT,  # "The 'To' number is not a valid phone number."
    21614: UNKNOWN_RECIPIENT,  # "'To' number is not a valid mobile number"
    63003: UNKNOWN_RECIPIENT,  # the channel could not find the To address
    63024: UNKNOWN_RECIPIENT,  # invalid message recipient
}


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def telegram(status: int, body: bytes) -> str | None:
    """Bot API: `{"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by
    the user"}`. Every 403 means the bot may not write to that chat (blocked, kicked, never
    started); 400 "chat not found" means there is no such chat."""
    description = str(_json(body).get("description", "")).casefold()
    if status == 403:
        return UNKNOWN_RECIPIENT if "user is deactivated" in description else BLOCKED
    if status == 400 and "chat not found" in description:
        return UNKNOWN_RECIPIENT
    return None


def messenger(status: int, body: bytes) -> str | None:
    """Graph API: `{"error": {"message": ..., "type": "OAuthException", "code": 10,
    "error_subcode": 2018278, "fbtrace_id": ...}}`."""
    error = _json(body).get("error")
    if status < 400 or not isinstance(error, dict):
        return None
    code, subcode = error.get("code"), error.get("error_subcode")
    if not isinstance(code, int) or not isinstance(subcode, int | None):  # not Meta's shape
        return None
    return MESSENGER_REFUSALS.get((code, subcode)) or MESSENGER_REFUSALS.get((code, None))


def twilio(status: int, body: bytes) -> str | None:
    """Twilio's REST API: `{"code": 21211, "message": ..., "more_info": ..., "status": 400}`.
    (Twilio reports most WhatsApp failures, 63016 among them, later on a status callback; an
    answer that already carries one of these codes is final all the same.)"""
    code = _json(body).get("code")
    return TWILIO_REFUSALS.get(code) if status >= 400 and isinstance(code, int) else None


REFUSALS: dict[str, Callable[[int, bytes], str | None]] = {
    TELEGRAM: telegram, MESSENGER: messenger, WHATSAPP: twilio}


def permanent(channel: str, status: int, body: bytes) -> str | None:
    """The reason the platform of `channel` will never take this message, or None."""
    classify = REFUSALS.get(channel)
    return classify(status, body) if classify else None
