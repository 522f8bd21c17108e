"""Starts the real system once per test session: Rasa server, action server, handoff service
(a plugin of tests/conftest.py, shared by tests/e2e and tests/security)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from common.protocol import LANGUAGES
from tests.e2e.browser import chromium, chromium_missing
from tests.e2e.clients import Agent, Customer
from tests.e2e.platforms import Messenger, Telegram, Twilio
from tools.model import ROOT
from tools.stack import Stack, StackConfig


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Platforms:
    telegram: Telegram
    messenger: Messenger
    twilio: Twilio

    def environment(self, rasa_url: str) -> dict[str, str]:
        """Every messenger configured, each platform's API pointed at its stand-in."""
        self.telegram.webhook_url = f"{rasa_url}/webhooks/telegram/webhook"
        self.messenger.webhook_url = f"{rasa_url}/webhooks/messenger/webhook"
        self.twilio.webhook_url = f"{rasa_url}/webhooks/whatsapp/webhook"
        return {
            "TELEGRAM_TOKEN": self.telegram.token, "TELEGRAM_SECRET_TOKEN": self.telegram.secret,
            "TELEGRAM_API_URL": self.telegram.url,
            "TELEGRAM_WEBHOOK_URL": "https://shop.example/webhooks/telegram/webhook",
            "MESSENGER_PAGE_TOKEN": self.messenger.page_token,
            "MESSENGER_APP_SECRET": self.messenger.app_secret,
            "MESSENGER_VERIFY_TOKEN": "verify-me", "MESSENGER_API_URL": self.messenger.url,
            "TWILIO_ACCOUNT_SID": self.twilio.account_sid,
            "TWILIO_AUTH_TOKEN": self.twilio.auth_token,
            "TWILIO_WHATSAPP_NUMBER": self.twilio.number, "TWILIO_API_URL": self.twilio.url,
            "TWILIO_WEBHOOK_URL": self.twilio.webhook_url,
            # the stand-ins are the configured API hosts, on loopback: photos from them only
            "HANDOFF_MEDIA_ALLOW_PRIVATE_HOSTS": "127.0.0.1",
            "HANDOFF_WIDGET_IDENTITY_SECRET": WIDGET_IDENTITY_SECRET,
        }


WIDGET_IDENTITY_SECRET = "the shop's widget identity secret"


@pytest.fixture(scope="session")
def platforms() -> Iterator[Platforms]:
    made = Platforms(Telegram("123456:TEST-token", "telegram-secret-token"),
                     Messenger("page-token", "app-secret"),
                     Twilio("AC" + "0" * 32, "twilio-auth-token", "whatsapp:+14155238886"))
    yield made
    for stand_in in (made.telegram, made.messenger, made.twilio):
        stand_in.close()


class ShopSite(ThreadingHTTPServer):
    """A shop's own web site, on an origin of its own that WIDGET_ORIGINS lists: its pages embed
    the widget, and its backend signs the identity of a signed-in customer (the demo page signs
    none outside development)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ShopPage)
        self.pages: dict[str, str] = {}
        self.origin = f"http://127.0.0.1:{self.server_port}"

    def page(self, html: str) -> str:
        """Publish `html`; returns its URL."""
        path = f"/page/{uuid.uuid4().hex}"
        self.pages[path] = html
        return self.origin + path


class _ShopPage(BaseHTTPRequestHandler):
    server: ShopSite

    def do_GET(self) -> None:
        html = self.server.pages.get(self.path)
        body = (html or "not found").encode()
        self.send_response(200 if html else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="session")
def shop() -> Iterator[ShopSite]:
    site = ShopSite()
    threading.Thread(target=site.serve_forever, daemon=True).start()
    yield site
    site.shutdown()
    site.server_close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, platforms: Platforms,
          shop: ShopSite) -> Iterator[Stack]:
    config = StackConfig(var_dir=Path(tmp_path_factory.mktemp("var")), rasa_port=_free_port(),
                         actions_port=_free_port(), handoff_port=_free_port())
    # the trainers' decisions edit a copy of the bot's data, never the repository's own
    project = Path(tmp_path_factory.mktemp("project"))
    shutil.copytree(ROOT / "data", project / "data")
    shutil.copytree(ROOT / "tests" / "nlu_holdout", project / "tests" / "nlu_holdout")
    for name in ("domain.yml", "config.yml"):
        shutil.copy(ROOT / name, project / name)
    config.overrides = platforms.environment(config.rasa_url) | {
        "HANDOFF_PROJECT_DIR": str(project), "HANDOFF_INBOX_POLL_INTERVAL": "0.2",
        "HANDOFF_REPORT_FOLDS": "2",
        "WIDGET_ORIGINS": ",".join([*config.local_origins(), shop.origin])}
    running = Stack(config)
    running.start()
    try:
        running.wait_ready(timeout=420)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium; without it the UI tests skip, or fail under REQUIRE_BROWSER=1."""
    missing = chromium_missing()
    if missing:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(missing)
        pytest.skip(missing)
    with chromium() as running:
        yield running


@pytest.fixture
def customer(stack: Stack) -> Iterator[Customer]:
    person = Customer(stack.config.rasa_url)
    person.connect()
    yield person
    person.disconnect()


@pytest.fixture
def agent_factory(stack: Stack) -> Iterator[Callable[..., Agent]]:
    """Makes agents; each goes offline after its test. Give each test's agents only that test's
    languages: chats left waiting by other tests then never reach them."""
    admin_token = stack.config.environment()["HANDOFF_ADMIN_TOKEN"]
    made: list[Agent] = []

    def make(capacity: int = 3, languages: tuple[str, ...] = LANGUAGES,
             role: str = "agent") -> Agent:
        agent = Agent.create(stack.config.handoff_url, admin_token,
                             f"Sara{uuid.uuid4().hex[:6]}", capacity, list(languages), role)
        made.append(agent)
        return agent

    yield make
    for agent in made:
        agent.set_presence("offline")
