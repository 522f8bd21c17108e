"""`python -m handoff`: what start-up made is out of the collector's full passes before serving."""

from __future__ import annotations

import gc
from typing import Any

import pytest

import handoff.__main__ as entry
from handoff.settings import Settings


def test_start_up_objects_are_frozen_before_the_server_runs(
    settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    served: list[tuple[Any, int]] = []
    monkeypatch.setattr(entry, "load_settings", lambda: settings)
    monkeypatch.setattr(entry.uvicorn, "run",
                        lambda app, **options: served.append((app, gc.get_freeze_count())))
    gc.unfreeze()
    try:
        entry.main()
    finally:
        gc.unfreeze()
    assert len(served) == 1
    app, frozen = served[0]
    assert app.title and frozen > 0
