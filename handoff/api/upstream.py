"""What a client is told when Rasa fails: a generic 502. Upstream error texts go to the log
only (redacted by RasaUnavailable), never into a response."""

from __future__ import annotations

import logging

from fastapi import HTTPException, status

from handoff.rasa_client import RasaUnavailable

logger = logging.getLogger(__name__)


def rasa_failed(error: RasaUnavailable, detail: str = "Rasa unavailable") -> HTTPException:
    """The 502 to raise, after logging why."""
    logger.warning("%s: %s", detail, error)
    return HTTPException(status.HTTP_502_BAD_GATEWAY, detail)
