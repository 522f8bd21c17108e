"""Events a reader of Rasa's stream could not handle: each is kept in `dead_letters` with its
error and skipped, so that one bad event (a customer's crafted metadata, a row that is no JSON)
holds up nothing behind it. Operators read them with SQL (docs/security.md)."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from handoff.models import DeadLetter

logger = logging.getLogger(__name__)

EVENT_CHARS = 20_000  # of the event's JSON, kept; the rest is cut
ERROR_CHARS = 1_000


def storable(text: str, limit: int) -> str:
    """`text` cut to `limit` and safe in any database: no NUL, no lone surrogate."""
    cut = text[:limit].encode("utf-8", "backslashreplace").decode("utf-8")
    return cut.replace("\x00", "\\x00")[:limit]


def keep(session: Session, source: str, event_id: int | None, sender_id: object, event: object,
         error: BaseException) -> None:
    """Add the dead letter to the session's transaction (in a savepoint of its own: should even
    this fail, the event is still skipped). The log names the event and the error's type only:
    the event and the error's text may hold what a customer wrote."""
    logger.warning("%s: event %s skipped (%s), kept in dead_letters", source, event_id,
                   type(error).__name__)
    letter = DeadLetter(
        source=source, event_id=event_id,
        sender_id=None if sender_id is None else storable(str(sender_id), 255),
        event=storable(str(event), EVENT_CHARS),
        error_type=storable(type(error).__name__, 100),
        error=storable(str(error), ERROR_CHARS))
    try:
        with session.begin_nested():
            session.add(letter)
    except SQLAlchemyError as failure:
        logger.error("%s: event %s could not be kept in dead_letters (%s)", source, event_id,
                     type(failure).__name__)


def storable_as_is(value: object) -> bool:
    """Whether `value` is text that any database stores unchanged (no NUL, no lone surrogate):
    a sender id that is not cannot be looked up or kept, and its events are set aside."""
    return isinstance(value, str) and storable(value, len(value)) == value
