"""The handoff state machine. Every status change goes through `ensure_transition`."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    QUEUED = "queued"
    TRANSFERRED = "transferred"  # moved to another team by an agent; waits there for an agent
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    ABANDONED = "abandoned"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.QUEUED: frozenset({Status.ASSIGNED, Status.ABANDONED}),
    Status.TRANSFERRED: frozenset({Status.ASSIGNED, Status.ABANDONED}),
    Status.ASSIGNED: frozenset({Status.RESOLVED, Status.QUEUED, Status.TRANSFERRED}),
    Status.RESOLVED: frozenset(),
    Status.ABANDONED: frozenset(),
}

WAITING = frozenset({Status.QUEUED, Status.TRANSFERRED})
OPEN = WAITING | {Status.ASSIGNED}


class IllegalTransition(Exception):
    """A status change the state machine does not allow (e.g. resolving a queued handoff)."""


def can_transition(current: str, new: str) -> bool:
    return Status(new) in TRANSITIONS[Status(current)]


def ensure_transition(current: str, new: str) -> None:
    if not can_transition(current, new):
        raise IllegalTransition(f"a handoff that is {current} cannot become {new}")


def sources_of(new: Status) -> list[str]:
    """The statuses from which `new` may be reached (for conditional UPDATEs)."""
    return [str(state) for state, targets in TRANSITIONS.items() if new in targets]
