"""Helpers for the handoff service tests: databases, Rasa's event table, agents, escalations."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

ADMIN = "admin-token-for-tests-0123456789"
ACTION = "action-secret-for-tests-0123456789"
PASSWORD = "correct horse battery"
ADMIN_EMAIL = "admin@example.com"
POSTGRES_ADMIN_URL = os.environ.get(
    "HANDOFF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

# The table Rasa's SQL event broker writes (rasa/core/brokers/sql.py), ids generated.
EVENTS_DDL = "CREATE TABLE events (id {id} PRIMARY KEY, sender_id VARCHAR(255), data TEXT)"

T = TypeVar("T")


def postgres_database() -> tuple[str, Callable[[], None]]:
    """Create a throwaway PostgreSQL database; skip the test when no server is reachable."""
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = f"handoff_test_{uuid.uuid4().hex[:10]}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {error}")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


class RasaEvents:
    """Writes rows the way Rasa's SQL event broker does."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        with self.engine.begin() as connection:
            serial = "SERIAL" if self.engine.dialect.name == "postgresql" else "INTEGER"
            connection.execute(text(EVENTS_DDL.format(id=serial)))

    def publish(self, sender_id: str, event: dict[str, Any]) -> None:
        with self.engine.begin() as connection:
            connection.execute(text("INSERT INTO events (sender_id, data) VALUES (:s, :d)"),
                               {"s": sender_id, "d": json.dumps(event)})

    def user(self, sender_id: str, message: str, intent: str = "nlu_fallback") -> None:
        self.publish(sender_id, {"event": "user", "text": message, "timestamp": time.time(),
                                 "parse_data": {"intent": {"name": intent, "confidence": 0.9}}})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def live_protocols(headers: dict[str, str]) -> list[str]:
    """The subprotocols that sign an agent's live feed in (handoff/api/live.py): never the URL."""
    return ["handoff.live", "bearer." + headers["Authorization"].removeprefix("Bearer ")]


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """The Authorization header of a new sign-in."""
    login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return bearer(login.json()["access_token"])


def admin_headers(client: TestClient) -> dict[str, str]:
    """A signed-in admin of this app: the first admin account, made with the bootstrap token."""
    if (headers := getattr(client, "admin_headers", None)) is not None:
        return headers
    made = client.post("/api/v1/auth/bootstrap", headers=bearer(ADMIN), json={
        "email": ADMIN_EMAIL, "name": "Admin", "password": PASSWORD, "teams": ["admins"]})
    assert made.status_code in (201, 409), made.text
    client.admin_headers = sign_in(client, ADMIN_EMAIL)
    return client.admin_headers


def make_agent(client: TestClient, email: str = "sara@example.com", *,
               teams: list[str] | None = None, languages: list[str] | None = None,
               capacity: int = 3, online: bool = False, role: str = "agent") -> dict[str, str]:
    """Create an account (an agent unless `role` says otherwise) and return the Authorization
    header of its sign-in."""
    body: dict[str, Any] = {"email": email, "name": email.split("@")[0], "password": PASSWORD,
                            "capacity": capacity, "role": role}
    if teams is not None:
        body["teams"] = teams
    if languages is not None:
        body["languages"] = languages
    created = client.post("/api/v1/agents", json=body, headers=admin_headers(client))
    assert created.status_code == 201, created.text
    headers = sign_in(client, email)
    if online:
        assert client.put("/api/v1/agents/me/presence", json={"presence": "online"},
                          headers=headers).status_code == 200
    return headers


def context(conversation_id: str = "conv-1", language: str = "fa", **extra: Any) -> dict:
    return {
        "version": 1, "conversation_id": conversation_id, "channel": "socketio",
        "language": language, "reason": "explicit_request", "summary": "کفشم سایز اشتباه آمده",
        "contact": {"order_numbers": ["58231"]}, "slots": {"language": language},
        "active_form": None, "last_intents": [{"name": "human_handoff", "confidence": 0.97}],
        "transcript": [{"sender": "customer", "text": "سلام", "timestamp": 1.0}],
    } | extra


def escalate(client: TestClient, conversation_id: str = "conv-1", language: str = "fa",
             **extra: Any) -> dict:
    response = client.post("/api/v1/handoffs", json=context(conversation_id, language, **extra),
                           headers={"Authorization": f"Bearer {ACTION}"})
    assert response.status_code == 200, response.text
    return response.json()


def wait_for(probe: Callable[[], T], timeout: float = 5.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


class RasaApi(ThreadingHTTPServer):
    """Rasa's HTTP API as far as delivery uses it: it records each bot event it is sent and
    can be switched to failing, like a Rasa that is restarting."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RasaHandler)
        self.received: list[dict[str, Any]] = []
        self.failing = False


class _RasaHandler(BaseHTTPRequestHandler):
    server: RasaApi

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.server.failing:
            self._reply(503, {"message": "restarting"})
            return
        if "/tracker/events" in self.path:
            self.server.received.append(body)
        self._reply(200, {})

    def do_GET(self) -> None:
        if "/tracker" in self.path and not self.server.failing:
            self._reply(200, {"events": self.server.received})
        else:
            self._reply(503, {"message": "restarting"})

    def log_message(self, *_args: Any) -> None:
        """Quiet."""
