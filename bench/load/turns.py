"""Bot turns under load: N simulated customers on the REST channel at once, each sending its next
message as soon as the previous one is answered (a closed loop). A customer's conversation is as
long as MESSAGES; then a new customer (a new sender id) takes its place, as on a real site, so
conversations do not grow without end."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import httpx

# The same messages for bare Rasa and for ours: greetings and questions in the four languages, and
# an order lookup (which, in our bot, calls the action server and the order backend).
MESSAGES = ["hello", "how long does delivery take?", "سلام", "ساعت کاری شما چیست؟",
            "مرحبا", "ما هي طرق الدفع؟", "שלום", "where is my order 58231?"]


@dataclass
class TurnResult:
    customers: int
    latencies: list[float]
    seconds: float
    unanswered: int

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _customer(client: httpx.AsyncClient, url: str, turns: int, offset: int,
                    latencies: list[float]) -> int:
    unanswered = 0
    for turn in range(turns):
        if turn % len(MESSAGES) == 0:
            sender = uuid.uuid4().hex  # the next customer's conversation
        message = MESSAGES[(offset + turn) % len(MESSAGES)]
        began = time.perf_counter()
        response = await client.post(url, json={"sender": sender, "message": message})
        latencies.append(time.perf_counter() - began)
        if response.status_code != 200 or not response.json():
            unanswered += 1
    return unanswered


async def run_level(rasa_url: str, headers: dict[str, str], customers: int,
                    turns_each: int) -> TurnResult:
    url = f"{rasa_url}/webhooks/rest/webhook"
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=customers, max_keepalive_connections=customers)
    async with httpx.AsyncClient(timeout=120, limits=limits, headers=headers) as client:
        began = time.perf_counter()
        unanswered = await asyncio.gather(*(
            _customer(client, url, turns_each, index, latencies) for index in range(customers)))
        seconds = time.perf_counter() - began
    return TurnResult(customers, latencies, seconds, sum(unanswered))


def turns_for(customers: int, minimum_turns: int) -> int:
    """Turns per customer so that each level measures at least `minimum_turns` turns."""
    return max(2, -(-minimum_turns // customers))
