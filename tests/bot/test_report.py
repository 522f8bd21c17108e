"""The NLU report: per-language scores of both models, what got worse, and its three charts."""

from __future__ import annotations

import re
from pathlib import Path

from bench.scores import f1_per_intent
from tools.evaluation import Prediction, held_out
from tools.report import Comparison, render


def predictions(wrong: set[tuple[str, str]]) -> list[Prediction]:
    """Every language's two intents, right unless (language, text) is in `wrong`."""
    found = []
    for language in ("en", "fa", "ar", "he"):
        for text, truth in (("hello", "greet"), ("where is my order", "check_order_status")):
            predicted = "out_of_scope" if (language, text) in wrong else truth
            found.append(Prediction(language, f"{text} ({language})", truth, predicted, 0.8))
    return found


def test_intents_scores_are_f1() -> None:
    scores = f1_per_intent([("greet", "greet"), ("greet", "affirm"), ("affirm", "affirm")])
    assert scores == {"affirm": 2 * 1 / (2 + 1), "greet": 2 * 1 / (1 + 2)}


def test_the_report_shows_what_got_worse_and_draws_its_charts() -> None:
    old = predictions(set())
    new = predictions({("he", "hello")})
    folded = predictions({("fa", "where is my order")})
    page = render(Path("new.tar.gz"), Path("old.tar.gz"), Comparison("held-out", old, new),
                  Comparison("cross-validation", old, folded), 5)
    languages = re.search(r'<table id="languages">(.*?)</table>', page, re.S).group(1)
    assert "<tr><td>he</td><td>1.000</td><td>0.500" in languages
    assert "<tr><td>fa</td><td>1.000</td><td>1.000" in languages
    folds = re.search(r'<table id="cross-validation">(.*?)</table>', page, re.S).group(1)
    assert "<tr><td>fa</td><td>1.000</td><td>0.500" in folds
    assert "<tr><td>he</td><td>1.000</td><td>1.000" in folds
    worse = re.search(r'<table id="worse">(.*?)</table>', page, re.S).group(1)
    assert "<td>held-out</td><td>he</td><td>greet</td><td>1.00</td><td>0.00</td>" in worse
    assert ("<td>cross-validation</td><td>fa</td><td>check_order_status</td><td>1.00</td>"
            "<td>0.00</td>") in worse
    assert "<td>held-out</td><td>fa</td>" not in worse
    assert page.count('src="data:image/png;base64,') == 4
    assert "hello (he)" in page.split('id="misses"')[1]


def test_without_the_current_models_data_the_report_says_so() -> None:
    old = predictions(set())
    page = render(Path("new.tar.gz"), Path("old.tar.gz"), Comparison("held-out", old, old),
                  None, 5)
    assert "training data was not kept" in page
    assert page.count('src="data:image/png;base64,') == 3


def test_the_held_out_set_is_read_for_every_language() -> None:
    found = held_out()
    assert {language for language, _, _ in found} == {"en", "fa", "ar", "he"}
    assert len(found) == 4 * 136
