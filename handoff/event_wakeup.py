"""On PostgreSQL, Rasa's event table tells the consumer the moment events are written
(LISTEN/NOTIFY), so a customer's message reaches the agent without waiting for the next poll.

A statement-level trigger on Rasa's `events` table sends a notification. Where it cannot be
installed (no right to add a trigger) or the listening connection is down, `active` is False and
the consumer polls at its usual interval, so nothing depends on a notification arriving.
"""

from __future__ import annotations

import asyncio
import logging

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from handoff.background import pause

logger = logging.getLogger(__name__)

CHANNEL = "handoff_rasa_events"
APPLICATION_NAME = "handoff-events-listener"
RECONNECT_SECONDS = 1.0

_FUNCTION = text(f"""
CREATE OR REPLACE FUNCTION handoff_notify_rasa_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END $$""")
_TRIGGER_EXISTS = text("SELECT 1 FROM pg_trigger WHERE tgname = 'handoff_notify_rasa_events' "
                       "AND tgrelid = 'events'::regclass")
_TRIGGER = text("CREATE TRIGGER handoff_notify_rasa_events AFTER INSERT ON events "
                "FOR EACH STATEMENT EXECUTE FUNCTION handoff_notify_rasa_events()")


class EventWakeup:
    """`event` is set whenever Rasa wrote events; `active` says whether that can be relied on."""

    def __init__(self, events_engine: Engine) -> None:
        url = (events_engine.url.set(drivername="postgresql")  # libpq's form, for psycopg
               .update_query_dict({"application_name": APPLICATION_NAME}))
        self._conninfo = url.render_as_string(hide_password=False)
        self._engine = events_engine
        self.event = asyncio.Event()
        self._installed = False
        self._listening = False

    @property
    def active(self) -> bool:
        return self._installed and self._listening

    def install(self) -> None:
        """Add the trigger to Rasa's table (once it exists); a refusal leaves polling alone."""
        try:
            with self._engine.begin() as connection:
                if connection.execute(_TRIGGER_EXISTS).first() is None:
                    connection.execute(_FUNCTION)
                    connection.execute(_TRIGGER)
        except DBAPIError as error:
            logger.warning("no notifications from Rasa's event table, polling it instead: %s",
                           error.orig)
            return
        self._installed = True

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop` is set, reconnecting when the connection is lost (PostgreSQL
        restarted); whatever was written meanwhile is read by the next poll."""
        said_so = False
        while not stop.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(
                        self._conninfo, autocommit=True) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self._listening, said_so = True, False
                    self.event.set()  # events written while nobody listened
                    while not stop.is_set():
                        async for _ in connection.notifies(timeout=RECONNECT_SECONDS):
                            self.event.set()
            except psycopg.Error as error:
                if not said_so:  # once per outage, not every second of it
                    logger.warning("not listening for Rasa's events, polling meanwhile: %s",
                                   error)
                said_so = True
            finally:
                self._listening = False
            await pause(stop, RECONNECT_SECONDS)
