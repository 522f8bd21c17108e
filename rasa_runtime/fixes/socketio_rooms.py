"""Rasa 3.6's socket.io channel enters the customer's room on python-socketio 5.10 and later.

Rasa 3.6 calls `sio.enter_room(sid, session_id)` without `await`. From python-socketio 5.10
`AsyncServer.enter_room` is a coroutine, so that call only made a coroutine that never ran: the
socket never joined its session's room and the customer got no bot or agent message. Releases
before 5.14 cannot be kept instead: their Redis manager unpickles what it reads from Redis
(CVE-2025-61765). Rasa builds its server from the name `AsyncServer` in its channel module; this
fix puts there a server whose `enter_room` joins the room at once, before Rasa confirms the
session, and returns a finished future, so Rasa's bare call works and an `await` works too.
"""

from __future__ import annotations

import asyncio

import socketio


class RoomsEnteredAtOnce(socketio.AsyncServer):
    """An AsyncServer whose `enter_room` has joined the room when the call returns."""

    def enter_room(self, sid: str, room: str,  # type: ignore[override]
                   namespace: str | None = None) -> asyncio.Future[None]:
        """Join a socket of this server to a room; the socket asked from this server, so the
        room is kept here (the Redis manager shares only emits between replicas)."""
        self.manager.basic_enter_room(sid, namespace or "/", room)
        entered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entered.set_result(None)
        return entered


def apply() -> None:
    """Make Rasa's socket.io channel build its server from RoomsEnteredAtOnce."""
    from rasa.core.channels import socketio as rasa_socketio

    rasa_socketio.AsyncServer = RoomsEnteredAtOnce
