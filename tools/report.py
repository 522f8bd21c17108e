"""Compares a candidate NLU model with the current one, on the held-out set and by
cross-validation, as an HTML report.

Before a new model replaces the running one, the trainer sees per language the macro-F1 of
both (with a 95 % bootstrap interval) on the held-out set and in cross-validation of each
model's own training data, the intents that got worse, the candidate's confusion matrix and a
histogram of its confidence for right and wrong answers. A message the fallback catches counts
as `out_of_scope`, as the bot handles both as a dead end. Runs in Rasa's environment (it loads
the models, and matplotlib is there):

    .venv-rasa/bin/python -m tools.report [--project DIR] [--candidate M] [--baseline M]
        [--folds 5] [--out FILE] [--summary FILE]

By default the candidate is the model of the project's current data
(models/<fingerprint>.tar.gz) and the baseline the newest other model in its models/;
`make report` trains the candidate first. `--folds 0` leaves out the cross-validation.
`--summary` also writes the figures as JSON (the trainers' page reads it).
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.scores import bootstrap, f1_per_intent, macro_f1
from common.protocol import LANGUAGES
from tools.cross_validation import cross_validate, print_progress
from tools.evaluation import HOLDOUT, Prediction, held_out, pairs, predict
from tools.model import ROOT, model_path

REPORTS = ROOT / "var" / "reports"


@dataclass(frozen=True)
class Comparison:
    """One evaluation (held-out or cross-validation) of both models."""

    name: str
    old: list[Prediction]
    new: list[Prediction]

    def per_language(self) -> dict[str, dict[str, float]]:
        found = {}
        for language in LANGUAGES:
            new = pairs(self.new, language)
            low, high = bootstrap(new)
            found[language] = {"current": macro_f1(pairs(self.old, language)),
                               "candidate": macro_f1(new), "low": low, "high": high}
        return found

    def worse(self) -> list[tuple[str, str, float, float]]:
        found = []
        for language in LANGUAGES:
            before = f1_per_intent(pairs(self.old, language))
            after = f1_per_intent(pairs(self.new, language))
            found += [(language, intent, before[intent], after[intent]) for intent in after
                      if intent in before and after[intent] < before[intent]]
        return found


def _png(figure: object) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def language_chart(scores: dict[str, dict[str, float]], label: str) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3))
    positions = range(len(scores))
    axes.bar([x - 0.2 for x in positions], [s["current"] for s in scores.values()], 0.4,
             label="current")
    axes.bar([x + 0.2 for x in positions], [s["candidate"] for s in scores.values()], 0.4,
             label="candidate")
    axes.set_xticks(list(positions), list(scores))
    axes.set_ylim(0, 1)
    axes.axhline(0.95, color="grey", linewidth=0.8, linestyle="--")
    axes.set_ylabel(f"macro-F1 ({label})")
    axes.legend(loc="lower right")
    return _png(figure)


def confusion_chart(predictions: list[Prediction]) -> str:
    import matplotlib.pyplot as plt
    import numpy as np

    labels = sorted({p.truth for p in predictions} | {p.predicted for p in predictions})
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)))
    for p in predictions:
        matrix[index[p.truth], index[p.predicted]] += 1
    figure, axes = plt.subplots(figsize=(9, 8))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    axes.set_yticks(range(len(labels)), labels, fontsize=7)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    for (row, column), count in np.ndenumerate(matrix):
        if count and row != column:
            axes.text(column, row, int(count), ha="center", va="center", fontsize=6, color="red")
    return _png(figure)


def confidence_chart(predictions: list[Prediction]) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3))
    bins = [i / 20 for i in range(21)]
    axes.hist([p.confidence for p in predictions if p.truth == p.predicted], bins=bins,
              alpha=0.7, label="right")
    axes.hist([p.confidence for p in predictions if p.truth != p.predicted], bins=bins,
              alpha=0.7, label="wrong")
    axes.set_xlabel("confidence of the candidate's answer")
    axes.set_ylabel("messages")
    axes.legend()
    return _png(figure)


def _language_section(comparison: Comparison, element: str, what: str) -> str:
    scores = comparison.per_language()
    rows = "".join(
        f"<tr><td>{language}</td><td>{s['current']:.3f}</td><td>{s['candidate']:.3f} "
        f"[{s['low']:.3f}, {s['high']:.3f}]</td><td>{s['candidate'] - s['current']:+.3f}</td>"
        f"</tr>" for language, s in scores.items())
    return f"""<h2>Macro-F1 per language: {what}</h2>
