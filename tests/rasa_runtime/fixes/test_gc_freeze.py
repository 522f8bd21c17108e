"""Once Rasa has loaded its agent, what exists is out of the collector's full passes."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core import run

from rasa_runtime.fixes import apply_fixes, gc_freeze


@pytest.fixture(autouse=True)
def _restore(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    loaded: list[Any] = []

    async def load_agent_on_start(*args: Any, **kwargs: Any) -> str:
        loaded.append(object())  # a model, as far as the collector is concerned
        return "agent"

    monkeypatch.setattr(run, "load_agent_on_start", load_agent_on_start)
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_objects_loaded_with_the_agent_are_frozen() -> None:
    gc_freeze.apply()
    assert asyncio.run(run.load_agent_on_start("model", None, None, None, None)) == "agent"
    assert gc.get_freeze_count() > 0


def test_switched_off_nothing_is_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    assert apply_fixes({"RASA_GC_FREEZE": "0"}, ["gc_freeze"]) == ["gc_freeze"]
    assert asyncio.run(run.load_agent_on_start("model", None, None, None, None)) == "agent"
    assert gc.get_freeze_count() == 0
