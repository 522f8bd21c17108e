"""Compares a candidate NLU model with the current one on the held-out set, as an HTML report.

Before a new model replaces the running one, the trainer sees per language the macro-F1 of
both (with a 95 % bootstrap interval), the intents that got worse, the candidate's confusion
matrix and a histogram of its confidence for right and wrong answers. A message the fallback
catches counts as `out_of_scope`, as the bot handles both as a dead end. Runs in Rasa's
environment (it loads both models, and matplotlib is there):

    .venv-rasa/bin/python -m tools.report [--candidate M] [--baseline M] [--out FILE]

By default the candidate is the model of the current data (models/<fingerprint>.tar.gz) and
the baseline the newest other model in models/; `make report` trains the candidate first.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import html
import io
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.nlu_cv import examples
from bench.scores import Pairs, bootstrap, f1_per_intent, macro_f1
from common.protocol import LANGUAGES
from common.text import plain
from tools.model import MODELS, ROOT, model_path

HOLDOUT = ROOT / "tests" / "nlu_holdout" / "2026-12"
REPORTS = ROOT / "var" / "reports"
FALLBACK = "nlu_fallback"


@dataclass(frozen=True)
class Prediction:
    language: str
    text: str
    truth: str
    predicted: str
    confidence: float


def held_out(folder: Path = HOLDOUT) -> list[tuple[str, str, str]]:
    """(language, text, intent) of every held-out message."""
    return [(language, plain(text), intent) for language in LANGUAGES
            for intent, texts in examples(folder / f"{language}.yml").items() for text in texts]


def predict(model: Path, messages: list[tuple[str, str, str]]) -> list[Prediction]:
    """Each message parsed by `model` (loaded once, in this process)."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse_all() -> list[Prediction]:
        found = []
        for language, text, truth in messages:
            intent = (await agent.parse_message(text))["intent"]
            name = "out_of_scope" if intent["name"] == FALLBACK else intent["name"]
            found.append(Prediction(language, text, truth, name, float(intent["confidence"])))
        return found

    return asyncio.run(parse_all())


def pairs(predictions: list[Prediction], language: str | None = None) -> Pairs:
    return [(p.truth, p.predicted) for p in predictions
            if language is None or p.language == language]


def _png(figure: object) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def language_chart(rows: list[tuple[str, float, float]]) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3))
    positions = range(len(rows))
    axes.bar([x - 0.2 for x in positions], [r[1] for r in rows], 0.4, label="current")
    axes.bar([x + 0.2 for x in positions], [r[2] for r in rows], 0.4, label="candidate")
    axes.set_xticks(list(positions), [r[0] for r in rows])
    axes.set_ylim(0, 1)
    axes.axhline(0.95, color="grey", linewidth=0.8, linestyle="--")
    axes.set_ylabel("macro-F1 (held-out)")
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


def render(candidate: Path, baseline: Path, new: list[Prediction],
           old: list[Prediction]) -> str:
    rows, table = [], []
    for language in LANGUAGES:
        before, after = macro_f1(pairs(old, language)), macro_f1(pairs(new, language))
        low, high = bootstrap(pairs(new, language))
        rows.append((language, before, after))
        table.append(f"<tr><td>{language}</td><td>{before:.3f}</td><td>{after:.3f} "
                     f"[{low:.3f}, {high:.3f}]</td><td>{after - before:+.3f}</td></tr>")
    worse = []
    for language in LANGUAGES:
        before, after = f1_per_intent(pairs(old, language)), f1_per_intent(pairs(new, language))
        worse += [(language, intent, before[intent], after[intent]) for intent in after
                  if after[intent] < before.get(intent, 0.0)]
    worse_rows = "".join(f"<tr><td>{lang}</td><td>{html.escape(intent)}</td><td>{b:.2f}</td>"
                         f"<td>{a:.2f}</td></tr>" for lang, intent, b, a in worse) or (
        "<tr><td colspan=4>none</td></tr>")
    misses = "".join(
        f"<tr><td>{p.language}</td><td dir=auto>{html.escape(p.text)}</td><td>{p.truth}</td>"
        f"<td>{p.predicted}</td><td>{p.confidence:.2f}</td></tr>"
        for p in new if p.truth != p.predicted)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NLU report</title>
<style>body{{font-family:system-ui,sans-serif;margin:32px;color:#1a1a1a}}
table{{border-collapse:collapse;margin:12px 0}}td,th{{border:1px solid #ccc;padding:4px 8px}}
</style></head><body>
<h1>NLU report</h1>
<p>Candidate <code>{html.escape(candidate.name)}</code> against the current
<code>{html.escape(baseline.name)}</code>, on the held-out set {HOLDOUT.name}
({len(new)} messages), {time.strftime("%Y-%m-%d %H:%M")}.</p>
<h2>Macro-F1 per language</h2>
<table id="languages"><tr><th>language</th><th>current</th><th>candidate [95 %]</th>
<th>change</th></tr>{"".join(table)}</table>
<img alt="macro-F1 per language" src="data:image/png;base64,{language_chart(rows)}">
<h2>Intents that got worse</h2>
<table id="worse"><tr><th>language</th><th>intent</th><th>F1 before</th><th>F1 after</th></tr>
{worse_rows}</table>
<h2>The candidate's confusions</h2>
<img alt="confusion matrix" src="data:image/png;base64,{confusion_chart(new)}">
<h2>The candidate's confidence</h2>
<img alt="confidence histogram" src="data:image/png;base64,{confidence_chart(new)}">
<h2>The candidate's misses</h2>
<table id="misses"><tr><th>language</th><th>message</th><th>true</th><th>predicted</th>
<th>confidence</th></tr>{misses}</table>
</body></html>
"""


def newest_other(candidate: Path) -> Path | None:
    others = [m for m in MODELS.glob("*.tar.gz") if m.resolve() != candidate.resolve()]
    return max(others, key=lambda m: m.stat().st_mtime) if others else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidate", type=Path, default=model_path())
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    baseline = args.baseline or newest_other(args.candidate) or args.candidate
    for model in (args.candidate, baseline):
        if not model.exists():
            print(f"no model at {model}; run `make train` first", file=sys.stderr)
            return 1
    messages = held_out()
    print(f"parsing {len(messages)} held-out messages with {args.candidate.name} ...",
          flush=True)
    new = predict(args.candidate, messages)
    print(f"parsing them with {baseline.name} ...", flush=True)
    old = new if baseline == args.candidate else predict(baseline, messages)
    out = args.out or REPORTS / f"report-{time.strftime('%Y%m%d-%H%M%S')}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(args.candidate, baseline, new, old), encoding="utf-8")
    print(f"report: {out}")
    for language in LANGUAGES:
        print(f"  {language}: macro-F1 {macro_f1(pairs(old, language)):.3f} -> "
              f"{macro_f1(pairs(new, language)):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
