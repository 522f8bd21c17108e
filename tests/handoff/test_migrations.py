"""The Alembic migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command

from handoff.migrate import alembic_config, upgrade
from handoff.settings import Settings


def test_migrations_match_the_models(settings: Settings) -> None:
    upgrade(settings.database_url)
    upgrade(settings.database_url)  # idempotent
    command.check(alembic_config(settings.database_url))  # raises if models and schema differ
