"""The Alembic migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from handoff.migrate import alembic_config, upgrade
from handoff.settings import Settings

INI = Path(__file__).resolve().parents[2] / "handoff" / "alembic.ini"
ALEMBIC = Path(sys.executable).with_name("alembic")


def test_migrations_match_the_models(settings: Settings) -> None:
    upgrade(settings.database_url)
    upgrade(settings.database_url)  # idempotent
    command.check(alembic_config(settings.database_url))  # raises if models and schema differ


def test_alembics_own_cli_works_with_the_shipped_ini(tmp_path: Path) -> None:
    """history, upgrade, current and downgrade through `alembic -c handoff/alembic.ini`, from
    another working directory, on the database HANDOFF_DATABASE_URL names."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    def alembic(*args: str) -> str:
        done = subprocess.run([str(ALEMBIC), "-c", str(INI), *args], cwd=tmp_path, text=True,
                              capture_output=True, env=os.environ | {"HANDOFF_DATABASE_URL": url},
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert head in alembic("history")
    alembic("upgrade", "head")
    assert head in alembic("current")
    alembic("downgrade", "base")
    assert head not in alembic("current")
    alembic("upgrade", "head")
    command.check(alembic_config(url))
