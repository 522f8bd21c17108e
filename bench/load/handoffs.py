"""The handoff path under load: `customers` handoffs open at the same time. They arrive over
`spread` seconds (escalation is measured then); once all are assigned, each customer and agent
exchange `rounds` messages both ways, each side reading and typing for THINK seconds before it
writes, with all handoffs still open. Every message is counted on the other side.

Three latencies, all on this machine's clock:
- escalation: the handoff service files the handoff (`created_at`) until an agent's live feed
  shows it; and, for reference, the customer's request until then (that includes Rasa's NLU and
  the action server, queued behind the other customers' turns);
- agent send: the agent's POST until the customer's socket receives the text;
- customer message: the customer's emit until the assigned agent's live feed announces it.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import websocket

from common.protocol import LANGUAGES
from tests.e2e.clients import Agent, Customer

ASK = "I want to talk to a person"
THINK = (2.0, 8.0)  # seconds a person takes to read and answer, uniformly
TIMEOUT = 60.0


class LiveFeeds:
    """The agents' live feeds: when each event was first seen, by (type, handoff id)."""

    def __init__(self) -> None:
        self.first_seen: dict[tuple[str, int], float] = {}
        # (message id, when announced) of each customer message, per handoff; and how often each
        # (feed, message id) pair came, to find doubles (every agent of the team hears each one)
        self.customer_messages: dict[int, list[tuple[int, float]]] = defaultdict(list)
        self.deliveries: dict[tuple[int, int], int] = defaultdict(int)
        self.handoff_of: dict[str, int] = {}
        self.assigned_to: dict[int, int] = {}
        self._changed = threading.Condition()
        self._sockets: list[websocket.WebSocketApp] = []

    def listen(self, base_url: str, token: str) -> None:
        url = base_url.replace("http", "ws", 1) + "/api/v1/live"
        feed = len(self._sockets)
        app = websocket.WebSocketApp(  # the token as a subprotocol, never in the URL
            url, subprotocols=["handoff.live", f"bearer.{token}"],
            on_message=lambda _, raw: self._event(feed, json.loads(raw)))
        self._sockets.append(app)
        threading.Thread(target=app.run_forever, daemon=True).start()

    def _event(self, feed: int, event: dict[str, Any]) -> None:
        now = time.time()
        handoff_id = event.get("handoff_id")
        with self._changed:
            self.first_seen.setdefault((event["type"], handoff_id), now)
            if event["type"] == "handoff.created":
                self.handoff_of[event["conversation_id"]] = handoff_id
            elif event["type"] == "handoff.assigned":
                self.assigned_to[handoff_id] = event["agent_id"]
            elif event["type"] == "message.created" and event.get("sender") == "customer":
                self.customer_messages[handoff_id].append((event["message_id"], now))
                self.deliveries[(feed, event["message_id"])] += 1
            self._changed.notify_all()

    def wait(self, probe: Any) -> Any:
        deadline = time.monotonic() + TIMEOUT
        with self._changed:
            while (found := probe()) is None:
                if not self._changed.wait(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError("live feed: nothing in time")
            return found

    def close(self) -> None:
        for app in self._sockets:
            app.close()


@dataclass
class HandoffRun:
    escalation_service: list[float] = field(default_factory=list)
    escalation_customer: list[float] = field(default_factory=list)
    agent_send: list[float] = field(default_factory=list)
    customer_message: list[float] = field(default_factory=list)
    # (what, when it started, latency, handoff id) of each sample, to place an outlier in time
    # beside the servers' logs
    timeline: list[tuple[str, float, float, int]] = field(default_factory=list)
    sent: int = 0
    lost: int = 0
    duplicated: int = 0
    failures: list[str] = field(default_factory=list)


def _one_customer(rasa_url: str, agents: dict[int, Agent], feeds: LiveFeeds, spread: float,
                  rounds: int, think: tuple[float, float], everyone_assigned: threading.Barrier,
                  result: HandoffRun, lock: threading.Lock) -> None:
    customer = Customer(rasa_url)
    customer.connect()
    handoff_id = agent = None
    try:
        time.sleep(random.uniform(0, spread))
        asked = time.time()
        customer.say(ASK)
        handoff_id = feeds.wait(lambda: feeds.handoff_of.get(customer.session_id))
        seen = feeds.first_seen[("handoff.created", handoff_id)]
        agent = agents[feeds.wait(lambda: feeds.assigned_to.get(handoff_id))]
        created = agent.detail(handoff_id)["created_at"]
        with lock:
            result.escalation_service.append(seen - created)
            result.escalation_customer.append(seen - asked)
            result.timeline.append(("escalation", created, seen - created, handoff_id))
        everyone_assigned.wait(TIMEOUT * 2)
        markers, questions = [], []
        for _ in range(rounds):
            time.sleep(random.uniform(*think))  # the agent reads and types
            markers.append(f"agent says {uuid.uuid4().hex}")
            sent = time.time()
            agent.call("POST", f"/handoffs/{handoff_id}/messages", json={"text": markers[-1]})
            while customer.receive_text(TIMEOUT) != markers[-1]:
                pass
            received = time.time()
            time.sleep(random.uniform(*think))  # the customer reads and types
            questions.append(f"customer says {uuid.uuid4().hex}")
            said = time.time()
            customer.say(questions[-1])
            announced = feeds.wait(lambda said=said: next(
                (t for _, t in feeds.customer_messages[handoff_id] if t >= said), None))
            with lock:
                result.agent_send.append(received - sent)
                result.customer_message.append(announced - said)
                result.timeline += [("agent_send", sent, received - sent, handoff_id),
                                    ("customer_message", said, announced - said, handoff_id)]
        time.sleep(1.0)  # anything sent twice would have arrived by now
        extra = 0
        while not customer.inbox.empty():
            extra += customer.inbox.get()["text"] in markers
        stored = [m["text"] for m in agent.detail(handoff_id)["messages"]]
        with lock:
            result.sent += len(markers) + len(questions)
            result.lost += sum(text not in stored for text in markers + questions)
            result.duplicated += extra + sum(max(0, stored.count(t) - 1)
                                             for t in markers + questions)
    except Exception as error:  # a failure is counted and reported, not hidden
        with lock:
            result.failures.append(f"{type(error).__name__}: {error}")
        everyone_assigned.abort()
    finally:
        if agent is not None and handoff_id is not None:
            agent.call("POST", f"/handoffs/{handoff_id}/resolve")
        customer.disconnect()


def run_handoffs(rasa_url: str, handoff_url: str, admin_token: str, customers: int = 100,
                 agent_count: int = 10, spread: float = 20.0, rounds: int = 3,
                 think: tuple[float, float] = THINK) -> HandoffRun:
    """`customers` handoffs open at the same time, arriving within `spread` seconds."""
    capacity = -(-customers // agent_count)
    team = [Agent.create(handoff_url, admin_token, f"Load{uuid.uuid4().hex[:8]}", capacity,
                         list(LANGUAGES)) for _ in range(agent_count)]
    agents = {agent.call("GET", "/agents/me").json()["id"]: agent for agent in team}
    feeds = LiveFeeds()
    for agent in team:
        feeds.listen(handoff_url, agent.http.headers["Authorization"].removeprefix("Bearer "))
        agent.set_presence("online")
    time.sleep(1.0)
    result, lock = HandoffRun(), threading.Lock()
    everyone_assigned = threading.Barrier(customers)
    try:
        with ThreadPoolExecutor(customers) as pool:
            for _ in range(customers):
                pool.submit(_one_customer, rasa_url, agents, feeds, spread, rounds, think,
                            everyone_assigned, result, lock)
    finally:
        feeds.close()
    result.duplicated += sum(count - 1 for count in feeds.deliveries.values())
    return result
