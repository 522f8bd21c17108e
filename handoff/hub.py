"""Live updates: an in-process fan-out to the agents' and the widget's WebSocket connections.

Publishing is safe from any thread (sync endpoints and the event consumer run in worker threads).
An agent receives the events of their teams and those addressed to them; a customer's widget only
the events addressed to their own conversation (typing).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class Subscription:
    agent_id: int | None
    team_ids: frozenset[int]
    conversation_id: str | None = None
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(1000))

    def wants(self, event: dict[str, Any]) -> bool:
        if self.conversation_id is not None:
            return event.get("to_conversation") == self.conversation_id
        if event.get("to_conversation") is not None:
            return False
        return event.get("agent_id") == self.agent_id or event.get("team_id") in self.team_ids


class Hub:
    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, agent_id: int, team_ids: list[int]) -> Subscription:
        subscription = Subscription(agent_id, frozenset(team_ids))
        self._subscriptions.add(subscription)
        return subscription

    def subscribe_customer(self, conversation_id: str) -> Subscription:
        subscription = Subscription(None, frozenset(), conversation_id)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def publish(self, kind: str, *, team_id: int | None = None, agent_id: int | None = None,
                **payload: Any) -> None:
        event = {"type": kind, "team_id": team_id, "agent_id": agent_id, "at": time.time(),
                 **payload}
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._fan_out, event)

    def tell_customer(self, conversation_id: str, kind: str, **payload: Any) -> None:
        """An event for the customer's widget only (agents never see it)."""
        self.publish(kind, to_conversation=conversation_id, **payload)

    def _fan_out(self, event: dict[str, Any]) -> None:
        for subscription in list(self._subscriptions):
            if subscription.wants(event) and not subscription.queue.full():
                subscription.queue.put_nowait(event)
