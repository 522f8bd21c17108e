"""A message over the limit is not processed: the customer is told, in their language, to send
a shorter one; a message at the limit goes through."""

from __future__ import annotations

import asyncio
import os
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor

from rasa_runtime.fixes import apply_fixes
from rasa_runtime.fixes.message_cap import too_long_reply
from tools.model import ROOT

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


@pytest.fixture(autouse=True)
def _restore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MessageProcessor, "handle_message", MessageProcessor.handle_message)


def _handle(monkeypatch: pytest.MonkeyPatch, text: str,
            metadata: dict[str, Any] | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    processed: list[str] = []

    async def processing(_: Any, message: UserMessage) -> None:
        processed.append(message.text)

    MessageProcessor.handle_message = processing
    monkeypatch.setenv("RASA_MAX_MESSAGE_CHARS", "4000")
    apply_fixes(os.environ, ["message_cap"])
    channel = CollectingOutputChannel()
    processor = SimpleNamespace(domain=SimpleNamespace(responses=RESPONSES))
    asyncio.run(MessageProcessor.handle_message(
        processor, UserMessage(text, channel, "conv-1", metadata=metadata)))
    return processed, channel.messages


def test_a_message_at_the_limit_is_processed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _handle(monkeypatch, "a" * 4000) == (["a" * 4000], [])


def test_a_longer_one_is_refused_in_the_language_its_letters_show(
        monkeypatch: pytest.MonkeyPatch) -> None:
    processed, sent = _handle(monkeypatch, "سفارشم کجاست " * 400)
    assert processed == []
    assert [m["text"] for m in sent] == [too_long_reply(RESPONSES, "کجاست " * 1000, None, 4000)]
    assert sent[0]["text"].startswith("پیام شما") and "۴,۰۰۰" in sent[0]["text"]


def test_the_widgets_language_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    _, sent = _handle(monkeypatch, "x" * 5000, {"language": "he"})
    assert sent[0]["text"].startswith("ההודעה שלך ארוכה מדי")
    assert too_long_reply(RESPONSES, "x" * 5000, "not a dict", 4000).startswith("Your message")
