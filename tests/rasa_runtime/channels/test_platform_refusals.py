"""Each platform's error answers, in its own wire format, told apart: a refusal for ever (the
bot blocked, outside the reply window, no such customer) from a failure that may pass; and what
Rasa's API then answers the service (rasa_runtime/fixes/undeliverable.py)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import aiohttp
import pytest
from rasa.server import ErrorResponse

from rasa_runtime.channels import refusals
from rasa_runtime.channels.platform import PlatformError, PlatformRefused
from rasa_runtime.channels.telegram import TelegramOutput, TelegramSettings
from rasa_runtime.fixes.undeliverable import answer


def _body(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()


def _telegram(code: int, description: str) -> bytes:
    return _body({"ok": False, "error_code": code, "description": description})


def _meta(code: int, subcode: int | None = None, message: str = "") -> bytes:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                             "fbtrace_id": "AbC123"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return _body({"error": error})


def _twilio(code: int, status: int = 400) -> bytes:
    return _body({"code": code, "message": "...", "status": status,
                  "more_info": f"https://www.twilio.com/docs/errors/{code}"})


@pytest.mark.parametrize(("status", "body", "reason"), [
    (403, _telegram(403, "Forbidden: bot was blocked by the user"), "blocked"),
    (403, _telegram(403, "Forbidden: bot can't initiate conversation with a user"), "blocked"),
    (403, _telegram(403, "Forbidden: user is deactivated"), "unknown_recipient"),
    (400, _telegram(400, "Bad Request: chat not found"), "unknown_recipient"),
    (400, _telegram(400, "Bad Request: message text is empty"), None),
    (429, _body({"ok": False, "error_code": 429, "description":
                 "Too Many Requests: retry after 5", "parameters": {"retry_after": 5}}), None),
    (502, b"<html>Bad Gateway</html>", None),
    (500, _telegram(500, "Internal Server Error"), None),
])
def test_telegram(status: int, body: bytes, reason: str | None) -> None:
    assert refusals.telegram(status, body) == reason
    assert refusals.permanent("telegram", status, body) == reason


@pytest.mark.parametrize(("status", "body", "reason"), [
    (400, _meta(10, 2018278, "(#10) This message is sent outside of allowed window."),
     "window_closed"),
    (400, _meta(10, 2018065, "(#10) This message is sent outside of allowed window."),
     "window_closed"),
    (400, _meta(10, 2018108, "(#10) This person isn't receiving messages from you right now."),
     "blocked"),
    (400, _meta(551, 1545041, "(#551) This person isn't available right now."), "blocked"),
    (400, _meta(100, 2018001, "(#100) No matching user found"), "unknown_recipient"),
    (400, _meta(100, 2018047, "(#100) Upload attachment failure."), None),
    (500, _meta(1200, None, "Temporary send message failure. Please try again later."), None),
    (400, _meta(4, None, "(#4) Application request limit reached"), None),
    (500, _meta(2, None, "An unexpected error has occurred. Please retry your request later."),
     None),
    (503, b"Service Unavailable", None),
    # not Meta's shape: a hostile or broken answer is a passing failure, never a crash
    (400, b'{"error": {"code": [10], "error_subcode": 2018278}}', None),
    (400, b'{"error": {"code": 10, "error_subcode": {"a": 1}}}', None),
])
def test_messenger(status: int, body: bytes, reason: str | None) -> None:
    assert refusals.messenger(status, body) == reason
    assert refusals.permanent("messenger", status, body) == reason


@pytest.mark.parametrize(("status", "body", "reason"), [
    (400, _twilio(63016), "window_closed"),
    (400, _twilio(21610), "blocked"),
    (400, _twilio(21211), "unknown_recipient"),
    (400, _twilio(21614), "unknown_recipient"),
    (400, _twilio(63024), "unknown_recipient"),
    (429, _twilio(20429, 429), None),
    (503, _twilio(20503, 503), None),
    (401, _twilio(20003, 401), None),  # our credentials: not the customer's fault
    (500, b"", None),
])
def test_twilio(status: int, body: bytes, reason: str | None) -> None:
    assert refusals.twilio(status, body) == reason
    assert refusals.permanent("whatsapp", status, body) == reason


def test_other_channels_never_refuse_for_ever() -> None:
    assert refusals.permanent("socketio", 403, _telegram(403, "Forbidden")) is None


class _Blocked(BaseHTTPRequestHandler):
    """Telegram's Bot API for a user who blocked the bot, and for one whose chat fails today."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, body = ((403, _telegram(403, "Forbidden: bot was blocked by the user"))
                        if "blocked" in self.path else (502, b"Bad Gateway"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        """Quiet."""


@pytest.fixture
def telegram_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Blocked)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _send(api_url: str, token: str) -> BaseException:
    async def send() -> BaseException:
        async with aiohttp.ClientSession() as http:
            output = TelegramOutput(http, TelegramSettings(token, "secret", api_url))
            with pytest.raises(PlatformError) as raised:
                await output.send_text_message("telegram:42", "hello")
            return raised.value
    return asyncio.run(send())


def test_the_telegram_output_raises_a_refusal_for_a_blocked_bot_and_an_error_otherwise(
        telegram_api: str) -> None:
    refused = _send(telegram_api, "blocked")
    assert isinstance(refused, PlatformRefused) and refused.reason == "blocked"
    failed = _send(telegram_api, "flaky")
    assert not isinstance(failed, PlatformRefused)


def _raised_by_rasa(cause: Exception) -> ErrorResponse:
    """Rasa's tracker/events route turns what the channel raised into a 500 ErrorResponse."""
    try:
        try:
            raise cause
        except Exception as error:
            raise ErrorResponse(500, "ConversationError",  # noqa: B904 (as Rasa raises it)
                                f"An unexpected error occurred. Error: {error}")
    except ErrorResponse as response:
        return response


def test_rasa_answers_422_for_a_refusal_and_502_for_other_platform_failures() -> None:
    secret_text = "POST /bot123:SECRET/sendMessage: 403 Forbidden"
    status, body = answer(_raised_by_rasa(PlatformRefused("blocked", secret_text)))
    assert (status, body["reason"], body["details"]) == (
        422, "Undeliverable", {"refusal": "blocked"})
    assert "SECRET" not in json.dumps(body)
    status, body = answer(_raised_by_rasa(PlatformError(secret_text)))
    assert (status, body["reason"]) == (502, "PlatformUnavailable")
    assert "SECRET" not in json.dumps(body)
    assert answer(_raised_by_rasa(KeyError("slot"))) is None
