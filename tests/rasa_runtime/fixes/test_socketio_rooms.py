"""On python-socketio 5.10+, Rasa's bare `sio.enter_room(...)` still puts the socket in its
session's room, so what Rasa sends to the session reaches the customer."""

from __future__ import annotations

import asyncio

import pytest
import socketio
from rasa.core.channels import socketio as rasa_socketio

from rasa_runtime.fixes import socketio_rooms


def test_a_bare_enter_room_joins_the_room_at_once() -> None:
    async def scenario() -> bool:
        sio = socketio_rooms.RoomsEnteredAtOnce(async_mode="asgi")
        sio.manager.initialize()
        sid = await sio.manager.connect("eio-1", "/")
        sio.enter_room(sid, "session-1")  # as Rasa 3.6 calls it: not awaited
        await sio.enter_room(sid, "session-2")  # awaiting works as well
        rooms = sio.manager.get_rooms(sid, "/")
        return "session-1" in rooms and "session-2" in rooms

    assert asyncio.run(scenario())


def test_rasa_builds_its_server_from_the_fixed_class(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rasa_socketio, "AsyncServer", socketio.AsyncServer)
    socketio_rooms.apply()
    assert rasa_socketio.AsyncServer is socketio_rooms.RoomsEnteredAtOnce
