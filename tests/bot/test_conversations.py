"""Conversation tests (tests/test_stories.yml) and data validation, with Rasa's own tools.

Every flow in every language goes through the trained model's policies (`rasa test core`, which
takes each step's intent from the story as written), and every customer message of the stories
goes through the trained model's NLU, which must give the story's intent. Any wrong intent or
action fails. `make test` trains the model first.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.model import ROOT, model_path

RASA = Path(sys.executable).with_name("rasa")
ENV = os.environ | {"RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}


def _rasa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RASA), *args], cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=900)


def test_training_data_is_valid() -> None:
    result = _rasa("data", "validate")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def _model() -> Path:
    model = model_path()
    if not model.exists():
        pytest.fail(f"no model at {model}; run `make train` first")
    return model


# the fallback's verdict and the out-of-scope intent lead to the same dead end (action_fallback)
DEAD_END = {"nlu_fallback": "out_of_scope"}


def test_every_story_message_is_understood_as_the_story_says() -> None:
    """`rasa test core` does not run NLU on a step that names its intent; this does."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(_model()))
    stories = yaml.safe_load((ROOT / "tests" / "test_stories.yml").read_text(encoding="utf-8"))
    steps = [(step["user"], step["intent"]) for story in stories["stories"]
             for step in story["steps"] if "user" in step and "intent" in step]

    async def understood() -> list[tuple[str, str, str]]:
        parsed = [await agent.parse_message(text) for text, _ in steps]
        return [(text, intent, result["intent"]["name"])
                for (text, intent), result in zip(steps, parsed, strict=True)
                if DEAD_END.get(result["intent"]["name"], result["intent"]["name"]) != intent]

    assert len(steps) > 100
    assert asyncio.run(understood()) == []


def test_every_flow_in_every_language(tmp_path: Path) -> None:
    model = _model()
    result = _rasa("test", "core", "--model", str(model), "--stories", "tests/test_stories.yml",
                   "--fail-on-prediction-errors", "--out", str(tmp_path))
    failed = tmp_path / "failed_test_stories.yml"
    report = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert result.returncode == 0, report[-5000:] or result.stdout[-3000:]
