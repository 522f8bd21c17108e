"""Load and latency of the running system, side by side with bare Rasa.

    .venv/bin/python -m bench.load [--levels 1,8,32,128] [--profiles embedded,postgres,scaled]

1. Bare Rasa: the `rasa init` bot (trained once into var/bench/bare) on the REST channel, with no
   actions, no event broker and an in-memory tracker.
2. Our system on the embedded default (SQLite), then with PostgreSQL as Rasa's tracker store and
   event broker and as the handoff database, then (`scaled`) the scale-out profile: two replicas
   of every tier behind HAProxy, on PostgreSQL, Redis and RabbitMQ (tools/scaled.py), where the
   run ends with the recovery after one replica of every tier is killed.
For each: start time until a message is answered (model loaded), bot-turn latency and throughput
at each concurrency, and, for ours, the handoff path with `--handoffs` handoffs open at once
served by `--agents` agents (or, with `--soak MINUTES`, handoffs opening at `--rate` a minute
with the servers' memory sampled: bench/load/soak.py); then the memory of each process.
Loopback only; every phase is bounded in turns and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import uuid
from pathlib import Path
from typing import Any

from bench.load import targets
from bench.load.handoffs import HandoffRun, run_handoffs
from bench.load.people import raise_open_files
from bench.load.recovery import recover
from bench.load.servers import BareRasa, OurSystem, postgres_overrides
from bench.load.soak import run_soak, soak_figures, soak_lines
from bench.load.turns import TurnResult, percentile, run_level, turns_for
from tools.model import ROOT
from tools.scaled import ScaledConfig
from tools.stack import StackConfig

RUNS = ROOT / "var" / "bench"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _turn_figures(result: TurnResult) -> dict[str, float]:
    values = result.latencies
    return {"customers": result.customers, "turns": len(values),
            "median_ms": statistics.median(values) * 1000,
            "p95_ms": percentile(values, 0.95) * 1000, "p99_ms": percentile(values, 0.99) * 1000,
            "per_second": result.per_second, "unanswered": result.unanswered}


def _levels(rasa_url: str, headers: dict[str, str], levels: list[int],
            minimum_turns: int) -> list[dict[str, float]]:
    asyncio.run(run_level(rasa_url, headers, 2, 8))  # warm-up: every message once
    return [_turn_figures(asyncio.run(run_level(rasa_url, headers, n,
                                                turns_for(n, minimum_turns))))
            for n in levels]


def _handoff_figures(run: HandoffRun) -> dict[str, Any]:
    def summary(values: list[float]) -> dict[str, float]:
        if not values:
            return {"n": 0}
        return {"n": len(values), "p50_ms": statistics.median(values) * 1000,
                "p99_ms": percentile(values, 0.99) * 1000, "max_ms": max(values) * 1000}

    return {"escalation_to_agent": summary(run.escalation_service),
            "customer_request_to_agent": summary(run.escalation_customer),
            "agent_send_to_customer_socket": summary(run.agent_send),
            "customer_message_to_agent": summary(run.customer_message),
            "messages_sent": run.sent, "lost": run.lost, "duplicated": run.duplicated,
            "failures": run.failures[:5], "failed": len(run.failures),
            "timeline": sorted(run.timeline, key=lambda sample: sample[1])}


def measure_bare(levels: list[int], minimum_turns: int) -> dict[str, Any]:
    BareRasa.prepare()
    bare = BareRasa(_port())
    try:
        started = bare.start()
        figures = _levels(bare.url, bare.headers, levels, minimum_turns)
        return {"start_s": started, "turns": figures, "memory_mib": bare.memory()}
    finally:
        bare.stop()


def _config(profile: str, var: Path, settings: dict[str, str]) -> StackConfig:
    tag = uuid.uuid4().hex[:8]
    if profile == "scaled":
        return ScaledConfig(var_dir=var, rasa_port=_port(), actions_port=_port(),
                            handoff_port=_port(), stats_port=_port(), prefix=f"bench{tag}",
                            replica_ports={tier: (_port(), _port())
                                           for tier in ("rasa", "actions", "handoff")},
                            overrides=dict(settings))
    overrides = postgres_overrides(tag) if profile == "postgres" else {}
    return StackConfig(var_dir=var, rasa_port=_port(), actions_port=_port(),
                       handoff_port=_port(), overrides=overrides | settings)


def measure_ours(profile: str, levels: list[int], minimum_turns: int, handoffs: int,
                 settings: dict[str, str], think: tuple[float, float], agents: int | None = None,
                 spread: float | None = None,
                 soak: tuple[float, float] | None = None) -> dict[str, Any]:
    """`soak` (minutes, handoffs a minute) runs the soak instead of the handoff burst."""
    var = RUNS / profile  # kept until the next run: the servers' logs are in logs/
    shutil.rmtree(var, ignore_errors=True)
    system = OurSystem(_config(profile, var, settings))
    try:
        started = system.start()
        figures = (_levels(system.config.rasa_url, system.headers, levels, minimum_turns)
                   if levels else [])
        admin = system.config.environment()["HANDOFF_ADMIN_TOKEN"]
        path = None
        if handoffs or soak:
            before = system.cpu()
            if soak:
                run = run_soak(system.config.rasa_url, system.config.handoff_url, admin, *soak,
                               system.memory, agents, think=think)
                path = _handoff_figures(run.handoffs) | soak_figures(run)
            else:
                path = _handoff_figures(run_handoffs(system.config.rasa_url,
                                                     system.config.handoff_url, admin, handoffs,
                                                     agents, spread, think=think))
                path["open_at_once"] = handoffs
            path["cpu_s"] = {name: used - before[name] for name, used in system.cpu().items()}
        memory = system.memory()
        recovery = None
        if profile == "scaled":
            try:
                recovery = recover(system)
            except Exception as error:  # the figures above are kept
                recovery = {"error": repr(error)}
        return {"start_s": started, "turns": figures, "handoffs": path, "memory_mib": memory,
                "recovery": recovery, "settings": settings}
    finally:
        system.stop()
        if isinstance(system.config, ScaledConfig):
            system.config.discard()


def report(results: dict[str, Any]) -> None:
    bare = results.get("bare")
    print("\nstart until a message is answered: " + ", ".join(
        f"{name} {result['start_s']:.1f} s" for name, result in results.items()))
    print("memory (RSS, MiB): " + "; ".join(
        f"{name}: " + ", ".join(f"{p} {m:.0f}" for p, m in result["memory_mib"].items())
        for name, result in results.items()))
    print("\nbot turns (REST)    customers   median     p95      p99    turns/s  unanswered"
          "   ratio to bare (median / p95 / p99 / throughput)")
    for name, result in results.items():
        for index, row in enumerate(result["turns"]):
            ratio = ""
            if bare and name != "bare":
                base = bare["turns"][index]
                ratio = " / ".join(f"{row[k] / base[k]:.2f}" for k in
                                   ("median_ms", "p95_ms", "p99_ms", "per_second"))
                ratio += "   " + targets.turn_verdict(
                    name, row["median_ms"] / base["median_ms"],
                    row["per_second"] / base["per_second"])
            print(f"{name:<18} {row['customers']:>9} {row['median_ms']:>7.0f}ms "
                  f"{row['p95_ms']:>6.0f}ms {row['p99_ms']:>6.0f}ms {row['per_second']:>8.1f}"
                  f" {row['unanswered']:>10}   {ratio}")
    for name, result in results.items():
        if result.get("handoffs"):
            path = result["handoffs"]
            open_at_once = path.get("open_at_once", 0)
            print(f"\nhandoff path, {name}: sent {path['messages_sent']}, lost {path['lost']}, "
                  f"duplicated {path['duplicated']}, failed customers {path['failed']}   "
                  f"{targets.messages_verdict(path)}")
            for key in ("escalation_to_agent", "customer_request_to_agent",
                        "agent_send_to_customer_socket", "customer_message_to_agent"):
                figures = path[key]
                if figures["n"]:
                    print(f"  {key:<32} n={figures['n']:<4} p50 {figures['p50_ms']:6.0f} ms   "
                          f"p99 {figures['p99_ms']:6.0f} ms   max {figures['max_ms']:6.0f} ms   "
                          + targets.handoff_verdict(name, open_at_once, key,
                                                    figures["p99_ms"]))
            print("  CPU during the handoff path: " + ", ".join(
                f"{process} {seconds:.1f} s" for process, seconds in path["cpu_s"].items()))
            for failure in path["failures"]:
                print(f"  failure: {failure}")
            if "rss_growth" in path:
                print("\n".join(soak_lines(path)))
    for name, result in results.items():
        if result.get("recovery"):
            recovery = result["recovery"]
            if "error" in recovery:
                print(f"\nrecovery, {name}: failed: {recovery['error']}")
                continue
            print(f"\nrecovery, {name}: {', '.join(recovery['killed'])} killed with SIGKILL; "
                  f"bot turns through the balancer again after {recovery['turns_s']:.1f} s, "
                  f"the workers' lease on {recovery['lease_holder']} after "
                  f"{recovery['lease_s']:.1f} s, a new handoff's round trip after "
                  f"{recovery['handoff_s']:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="1,8,32,128", help="'' to skip bot turns")
    parser.add_argument("--profiles", default="embedded,postgres")
    parser.add_argument("--min-turns", type=int, default=200,
                        help="turns measured at each concurrency level (at least)")
    parser.add_argument("--handoffs", type=int, default=100, help="0 to skip the handoff path")
    parser.add_argument("--agents", type=int, help="agents of the handoff path (and the soak); "
                        "default a tenth of the handoffs open at once")
    parser.add_argument("--spread", type=float, help="seconds over which the handoffs arrive; "
                        "default max(20, handoffs / 5)")
    parser.add_argument("--soak", type=float, metavar="MINUTES", help="instead of the handoff "
                        "burst, handoffs opening at --rate for MINUTES, with memory sampled")
    parser.add_argument("--rate", type=float, default=60.0, help="handoffs a minute in the soak")
    parser.add_argument("--think", default="2,8", help="seconds a person reads and types "
                        "before each message in the handoff path: low,high (uniform)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="environment for our servers, e.g. HANDOFF_POLL_INTERVAL=0.2")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Rasa baseline")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",") if level]
    settings = dict(item.split("=", 1) for item in args.set)
    low, high = (float(x) for x in args.think.split(","))
    think = (low, high)
    results: dict[str, Any] = {}
    raise_open_files()  # before the servers start: they inherit it
    if not args.no_bare:
        results["bare"] = measure_bare(levels, args.min_turns)
    try:
        for profile in args.profiles.split(","):
            results[profile] = measure_ours(profile, levels, args.min_turns, args.handoffs,
                                            settings, think, args.agents, args.spread,
                                            (args.soak, args.rate) if args.soak else None)
    finally:  # what was measured is reported even if a later profile fails
        report(results)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
