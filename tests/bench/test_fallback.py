"""The fallback threshold applied after the fact gives what the FallbackClassifier would have."""

from __future__ import annotations

from pathlib import Path

import yaml

from bench.fallback import decided, out_of_scope_recall, write_without_fallback
from tools.model import ROOT


def test_a_message_under_the_threshold_is_a_dead_end() -> None:
    rows = [("greet", "greet", 0.9), ("greet", "thank", 0.4), ("out_of_scope", "greet", 0.3),
            ("out_of_scope", "out_of_scope", 0.8), ("out_of_scope", "nlu_fallback", 0.55)]
    assert decided(rows, 0.5) == [("greet", "greet"), ("greet", "out_of_scope"),
                                  ("out_of_scope", "out_of_scope"),
                                  ("out_of_scope", "out_of_scope"),
                                  ("out_of_scope", "out_of_scope")]
    assert out_of_scope_recall(decided(rows, 0.5)) == 1.0
    assert out_of_scope_recall(decided(rows, 0.0)) == 2 / 3
    assert out_of_scope_recall([("greet", "greet")]) is None


def test_the_copy_never_falls_back_and_reports_the_configured_threshold(tmp_path: Path) -> None:
    copy = tmp_path / "config.yml"
    threshold = write_without_fallback(ROOT / "config.yml", copy)
    configured = yaml.safe_load((ROOT / "config.yml").read_text())
    fallback = [c for c in configured["pipeline"] if c["name"] == "FallbackClassifier"]
    assert threshold == fallback[0]["threshold"] > 0
    written = yaml.safe_load(copy.read_text())
    assert [c for c in written["pipeline"] if c["name"] == "FallbackClassifier"] == [
        {"name": "FallbackClassifier", "threshold": 0.0, "ambiguity_threshold": 0.0}]
    assert [c["name"] for c in written["pipeline"]] == [c["name"] for c in configured["pipeline"]]


def test_an_ambiguity_threshold_is_switched_off_too(tmp_path: Path) -> None:
    config = tmp_path / "given.yml"
    config.write_text(yaml.safe_dump({"pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "FallbackClassifier", "threshold": 0.4, "ambiguity_threshold": 0.1}]}))
    assert write_without_fallback(config, tmp_path / "copy.yml") == 0.4
    written = yaml.safe_load((tmp_path / "copy.yml").read_text())["pipeline"]
    assert written[1] == {"name": "FallbackClassifier", "threshold": 0.0,
                          "ambiguity_threshold": 0.0}
