"""Shared pytest setup: make the repository root importable for every test directory, and share
the real system's fixtures (tests/e2e/fixtures.py) where the browser tools are installed."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pytest_configure(config: pytest.Config) -> None:
    """One session-scoped stack for tests/e2e and tests/security; the bot's environment (no
    Playwright) runs no such test."""
    if importlib.util.find_spec("playwright") is not None:
        config.pluginmanager.import_plugin("tests.e2e.fixtures")
