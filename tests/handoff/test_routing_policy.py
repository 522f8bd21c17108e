"""The routing policy, table-driven, with no database."""

from __future__ import annotations

import pytest

from handoff.routing_policy import (
    AgentLoad,
    Waiting,
    can_serve,
    expected_wait_seconds,
    pick_agent,
    plan_assignments,
    position_in_queue,
)


def agent(id: int, *, teams: tuple[int, ...] = (1,), languages: str = "en fa", capacity: int = 2,
          active: int = 0, online: bool = True, idle_since: float = 0.0) -> AgentLoad:
    return AgentLoad(id, frozenset(teams), frozenset(languages.split()), capacity, active, online,
                     idle_since)


def item(id: int, *, team: int = 1, language: str = "fa", priority: int = 0,
         created_at: float | None = None) -> Waiting:
    return Waiting(id, team, language, priority, float(id) if created_at is None else created_at)


@pytest.mark.parametrize(
    ("who", "what", "expected"),
    [
        (agent(1), item(1), True),
        (agent(1, online=False), item(1), False),
        (agent(1, active=2), item(1), False),
        (agent(1, languages="en"), item(1, language="fa"), False),
        (agent(1, teams=(2,)), item(1, team=1), False),
        (agent(1, teams=(1, 2)), item(1, team=2), True),
    ],
)
def test_can_serve(who: AgentLoad, what: Waiting, expected: bool) -> None:
    assert can_serve(who, what) is expected


@pytest.mark.parametrize(
    ("agents", "expected"),
    [
        ([], None),
        ([agent(1, online=False)], None),
        ([agent(1, active=1), agent(2)], 2),  # most spare capacity
        ([agent(1, idle_since=50), agent(2, idle_since=10)], 2),  # idle longest
        # two spare each: the one with the smaller share of their capacity in use
        ([agent(1, capacity=5, active=3), agent(2, capacity=2, active=0)], 2),
        ([agent(1, languages="en"), agent(2, teams=(9,)), agent(3)], 3),
    ],
)
def test_pick_agent(agents: list[AgentLoad], expected: int | None) -> None:
    chosen = pick_agent(item(1), agents)
    assert (chosen.id if chosen else None) == expected


@pytest.mark.parametrize(
    ("waiting", "agents", "expected"),
    [
        # longest waiting first
        ([item(2), item(1)], [agent(7, capacity=1)], [(1, 7)]),
        # priority beats waiting time
        ([item(1), item(2, priority=2)], [agent(7, capacity=1)], [(2, 7)]),
        # never over capacity, spread across agents
        ([item(1), item(2), item(3)], [agent(7, capacity=1), agent(8, capacity=1)],
         [(1, 7), (2, 8)]),
        # a Hebrew chat waits for a Hebrew speaker; others are served meanwhile
        ([item(1, language="he"), item(2)], [agent(7)], [(2, 7)]),
        # teams are kept apart
        ([item(1, team=2), item(2, team=1)], [agent(7, teams=(2,), capacity=1)], [(1, 7)]),
        ([item(1)], [agent(7, online=False)], []),
    ],
)
def test_plan_assignments(waiting: list[Waiting], agents: list[AgentLoad],
                          expected: list[tuple[int, int]]) -> None:
    assert plan_assignments(waiting, agents) == expected


def test_position_counts_only_the_same_queue_in_serving_order() -> None:
    queue = [item(1), item(2, language="en"), item(3, team=2), item(4, priority=1), item(5)]
    assert position_in_queue(queue[0], queue) == 2  # item 4 has priority
    assert position_in_queue(queue[4], queue) == 3
    assert position_in_queue(queue[1], queue) == 1
    assert position_in_queue(queue[3], queue) == 1


@pytest.mark.parametrize(
    ("position", "handled", "slots", "expected"),
    [
        (1, [], 1, 300.0),  # no history: the default handling time
        (1, [60, 120, 600], 1, 120.0),  # median
        (3, [60], 2, 120.0),  # two rounds of two slots
        (4, [60], 2, 120.0),
        (5, [60], 0, 300.0),  # no one serving counts as one slot
    ],
)
def test_expected_wait(position: int, handled: list[float], slots: int, expected: float) -> None:
    assert expected_wait_seconds(position, handled, slots) == expected


def test_notices_write_numbers_natively_but_leave_names_alone() -> None:
    from handoff.notices import render

    text = render("{agent}: {reference} #{position} ~{minutes}", "fa",
                  {"agent": "Sara7", "reference": "K2M9QX", "position": 12, "minutes": 3})
    assert text == "Sara7: K2M9QX #۱۲ ~۳"
