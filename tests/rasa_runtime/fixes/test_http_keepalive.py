"""Action calls share kept-alive connections instead of one new connection per call."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from rasa_runtime.fixes import apply_fixes, http_keepalive


async def _calls_over_connections(calls: int) -> set[tuple[str, int]]:
    """Make `calls` action-style requests; return the client ends the server saw."""
    peers: set[tuple[str, int]] = set()

    async def webhook(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "responses": [await request.json()]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", token="secret")
    try:
        for number in range(calls):
            reply = await endpoint.request(json={"next_action": f"action_{number}"})
            assert reply["responses"] == [{"next_action": f"action_{number}"}]
    finally:
        await runner.cleanup()
    return peers


def test_action_calls_reuse_one_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(EndpointConfig, "session", EndpointConfig.session)  # undone afterwards
    http_keepalive.apply()
    assert len(asyncio.run(_calls_over_connections(5))) == 1


def test_switched_off_rasa_opens_a_connection_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(EndpointConfig, "session", EndpointConfig.session)
    assert apply_fixes({"RASA_HTTP_KEEPALIVE": "0"}, ["http_keepalive"]) == ["http_keepalive"]
    assert len(asyncio.run(_calls_over_connections(5))) == 5
