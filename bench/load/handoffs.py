"""The handoff path under load: `customers` handoffs open at the same time, `agents` agents
(default a tenth of the customers) each taking ceil(customers / agents) chats. The customers
arrive over `spread` seconds (escalation is measured then); once every handoff is assigned (or
has failed), each customer and agent exchange `rounds` messages both ways, each side reading
and typing for THINK seconds before it writes, with all handoffs still open. Every message is
counted on the other side.

The spread defaults to max(20, customers / 5) seconds: five requests for a person a second at
most, whatever the number, so that 500 customers measure a busy hour's arrivals rather than a
denial of service (each request is a bot turn, an action and the service's filing).

All of it runs on one asyncio event loop (bench/load/people.py), so that the load generator
neither distorts the latencies through the GIL, as a thread per customer did, nor runs out of
threads at 500 customers.

Three latencies, all on this machine's clock:
- escalation: the handoff service files the handoff (`created_at`) until an agent's live feed
  shows it; and, for reference, the customer's request until then (that includes Rasa's NLU and
  the action server, queued behind the other customers' turns);
- agent send: the agent's POST until the customer's socket receives the text;
- customer message: the customer's emit until the assigned agent's live feed announces it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from bench.load.people import Agent, Customer, LiveFeeds, on_duty

ASK = "I want to talk to a person"
THINK = (2.0, 8.0)  # seconds a person takes to read and answer, uniformly
SETTLE = 1.0  # seconds after the last message: anything sent twice would have arrived by then


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


class Conversation:
    """One customer's handoff, from asking for a person to the resolve. An exception at any step
    ends it there and is counted in the run's failures, never hidden."""

    def __init__(self, rasa_url: str, agents: dict[int, Agent], feeds: LiveFeeds,
                 run: HandoffRun) -> None:
        self.customer = Customer(rasa_url)
        self.agents, self.feeds, self.run = agents, feeds, run
        self.handoff_id: int | None = None
        self.agent: Agent | None = None
        self.failed = False

    @contextlib.contextmanager
    def _step(self) -> Iterator[None]:
        try:
            yield
        except Exception as error:
            self.failed = True
            self.run.failures.append(f"{type(error).__name__}: {error}")

    async def open(self, delay: float = 0.0) -> None:
        """After `delay` seconds the customer opens the chat and asks for a person; done once an
        agent has the handoff."""
        await asyncio.sleep(delay)
        feeds, session = self.feeds, self.customer.session_id
        with self._step():
            await self.customer.connect()
            asked = time.time()
            await self.customer.say(ASK)
            self.handoff_id = handoff_id = await feeds.wait(
                ("created", session), lambda: feeds.handoff_of.get(session))
            seen = feeds.first_seen[("handoff.created", handoff_id)]
            self.agent = self.agents[await feeds.wait(
                ("assigned", handoff_id), lambda: feeds.assigned_to.get(handoff_id))]
            created = (await self.agent.detail(handoff_id))["created_at"]
            self.run.escalation_service.append(seen - created)
            self.run.escalation_customer.append(seen - asked)
            self.run.timeline.append(("escalation", created, seen - created, handoff_id))

    async def talk(self, rounds: int, think: tuple[float, float]) -> None:
        """`rounds` messages each way, then each checked on the other side and in the
        database."""
        if self.failed or self.agent is None or self.handoff_id is None:
            return
        customer, agent, handoff_id, run = self.customer, self.agent, self.handoff_id, self.run
        with self._step():
            markers, questions = [], []
            for _ in range(rounds):
                await asyncio.sleep(random.uniform(*think))  # the agent reads and types
                markers.append(f"agent says {uuid.uuid4().hex}")
                sent = time.time()
                await agent.send(handoff_id, markers[-1])
                received = await customer.receive(markers[-1])
                await asyncio.sleep(random.uniform(*think))  # the customer reads and types
                questions.append(f"customer says {uuid.uuid4().hex}")
                said = time.time()
                await customer.say(questions[-1])
                announced = await self.feeds.wait(("message", handoff_id), lambda said=said: next(
                    (t for _, t in self.feeds.customer_messages[handoff_id] if t >= said), None))
                run.agent_send.append(received - sent)
                run.customer_message.append(announced - said)
                run.timeline += [("agent_send", sent, received - sent, handoff_id),
                                 ("customer_message", said, announced - said, handoff_id)]
            await asyncio.sleep(SETTLE)
            extra = sum(text in markers for text in customer.unread())
            stored = [m["text"] for m in (await agent.detail(handoff_id))["messages"]]
            run.sent += len(markers) + len(questions)
            run.lost += sum(text not in stored for text in markers + questions)
            run.duplicated += extra + sum(max(0, stored.count(t) - 1) for t in markers + questions)

    async def close(self) -> None:
        """The agent resolves the handoff (whatever happened before), the customer leaves."""
        with self._step():
            if self.agent is not None and self.handoff_id is not None:
                await self.agent.resolve(self.handoff_id)
        with self._step():
            await self.customer.disconnect()

    async def finish(self, rounds: int, think: tuple[float, float]) -> None:
        """Talk, then close at once: each handoff is resolved when its own talk ends, as an
        agent would, not all in the same instant."""
        await self.talk(rounds, think)
        await self.close()

    async def lifetime(self, rounds: int, think: tuple[float, float]) -> None:
        await self.open()
        await self.finish(rounds, think)


def default_agents(open_at_once: float) -> int:
    return max(1, int(open_at_once // 10))


def default_spread(customers: int) -> float:
    return max(20.0, customers / 5)


async def _burst(rasa_url: str, handoff_url: str, admin_token: str, customers: int,
                 agent_count: int, spread: float, rounds: int,
                 think: tuple[float, float]) -> HandoffRun:
    run = HandoffRun()
    async with on_duty(handoff_url, admin_token, agent_count,
                       -(-customers // agent_count)) as (agents, feeds):
        conversations = [Conversation(rasa_url, agents, feeds, run) for _ in range(customers)]
        await asyncio.gather(*(c.open(random.uniform(0, spread)) for c in conversations))
        await asyncio.gather(*(c.finish(rounds, think) for c in conversations))
        run.duplicated += feeds.duplicated()
        run.failures += feeds.failures
    return run


def run_handoffs(rasa_url: str, handoff_url: str, admin_token: str, customers: int = 100,
                 agent_count: int | None = None, spread: float | None = None, rounds: int = 3,
                 think: tuple[float, float] = THINK) -> HandoffRun:
    """`customers` handoffs open at the same time, arriving within `spread` seconds."""
    return asyncio.run(_burst(rasa_url, handoff_url, admin_token, customers,
                              agent_count or default_agents(customers),
                              default_spread(customers) if spread is None else spread,
                              rounds, think))
