"""A customer names the photos the service fetches (metadata.attachments of a message): each
attack here is that message as it lands in Rasa's event table, against the handoff service's
app (TestClient, SQLite and PostgreSQL), with local HTTP servers that record what the service
sends them: one plays every platform's configured API, one an address the customer names. Last,
opening a chat with photos reads none of their bytes."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from handoff.app import create_app
from handoff.settings import Settings
from tests.e2e.platforms import PHOTO
from tests.handoff.conftest import database_url, events, settings  # noqa: F401 - fixtures
from tests.handoff.support import RasaEvents, escalate, make_agent, wait_for

SID, AUTH_TOKEN = "AC" + "1" * 32, "the-twilio-auth-token"
BOT_TOKEN = "123:the-telegram-bot-token"
PNG = {"Content-Type": "image/png"}


@dataclass(frozen=True)
class Seen:
    path: str
    host: str | None
    authorization: str | None


class Recorder(ThreadingHTTPServer):
    """Answers GETs from `routes` (path with query -> status, headers, body; else 404) and
    records every request."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.seen.append(Seen(self.path, self.headers.get("Host"),
                                          self.headers.get("Authorization")))
                status, headers, body = recorder.routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_port}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def redirect(self, path: str, location: str) -> None:
        self.routes[path] = (302, {"Location": location}, b"")


class Dns:
    """Answers for some names in place of the resolver (the rest resolve as usual), and which
    of them were asked for."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: dict[str, list[str] | Exception] = {}
        self.asked: list[str] = []
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
            name = host.decode() if isinstance(host, bytes) else host
            if name not in self.answers:
                return real(host, port, *args, **kwargs)
            self.asked.append(name)
            answer = self.answers[name]
            if isinstance(answer, Exception):
                raise answer
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, int(port or 0), 0, 0))
                    if ":" in a else (socket.AF_INET, socket.SOCK_STREAM, 6, "",
                                      (a, int(port or 0))) for a in answer]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Dns:
    return Dns(monkeypatch)


@pytest.fixture
def api() -> Iterator[Recorder]:
    """Every platform's configured API base URL (the stand-ins' way)."""
    server = Recorder()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def outside() -> Iterator[Recorder]:
    """Any other address: an attacker's server, or an internal one."""
    server = Recorder()
    yield server
    server.shutdown()
    server.server_close()


def configured(settings: Settings, api: Recorder, **update: Any) -> Settings:  # noqa: F811
    return settings.model_copy(update={
        "telegram_token": BOT_TOKEN, "telegram_api_url": api.url,
        "twilio_account_sid": SID, "twilio_auth_token": AUTH_TOKEN, "twilio_api_url": api.url,
        "messenger_api_url": api.url, "media_allow_private_hosts": "127.0.0.1", **update})


@pytest.fixture
def desk(settings: Settings, events: RasaEvents, api: Recorder) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_app(configured(settings, api))) as client:
        yield client


