"""A platform's error texts name no token: Telegram's sits in the Bot API's path (/bot<token>/)
and Messenger's in the query, and PlatformError texts are logged."""

from __future__ import annotations

import asyncio
import socket
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import aiohttp
import pytest

from rasa_runtime.channels.platform import PlatformError
from rasa_runtime.channels.telegram import TelegramOutput, TelegramSettings

TOKEN = "123456:S3CR3T-bot-token"


class _Failing(BaseHTTPRequestHandler):
    """A Bot API that fails every call, echoing the path it was called at."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = f'{{"ok": false, "description": "failed at {self.path}"}}'.encode()
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        """Quiet."""


@pytest.fixture
def failing_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _nothing_listens() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def _error(api_url: str) -> PlatformError:
    async def send() -> PlatformError:
        async with aiohttp.ClientSession() as http:
            output = TelegramOutput(http, TelegramSettings(TOKEN, "secret", api_url))
            with pytest.raises(PlatformError) as raised:
                await output.send_text_message("telegram:42", "hello")
            return raised.value
    return asyncio.run(send())


@pytest.mark.parametrize("where", ["refusing", "down"])
def test_telegram_errors_name_the_method_but_not_the_token(where: str, failing_api: str) -> None:
    error = _error(failing_api if where == "refusing" else _nothing_listens())
    logged = "".join(traceback.format_exception(error))  # what logger.exception writes
    assert "sendMessage" in str(error)
    assert "S3CR3T" not in logged
