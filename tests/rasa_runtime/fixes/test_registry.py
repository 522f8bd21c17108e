"""The registry applies every fix in order, and a switch set to 0 leaves only that one out."""

from __future__ import annotations

from pathlib import Path

import pytest

from rasa_runtime import fixes


def test_every_fix_module_is_registered_once_with_a_switch_of_its_own() -> None:
    modules = {path.stem for path in Path(fixes.__file__).parent.glob("*.py")
               if path.stem != "__init__"}
    names = [fix.name for fix in fixes.FIXES]
    assert sorted(names) == sorted(modules)
    always = {fix.name for fix in fixes.FIXES if fix.switch is None}
    assert always == {"sanic_py311", "socketio_rooms", "local_models_only", "undeliverable"}
    switches = [fix.switch for fix in fixes.FIXES if fix.switch]
    assert len(switches) == len(set(switches)) == len(names) - len(always)
    assert fixes.FIXES[0].name == "sanic_py311" and fixes.FIXES[0].switch is None


def test_a_switch_of_0_leaves_that_fix_out_and_applies_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    applied: list[str] = []
    monkeypatch.setattr(fixes, "FIXES", tuple(
        fixes.Fix(fix.name, fix.fixes, fix.switch, lambda name=fix.name: applied.append(name))
        for fix in fixes.FIXES))
    off = fixes.apply_fixes({"RASA_GC_FREEZE": "0", "RASA_LOCK_POLL": "1"})
    assert off == ["gc_freeze"]
    assert applied == [fix.name for fix in fixes.FIXES if fix.name != "gc_freeze"]