<table id="{element}"><tr><th>language</th><th>current</th><th>candidate [95 %]</th>
<th>change</th></tr>{rows}</table>
<img alt="macro-F1 per language, {what}"
 src="data:image/png;base64,{language_chart(scores, comparison.name)}">"""


def render(candidate: Path, baseline: Path, holdout: Comparison,
           cv: Comparison | None, folds: int) -> str:
    worse = [(holdout.name, *row) for row in holdout.worse()]
    if cv is not None:
        worse += [(cv.name, *row) for row in cv.worse()]
    worse_rows = "".join(f"<tr><td>{where}</td><td>{lang}</td><td>{html.escape(intent)}</td>"
                         f"<td>{b:.2f}</td><td>{a:.2f}</td></tr>"
                         for where, lang, intent, b, a in worse) or (
        "<tr><td colspan=5>none</td></tr>")
    misses = "".join(
        f"<tr><td>{p.language}</td><td dir=auto>{html.escape(p.text)}</td><td>{p.truth}</td>"
        f"<td>{p.predicted}</td><td>{p.confidence:.2f}</td></tr>"
        for p in holdout.new if p.truth != p.predicted)
    cv_section = (_language_section(cv, "cross-validation", f"{folds}-fold cross-validation")
                  if cv is not None else
                  "<h2>Cross-validation</h2><p id=cross-validation>Not run: "
                  + ("--folds 0." if folds == 0 else
                     "the current model's training data was not kept beside it.") + "</p>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NLU report</title>
<style>body{{font-family:system-ui,sans-serif;margin:32px;color:#1a1a1a}}
table{{border-collapse:collapse;margin:12px 0}}td,th{{border:1px solid #ccc;padding:4px 8px}}
</style></head><body>
<h1>NLU report</h1>
<p>Candidate <code>{html.escape(candidate.name)}</code> against the current
<code>{html.escape(baseline.name)}</code>, on the held-out set {HOLDOUT.name}
({len(holdout.new)} messages) and by cross-validation of each model's training data,
{time.strftime("%Y-%m-%d %H:%M")}.</p>
{_language_section(holdout, "languages", "held-out set")}
{cv_section}
<h2>Intents that got worse</h2>
<table id="worse"><tr><th>measured on</th><th>language</th><th>intent</th><th>F1 before</th>
<th>F1 after</th></tr>{worse_rows}</table>
<h2>The candidate's confusions (held-out)</h2>
<img alt="confusion matrix" src="data:image/png;base64,{confusion_chart(holdout.new)}">
<h2>The candidate's confidence (held-out)</h2>
<img alt="confidence histogram" src="data:image/png;base64,{confidence_chart(holdout.new)}">
<h2>The candidate's misses (held-out)</h2>
<table id="misses"><tr><th>language</th><th>message</th><th>true</th><th>predicted</th>
<th>confidence</th></tr>{misses}</table>
</body></html>
"""


def summary(candidate: Path, baseline: Path, report: Path, holdout: Comparison,
            cv: Comparison | None) -> dict[str, object]:
    return {"candidate": candidate.name, "baseline": baseline.name, "report": str(report),
            "held_out": holdout.per_language(),
            "cross_validation": cv.per_language() if cv is not None else None,
            "worse": [{"measured_on": c.name, "language": lang, "intent": intent,
                       "before": before, "after": after}
                      for c in (holdout, cv) if c is not None
                      for lang, intent, before, after in c.worse()]}


def newest_other(candidate: Path) -> Path | None:
    others = [m for m in candidate.parent.glob("*.tar.gz") if m.resolve() != candidate.resolve()]
    return max(others, key=lambda m: m.stat().st_mtime) if others else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, default=ROOT)
    parser.add_argument("--candidate", type=Path)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--summary", type=Path)
    args = parser.parse_args()
    candidate = args.candidate or model_path(args.project.resolve())
    baseline = args.baseline or newest_other(candidate) or candidate
    for model in (candidate, baseline):
        if not model.exists():
            print(f"no model at {model}; run `make train` first", file=sys.stderr)
            return 1
    messages = held_out()
    print(f"held-out: parsing {len(messages)} messages with the candidate {candidate.name}",
          file=sys.stderr, flush=True)
    new = predict(candidate, messages)
    print(f"held-out: parsing them with the current {baseline.name}", file=sys.stderr,
          flush=True)
    old = new if baseline == candidate else predict(baseline, messages)
    holdout = Comparison("held-out", old, new)
    cv = None
    if args.folds > 1:
        old_cv = cross_validate(baseline, args.folds, print_progress("current"))
        new_cv = (old_cv if baseline == candidate or old_cv is None else
                  cross_validate(candidate, args.folds, print_progress("candidate")))
        if old_cv is not None and new_cv is not None:
            cv = Comparison("cross-validation", old_cv, new_cv)
    out = args.out or REPORTS / f"report-{time.strftime('%Y%m%d-%H%M%S')}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(candidate, baseline, holdout, cv, args.folds), encoding="utf-8")
    if args.summary:
        args.summary.write_text(json.dumps(summary(candidate, baseline, out, holdout, cv)))
    print(f"report: {out}")
    for comparison in (holdout, cv):
        if comparison is not None:
            for language, s in comparison.per_language().items():
                print(f"  {comparison.name} {language}: macro-F1 {s['current']:.3f} -> "
                      f"{s['candidate']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
