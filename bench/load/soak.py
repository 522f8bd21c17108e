"""The soak: for `minutes` minutes new handoffs open at a steady `rate` a minute, each living the
whole life of a handoff of the burst (bench/load/handoffs.py: the request for a person, `rounds`
messages each way with think times, every message checked, the resolve), so that about rate ×
lifetime are open at once. What it looks for is what a burst cannot show: memory that grows.

Every 30 s the RSS of each of our server processes is sampled. The growth is measured from the
sample at 5 minutes (caches, pools and the model warm by then; in a soak of under 10 minutes, the
sample at half its length) to the last, taken when the soak's time is up and it is still in its
steady state (the handoffs still open then are finished after it). Target: within 10 %.

The agents (`agent_count`, default a tenth of the handoffs expected open at once) each take
enough chats for the team to hold twice that many, so that a handoff never waits for a free
agent: the soak measures the servers, not the team's size.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.load.handoffs import THINK, Conversation, HandoffRun, default_agents
from bench.load.people import on_duty
from bench.load.targets import SOAK_RSS_GROWTH_AT_MOST, verdict

SAMPLE_EVERY = 30.0
WARM = 300.0  # seconds: growth is counted from the sample nearest this
TARGET_PCT = 100 * SOAK_RSS_GROWTH_AT_MOST
ESCALATION = 10.0  # seconds of a handoff's life besides the think times, generously

Samples = list[tuple[float, dict[str, float]]]  # (seconds into the soak, RSS MiB per process)


@dataclass
class SoakRun:
    minutes: float
    rate: float
    agents: int
    opened: int = 0
    handoffs: HandoffRun = field(default_factory=HandoffRun)
    samples: Samples = field(default_factory=list)


def open_at_once(rate: float, rounds: int, think: tuple[float, float]) -> float:
    """Handoffs expected open at once: arrivals a second × a handoff's expected life."""
    return rate / 60 * (rounds * (think[0] + think[1]) + ESCALATION)


def memory_growth(samples: Samples, minutes: float) -> dict[str, Any]:
    """RSS of each process at the warm sample and at the last one, and the growth in %."""
    warm = min(WARM, minutes * 60 / 2)
    start, first = min(samples, key=lambda sample: abs(sample[0] - warm))
    end, last = samples[-1]
    return {"from_s": start, "to_s": end, "target_pct": TARGET_PCT, "processes": {
        name: {"from_mib": first[name], "to_mib": mib,
               "growth_pct": 100 * (mib / first[name] - 1) if first[name] else None}
        for name, mib in last.items()}}


def soak_figures(run: SoakRun) -> dict[str, Any]:
    """The soak's own figures (the latencies and counts are the burst's: HandoffRun)."""
    return {"soak_minutes": run.minutes, "rate_per_minute": run.rate, "agents": run.agents,
            "handoffs_opened": run.opened, "rss_samples": run.samples,
            "rss_growth": memory_growth(run.samples, run.minutes)}


def soak_lines(figures: dict[str, Any]) -> list[str]:
    """The report's lines on memory."""
    growth = figures["rss_growth"]
    within = all(p["growth_pct"] is not None and p["growth_pct"] <= TARGET_PCT
                 for p in growth["processes"].values())
    return [f"  soak: {figures['soak_minutes']:g} min, {figures['rate_per_minute']:g} handoffs a "
            f"minute, {figures['agents']} agents, {figures['handoffs_opened']} opened",
            f"  RSS (MiB) at {growth['from_s'] / 60:.1f} min → at {growth['to_s'] / 60:.1f} min: "
            + ", ".join(f"{name} {p['from_mib']:.0f} → {p['to_mib']:.0f} "
                        + (f"({p['growth_pct']:+.1f} %)" if p["growth_pct"] is not None
                           else "(not running at the warm sample)")
                        for name, p in growth["processes"].items())
            + f"; within {growth['target_pct']:g} %: {verdict(within)}"]


async def _sample(memory: Callable[[], dict[str, float]], began: float, seconds: float,
                  samples: Samples) -> None:
    """Every SAMPLE_EVERY seconds from the start, and at the end."""
    times = [k * SAMPLE_EVERY for k in range(int(seconds // SAMPLE_EVERY) + 1)]
    if times[-1] < seconds:
        times.append(seconds)
    for at in times:
        await asyncio.sleep(max(0.0, began + at - time.monotonic()))
        samples.append((time.monotonic() - began, memory()))


async def _soak(rasa_url: str, handoff_url: str, admin_token: str, run: SoakRun,
                memory: Callable[[], dict[str, float]], rounds: int,
                think: tuple[float, float]) -> None:
    capacity = math.ceil(2 * open_at_once(run.rate, rounds, think) / run.agents)
    async with on_duty(handoff_url, admin_token, run.agents, capacity) as (agents, feeds):
        lives: list[asyncio.Task[None]] = []
        began = time.monotonic()
        sampler = asyncio.create_task(_sample(memory, began, run.minutes * 60, run.samples))
        try:
            for index in range(round(run.minutes * run.rate)):
                await asyncio.sleep(max(0.0, began + index * 60 / run.rate - time.monotonic()))
                conversation = Conversation(rasa_url, agents, feeds, run.handoffs)
                lives.append(asyncio.create_task(conversation.lifetime(rounds, think)))
                run.opened += 1
            await sampler
        finally:
            sampler.cancel()
            await asyncio.gather(*lives)
        run.handoffs.duplicated += feeds.duplicated()
        run.handoffs.failures += feeds.failures


def run_soak(rasa_url: str, handoff_url: str, admin_token: str, minutes: float, rate: float,
             memory: Callable[[], dict[str, float]], agent_count: int | None = None,
             rounds: int = 3, think: tuple[float, float] = THINK) -> SoakRun:
    """Handoffs opening at `rate` a minute for `minutes` minutes; `memory` gives the RSS (MiB)
    of each server process (OurSystem.memory)."""
    run = SoakRun(minutes, rate, agent_count or default_agents(open_at_once(rate, rounds, think)))
    asyncio.run(_soak(rasa_url, handoff_url, admin_token, run, memory, rounds, think))
    return run
