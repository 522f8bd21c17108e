"""The speed targets bench.load is held to, declared once and printed beside the figures.

They are the targets of issue #30 (2 cores, one run, ratios measured side by side with bare
Rasa in the same run). Every later change is held to them: a figure outside its target prints
MISSED.
"""

from __future__ import annotations

from typing import Any

# bot turns of ours against bare Rasa's, at every level, in these profiles
TURN_PROFILES = ("embedded", "postgres")
MEDIAN_RATIO_AT_MOST = 0.8
THROUGHPUT_RATIO_AT_LEAST = 1.5

# handoff path: p99 in ms of every direction, by profile, at 100 handoffs open at once ...
HANDOFF_P99_MS = {"embedded": 100.0, "postgres": 150.0, "scaled": 300.0}
# ... and at 500 (and above)
MANY_HANDOFFS = 500
MANY_HANDOFFS_P99_MS = {"embedded": 250.0, "postgres": 250.0}
DIRECTIONS = ("escalation_to_agent", "agent_send_to_customer_socket",
              "customer_message_to_agent")

# the soak: each process's RSS at the end within this share of its RSS after the warm-up
SOAK_RSS_GROWTH_AT_MOST = 0.10


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def turn_verdict(profile: str, median_ratio: float, throughput_ratio: float) -> str:
    """'' where no target applies (bare Rasa itself, the scale-out profile)."""
    if profile not in TURN_PROFILES:
        return ""
    median = verdict(median_ratio <= MEDIAN_RATIO_AT_MOST)
    throughput = verdict(throughput_ratio >= THROUGHPUT_RATIO_AT_LEAST)
    return (f"target median ≤ {MEDIAN_RATIO_AT_MOST:.1f}×: {median}, "
            f"throughput ≥ {THROUGHPUT_RATIO_AT_LEAST:.1f}×: {throughput}")


def handoff_p99_target(profile: str, handoffs: int) -> float | None:
    """The p99 (ms) the handoff path is held to with `handoffs` open at once, if any."""
    if handoffs >= MANY_HANDOFFS:
        return MANY_HANDOFFS_P99_MS.get(profile)
    return HANDOFF_P99_MS.get(profile) if handoffs >= 100 else None


def handoff_verdict(profile: str, handoffs: int, key: str, p99_ms: float) -> str:
    target = handoff_p99_target(profile, handoffs)
    if target is None or key not in DIRECTIONS:
        return ""
    return f"target p99 ≤ {target:.0f} ms: {verdict(p99_ms <= target)}"


def messages_verdict(path: dict[str, Any]) -> str:
    return f"target 0 lost, 0 duplicated: {verdict(path['lost'] == 0 and path['duplicated'] == 0)}"
