"""Starts the real system once per test session: Rasa server, action server, handoff service."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from common.protocol import LANGUAGES
from tests.e2e.clients import Agent, Customer
from tools.stack import Stack, StackConfig


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = StackConfig(var_dir=Path(tmp_path_factory.mktemp("var")), rasa_port=_free_port(),
                         actions_port=_free_port(), handoff_port=_free_port())
    running = Stack(config)
    running.start()
    try:
        running.wait_ready(timeout=420)
        yield running
    finally:
        running.stop()


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

    def make(capacity: int = 3, languages: tuple[str, ...] = LANGUAGES) -> Agent:
        agent = Agent.create(stack.config.handoff_url, admin_token,
                             f"Sara{uuid.uuid4().hex[:6]}", capacity, list(languages))
        made.append(agent)
        return agent

    yield make
    for agent in made:
        agent.set_presence("offline")
