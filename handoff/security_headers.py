"""Headers that keep the browser pages in their lane: a strict Content-Security-Policy on the
agents' console and on the widget's demo page, and no type sniffing nor referrer anywhere.

The console runs its own files only: no inline script, no other origin, no `eval`; it talks to
its own API and live feed (ws/wss of its own host), shows pictures it fetched (blob:) and the
training report's inline charts (data:), and no site may frame it. Inline styles stay allowed:
the training report, shown in a sandboxed frame that inherits this policy, is styled inline.
The demo page embeds the widget, which also talks to Rasa's socket.io (HANDOFF_WIDGET_SOCKET_URL).
A response that sets its own policy (the training report) keeps it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_COMMON = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data: blob:; font-src 'self'; object-src 'none'; base-uri 'none'; "
           "form-action 'self'; frame-ancestors 'none'")
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$")
DEMO_PATH = "/widget/demo"


def _origins(url: str) -> list[str]:
    """The http(s) origin of `url` and its ws(s) twin (a path would narrow the source)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return []
    origin = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
    return [origin, "ws" + origin.removeprefix("http")]


def policy(path: str, host: str | None, socket_url: str) -> str | None:
    """The Content-Security-Policy of a page of the service, or None for what is not a page
    of ours (the API, the widget's files, FastAPI's docs)."""
    if path == DEMO_PATH:
        extra = _origins(socket_url)
    elif path == "/" or path.startswith("/console"):
        extra = []
    else:
        return None
    if host and _HOST.match(host):  # 'self' covers ws(s) in newer browsers only
        extra = [f"ws://{host}", f"wss://{host}", *extra]
    return f"{_COMMON}; connect-src 'self' {' '.join(extra)}".rstrip()


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app: ASGIApp, socket_url: str) -> None:
        self.app = app
        self.socket_url = socket_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((value.decode("latin-1") for name, value in scope["headers"]
                     if name == b"host"), None)
        wanted = policy(scope["path"], host, self.socket_url)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                if wanted is not None:
                    headers.setdefault("Content-Security-Policy", wanted)
            await send(message)

        await self.app(scope, receive, send_with_headers)
