"""Rasa's SQLite stores get a connection pool and WAL (rasa_runtime/fixes/sqlite_pool.py)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy
from sqlalchemy import pool, text

from rasa_runtime.fixes import sqlite_pool


def test_sqlite_files_are_pooled_and_in_wal_mode(tmp_path: Path) -> None:
    sqlite_pool.apply()
    from rasa.core.brokers.sql import SQLEventBroker

    broker = SQLEventBroker(db=str(tmp_path / "events.db"))
    assert isinstance(broker.engine.pool, pool.QueuePool)
    with broker.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    memory = sqlalchemy.create_engine("sqlite://")
    assert not isinstance(memory.pool, pool.QueuePool)
