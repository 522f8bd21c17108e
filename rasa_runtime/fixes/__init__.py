"""The fixes applied to Rasa 3.6 at start-up, in the order they are applied.

Each entry names what it fixes and its switch: the environment variable that, set to `0`, leaves
Rasa as it is (to measure a fix's effect: bench/README.md). The first entry has no switch: without
it the socket.io channel does not work on Python 3.11 at all. Nor have socketio_rooms (without it
no customer gets a message), local_models_only (a security guard, not a speed-up) and undeliverable
(what Rasa's API answers when a platform refuses a message).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from rasa_runtime.fixes import (
    event_stream_batch,
    gc_freeze,
    http_keepalive,
    jsonschema_cache,
    local_models_only,
    lock_poll,
    message_cap,
    message_rate,
    nlu_thread,
    sanic_py311,
    socketio_rooms,
    sqlite_pool,
    tracker_thread,
    turn_limit,
    undeliverable,
)


@dataclass(frozen=True)
class Fix:
    name: str
    fixes: str
    switch: str | None  # the variable that turns it off with "0"; None: always applied
    apply: Callable[[], None]


FIXES: tuple[Fix, ...] = (
    Fix("sanic_py311", "Sanic 21.12's websockets fail on Python 3.11 (asyncio.wait of a "
        "coroutine)", None, sanic_py311.apply),
    Fix("socketio_rooms", "Rasa never awaits python-socketio 5.10+'s enter_room: no room, no "
        "message reaches the customer", None, socketio_rooms.apply),
    Fix("local_models_only", "PUT /model loads a model from any URL or bucket "
        "(CVE-2024-49375)", None, local_models_only.apply),
    Fix("undeliverable", "a platform's refusal of a bot message is an anonymous 500: a message "
        "to a customer who blocked the bot is retried for ever", None, undeliverable.apply),
    Fix("lock_poll", "a busy conversation lock is polled once a second", "RASA_LOCK_POLL",
        lock_poll.apply),
    Fix("sqlite_pool", "a new SQLite connection and a full fsync per tracker read, save and event",
        "RASA_SQLITE_POOL", sqlite_pool.apply),
    Fix("http_keepalive", "a new HTTP connection to the action server per action call",
        "RASA_HTTP_KEEPALIVE", http_keepalive.apply),
    Fix("event_stream_batch", "the whole tracker re-read before each save; one commit per event",
        "RASA_EVENT_STREAM_BATCH", event_stream_batch.apply),
    Fix("tracker_thread", "the SQL tracker store blocks the event loop", "RASA_TRACKER_THREAD",
        tracker_thread.apply),
    Fix("nlu_thread", "each message's NLU (its sentence embedding) blocks the event loop",
        "RASA_NLU_THREAD", nlu_thread.apply),
    Fix("jsonschema_cache", "the events schema re-checked on every validation",
        "RASA_JSONSCHEMA_CACHE", jsonschema_cache.apply),
    Fix("turn_limit", "every message in flight at once: awaits go to the back of the loop",
        "RASA_MAX_CONCURRENT_TURNS", turn_limit.apply),
    Fix("message_cap", "a message of any length is read: one of 6 MB held every customer 37 s",
        "RASA_MAX_MESSAGE_CHARS", message_cap.apply),
    Fix("message_rate", "one client sending without pause takes the turns of everyone else",
        "RASA_MESSAGE_RATE", message_rate.apply),
    Fix("gc_freeze", "full garbage collections walk the loaded model (100-330 ms stops)",
        "RASA_GC_FREEZE", gc_freeze.apply),
)


def switched_off(fix: Fix, env: Mapping[str, str]) -> bool:
    return fix.switch is not None and env.get(fix.switch, "").strip() == "0"


def apply_fixes(env: Mapping[str, str], names: Iterable[str] | None = None) -> list[str]:
    """Apply the fixes (those in `names`, else all) in registry order, except those switched off
    in `env`; return the names of those switched off."""
    chosen = set(names) if names is not None else None
    off = []
    for fix in FIXES:
        if chosen is not None and fix.name not in chosen:
            continue
        if switched_off(fix, env):
            off.append(fix.name)
        else:
            fix.apply()
    return off
