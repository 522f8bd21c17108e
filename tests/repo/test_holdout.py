"""The held-out sets stay held out: none of their messages is in the training data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.nlu_cv import examples
from common.protocol import LANGUAGES
from common.text import comparable as same_form
from common.text import plain

ROOT = Path(__file__).resolve().parents[2]
HOLDOUT = ROOT / "tests" / "nlu_holdout"


def comparable(text: str) -> str:
    """An example as written (entity annotations and all) in the form that makes it the same."""
    return same_form(plain(text))


def training_messages() -> set[str]:
    return {comparable(text) for language in LANGUAGES
            for texts in examples(ROOT / "data" / "nlu" / f"{language}.yml").values()
            for text in texts}


@pytest.mark.parametrize("path", sorted(HOLDOUT.glob("*/*.yml")),
                         ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_held_out_message_is_trained_on(path: Path) -> None:
    trained = training_messages()
    held_out = [text for texts in examples(path).values() for text in texts]
    assert held_out, f"{path} has no examples"
    assert [text for text in held_out if comparable(text) in trained] == []


def test_every_language_has_a_fresh_set_covering_every_intent() -> None:
    intents = set(examples(ROOT / "data" / "nlu" / "en.yml"))
    for language in LANGUAGES:
        assert set(examples(HOLDOUT / "2026-12" / f"{language}.yml")) == intents, language