class Customer:
    """A customer with an open handoff, writing messages with crafted metadata."""

    def __init__(self, client: TestClient, events: RasaEvents, channel: str,  # noqa: F811
                 agent: dict[str, str], **context: Any) -> None:
        self.client, self.events, self.channel, self.agent = client, events, channel, agent
        self.conversation = f"{channel}:{uuid.uuid4().hex[:8]}"
        self.handoff = escalate(client, self.conversation, "en", channel=channel,
                                **context)["id"]

    def send(self, attachments: list[Any], input_channel: str | None = None) -> None:
        """A message with photos; returns once the service has recorded it."""
        text = f"look {uuid.uuid4().hex[:6]}"
        self.events.publish(self.conversation, {
            "event": "user", "text": text, "timestamp": time.time(),
            "input_channel": input_channel or self.channel,
            "parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.9}},
            "metadata": {"attachments": attachments}})
        wait_for(lambda: any(m["text"] == text for m in self.client.get(
            f"/api/v1/handoffs/{self.handoff}/messages", headers=self.agent).json()))

    def photos(self) -> list[dict[str, Any]]:
        return self.client.get(f"/api/v1/handoffs/{self.handoff}",
                               headers=self.agent).json()["attachments"]

    def settled(self, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        """The `count` photos once none is still being fetched."""
        return wait_for(lambda: (lambda p: p if len(p) == count and all(
            a["state"] != "fetching" for a in p) else None)(self.photos()), timeout)

    def why(self, photo: dict[str, Any]) -> str:
        """What an agent is told about a photo that was not fetched."""
        reply = self.client.get(photo["url"], headers=self.agent)
        assert reply.status_code == 409
        return reply.json()["detail"]


@pytest.fixture
def customer(desk: TestClient, events: RasaEvents) -> Callable[..., Customer]:  # noqa: F811
    agent = make_agent(desk)
    return lambda channel, **context: Customer(desk, events, channel, agent, **context)


def _no_secrets(text: str) -> None:
    for secret in ("http", "127.0.0.1", AUTH_TOKEN, BOT_TOKEN, "evil", "fbcdn"):
        assert secret not in text


def test_twilio_credentials_go_only_to_twilios_api(customer: Callable[..., Customer],
                                                   api: Recorder, outside: Recorder) -> None:
    api.routes["/media/ok"] = (200, PNG, PHOTO)
    api.redirect("/media/moved", f"{outside.url}/p.png")
    outside.routes["/p.png"] = (200, PNG, PHOTO)
    leila = customer("whatsapp")
    leila.send([{"type": "image", "channel": "whatsapp", "ref": f"{outside.url}/p.png"},
                {"type": "image", "channel": "whatsapp", "ref": f"{api.url}/media/moved"},
                {"type": "image", "channel": "whatsapp", "ref": f"{api.url}/media/ok"}])
    photos = leila.settled(3)
    assert [p["state"] for p in photos] == ["failed", "failed", "ready"]
    assert outside.seen == []  # not one request, so no credentials either
    fetched = [s for s in api.seen if s.path == "/media/ok"]
    assert fetched and fetched[0].authorization is not None  # only Twilio's API gets them
    for photo in photos[:2]:
        assert leila.why(photo) == "not fetched: host not allowed"


def test_messenger_refs_reach_no_other_host(customer: Callable[..., Customer], api: Recorder,
                                            outside: Recorder, dns: Dns) -> None:
    dns.answers.update({"evil.example": ["127.0.0.1"], "lookaside.fbsbx.com": ["127.0.0.1"]})
    api.redirect("/hop-inside", f"{outside.url}/admin")
    api.redirect("/hop-out", "https://evil.example/p.png")
    api.redirect("/hop-relative", "/hop-relative")  # a loop: at most 3 hops
    outside.routes["/admin"] = (200, PNG, PHOTO)
    leila = customer("messenger")
    leila.send([{"type": "image", "channel": "messenger", "ref": ref} for ref in (
        f"{outside.url}/admin",  # a port scan of the service's network
        "https://evil.example/p.png", "http://lookaside.fbsbx.com/p.png",
        f"{api.url}/hop-inside", f"{api.url}/hop-out", f"{api.url}/hop-relative")])
    photos = leila.settled(6)
    assert all(p["state"] == "failed" for p in photos)
    assert outside.seen == []
    assert dns.asked == []  # refused by name, before any lookup
    assert len([s for s in api.seen if s.path == "/hop-relative"]) == 4
    reasons = [leila.why(p) for p in photos]
    assert reasons == ["not fetched: host not allowed"] * 5 + [
        "not fetched: too many redirects"]


def test_names_that_resolve_to_private_addresses_are_refused(
        customer: Callable[..., Customer], dns: Dns) -> None:
    dns.answers.update({
        "metadata.fbcdn.net": ["169.254.169.254"], "loop.fbcdn.net": ["127.0.0.1"],
        "mixed.fbcdn.net": ["157.240.1.1", "10.0.0.7"], "six.fbsbx.com": ["::1"],
        "mapped.fbcdn.net": ["::ffff:192.168.1.1"]})
    leila = customer("messenger")
    leila.send([{"type": "image", "channel": "messenger", "ref": f"https://{name}/p.png"}
                for name in dns.answers])
    photos = leila.settled(len(dns.answers))
    assert sorted(dns.asked) == sorted(dns.answers)  # once each
    assert [leila.why(p) for p in photos] == [
        "not fetched: address not allowed"] * len(dns.answers)


def test_the_address_checked_is_the_address_connected_to(
        settings: Settings, events: RasaEvents, api: Recorder, dns: Dns) -> None:  # noqa: F811
    """A stand-in named by a host name: fetched from the address the check resolved, with the
    name in Host (nothing resolves the name a second time)."""
    name = "stand-in.test"
    dns.answers[name] = ["127.0.0.1"]
    api.routes["/p.png"] = (200, PNG, PHOTO)
    base = f"http://{name}:{api.server_port}"
    with TestClient(create_app(configured(settings, api, messenger_api_url=base,
                                          media_allow_private_hosts=name))) as client:
        leila = Customer(client, events, "messenger", make_agent(client))
        leila.send([{"type": "image", "channel": "messenger", "ref": f"{base}/p.png"}])
        assert leila.settled(1)[0]["state"] == "ready"
    assert [s.host for s in api.seen] == [f"{name}:{api.server_port}"]
    assert dns.asked == [name]


def test_only_raster_images_told_by_their_bytes(customer: Callable[..., Customer],
                                               api: Recorder) -> None:
    api.routes["/svg.png"] = (200, PNG, b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    api.routes["/page.png"] = (200, PNG, b"<html><script>alert(1)</script></html>")
    api.routes["/photo"] = (200, {"Content-Type": "text/html"}, PHOTO)
    leila = customer("messenger")
    leila.send([{"type": "image", "channel": "messenger", "ref": f"{api.url}/{path}"}
                for path in ("svg.png", "page.png", "photo")])
    photos = leila.settled(3)
    assert [p["state"] for p in photos] == ["failed", "failed", "ready"]
    assert [leila.why(p) for p in photos[:2]] == ["not fetched: not an image"] * 2
    served = leila.client.get(photos[2]["url"], headers=leila.agent)
    assert served.headers["content-type"] == "image/png" and served.content == PHOTO


def test_a_bad_ref_or_a_failing_fetch_does_not_stop_the_others(
        customer: Callable[..., Customer], api: Recorder, dns: Dns) -> None:
    dns.answers["broken.fbcdn.net"] = RuntimeError(
        f"resolver broke on https://broken.fbcdn.net/?token={BOT_TOKEN}")
    api.routes["/p.png"] = (200, PNG, PHOTO)
    leila = customer("messenger")
    leila.send([{"type": "image", "channel": "messenger", "ref": ref} for ref in (
        f"{api.url}/a\x01b.png", f"{api.url}/a b.png", "https://broken.fbcdn.net/p.png",
        f"{api.url}/p.png")])
    photos = leila.settled(2)  # the refs with a control character or a space: not recorded
    assert [p["state"] for p in photos] == ["failed", "ready"]
    assert leila.why(photos[0]) == "not fetched: the platform could not be reached"
    _no_secrets(leila.why(photos[0]))


def test_photos_per_message_per_handoff_and_bytes_per_handoff_are_capped(
        settings: Settings, events: RasaEvents, api: Recorder) -> None:  # noqa: F811
    with TestClient(create_app(configured(settings, api))) as client:
        leila = Customer(client, events, "telegram", make_agent(client))
        leila.send([{"type": "image", "channel": "telegram", "ref": f"f{n}"} for n in range(12)])
        assert len(leila.photos()) == 10
        for batch in range(1, 6):
            leila.send([{"type": "image", "channel": "telegram", "ref": f"f{batch}-{n}"}
                        for n in range(10)])
        assert len(leila.photos()) == 50

    api.routes.update({f"/{n}.png": (200, PNG, PHOTO) for n in range(5)})
    with TestClient(create_app(configured(
            settings, api, max_attachments_per_message=2, max_attachments_per_handoff=3,
            max_attachment_bytes_per_handoff=2 * len(PHOTO)))) as client:
        sara = Customer(client, events, "messenger", make_agent(client, "omid@example.com"))
        for batch in (range(3), range(3, 5)):
            sara.send([{"type": "image", "channel": "messenger", "ref": f"{api.url}/{n}.png"}
                       for n in batch])
        assert [p["state"] for p in sara.settled(3)] == ["ready", "ready", "failed"]
        assert sara.why(sara.photos()[2]) == "not fetched: this chat's photos are over the limit"


def test_a_photo_is_taken_only_from_the_channel_that_owns_it(
        customer: Callable[..., Customer], api: Recorder) -> None:
    api.routes["/media/p"] = (200, PNG, PHOTO)
    twilio_photo = {"type": "image", "channel": "whatsapp", "ref": f"{api.url}/media/p"}
    telegram_photo = {"type": "image", "channel": "telegram", "ref": "AgACAgQAAxkBAAIB"}
    web = customer("socketio", attachments=[twilio_photo])  # filed with a forged photo
    web.send([twilio_photo, "boom", {"type": "video", "channel": "socketio", "ref": "x"}])
    assert web.photos() == []
    telegram = customer("telegram")
    telegram.send([telegram_photo], input_channel="socketio")  # not what Telegram's channel set
    telegram.send([twilio_photo])  # the event's channel, but not the handoff's
    assert telegram.photos() == []
    telegram.send([telegram_photo])
    assert [p["channel"] for p in telegram.photos()] == ["telegram"]


def test_refs_too_long_are_dropped_not_cut(customer: Callable[..., Customer],
                                           api: Recorder) -> None:
    api.routes["/p.png"] = (200, PNG, PHOTO)
    leila = customer("messenger")
    prefix = f"{api.url}/p.png?" + "a" * 2000
    leila.send([{"type": "image", "channel": "messenger", "ref": prefix + tail}
                for tail in ("one", "two")])  # the same first 2,000 characters
    assert leila.photos() == []
    leila.send([{"type": "image", "channel": "messenger", "ref": f"{api.url}/p.png"}])
    assert [p["state"] for p in leila.settled(1)] == ["ready"]


def test_opening_a_chat_reads_no_photo_bytes(customer: Callable[..., Customer],
                                             api: Recorder) -> None:
    api.routes["/p.png"] = (200, PNG, PHOTO)
    leila = customer("messenger")
    leila.send([{"type": "image", "channel": "messenger", "ref": f"{api.url}/p.png"}])
    photo = leila.settled(1)[0]
    columns: list[str] = []

    def read(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if "attachments" in statement and cursor.description:
            columns.extend(column[0] for column in cursor.description)

    event.listen(Engine, "after_cursor_execute", read)
    try:
        assert leila.client.get(f"/api/v1/handoffs/{leila.handoff}",
                                headers=leila.agent).json()["attachments"] == [photo]
        listed, columns[:] = list(columns), []
        assert leila.client.get(photo["url"], headers=leila.agent).content == PHOTO
    finally:
        event.remove(Engine, "after_cursor_execute", read)
    assert listed and "data" not in listed  # the list: no bytes
    assert "data" in columns  # the one photo: its bytes
