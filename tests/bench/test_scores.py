"""The benchmarks' scores: macro-F1 as scikit-learn gives it, and bootstrap intervals that
contain the score, narrow with more examples, and repeat from run to run."""

from __future__ import annotations

from bench.scores import accuracy, bootstrap, macro_f1, spread


def test_macro_f1_matches_a_hand_computation() -> None:
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("c", "b")]
    # a: P 1, R 0.5, F1 2/3; b: P 1/3, R 1, F1 0.5; c: 0
    assert abs(macro_f1(pairs) - (2 / 3 + 0.5 + 0) / 3) < 1e-9
    assert accuracy(pairs) == 0.5


def test_the_interval_holds_the_score_and_narrows_with_more_examples() -> None:
    few = [("a", "a")] * 9 + [("a", "b"), ("b", "b")] * 1 + [("b", "a")]
    many = few * 20
    low, high = bootstrap(few)
    assert low <= macro_f1(few) <= high
    wide, narrow = high - low, bootstrap(many)[1] - bootstrap(many)[0]
    assert narrow < wide / 2
    assert bootstrap(few) == (low, high)  # seeded: the same in every run
    assert spread([0.9, 0.92, 0.94]) == "0.920 ± 0.020"
