"""Secrets stay secret: no token in a URL, a log line or an error text that leaves the service;
the agents' live feed signs in without the URL and closes when the sign-in ends or the agent
leaves a team; secrets files are private from their first byte; each process of the real stack
gets only the secrets it needs."""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import websocket
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from starlette.websockets import WebSocketDisconnect

from common.secret_scopes import scoped
from handoff import logs
from handoff.app import create_app
from handoff.settings import Settings
from tests.e2e.clients import Agent
from tests.e2e.fixtures import Platforms
from tests.e2e.platforms import TelegramUser
from tests.handoff.conftest import database_url, events, settings  # noqa: F401 (fixtures)
from tests.handoff.support import (
    RasaEvents,
    admin_headers,
    escalate,
    live_protocols,
    make_agent,
)
from tools.stack import Stack, load_secrets


class RasaRecorder(ThreadingHTTPServer):
    """Rasa's HTTP API as the service sees it: records each request's method, path (with its
    query) and Authorization header; answers `status`."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Recording)
        self.requests: list[tuple[str, str, str | None]] = []
        self.status = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class _Recording(BaseHTTPRequestHandler):
    server: RasaRecorder

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append((self.command, self.path, self.headers.get("Authorization")))
        ok = self.server.status == 200
        body = json.dumps({"events": []} if ok else {"message": "Rasa is broken"}).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *_: Any) -> None:
        """Quiet."""


@pytest.fixture
def recorder() -> Iterator[RasaRecorder]:
    server = RasaRecorder()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def quick(settings: Settings, recorder: RasaRecorder) -> Settings:  # noqa: F811
    """The service talking to the recorder, rechecking live feeds every 0.2 s."""
    return settings.model_copy(update={"rasa_url": recorder.url, "live_recheck_seconds": 0.2})


@pytest.fixture
def service(quick: Settings, events: RasaEvents) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_app(quick)) as client:
        yield client


def _claimed(client: TestClient) -> tuple[dict[str, str], int]:
    agent = make_agent(client)
    ticket = escalate(client, uuid.uuid4().hex)
    claimed = client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=agent)
    assert claimed.status_code == 200, claimed.text
    return agent, ticket["id"]


def test_rasa_gets_a_short_lived_jwt_and_never_a_token_in_the_url(
        service: TestClient, quick: Settings, recorder: RasaRecorder) -> None:
    agent, handoff_id = _claimed(service)
    sent = service.post(f"/api/v1/handoffs/{handoff_id}/messages", headers=agent,
                        json={"text": "Hello, I can help."})
    assert sent.status_code == 201, sent.text
    assert service.post(f"/api/v1/handoffs/{handoff_id}/resolve", headers=agent
                        ).status_code == 200
    assert recorder.requests, "the service never called Rasa"
    for method, path, authorization in recorder.requests:
        query = parse_qs(urlsplit(path).query)
        assert "token" not in query and quick.rasa_jwt_secret not in path, (method, path)
        assert authorization and authorization.startswith("Bearer "), (method, path)
        claims = jwt.decode(authorization.removeprefix("Bearer "), quick.rasa_jwt_secret,
                            algorithms=["HS256"], options={"require": ["exp"]})
        assert claims["user"]["role"] == "admin" and claims["exp"] - time.time() <= 600


def test_a_rasa_failure_is_a_502_that_names_no_secret(
        service: TestClient, quick: Settings, recorder: RasaRecorder,
        caplog: pytest.LogCaptureFixture) -> None:
    agent, handoff_id = _claimed(service)
    recorder.status = 500
    with caplog.at_level(logging.DEBUG):
        resolved = service.post(f"/api/v1/handoffs/{handoff_id}/resolve", headers=agent)
    assert resolved.status_code == 502
    tokens = [authorization.removeprefix("Bearer ")
              for _, _, authorization in recorder.requests if authorization]
    for secret in (quick.rasa_jwt_secret, *tokens):
        assert secret not in resolved.text and secret not in caplog.text
    assert "token=" not in resolved.text and "http" not in resolved.json()["detail"]


def test_the_service_log_lines_carry_no_query_string_or_bot_token() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("uvicorn.error.test_secrets")
    logger.propagate, logger.handlers = False, [logs.handler("text", stream)]
    logger.warning('%s - "WebSocket %s" [accepted]', "127.0.0.1:5", "/api/v1/live?token=s3cr3t")
    try:
        raise ValueError("GET https://api.telegram.org/file/bot123:S3CR3T-x/photos/1.png")
    except ValueError:
        logger.exception("photo not fetched")
    assert "s3cr3t" not in stream.getvalue() and "S3CR3T" not in stream.getvalue()
    assert "/api/v1/live" in stream.getvalue()


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def _ready(feed: Any) -> None:  # starlette's test session
    assert feed.receive_json() == {"type": "live.ready"}


def test_the_live_feed_refuses_a_token_in_the_url(service: TestClient) -> None:
    agent = make_agent(service)
    with pytest.raises(WebSocketDisconnect) as closed, service.websocket_connect(
            f"/api/v1/live?token={_token(agent)}") as feed:
        feed.receive_json()
    assert closed.value.code == 1008


def test_the_live_feed_signs_in_with_its_first_frame(service: TestClient) -> None:
    agent = make_agent(service)
    with service.websocket_connect("/api/v1/live") as feed:
        feed.send_json({"type": "auth", "token": _token(agent)})
        _ready(feed)
        ticket = escalate(service, uuid.uuid4().hex)
        while (event := feed.receive_json())["type"] != "handoff.created":
            pass
        assert event["handoff_id"] == ticket["id"]
    with pytest.raises(WebSocketDisconnect) as closed, \
            service.websocket_connect("/api/v1/live") as feed:
        feed.send_json({"type": "auth", "token": "forged"})
        feed.receive_json()
    assert closed.value.code == 4401


def _close_code(feed: Any) -> int:  # starlette's test session
    try:
        while True:
            feed.receive_json()
    except WebSocketDisconnect as closed:
        return closed.code


def _closed_after(service: TestClient, agent: dict[str, str],
                  change: Callable[[], None]) -> int:
    """The close code of the agent's live feed after `change`, which sends no event that
    closes it; a failure if it stays open 10 s (a receive alone would wait for ever)."""
    with service.websocket_connect("/api/v1/live", subprotocols=live_protocols(agent)) as feed:
        _ready(feed)
        change()
        waiting = ThreadPoolExecutor(max_workers=1)
        try:
            return waiting.submit(_close_code, feed).result(timeout=10)
        finally:
            waiting.shutdown(wait=False)


def test_the_live_feed_closes_when_the_sign_in_ends(service: TestClient,
                                                   quick: Settings) -> None:
    agent = make_agent(service)
    engine = create_engine(quick.database_url)

    def expire() -> None:  # as time does: no event tells the feed
        with engine.begin() as connection:
            connection.execute(text("UPDATE sign_ins SET expires_at = 1"))

    assert _closed_after(service, agent, expire) == 4401
    engine.dispose()


def test_the_live_feed_closes_when_the_agent_leaves_the_team(service: TestClient) -> None:
    agent = make_agent(service, teams=["billing"])
    me = service.get("/api/v1/agents/me", headers=agent).json()

    def move() -> None:
        moved = service.patch(f"/api/v1/agents/{me['id']}", headers=admin_headers(service),
                              json={"teams": ["returns"]})
        assert moved.status_code == 200, moved.text

    assert _closed_after(service, agent, move) == 1008


def test_secrets_files_are_private_from_their_first_byte(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Path, "chmod", lambda *_: None)  # no tightening after the fact
    previous = os.umask(0o022)
    try:
        made = load_secrets(tmp_path / "var")
    finally:
        os.umask(previous)
    path = tmp_path / "var" / "secrets.env"
    assert path.stat().st_mode & 0o777 == 0o600
    assert made == load_secrets(tmp_path / "var")


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().partition("=")[::2] for item in raw if item)


SERVICE_ONLY = ("HANDOFF_JWT_SECRET", "HANDOFF_ADMIN_TOKEN", "HANDOFF_METRICS_TOKEN",
                "HANDOFF_WIDGET_IDENTITY_SECRET", "HANDOFF_DATABASE_URL")
RASA_ONLY = ("RASA_REST_TOKEN", "TELEGRAM_SECRET_TOKEN", "MESSENGER_APP_SECRET",
             "MESSENGER_PAGE_TOKEN")


def test_each_process_gets_only_the_secrets_it_needs(stack: Stack) -> None:
    rasa, actions, service = (_environ(stack.processes[name].pid)
                              for name in ("rasa", "actions", "handoff"))
    assert not [name for name in (*SERVICE_ONLY, "HANDOFF_ACTION_SECRET") if name in rasa]
    assert not [name for name in (*SERVICE_ONLY, *RASA_ONLY, "RASA_JWT_SECRET",
                                  "TELEGRAM_TOKEN", "TWILIO_AUTH_TOKEN") if name in actions]
    assert not [name for name in RASA_ONLY if name in service]
    assert rasa["RASA_JWT_SECRET"] == service["RASA_JWT_SECRET"]
    assert actions["HANDOFF_ACTION_SECRET"] == service["HANDOFF_ACTION_SECRET"]
    assert rasa["TELEGRAM_TOKEN"] and service["HANDOFF_JWT_SECRET"]
    assert not any("RASA_AUTH_TOKEN" in env for env in (rasa, actions, service))


def test_a_live_token_in_the_url_reaches_no_log(stack: Stack,
                                                agent_factory: Callable[..., Agent]) -> None:
    token = agent_factory().http.headers["Authorization"].removeprefix("Bearer ")
    url = stack.config.handoff_url.replace("http", "ws", 1)
    try:
        websocket.create_connection(f"{url}/api/v1/live?token={token}", timeout=10).close()
        accepted = True
    except websocket.WebSocketBadStatusException as refused:
        accepted = refused.status_code != 403
    feed = websocket.create_connection(f"{url}/api/v1/live", timeout=10)
    feed.send(json.dumps({"type": "auth", "token": token}))
    assert json.loads(feed.recv()) == {"type": "live.ready"}
    feed.close()
    time.sleep(1)  # the service's log is written as lines come
    assert token not in (stack.log_dir / "handoff.log").read_text(errors="replace")
    assert not accepted


def test_a_telegram_error_puts_no_bot_token_in_rasa_errors_or_logs(
        stack: Stack, platforms: Platforms) -> None:
    user = TelegramUser(platforms.telegram, 930000 + len(platforms.telegram.calls))
    platforms.telegram.refusing[str(user.id)] = (500, {
        "ok": False, "error_code": 500, "description": "Internal Server Error"})
    try:
        user.say("hello")
        deadline = time.monotonic() + 30
        while not platforms.telegram.refused and time.monotonic() < deadline:
            time.sleep(0.2)
        assert platforms.telegram.refused, "the bot never tried to answer"
        time.sleep(2)  # Rasa logs the failure as it handles it
    finally:
        del platforms.telegram.refusing[str(user.id)]
    log = (stack.log_dir / "rasa.log").read_text(errors="replace")
    assert "sendMessage" in log  # the failure is logged, by path
    assert platforms.telegram.token not in log


def test_urls_that_carry_a_password_reach_only_the_process_that_uses_them() -> None:
    environment = {"HANDOFF_EVENTS_URL": "postgresql://desk:secret@db/events",
                   "SCALED_POSTGRES_URL": "postgresql://postgres:secret@db",
                   "SCALED_REDIS_URL": "redis://:secret@cache", "PATH": "/usr/bin"}
    assert scoped(environment, "handoff") == {
        "HANDOFF_EVENTS_URL": environment["HANDOFF_EVENTS_URL"], "PATH": "/usr/bin"}
    for process in ("rasa", "actions", "balancer"):
        assert scoped(environment, process) == {"PATH": "/usr/bin"}
