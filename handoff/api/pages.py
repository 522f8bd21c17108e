"""The two pages people use: the agents' console and the widget (with a demo page to try it)."""

from __future__ import annotations

import ipaddress
from html import escape
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from handoff.contacts import identity_hash
from handoff.dependencies import AppSettings

WEB = Path(__file__).resolve().parent.parent / "web"
routes = APIRouter(include_in_schema=False)

DEMO_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo shop</title></head>
<body style="font-family: system-ui, sans-serif; margin: 40px; color: #1a1a1a">
<h1>Demo shop</h1>
<p lang="fa" dir="rtl">فروشگاه نمونه</p>
<p lang="ar" dir="rtl">متجر تجريبي</p>
<p lang="he" dir="rtl">חנות לדוגמה</p>
<p>The support widget is embedded with one tag:</p>
<pre>&lt;script src="{script}" data-socket-url="{socket}" async&gt;&lt;/script&gt;</pre>
<script src="{script}" data-socket-url="{socket}"{identity} async></script>
</body>
</html>
"""


@routes.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/console/")


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def from_this_machine(request: Request) -> bool:
    """Asked by a browser on this machine, straight: a loopback peer, a loopback host name (a
    page that rebinds its own name to 127.0.0.1 still sends its name) and no proxy between."""
    peer = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False
    host = (request.headers.get("host") or "").rsplit(":", 1)[0].casefold()
    return loopback and host in LOOPBACK_NAMES and not any(
        name in request.headers for name in FORWARDING_HEADERS)


@routes.get("/widget/demo", response_class=HTMLResponse)
def widget_demo(request: Request, settings: AppSettings,
                user: str | None = Query(None, max_length=320)) -> str:
    """A page with the widget embedded, talking to this system's Rasa server. In development
    only (HANDOFF_WIDGET_DEMO_SIGNS, which `make run` sets while the service listens on the
    loopback interface and the operator has not said otherwise), and only for a browser on
    this machine, `?user=` plays a shop whose customer is signed in: the page signs their
    identity as the shop's backend would. Otherwise it signs nothing: whoever could open it
    could pose as any customer and read their chats."""
    socket = escape(settings.widget_socket_url, quote=True)
    identity = ""
    if user and settings.widget_demo_signs and settings.widget_identity_secret and \
            from_this_machine(request):
        signature = identity_hash(settings.widget_identity_secret, user)
        identity = (f' data-identifier="{escape(user, quote=True)}"'
                    f' data-identifier-hash="{signature}"')
    return DEMO_PAGE.format(script="/widget/widget.js", socket=socket, identity=identity)


class PublicFiles(StaticFiles):
    """Files any site may fetch: the widget runs on the customers' own sites, and reads its
    texts (i18n/*.json) from here. They are public and sent without credentials."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response


def mount(app: FastAPI) -> None:
    """Routes first (the demo page lives under /widget), then the static files."""
    app.include_router(routes)
    app.mount("/console", StaticFiles(directory=WEB / "console", html=True), name="console")
    app.mount("/widget", PublicFiles(directory=WEB / "widget"), name="widget")
