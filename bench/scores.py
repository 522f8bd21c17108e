"""Intent scores from (true, predicted) pairs, with how far they can be trusted: macro-F1 as
scikit-learn computes it for Rasa's reports, and a 95 % bootstrap interval over the examples."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence

Pairs = Sequence[tuple[str, str]]
RESAMPLES = 1000


def f1_per_intent(pairs: Pairs) -> dict[str, float]:
    """F1 of each true intent."""
    scores = {}
    for label in sorted({truth for truth, _ in pairs}):
        hits = sum(t == p == label for t, p in pairs)
        predicted = sum(p == label for _, p in pairs)
        actual = sum(t == label for t, _ in pairs)
        precision = hits / predicted if predicted else 0.0
        recall = hits / actual
        scores[label] = 2 * precision * recall / (precision + recall) if hits else 0.0
    return scores


def macro_f1(pairs: Pairs) -> float:
    """Macro-F1 over the true intents."""
    scores = f1_per_intent(pairs)
    return sum(scores.values()) / len(scores)


def accuracy(pairs: Pairs) -> float:
    return sum(t == p for t, p in pairs) / len(pairs)


def bootstrap(pairs: Pairs, metric: Callable[[Pairs], float] = macro_f1,
              resamples: int = RESAMPLES, seed: int = 0) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of `metric` over resamples of the examples (the same
    resamples in every run: seeded)."""
    chooser = random.Random(seed)
    values = sorted(metric(chooser.choices(pairs, k=len(pairs))) for _ in range(resamples))
    return values[int(0.025 * resamples)], values[int(0.975 * resamples) - 1]


def spread(values: Sequence[float]) -> str:
    """Mean ± standard deviation, of folds or seeds."""
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}" \
        if len(values) > 1 else f"{values[0]:.3f}"
