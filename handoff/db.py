"""Database engines and sessions (SQLite by default, PostgreSQL for scale)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, sessionmaker


class Base(DeclarativeBase):
    """Declarative base of the handoff service's tables."""


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the service read while Rasa (or another request) writes; wait instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# As many connections as the thread pool that runs the endpoints has threads (anyio: 40).
POOL = {"pool_size": 10, "max_overflow": 30}


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite connections get WAL mode and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **POOL)
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, **POOL)


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
