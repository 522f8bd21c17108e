"""At most the limit of messages are processed at once; the others wait in order, none is lost."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from rasa.core.processor import MessageProcessor

from rasa_runtime.fixes import apply_fixes


@pytest.fixture(autouse=True)
def _restore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MessageProcessor, "handle_message", MessageProcessor.handle_message)


def _send_at_once(monkeypatch: pytest.MonkeyPatch, count: int,
                  limit: int) -> tuple[int, list[int]]:
    """Send `count` messages at once; the most processed together, and the order of service."""
    busy: list[int] = []
    served: list[int] = []
    most = 0

    async def processing(_: Any, message: int) -> str:
        nonlocal most
        busy.append(message)
        most = max(most, len(busy))
        await asyncio.sleep(0.005)  # an action call
        busy.remove(message)
        served.append(message)
        return f"reply {message}"

    MessageProcessor.handle_message = processing
    monkeypatch.setenv("RASA_MAX_CONCURRENT_TURNS", str(limit))
    apply_fixes(os.environ, ["turn_limit"])  # as the launcher applies it

    async def scenario() -> list[str]:
        return await asyncio.gather(*(
            MessageProcessor.handle_message(None, number)  # type: ignore[arg-type]
            for number in range(count)))

    assert asyncio.run(scenario()) == [f"reply {number}" for number in range(count)]
    return most, served


def test_at_most_the_limit_of_messages_are_processed_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    most, served = _send_at_once(monkeypatch, 20, limit=4)
    assert most == 4
    assert served == list(range(20))


def test_switched_off_every_message_is_processed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    most, _ = _send_at_once(monkeypatch, 20, limit=0)
    assert most == 20
