"""Texts that leave a process (error messages, log lines) without the secrets URLs can carry.

A URL's query string (`?token=…`, Messenger's `access_token=…`), its user and password, and
Telegram's `/bot<token>` path part are replaced by `[redacted]`; the rest stays, so an operator
still sees which host and path failed. Both sides use it: the service (.venv) and Rasa's
connectors (.venv-rasa).
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"
# user:password@ right after a scheme
_USERINFO = re.compile(r"(?<=://)[^\s/@'\"<>]+@")
# a query string after an absolute path or a URL, up to white space or a quote
_QUERY = re.compile(r"(?<=[\w/.%~:@-])\?[^\s'\"<>]+")
# Telegram's Bot API: /bot<digits>:<secret>/method and /file/bot<digits>:<secret>/path
_TELEGRAM_BOT = re.compile(r"/bot\d+:[\w-]+")


def redact(text: str) -> str:
    """`text` with every URL's query string, user info and Telegram bot token replaced."""
    text = _USERINFO.sub(f"{REDACTED}@", text)
    text = _TELEGRAM_BOT.sub(f"/bot{REDACTED}", text)
    return _QUERY.sub(f"?{REDACTED}", text)
