"""Database migrations with Alembic: `python -m handoff.migrate [upgrade|check|revision -m MSG]`.

The service upgrades its database to the newest revision when it starts. Replicas starting
together take turns on PostgreSQL (an advisory lock), so one migrates and the others find it done.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x68616E64  # pg_advisory_lock's key: "hand"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        command.upgrade(alembic_config(database_url), "head")
        return
    engine = create_engine(database_url)
    try:
        with engine.connect() as turn:  # held until the upgrade is done, by this replica
            turn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                command.upgrade(alembic_config(database_url), "head")
            finally:
                turn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["upgrade", "check", "revision"])
    parser.add_argument("-m", "--message", default="change")
    args = parser.parse_args()
    config = alembic_config(os.environ.get("HANDOFF_DATABASE_URL", "sqlite:///var/handoff.db"))
    if args.action == "upgrade":
        command.upgrade(config, "head")
    elif args.action == "check":
        command.check(config)
    else:
        command.revision(config, message=args.message, autogenerate=True)


if __name__ == "__main__":
    main()
