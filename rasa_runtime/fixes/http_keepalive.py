"""Keeps Rasa's HTTP connections to the action server open between action calls.

Rasa 3.6 (`EndpointConfig.request`) opens a new aiohttp session, and so a new TCP connection, for
every action call and closes it afterwards: under load each call waits for a connect and a close
on a busy event loop, and at 128 customers some calls failed outright ("Cannot write to closing
transport"). Here each endpoint keeps one session per event loop with a pool of keep-alive
connections, dropped after 15 s idle. The server must keep them longer than that, and longer
than a saturated Rasa can take to hand a reply's connection back to the pool: Sanic's default of
5 s was not (at 128 customers a call went out on a connection the action server had just closed),
so tools/stack.py gives the action server 75 s (SANIC_KEEP_ALIVE_TIMEOUT, as nginx's default).
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

IDLE_SECONDS = 15.0


class _Borrowed:
    """`async with endpoint.session()` as Rasa writes it, without closing the shared session."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        return None


def apply() -> None:
    """Make every EndpointConfig reuse one pooled session per event loop."""
    import aiohttp
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
    from rasa.utils.endpoints import EndpointConfig

    def session(self: EndpointConfig) -> _Borrowed:
        loop = asyncio.get_running_loop()
        shared = self.__dict__.get("_keepalive")
        if shared is None or shared[0] is not loop or shared[1].closed:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) \
                if self.basic_auth else None
            pooled = aiohttp.ClientSession(  # Rasa's own settings, with a keep-alive pool
                connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_SECONDS),
                headers=self.headers, auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT))
            shared = (loop, pooled)
            self.__dict__["_keepalive"] = shared
        return _Borrowed(shared[1])

    EndpointConfig.session = session
