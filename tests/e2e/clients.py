"""A customer on the socket.io channel (as the web widget talks) and an agent on the HTTP API."""

from __future__ import annotations

import functools
import queue
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests
import socketio

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "the admin's long password"


@functools.cache
def admin_session(base_url: str, bootstrap_token: str) -> dict[str, str]:
    """The Authorization header of a signed-in admin: the first admin account, made with the
    bootstrap token (HANDOFF_ADMIN_TOKEN) unless it exists. In a team of its own, so that it
    never takes the tests' chats."""
    made = requests.post(f"{base_url}/api/v1/auth/bootstrap", timeout=10,
                         headers={"Authorization": f"Bearer {bootstrap_token}"},
                         json={"email": ADMIN_EMAIL, "name": "Admin", "password": ADMIN_PASSWORD,
                               "teams": ["admins"]})
    if made.status_code != 409:
        made.raise_for_status()
    login = requests.post(f"{base_url}/api/v1/auth/login", timeout=10,
                          json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


class Customer:
    """Talks to Rasa's socket.io channel like the widget does: session_request, user_uttered."""

    def __init__(self, rasa_url: str, metadata: dict[str, Any] | None = None,
                 transports: tuple[str, ...] = ("websocket",)) -> None:
        self.url = rasa_url
        self.transports = list(transports)  # the widget's; ("polling",) as older clients
        self.metadata = metadata  # sent with every message, as the widget sends its identity
        self.session_id = uuid.uuid4().hex
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        # The widget's status card (custom JSON) comes apart from the texts.
        self.statuses: queue.Queue[dict[str, Any]] = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("bot_uttered", self._received)

    def _received(self, message: dict[str, Any]) -> None:
        if "handoff" in message:
            self.statuses.put(message)
        elif "text" in message:
            self.inbox.put(message)
        # else: the widget's label of an agent message ({"agent_message": ...})

    def status(self, timeout: float = 30.0) -> dict[str, Any]:
        return self.statuses.get(timeout=timeout)["handoff"]

    def connect(self) -> None:
        confirmed: queue.Queue[Any] = queue.Queue()
        self.sio.on("session_confirm", confirmed.put)
        self.sio.connect(self.url, transports=self.transports)
        self.sio.emit("session_request", {"session_id": self.session_id})
        confirmed.get(timeout=10)

    def disconnect(self) -> None:
        self.sio.disconnect()

    def say(self, text: str) -> None:
        message = {"message": text, "session_id": self.session_id}
        if self.metadata:
            message["metadata"] = self.metadata
        self.sio.emit("user_uttered", message)

    def receive(self, timeout: float = 30.0) -> dict[str, Any]:
        return self.inbox.get(timeout=timeout)

    def receive_text(self, timeout: float = 30.0) -> str:
        return self.receive(timeout)["text"]

    def collect(self, into: list[str], seconds: float) -> None:
        """Move each text that arrives into `into`, until none has come for `seconds`."""
        while True:
            try:
                into.append(self.inbox.get(timeout=seconds)["text"])
            except queue.Empty:
                return

    def nothing_received(self, seconds: float) -> bool:
        try:
            self.inbox.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


class Agent:
    """An agent using the handoff service's HTTP API with a login token."""

    PASSWORD = "a long test password"

    def __init__(self, base_url: str, token: str) -> None:
        self.name = self.email = ""
        self.base_url = base_url
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    @classmethod
    def create(cls, base_url: str, bootstrap_token: str, name: str, capacity: int,
               languages: list[str], role: str = "agent") -> Agent:
        """A new account (an agent unless `role` says otherwise), made by the admin that
        `bootstrap_token` made, signed in."""
        email, password = f"{name.lower()}@example.com", cls.PASSWORD
        created = requests.post(f"{base_url}/api/v1/agents",
                                json={"email": email, "name": name, "password": password,
                                      "capacity": capacity, "languages": languages,
                                      "role": role},
                                headers=admin_session(base_url, bootstrap_token), timeout=10)
        created.raise_for_status()
        login = requests.post(f"{base_url}/api/v1/auth/login",
                              json={"email": email, "password": password}, timeout=10)
        login.raise_for_status()
        agent = cls(base_url, login.json()["access_token"])
        agent.name, agent.email = name, email
        return agent

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, f"{self.base_url}/api/v1{path}", timeout=30, **kwargs)

    def set_presence(self, presence: str) -> None:
        self.call("PUT", "/agents/me/presence", json={"presence": presence}).raise_for_status()

    def find(self, conversation_id: str) -> dict[str, Any] | None:
        return next((h for h in self.queue() if h["conversation_id"] == conversation_id), None)

    def queue(self) -> list[dict[str, Any]]:
        response = self.call("GET", "/handoffs")
        response.raise_for_status()
        return response.json()

    def detail(self, handoff_id: int) -> dict[str, Any]:
        response = self.call("GET", f"/handoffs/{handoff_id}")
        response.raise_for_status()
        return response.json()


def eventually(probe: Callable[[], Any], timeout: float = 15.0, interval: float = 0.1) -> Any:
    """Return the first truthy result of `probe`, failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing after {timeout} s")
        time.sleep(interval)


class RestCustomer:
    """A customer on Rasa's REST channel, as the shop's backend relays them (with the channel's
    token): each message returns the bot's answers at once."""

    def __init__(self, rasa_url: str, headers: dict[str, str]) -> None:
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.headers = headers
        self.session_id = uuid.uuid4().hex

    def say(self, text: str) -> list[dict[str, Any]]:
        response = requests.post(self.url, json={"sender": self.session_id, "message": text},
                                 headers=self.headers, timeout=60)
        response.raise_for_status()
        return response.json()
