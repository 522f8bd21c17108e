"""Photos customers send: fetched once from the platform (a local Telegram Bot API stand-in here)
and served only to agents of the handoff's team."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from handoff.app import create_app
from handoff.settings import Settings
from tests.e2e.platforms import PHOTO, Telegram
from tests.handoff.support import escalate, make_agent, wait_for

TOKEN = "123:photo-token"


@pytest.fixture
def telegram() -> Iterator[Telegram]:
    stand_in = Telegram(TOKEN, "unused")
    yield stand_in
    stand_in.close()


@pytest.fixture
def client(settings: Settings, events: object, telegram: Telegram) -> Iterator[TestClient]:
    configured = settings.model_copy(update={"telegram_token": TOKEN,
                                             "telegram_api_url": telegram.url,
                                             "media_allow_private_hosts": "127.0.0.1"})
    with TestClient(create_app(configured)) as test_client:
        yield test_client


def _photos(client: TestClient, agent: dict[str, str], handoff_id: int) -> list[dict]:
    return client.get(f"/api/v1/handoffs/{handoff_id}", headers=agent).json()["attachments"]


def test_a_photo_is_fetched_once_and_served_only_to_the_team(client: TestClient,
                                                             telegram: Telegram) -> None:
    telegram.photo("shoe-1")
    sara = make_agent(client)
    other_team = make_agent(client, "omid@example.com", teams=["billing"])
    ticket = escalate(client, "telegram:7", "fa", channel="telegram", attachments=[
        {"type": "image", "channel": "telegram", "ref": "shoe-1"},
        {"type": "image", "channel": "telegram", "ref": "shoe-1"},  # the same photo twice
        {"type": "image", "channel": "telegram", "ref": "gone"}])
    photos = wait_for(lambda: (lambda p: p if all(a["state"] != "fetching" for a in p) else None)(
        _photos(client, sara, ticket["id"])))
    assert [a["state"] for a in photos] == ["ready", "failed"]

    served = client.get(photos[0]["url"], headers=sara)
    assert served.status_code == 200 and served.content == PHOTO
    assert served.headers["content-type"] == "image/png"
    assert client.get(photos[0]["url"], headers=other_team).status_code == 404
    assert client.get(photos[0]["url"]).status_code == 401
    assert client.get(photos[1]["url"], headers=sara).status_code == 409  # could not be fetched
    assert client.get(f"/api/v1/handoffs/{ticket['id']}/attachments/999",
                      headers=sara).status_code == 404
    fetched = [c for c in telegram.calls if c.path.endswith("/getFile")]
    assert [c.body["file_id"] for c in fetched] == ["shoe-1", "gone"]  # each fetched once


def test_without_the_platform_configured_nothing_is_called(settings: Settings,
                                                           events: object) -> None:
    with TestClient(create_app(settings)) as client:  # no TELEGRAM_TOKEN
        sara = make_agent(client)
        ticket = escalate(client, "telegram:8", "fa", channel="telegram", attachments=[
            {"type": "image", "channel": "telegram", "ref": "x"}])
        photos = wait_for(lambda: (lambda p: p if p[0]["state"] == "failed" else None)(
            _photos(client, sara, ticket["id"])))
        assert photos[0]["content_type"] is None
