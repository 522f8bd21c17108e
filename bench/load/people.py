"""The people of the handoff path as asyncio clients, so that hundreds share one event loop:
customers on Rasa's socket.io channel (as `Customer` of tests/e2e/clients.py talks, the
widget's way), agents on the handoff service's HTTP API, and the agents' live feeds.

Each arrival is stamped with this machine's clock by the code that reads it off the socket (the
socket.io client's handler, the feed's reader), not when the coroutine waiting for it wakes, so
that a busy loop delays the measurement as little as it can.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Any, TypeVar

import httpx
import socketio
import websockets

from common.protocol import LANGUAGES
from tests.e2e.clients import Agent as AccountMaker

TIMEOUT = 60.0
HEARTBEAT = 20.0  # seconds between live-feed heartbeats, as the console sends them
T = TypeVar("T")


def raise_open_files() -> None:
    """Soft limit of open files up to the hard one: 500 customers' sockets and 50 agents' feeds
    and connections pass 1,024 (the servers started after this inherit it too)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def within(waiting: Awaitable[T], what: str, timeout: float = TIMEOUT) -> T:
    """`waiting`, or a TimeoutError that says what did not come."""
    try:
        return await asyncio.wait_for(waiting, timeout)
    except TimeoutError:
        raise TimeoutError(f"{what}: nothing in {timeout:.0f} s") from None


class Customer:
    """Talks to Rasa's socket.io channel like the widget: session_request, user_uttered."""

    def __init__(self, rasa_url: str) -> None:
        self.url = rasa_url
        self.session_id = uuid.uuid4().hex
        self.inbox: asyncio.Queue[tuple[float, str]] = asyncio.Queue()  # (when, text)
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("bot_uttered", self._received)

    async def _received(self, message: dict[str, Any]) -> None:
        if "text" in message and "handoff" not in message:  # not the widget's status card
            self.inbox.put_nowait((time.time(), message["text"]))

    async def connect(self) -> None:
        confirmed = asyncio.Event()

        async def confirm(*_: Any) -> None:
            confirmed.set()

        self.sio.on("session_confirm", confirm)
        await self.sio.connect(self.url, transports=["websocket"], wait_timeout=TIMEOUT)
        await self.sio.emit("session_request", {"session_id": self.session_id})
        await within(confirmed.wait(), "session_confirm", 10)

    async def say(self, text: str) -> None:
        await self.sio.emit("user_uttered", {"message": text, "session_id": self.session_id})

    async def receive(self, text: str) -> float:
        """When `text` arrived (texts before it, the bot's, are passed over)."""
        while True:
            when, received = await within(self.inbox.get(), f"customer waiting for '{text}'")
            if received == text:
                return when

    def unread(self) -> list[str]:
        texts = []
        while not self.inbox.empty():
            texts.append(self.inbox.get_nowait()[1])
        return texts

    async def disconnect(self) -> None:
        await self.sio.disconnect()


