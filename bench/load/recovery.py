"""How soon the scale-out profile serves again after one replica of every tier is killed.

Rasa's first replica, the first action server and the handoff service replica that holds the
workers' lease are killed with SIGKILL at once. Measured from that moment: the first bot turn
answered through the balancer, the workers' lease held by the surviving service replica, and the
first whole handoff round trip (a customer on socket.io asks for a person, an agent has the chat,
the agent's reply reaches the customer's socket).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

from bench.load.servers import OurSystem, answered
from tests.e2e.clients import Agent, Customer
from tools.scaled import REPLICAS, ScaledConfig

GIVE_UP_SECONDS = 120.0


def lease_holder(config: ScaledConfig, alive: set[str]) -> str | None:
    token = config.environment()["HANDOFF_METRICS_TOKEN"]
    for replica in REPLICAS:
        name = f"handoff-{replica}"
        if name not in alive:
            continue
        try:
            page = requests.get(f"http://127.0.0.1:{config.port('handoff', replica)}/metrics",
                                headers={"Authorization": f"Bearer {token}"}, timeout=2).text
        except requests.RequestException:
            continue
        for family in text_string_to_metric_families(page):
            if family.name == "handoff_workers_lease_held" and family.samples[0].value == 1:
                return name
    return None


def _after(began: float, probe: Callable[[], Any]) -> float:
    """Seconds from `began` until `probe` is true."""
    while not probe():
        if time.monotonic() - began > GIVE_UP_SECONDS:
            raise TimeoutError(f"not recovered within {GIVE_UP_SECONDS:.0f} s")
        time.sleep(0.05)
    return time.monotonic() - began


def _round_trip(config: ScaledConfig, agent: Agent) -> bool:
    customer = Customer(config.rasa_url)
    try:
        customer.connect()
        customer.say("I want to talk to a human")
        deadline = time.monotonic() + 30
        while (handoff := agent.find(customer.session_id)) is None or \
                handoff["status"] != "assigned":
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        text = f"recovered {uuid.uuid4().hex[:6]}"
        agent.call("POST", f"/handoffs/{handoff['id']}/messages", json={"text": text})
        while time.monotonic() < deadline:
            if customer.receive_text(timeout=max(0.1, deadline - time.monotonic())) == text:
                agent.call("POST", f"/handoffs/{handoff['id']}/resolve")
                return True
        return False
    except Exception:  # a replica still going away: try again
        return False
    finally:
        customer.disconnect()


def recover(system: OurSystem) -> dict[str, Any]:
    config: ScaledConfig = system.config  # type: ignore[assignment]
    stack = system.stack
    agent = Agent.create(config.handoff_url, config.environment()["HANDOFF_ADMIN_TOKEN"],
                         f"Recovery{uuid.uuid4().hex[:6]}", 50, ["en"])
    agent.set_presence("online")
    holder = lease_holder(config, set(stack.processes))
    killed = ["rasa-1", "actions-1", holder or "handoff-1"]
    began = time.monotonic()
    for name in killed:
        stack.kill(name)
    turns = _after(began, lambda: answered(config.rasa_url, system.headers))
    lease = _after(began, lambda: lease_holder(config, set(stack.processes)) is not None)
    handoff = _after(began, lambda: _round_trip(config, agent))
    return {"killed": killed, "turns_s": turns, "lease_s": lease, "handoff_s": handoff,
            "lease_holder": lease_holder(config, set(stack.processes))}
