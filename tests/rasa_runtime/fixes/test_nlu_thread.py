"""A message's NLU runs in one worker thread: Rasa's event loop keeps serving other conversations
while a message is parsed, and parses stay one at a time, in the order they were asked for."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_runtime.fixes import nlu_thread

PARSE_SECONDS = 0.1


class SlowNlu(MessageProcessor):
    """Rasa's processor with its NLU graph replaced by a parse that holds its thread (as the
    embedding's arithmetic does) and records where and in which order it ran."""

    def __init__(self) -> None:
        self.http_interpreter = None
        self.domain = Domain.from_dict({"intents": ["greet"]})
        self.runs: list[tuple[str, int, float, float]] = []

    def _parse_message_with_graph(self, message: UserMessage, tracker: DialogueStateTracker,
                                  only_output_properties: bool = True) -> dict[str, Any]:
        started = time.monotonic()
        time.sleep(PARSE_SECONDS)
        self.runs.append((message.text, threading.get_ident(), started, time.monotonic()))
        return {"text": message.text, "intent": {"name": "greet", "confidence": 0.9},
                "entities": []}


@pytest.fixture(autouse=True)
def patched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MessageProcessor, "parse_message", MessageProcessor.parse_message)
    nlu_thread.apply()


def test_the_loop_keeps_running_while_messages_are_parsed_one_at_a_time() -> None:
    nlu = SlowNlu()
    ticks: list[float] = []

    async def scenario() -> list[dict[str, Any]]:
        async def ticker() -> None:
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.005)

        ticking = asyncio.create_task(ticker())
        parsed = await asyncio.gather(*(nlu.parse_message(UserMessage(text, sender_id=text))
                                        for text in ("سلام", "مرحبا", "שלום")))
        ticking.cancel()
        return parsed

    parsed = asyncio.run(scenario())
    assert [p["text"] for p in parsed] == ["سلام", "مرحبا", "שלום"]
    assert [p["intent"]["name"] for p in parsed] == ["greet"] * 3
    assert [text for text, *_ in nlu.runs] == ["سلام", "مرحبا", "שלום"]
    assert len({thread for _, thread, *_ in nlu.runs}) == 1
    assert nlu.runs[0][1] != threading.get_ident()
    for (_, _, _, ended), (_, _, started, _) in itertools.pairwise(nlu.runs):
        assert started >= ended  # one parse at a time
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    assert len(ticks) > 3 * PARSE_SECONDS / 0.005 / 2 and max(gaps) < PARSE_SECONDS / 2
