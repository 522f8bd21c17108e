"""Messages over their conversation's rate are not processed: the first refused is answered in
the customer's language with the wait, the rest until then only logged; other conversations go
on. Runs `limits` in Rasa's environment, whose packaging is older than limits declares."""

from __future__ import annotations

import asyncio
import os
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor

from common.plurals import seconds
from rasa_runtime.fixes import apply_fixes, message_rate
from tools.model import ROOT

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


@pytest.fixture
def send(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(MessageProcessor, "handle_message", MessageProcessor.handle_message)
    monkeypatch.setattr(message_rate, "LIMITS", None)
    processed: list[str] = []

    async def processing(_: Any, message: UserMessage) -> None:
        processed.append(message.text)

    MessageProcessor.handle_message = processing
    monkeypatch.setenv("RASA_MESSAGE_RATE", "2/10 seconds")
    apply_fixes(os.environ, ["message_rate"])
    processor = SimpleNamespace(domain=SimpleNamespace(responses=RESPONSES))

    def send(text: str, sender: str = "conv-1") -> list[str]:
        channel = CollectingOutputChannel()
        asyncio.run(MessageProcessor.handle_message(processor,
                                                    UserMessage(text, channel, sender)))
        return [m["text"] for m in channel.messages]

    send.processed = processed
    return send


def test_over_the_rate_one_reply_then_silence_and_others_go_on(send: Any) -> None:
    assert send("سلام") == [] and send("سفارشم کجاست؟") == []
    reply = send("سفارش ۵۸۲۳۱")
    assert len(reply) == 1 and reply[0].startswith("پیام‌ها را سریع‌تر")
    assert any(seconds(n, "fa") in reply[0] for n in range(1, 11))
    assert send("هنوز هستید؟") == []  # refused too, and not answered again
    assert send("hello", sender="conv-2") == []
    assert send.processed == ["سلام", "سفارشم کجاست؟", "hello"]
    assert message_rate.LIMITS is not None  # the socket.io channel's per-connection limits


def test_waits_are_said_with_each_languages_plurals() -> None:
    assert [seconds(n, "ar") for n in (1, 2, 3, 11)] == [
        "ثانية واحدة", "ثانيتين", "٣ ثوانٍ", "١١ ثانية"]
    assert [seconds(n, "he") for n in (1, 2, 5)] == ["שנייה אחת", "שתי שניות", "5 שניות"]
    assert seconds(7, "fa") == "۷ ثانیه" and seconds(1, "en") == "1 second"
    limits = message_rate.MessageRate("1/minute", "1/minute")
    assert limits.refused("connection", "sid-1") is None
    wait = limits.refused("connection", "sid-1")
    assert 1 <= wait <= 60
    assert limits.tell("connection", "sid-1", wait) and not limits.tell("connection", "sid-1", wait)
