"""The fallback threshold applied after the fact, so one trained model scores every threshold.

The benchmarks train with the FallbackClassifier's thresholds at 0: every message keeps the
classifier's confidence. A message under a threshold is then what the FallbackClassifier would
have made it, `nlu_fallback`, and the bot treats that like `out_of_scope` (a dead end, actions/
dead_ends.py), so it is scored as `out_of_scope`. The figures for the configured threshold are
exact; the others are the calibration table the threshold is chosen from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

OUT_OF_SCOPE = "out_of_scope"
THRESHOLDS = [step / 20 for step in range(0, 15)]  # 0 … 0.7

Row = tuple[str, str, float]  # true intent, predicted intent, confidence


def configured_threshold(config: dict[str, Any]) -> float:
    return next(float(component.get("threshold", 0.3)) for component in config["pipeline"]
                if component["name"] == "FallbackClassifier")


def write_without_fallback(config: Path, destination: Path) -> float:
    """Copy `config` with a fallback that never fires; return the threshold it had."""
    settings = yaml.safe_load(config.read_text())
    threshold = configured_threshold(settings)
    for component in settings["pipeline"]:
        if component["name"] == "FallbackClassifier":
            component.update(threshold=0.0, ambiguity_threshold=0.0)
    destination.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False))
    return threshold


def report_rows(out: Path) -> list[tuple[str, Row]]:
    """(text, row) for every message of a `rasa test nlu --successes` report."""
    found = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        for item in json.loads(path.read_text()) if path.exists() else []:
            prediction = item["intent_prediction"]
            found.append((item["text"], (item["intent"], prediction["name"],
                                         float(prediction["confidence"]))))
    return found


def decided(rows: list[Row], threshold: float) -> list[tuple[str, str]]:
    """(true, predicted) pairs with the fallback at `threshold`."""
    return [(true, OUT_OF_SCOPE if confidence < threshold or predicted == "nlu_fallback"
             else predicted) for true, predicted, confidence in rows]


def out_of_scope_recall(pairs: list[tuple[str, str]]) -> float | None:
    outside = [predicted for true, predicted in pairs if true == OUT_OF_SCOPE]
    return sum(p == OUT_OF_SCOPE for p in outside) / len(outside) if outside else None
