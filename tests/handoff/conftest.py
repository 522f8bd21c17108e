"""A handoff service app on SQLite and on PostgreSQL, with Rasa's event table beside it, and a
stand-in for Rasa's HTTP API where a test asks for one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from handoff.app import create_app
from handoff.settings import Settings
from tests.handoff.support import ACTION, ADMIN, RasaApi, RasaEvents, postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'handoff.db'}"
        return
    url, drop = postgres_database()
    yield url
    drop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        events_url=f"sqlite:///{tmp_path / 'events.db'}",
        rasa_url="http://127.0.0.1:9",  # nothing listens: messages to customers stay queued
        rasa_jwt_secret="rasa-jwt-secret-for-tests-0123456789",
        action_secret=ACTION,
        jwt_secret="jwt-secret-for-tests-0123456789abcdef",
        admin_token=ADMIN,
        poll_interval=0.05,
        max_body_bytes=100_000,
        assigner_interval=0.1,
    )


@pytest.fixture
def events(settings: Settings) -> RasaEvents:
    return RasaEvents(settings.events_url)


@pytest.fixture
def client(settings: Settings, events: RasaEvents) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def rasa() -> Iterator[RasaApi]:
    server = RasaApi()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()
