"""The routing policy: pure functions over plain data, apart from the database.

Who may take what (language, team, capacity, presence), in which order (priority, then the
longest-waiting first), where a waiting customer stands, and how long they will likely wait.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DEFAULT_HANDLE_SECONDS = 300.0


@dataclass(frozen=True)
class Waiting:
    """A handoff waiting for an agent."""

    id: int
    team_id: int
    language: str
    priority: int
    created_at: float


@dataclass(frozen=True)
class AgentLoad:
    """An agent as routing sees them."""

    id: int
    team_ids: frozenset[int]
    languages: frozenset[str]
    capacity: int
    active: int
    online: bool
    idle_since: float = 0.0

    @property
    def spare(self) -> int:
        return max(0, self.capacity - self.active)


def queue_order(item: Waiting) -> tuple[int, float, int]:
    """Higher priority first, then the longest-waiting first."""
    return (-item.priority, item.created_at, item.id)


def can_serve(agent: AgentLoad, item: Waiting) -> bool:
    """Same team and language, online, with room left."""
    return (
        agent.online
        and agent.spare > 0
        and item.team_id in agent.team_ids
        and item.language in agent.languages
    )


def pick_agent(item: Waiting, agents: Iterable[AgentLoad]) -> AgentLoad | None:
    """The eligible agent with the most spare capacity; ties go to the one idle longest."""
    eligible = [agent for agent in agents if can_serve(agent, item)]
    if not eligible:
        return None
    return min(eligible, key=lambda a: (-a.spare, a.active / a.capacity, a.idle_since, a.id))


def plan_assignments(
    waiting: Iterable[Waiting], agents: Iterable[AgentLoad]
) -> list[tuple[int, int]]:
    """Pairs (handoff id, agent id) to assign now, in queue order, never over capacity."""
    pool = {agent.id: agent for agent in agents}
    plan: list[tuple[int, int]] = []
    for item in sorted(waiting, key=queue_order):
        agent = pick_agent(item, pool.values())
        if agent is None:
            continue
        plan.append((item.id, agent.id))
        pool[agent.id] = AgentLoad(
            agent.id, agent.team_ids, agent.languages, agent.capacity, agent.active + 1,
            agent.online, agent.idle_since,
        )
    return plan


def position_in_queue(item: Waiting, waiting: Iterable[Waiting]) -> int:
    """1-based place among the handoffs of the same team and language, in serving order."""
    key = queue_order(item)
    return 1 + sum(
        1 for other in waiting
        if other.id != item.id and other.team_id == item.team_id
        and other.language == item.language and queue_order(other) < key
    )


def expected_wait_seconds(
    position: int, recent_handle_seconds: Sequence[float], serving_slots: int
) -> float:
    """Rounds of service ahead of the customer times the median handling time.

    `serving_slots` is how many chats the online agents who can take this one handle at once.
    """
    handle = statistics.median(recent_handle_seconds) if recent_handle_seconds else (
        DEFAULT_HANDLE_SECONDS
    )
    rounds = math.ceil(position / max(1, serving_slots))
    return rounds * handle
