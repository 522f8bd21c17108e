"""Who hears of each event (handoff/events.py), in the order `services.py` lists them."""

from __future__ import annotations

import logging

from sqlalchemy.orm import sessionmaker

from common.protocol import STATUS_INTENT
from handoff import inbox
from handoff.assigner import Assigner
from handoff.events import Event, Kind, Listener
from handoff.hub import Hub
from handoff.metrics import Metrics
from handoff.models import Handoff, Team
from handoff.notices import Announcer


def live_feed(hub: Hub) -> Listener:
    """Agents see every event of their teams and every event about them, as it happens."""

    def publish(event: Event) -> None:
        hub.publish(event.kind, team_id=event.team_id, agent_id=event.agent_id,
                    handoff_id=event.handoff_id, **event.data)

    return publish


# What may give an online agent work they could not have before.
WAKES_THE_ASSIGNER = frozenset({Kind.HANDOFF_CREATED, Kind.HANDOFF_RELEASED,
                                Kind.HANDOFF_TRANSFERRED, Kind.HANDOFF_RESOLVED,
                                Kind.AGENT_PRESENCE})


def assigner_wake(assigner: Assigner) -> Listener:
    """The assigner looks for work at once, not at its next tick."""

    def wake(event: Event) -> None:
        if event.kind in WAKES_THE_ASSIGNER:
            assigner.wake_up()

    return wake


def tells_the_customer(event: Event) -> bool:
    """An agent took the request (claimed, routed, transferred to them), the assigner took it
    back, a request is filed from the action server's outbox (the service was down), or the
    waiting customer asked where it stands."""
    if event.kind in (Kind.HANDOFF_ASSIGNED, Kind.HANDOFF_REQUEUED):
        return True
    if event.kind == Kind.HANDOFF_CREATED:
        return bool(event.data.get("delayed"))
    if event.kind == Kind.HANDOFF_TRANSFERRED:
        return event.agent_id is not None
    return event.kind == Kind.MESSAGE_CREATED and event.data.get("intent") == STATUS_INTENT


def customer_status(announcer: Announcer) -> Listener:
    """The customer is told where their request stands, through their own channel."""

    def announce(event: Event) -> None:
        if event.handoff_id is not None and tells_the_customer(event):
            announcer.announce(event.handoff_id)

    return announce


def inbox_escalations(sessions: sessionmaker) -> Listener:
    """An escalation for fallback or frustration shows the trainers what led to it."""

    def record(event: Event) -> None:
        if event.kind is Kind.HANDOFF_CREATED and event.handoff_id is not None:
            with sessions() as session:
                if (handoff := session.get(Handoff, event.handoff_id)) is not None:
                    inbox.record_escalation(session, handoff)
                    session.commit()

    return record


def metrics(instruments: Metrics, sessions: sessionmaker) -> Listener:
    """Operators' counts and latencies: handoffs filed and resolved, how long customers waited
    for an agent (labelled with the team's name as it is now), how long agents' messages took
    to reach them."""

    def observe(event: Event) -> None:
        shown = event.data.get("handoff") or {}
        if event.kind is Kind.HANDOFF_CREATED and shown:
            instruments.handoffs.labels(shown["reason"], shown["channel"]).inc()
        elif event.kind is Kind.HANDOFF_ASSIGNED and shown.get("assigned_at"):
            with sessions() as session:
                team = session.get(Team, shown["team_id"])
            instruments.waiting.labels(team.name if team else str(shown["team_id"])).observe(
                max(0.0, shown["assigned_at"] - shown["created_at"]))
        elif event.kind is Kind.HANDOFF_RESOLVED:
            instruments.resolved.inc()
        elif event.kind is Kind.MESSAGE_DELIVERED:
            message = event.data["message"]
            if message.get("delivered_at") is not None:
                instruments.delivery.observe(
                    max(0.0, message["delivered_at"] - message["created_at"]))

    return observe


_history = logging.getLogger("handoff.history")
# Too frequent to be a chat's history.
UNLOGGED = frozenset({Kind.CUSTOMER_TYPING})


def event_log(event: Event) -> None:
    """Each named event as one log line (the dispatcher gives it the handoff's and the
    conversation's ids): a chat's history in the logs, without what anyone wrote."""
    if event.kind not in UNLOGGED:
        _history.info(str(event.kind), extra={"team_id": event.team_id,
                                              "agent_id": event.agent_id})
