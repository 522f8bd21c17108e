"""Conversation tests (tests/test_stories.yml) and data validation, with Rasa's own tools.

Every flow in every language goes through the trained model's NLU and policies; any wrong intent
or action fails the test. `make test` trains the model first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.model import ROOT, model_path

RASA = Path(sys.executable).with_name("rasa")
ENV = os.environ | {"RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}


def _rasa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RASA), *args], cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=900)


def test_training_data_is_valid() -> None:
    result = _rasa("data", "validate")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_every_flow_in_every_language(tmp_path: Path) -> None:
    model = model_path()
    if not model.exists():
        pytest.fail(f"no model at {model}; run `make train` first")
    result = _rasa("test", "core", "--model", str(model), "--stories", "tests/test_stories.yml",
                   "--fail-on-prediction-errors", "--out", str(tmp_path))
    failed = tmp_path / "failed_test_stories.yml"
    report = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert result.returncode == 0, report[-5000:] or result.stdout[-3000:]
