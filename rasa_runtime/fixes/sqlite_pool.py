"""Pools and tunes the SQLite connections of Rasa's tracker store and SQL event broker.

Rasa 3.6 runs SQLAlchemy 1.4, which gives a file-based SQLite database no connection pool
(NullPool): every tracker read and save, and every single event the broker publishes, opened a new
connection, and each commit waited for a full fsync (rollback journal, synchronous=FULL). Here
such engines keep their connections in a pool and use WAL with synchronous=NORMAL, which survives
a crash of the process (not of the machine's power) and lets the handoff service read the event
table while Rasa writes. Other databases (PostgreSQL) are left as Rasa makes them.
"""

from __future__ import annotations

from typing import Any


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def apply() -> None:
    """Wrap sqlalchemy.create_engine for SQLite files; call before Rasa creates its stores."""
    import sqlalchemy
    from sqlalchemy import event, pool

    original = sqlalchemy.create_engine

    def create_engine(url: Any, *args: Any, **kwargs: Any) -> Any:
        name = str(url)
        if not name.startswith("sqlite") or ":memory:" in name or name.rstrip("/") == "sqlite:":
            return original(url, *args, **kwargs)
        kwargs.setdefault("poolclass", pool.QueuePool)
        kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
        engine = original(url, *args, **kwargs)
        event.listen(engine, "connect", _pragmas)
        return engine

    sqlalchemy.create_engine = create_engine
