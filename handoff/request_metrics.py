"""Counts and times every HTTP request by its route's template (`/api/v1/handoffs/{handoff_id}`),
never by its path, so that ids do not make a metric per handoff."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handoff.metrics import Metrics


class RequestMetrics:
    """Plain ASGI middleware: no copy of the body, and WebSockets pass untouched."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self._metrics.requests.labels(method, template, str(status)).inc()
            self._metrics.request_seconds.labels(method, template).observe(
                time.perf_counter() - started)
