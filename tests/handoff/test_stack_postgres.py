"""The stack's PostgreSQL connections commit without waiting for the disk flush, unless the
operator says otherwise (tools/stack.py, PG_OPTIONS): checked on real connections made by both
environments' drivers (psycopg for the handoff service, psycopg2 for Rasa)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.handoff.support import POSTGRES_ADMIN_URL
from tools.stack import APP_PY, RASA_PY, StackConfig

SHOW = "SHOW synchronous_commit"
HANDOFF = ("import sys; from sqlalchemy import text; from handoff.db import make_engine\n"
           "with make_engine(sys.argv[1]).connect() as c: print(c.execute(text(sys.argv[2]))"
           ".scalar())")
RASA = ("import sys, sqlalchemy as sa\n"  # the driver and URL form of Rasa's SQLTrackerStore
        "url = sys.argv[1].replace('postgresql+psycopg', 'postgresql')\n"
        "with sa.create_engine(url).connect() as c: print(c.execute(sa.text(sys.argv[2]))"
        ".scalar())")


@pytest.fixture(scope="module")
def postgres() -> str:
    try:
        with create_engine(POSTGRES_ADMIN_URL).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {error}")
    return POSTGRES_ADMIN_URL


def _setting(python: Path, script: str, env: dict[str, str]) -> str:
    return subprocess.run([str(python), "-c", script, POSTGRES_ADMIN_URL, SHOW], env=env,
                          check=True, capture_output=True, text=True).stdout.strip()


def test_both_services_commit_without_waiting_for_the_disk(postgres: str,
                                                           tmp_path: Path) -> None:
    env = StackConfig(var_dir=tmp_path).environment()
    assert _setting(APP_PY, HANDOFF, env) == "off"
    assert _setting(RASA_PY, RASA, env) == "off"


def test_the_operators_pgoptions_win(postgres: str, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGOPTIONS", "-c synchronous_commit=on")
    env = StackConfig(var_dir=tmp_path).environment()
    assert _setting(APP_PY, HANDOFF, env) == "on"
    assert _setting(RASA_PY, RASA, env) == "on"
