"""The service's logs, one JSON object per line by default, each carrying the handoff and the
conversation it is about, so that an operator can follow one chat through every tier's logs.

Code that works on one handoff says so once (`with about(handoff_id=..., conversation_id=...)`);
every line logged inside, by any module, carries those ids. uvicorn's own lines (requests,
start-up) go through the same handler. No line carries a URL's query string or Telegram's bot
token (common/redact.py): uvicorn's access lines print the query, httpx's the whole URL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from common.redact import redact

_ids: ContextVar[dict[str, Any]] = ContextVar("log_ids", default={})  # noqa: B039 (never mutated)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


@contextmanager
def about(**ids: Any) -> Iterator[None]:
    """Lines logged inside carry these ids (handoff_id, conversation_id, ...)."""
    token = _ids.set(_ids.get() | {name: value for name, value in ids.items()
                                   if value is not None})
    try:
        yield
    finally:
        _ids.reset(token)


class IdsFilter(logging.Filter):
    """Adds the ids of the enclosing `about` to each record (a line's own `extra` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _ids.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class RedactFilter(logging.Filter):
    """Takes secrets that URLs carry out of each record's message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if (cleaned := redact(message)) != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info:  # formatted once here; the formatters then use exc_text
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def handler(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing JSON lines ("json") or plain text ("text"), with the ids."""
    made = logging.StreamHandler(stream)
    made.addFilter(IdsFilter())
    made.addFilter(RedactFilter())
    if log_format == "json":
        made.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            # uvicorn's copy of the message with terminal colours in it
            reserved_attrs=[*RESERVED_ATTRS, "color_message"], json_ensure_ascii=False))
    else:
        made.setFormatter(logging.Formatter(TEXT_FORMAT))
    return made


def configure(log_format: str, level: int = logging.INFO) -> None:
    """The service's root logging, on standard error."""
    logging.basicConfig(level=level, handlers=[handler(log_format)], force=True)
