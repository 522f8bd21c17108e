"""What happens in the service, as named events, and the dispatcher that hands each event to the
listeners that want it.

Endpoints and background loops only say what happened (`events.emit(Event(HANDOFF_CLAIMED...))`);
the listeners in `handoff/listeners.py` decide who hears of it: the agents' live feed, the
assigner (which looks for work again), the customer (who is told where their request stands).
Emitting is safe from any thread: the sync endpoints, the event consumer and the assigner's
database work run in worker threads, and every listener is thread-safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from handoff import logs

if TYPE_CHECKING:
    from handoff.models import Handoff

logger = logging.getLogger(__name__)


class Kind(StrEnum):
    """Every event's name, as the agents' live feed (`/api/v1/live`) sends it in `type`."""

    HANDOFF_CREATED = "handoff.created"
    HANDOFF_ASSIGNED = "handoff.assigned"  # to an agent: claimed, taken as next, or routed
    HANDOFF_REQUEUED = "handoff.requeued"  # taken back by the assigner (no answer, agent gone)
    HANDOFF_RELEASED = "handoff.released"  # given back to the queue by its agent
    HANDOFF_TRANSFERRED = "handoff.transferred"
    HANDOFF_RESOLVED = "handoff.resolved"
    HANDOFF_ABANDONED = "handoff.abandoned"
    HANDOFF_RATED = "handoff.rated"
    HANDOFF_UPDATED = "handoff.updated"  # a detail corrected
    HANDOFF_MOVED = "handoff.moved"  # the customer continues it on another channel
    MOVE_DECLINED = "handoff.move_declined"  # ... or chose to keep it where it was
    ATTACHMENT_FETCHED = "attachment.fetched"  # a customer's photo is ready (or failed)
    MESSAGE_CREATED = "message.created"
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_UNDELIVERABLE = "message.undeliverable"  # the customer's platform will never take it
    NOTE_CREATED = "note.created"
    CUSTOMER_TYPING = "customer.typing"
    AGENT_PRESENCE = "agent.presence"
    SIGN_INS_REVOKED = "sign_ins.revoked"  # signed out, password changed or reset, deactivated


@dataclass(frozen=True)
class Event:
    kind: Kind
    handoff_id: int | None = None
    team_id: int | None = None
    agent_id: int | None = None  # the agent it concerns (the assignee, or whose presence)
    data: dict[str, Any] = field(default_factory=dict)  # what the live feed carries besides


def about(kind: Kind, handoff: Handoff, **data: Any) -> Event:
    """An event about one handoff, carrying the handoff as the API shows it, so that a console
    updates its queue and its open chat in place instead of fetching them again."""
    from handoff.schemas import HandoffOut

    shown = HandoffOut.model_validate(handoff).model_dump(mode="json")
    return Event(kind, handoff.id, handoff.team_id, handoff.agent_id, {"handoff": shown, **data})


Listener = Callable[[Event], None]


class Dispatcher:
    """Hands every event to each listener in turn; one failing listener does not stop the rest."""

    def __init__(self, listeners: Sequence[Listener] = ()) -> None:
        self._listeners = list(listeners)

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def emit(self, event: Event) -> None:
        with logs.about(handoff_id=event.handoff_id,
                        conversation_id=(event.data.get("handoff") or {}).get("conversation_id")):
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:
                    logger.exception("listener %r failed on %s", listener, event.kind)
