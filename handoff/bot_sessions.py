"""The customers' sessions with the bot, read from Rasa's events, for the reports' containment
(the share of sessions the bot finished without a person).

A session starts with Rasa's `session_started` event (a new visit, or a conversation idle past
the session expiry) or, without one, with the conversation's first customer message; the
customer's messages until the next start are its own. Sessions in which the customer never wrote
(a widget opened and closed) are kept with 0 messages and not counted. Idempotent per event: a
row is keyed by its conversation and start, and events are read once by the collector's offset,
committed with these rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.text import is_payload
from handoff.inbox import language_of
from handoff.models import BotSession


def _latest(session: Session, made: dict[str, BotSession], conversation_id: str
            ) -> BotSession | None:
    if conversation_id in made:
        return made[conversation_id]
    return session.scalars(select(BotSession).where(BotSession.conversation_id == conversation_id)
                           .order_by(BotSession.started_at.desc()).limit(1)).first()


def record(session: Session, rows: Iterable[Any]) -> None:
    """Start and count sessions from a batch of Rasa's events (id, sender_id, data)."""
    made: dict[str, BotSession] = {}
    for row in rows:
        try:
            event: dict[str, Any] = json.loads(row.data)
        except (TypeError, ValueError):
            continue
        if not isinstance(event, dict):  # junk in Rasa's table
            continue
        kind, timestamp = event.get("event"), event.get("timestamp")
        if not isinstance(timestamp, int | float):
            continue
        if kind == "session_started":
            latest = _latest(session, made, row.sender_id)
            if latest is None or latest.started_at < timestamp:
                made[row.sender_id] = BotSession(conversation_id=row.sender_id,
                                                 started_at=float(timestamp), messages=0)
                session.add(made[row.sender_id])
        elif kind == "user" and isinstance(said := event.get("text"), str) and said.strip():
            latest = _latest(session, made, row.sender_id)
            if latest is None:
                latest = made[row.sender_id] = BotSession(
                    conversation_id=row.sender_id, started_at=float(timestamp), messages=0)
                session.add(latest)
            made[row.sender_id] = latest
            latest.messages = (latest.messages or 0) + 1
            latest.last_message_at = float(timestamp)
            latest.channel = str(event.get("input_channel") or latest.channel or "unknown")[:64]
            if not is_payload(said):
                latest.language = language_of(event)
    session.flush()