class Agent:
    """An agent on the handoff service's HTTP API, signed in (the account made beforehand)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.token = token
        self.http = httpx.AsyncClient(base_url=f"{base_url}/api/v1", timeout=TIMEOUT,
                                      headers={"Authorization": f"Bearer {token}"})

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    async def detail(self, handoff_id: int) -> dict[str, Any]:
        return await self.call("GET", f"/handoffs/{handoff_id}")

    async def send(self, handoff_id: int, text: str) -> None:
        await self.call("POST", f"/handoffs/{handoff_id}/messages", json={"text": text})

    async def resolve(self, handoff_id: int) -> None:
        await self.call("POST", f"/handoffs/{handoff_id}/resolve")


@contextlib.asynccontextmanager
async def on_duty(handoff_url: str, admin_token: str, size: int,
                  capacity: int) -> AsyncIterator[tuple[dict[int, Agent], LiveFeeds]]:
    """`size` new agents of every language taking `capacity` chats each, online with their live
    feeds open: the agents by id, and the feeds. The accounts are made synchronously, before
    any clock starts."""
    tokens = [AccountMaker.create(handoff_url, admin_token, f"Load{uuid.uuid4().hex[:8]}",
                                  capacity, list(LANGUAGES))
              .http.headers["Authorization"].removeprefix("Bearer ") for _ in range(size)]
    team = [Agent(handoff_url, token) for token in tokens]
    feeds = LiveFeeds()
    try:
        agents = {(await agent.call("GET", "/agents/me"))["id"]: agent for agent in team}
        for agent in team:
            await feeds.listen(handoff_url, agent.token)
            await agent.call("PUT", "/agents/me/presence", json={"presence": "online"})
        yield agents, feeds
    finally:
        await feeds.close()
        for agent in team:
            await agent.http.aclose()


class LiveFeeds:
    """The agents' live feeds: when each event was first seen, by (type, handoff id).

    A coroutine waits on a key (what it waits for) and is woken only by the events of that key,
    so that 500 waiters are not all woken by every event of 50 feeds."""

    def __init__(self) -> None:
        self.first_seen: dict[tuple[str, int], float] = {}
        # (message id, when announced) of each customer message, per handoff; and how often each
        # (feed, message id) pair came, to find doubles (every agent of the team hears each one)
        self.customer_messages: dict[int, list[tuple[int, float]]] = defaultdict(list)
        self.deliveries: dict[tuple[int, int], int] = defaultdict(int)
        self.handoff_of: dict[str, int] = {}
        self.assigned_to: dict[int, int] = {}
        self.failures: list[str] = []  # a feed that ended before the run did
        self._waiters: dict[Hashable, list[asyncio.Future[None]]] = defaultdict(list)
        self._tasks: list[asyncio.Task[None]] = []

    async def listen(self, base_url: str, token: str) -> None:
        """Open an agent's feed (the token as a subprotocol, never in the URL), once it is
        ready."""
        url = base_url.replace("http", "ws", 1) + "/api/v1/live"
        socket = await websockets.connect(url, subprotocols=["handoff.live", f"bearer.{token}"],
                                          proxy=None, max_size=None)
        ready = json.loads(await within(socket.recv(), "live.ready", 10))
        if ready.get("type") != "live.ready":
            raise RuntimeError(f"live feed: {ready}")
        self._tasks.append(asyncio.create_task(self._read(len(self._tasks), socket)))

    async def _read(self, feed: int, socket: websockets.ClientConnection) -> None:
        beat = asyncio.create_task(self._heartbeat(socket))
        try:
            async for raw in socket:
                self._event(feed, time.time(), json.loads(raw))
            self.failures.append(f"live feed {feed} closed: {socket.close_code} "
                                 f"{socket.close_reason}")
        except websockets.ConnectionClosedError as error:
            self.failures.append(f"live feed {feed}: {error}")
        finally:
            beat.cancel()
            await socket.close()

    @staticmethod
    async def _heartbeat(socket: websockets.ClientConnection) -> None:
        """Any text keeps an agent present past HANDOFF_PRESENCE_TIMEOUT_SECONDS, however long
        a soak goes between its API calls."""
        while True:
            await asyncio.sleep(HEARTBEAT)
            await socket.send("ping")

    def _event(self, feed: int, now: float, event: dict[str, Any]) -> None:
        kind, handoff_id = event["type"], event.get("handoff_id")
        self.first_seen.setdefault((kind, handoff_id), now)
        if kind == "handoff.created":
            self.handoff_of[event["conversation_id"]] = handoff_id
            self._wake(("created", event["conversation_id"]))
        elif kind == "handoff.assigned":
            self.assigned_to[handoff_id] = event["agent_id"]
            self._wake(("assigned", handoff_id))
        elif kind == "message.created" and event.get("sender") == "customer":
            self.customer_messages[handoff_id].append((event["message_id"], now))
            self.deliveries[(feed, event["message_id"])] += 1
            self._wake(("message", handoff_id))

    def _wake(self, key: Hashable) -> None:
        for waiter in self._waiters.pop(key, []):
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self, key: Hashable, probe: Callable[[], T | None]) -> T:
        """The first `probe()` that is not None, tried again whenever an event of `key` comes."""
        deadline = time.monotonic() + TIMEOUT
        while (found := probe()) is None:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters[key].append(waiter)
            await within(waiter, f"live feed waiting for {key}", deadline - time.monotonic())
        return found

    def duplicated(self) -> int:
        """Customer messages that one feed announced more than once."""
        return sum(count - 1 for count in self.deliveries.values())

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
