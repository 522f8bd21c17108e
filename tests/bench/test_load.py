"""The load generator's parts that need no server: the soak's memory growth and its report line,
the team's size and the arrivals' spread, and the live feeds' bookkeeping (who waits is woken by
its own events; a message one feed announces twice counts as duplicated)."""

from __future__ import annotations

import asyncio

import pytest

from bench.load import targets
from bench.load.handoffs import default_agents, default_spread
from bench.load.people import LiveFeeds
from bench.load.soak import memory_growth, open_at_once, soak_lines


def test_growth_is_counted_from_the_warm_sample_to_the_last() -> None:
    samples = [(30.0 * k, {"rasa": 600.0 + k, "handoff": 150.0}) for k in range(21)]  # 10 min
    growth = memory_growth(samples, minutes=10)
    assert growth["from_s"] == 300.0 and growth["to_s"] == 600.0
    assert growth["processes"]["rasa"] == {"from_mib": 610.0, "to_mib": 620.0,
                                           "growth_pct": pytest.approx(100 * 10 / 610)}
    assert growth["processes"]["handoff"]["growth_pct"] == 0.0
    # a short soak counts from half its length
    assert memory_growth(samples[:7], minutes=3)["from_s"] == 90.0


def test_the_report_says_whether_growth_is_within_the_target() -> None:
    figures = {"soak_minutes": 10, "rate_per_minute": 60, "agents": 4, "handoffs_opened": 600,
               "rss_growth": memory_growth([(0.0, {"rasa": 100.0}), (300.0, {"rasa": 100.0}),
                                            (600.0, {"rasa": 112.0})], minutes=10)}
    lines = soak_lines(figures)
    assert "rasa 100 → 112 (+12.0 %)" in lines[1] and lines[1].endswith("within 10 %: MISSED")


def test_the_team_and_the_arrivals_scale_with_the_handoffs() -> None:
    assert (default_agents(500), default_agents(20), default_agents(3)) == (50, 2, 1)
    assert (default_spread(500), default_spread(20)) == (100.0, 20.0)
    # 60 a minute, 3 rounds of 2-8 s each way plus 10 s: 40 s each, 40 open at once
    assert open_at_once(60, 3, (2.0, 8.0)) == 40.0


def test_a_waiter_is_woken_by_its_own_event_and_doubles_are_counted() -> None:
    async def scenario() -> tuple[int, int]:
        feeds = LiveFeeds()
        waiting = asyncio.create_task(feeds.wait(("assigned", 7),
                                                 lambda: feeds.assigned_to.get(7)))
        await asyncio.sleep(0)
        feeds._event(0, 1.0, {"type": "handoff.assigned", "handoff_id": 8, "agent_id": 1})
        await asyncio.sleep(0)
        assert not waiting.done()  # another handoff's event
        feeds._event(0, 2.0, {"type": "handoff.assigned", "handoff_id": 7, "agent_id": 3})
        message = {"type": "message.created", "handoff_id": 7, "message_id": 5,
                   "sender": "customer"}
        for feed in (0, 1, 1):  # feed 1 announces it twice
            feeds._event(feed, 3.0, message)
        return await waiting, feeds.duplicated()

    assert asyncio.run(scenario()) == (3, 1)


def test_the_targets_are_printed_beside_the_figures() -> None:
    assert targets.turn_verdict("embedded", 0.75, 1.6) == \
        "target median ≤ 0.8×: met, throughput ≥ 1.5×: met"
    assert "throughput ≥ 1.5×: MISSED" in targets.turn_verdict("postgres", 0.7, 1.4)
    assert targets.turn_verdict("scaled", 2.0, 0.1) == ""  # no turn target there
    assert targets.handoff_verdict("postgres", 100, "customer_message_to_agent", 151) == \
        "target p99 ≤ 150 ms: MISSED"
    assert targets.handoff_verdict("embedded", 500, "escalation_to_agent", 240) == \
        "target p99 ≤ 250 ms: met"
    assert targets.handoff_verdict("embedded", 20, "escalation_to_agent", 240) == ""
    assert targets.handoff_verdict("embedded", 100, "customer_request_to_agent", 900) == ""
