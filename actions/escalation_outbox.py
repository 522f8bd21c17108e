"""Escalations the handoff service could not take, kept on disk until it does.

When the service is down, `action_handoff_to_human` still tells the customer they are in line,
with the reference the action server made, and the escalation waits here with its whole context
(SQLite at ACTIONS_OUTBOX_PATH). A background thread files it as soon as the service answers.
The service files a reference once, so a retry after an answer that was lost files nothing
twice; the customer's messages meanwhile are in Rasa's events, and the service adds them.
An escalation the service rejects (a 4xx: a bug or a forged entry, not an outage) stays here,
marked, for an operator; one it fails on (a 5xx) is retried next round. Neither holds up the
escalations behind it; only a service that does not answer at all ends the round.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from actions.handoff_client import (
    HandoffClient,
    HandoffFailed,
    HandoffRejected,
    HandoffUnavailable,
)

logger = logging.getLogger(__name__)

DEFAULT_PATH = "var/escalations.sqlite3"
_SCHEMA = """CREATE TABLE IF NOT EXISTS escalations (
    reference TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    context TEXT NOT NULL,
    kept_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    rejected INTEGER NOT NULL DEFAULT 0
)"""


class EscalationOutbox:
    def __init__(self, path: Path, client: Callable[[], HandoffClient],
                 interval: float = 2.0) -> None:
        self._path = path
        self._client = client
        self._interval = interval
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> EscalationOutbox:
        return cls(Path(os.environ.get("ACTIONS_OUTBOX_PATH") or DEFAULT_PATH),
                   HandoffClient.from_env,
                   float(os.environ.get("ACTIONS_OUTBOX_INTERVAL") or 2.0))

    def _connect(self) -> sqlite3.Connection:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self._path, timeout=10)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(_SCHEMA)
        return connection

    def keep(self, context: dict[str, Any]) -> None:
        """Store the escalation (durably, before the customer is told) and start delivering.
        It is filed as `delayed`: the service then tells the customer where it stands."""
        context = context | {"delayed": True}
        with self._connect() as connection:
            connection.execute(
                "INSERT OR IGNORE INTO escalations (reference, conversation_id, context, kept_at)"
                " VALUES (?, ?, ?, ?)", (context["reference"], context["conversation_id"],
                                         json.dumps(context, ensure_ascii=False), time.time()))
        self.start()
        self._wake.set()

    def waiting(self) -> list[dict[str, Any]]:
        """The escalations still to file, oldest first (rejected ones are not retried)."""
        if not self._path.exists():
            return []
        with self._connect() as connection:
            rows = connection.execute("SELECT context FROM escalations WHERE rejected = 0 "
                                      "ORDER BY kept_at").fetchall()
        return [json.loads(context) for (context,) in rows]

    def deliver(self) -> int:
        """One round: file every waiting escalation, oldest first, until the service does not
        answer. Returns how many were filed."""
        filed = 0
        for context in self.waiting():
            reference = context["reference"]
            try:
                ticket = self._client().create_handoff(context)
            except HandoffRejected as error:
                logger.error("escalation %s rejected by the handoff service, kept in %s: %s",
                             reference, self._path, error)
                self._mark(reference, str(error), rejected=True)
                continue
            except HandoffFailed as error:
                logger.warning("escalation %s failed on the handoff service, retried: %s",
                               reference, error)
                self._mark(reference, str(error), rejected=False)
                continue
            except HandoffUnavailable as error:
                self._mark(reference, str(error), rejected=False)
                return filed
            with self._connect() as connection:
                connection.execute("DELETE FROM escalations WHERE reference = ?", (reference,))
            logger.info("escalation %s of %s filed as handoff %s", reference,
                        context["conversation_id"], ticket.get("id"))
            filed += 1
        return filed

    def _mark(self, reference: str, error: str, rejected: bool) -> None:
        with self._connect() as connection:
            connection.execute("UPDATE escalations SET attempts = attempts + 1, last_error = ?, "
                               "rejected = ? WHERE reference = ?",
                               (error[:500], int(rejected), reference))

    def start(self) -> None:
        """The delivering thread, once per process."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="escalation-outbox",
                                                daemon=True)
                self._thread.start()

    def start_if_waiting(self) -> None:
        """At start-up: escalations kept before a restart are delivered without a new one."""
        if self.waiting():
            self.start()

    def _run(self) -> None:
        while True:
            try:
                self.deliver()
                more = bool(self.waiting())
            except (OSError, sqlite3.Error):
                logger.exception("escalation outbox at %s failed; retrying", self._path)
                more = True
            self._wake.wait(self._interval if more else None)
            self._wake.clear()
