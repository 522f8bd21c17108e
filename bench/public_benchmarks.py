"""Our NLU pipeline on public intent benchmarks, against their published results.

BANKING77 (77 intents; a seeded 10 % of train is held out as validation, as only train is here)
and CLINC150 with out-of-scope queries (its own validation split; trained on the OOS+ setting:
the 100 out-of-scope training examples form an `out_of_scope` intent). A prediction of
`out_of_scope` or `nlu_fallback` counts as "out of scope". Reports accuracy, out-of-scope recall
and training time.

The model is trained with the fallback off and the threshold applied after the fact
(bench/fallback.py): the figures for the configured threshold, then the calibration table over
thresholds the configured one was chosen from (bench/README.md). Usage:

    .venv/bin/python -m bench.public_benchmarks [--config config.yml] [--data bench/data]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.fallback import (
    OUT_OF_SCOPE,
    THRESHOLDS,
    Row,
    decided,
    out_of_scope_recall,
    report_rows,
    write_without_fallback,
)
from bench.rasa_cli import rasa
from tools.model import ROOT

ANCHORS = {
    "banking77": "published (test): BERT 93.66 %, USE+ConveRT 93.36 %",
    "clinc150": "published (test, OOS+ training): Rasa 90.9 / 66.0, BERT 96.7 / 59.2 "
                "(in-scope accuracy / OOS recall)",
}


def write_nlu(path: Path, examples: list[tuple[str, str]]) -> None:
    grouped: dict[str, list[str]] = defaultdict(list)
    for text, intent in examples:
        grouped[intent].append(text)
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in grouped.items():
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {json.dumps(t.replace(chr(10), ' '), ensure_ascii=False)[1:-1]}"
                  for t in texts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def banking77(data: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    with (data / "banking77" / "train.csv").open(encoding="utf-8") as handle:
        rows = [(row["text"], row["category"]) for row in csv.DictReader(handle)]
    random.Random(77).shuffle(rows)
    cut = len(rows) // 10
    return rows[cut:], rows[:cut]


def clinc150(data: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    raw = json.loads((data / "clinc150" / "data_full_train_val.json").read_text())
    train = [(t, i) for t, i in raw["train"]] + [(t, OUT_OF_SCOPE) for t, _ in raw["oos_train"]]
    val = [(t, i) for t, i in raw["val"]] + [(t, OUT_OF_SCOPE) for t, _ in raw["oos_val"]]
    return train, val


def scores(rows: list[Row], threshold: float) -> tuple[float, float | None]:
    """In-scope accuracy and out-of-scope recall, with the fallback at `threshold`."""
    pairs = decided(rows, threshold)
    in_scope = [(t, p) for t, p in pairs if t != OUT_OF_SCOPE]
    return sum(t == p for t, p in in_scope) / len(in_scope), out_of_scope_recall(pairs)


def evaluate(name: str, train: list, val: list, config: Path, work: Path) -> None:
    folder = work / name
    folder.mkdir()
    write_nlu(folder / "train.yml", train)
    write_nlu(folder / "val.yml", val)
    raw = folder / "config.yml"
    threshold = write_without_fallback(config, raw)
    print(f"{name}: training on {len(train)} examples …", flush=True)
    started = time.monotonic()
    rasa("train", "nlu", "--config", str(raw), "--nlu", str(folder / "train.yml"), "--out",
        str(folder), "--fixed-model-name", "model", cache=folder / "cache")
    trained = time.monotonic() - started
    rasa("test", "nlu", "--model", str(folder / "model.tar.gz"), "--nlu", str(folder / "val.yml"),
        "--out", str(folder / "out"), "--successes", cache=folder / "cache")
    rows = [row for _, row in report_rows(folder / "out")]
    accuracy, recall = scores(rows, threshold)
    line = f"{name}: {len(train)} train / {len(val)} validation, trained in {trained:.0f} s; " \
           f"fallback threshold {threshold}: in-scope accuracy {accuracy * 100:.2f} %"
    if recall is not None:
        line += f", out-of-scope recall {recall * 100:.1f} %"
    print(line)
    print(f"  {ANCHORS[name]}")
    print("  | fallback threshold | in-scope accuracy | out-of-scope recall |")
    print("  | ---: | ---: | ---: |")
    for step in THRESHOLDS:
        accuracy, recall = scores(rows, step)
        shown = "–" if recall is None else f"{recall * 100:.1f} %"
        print(f"  | {step:.2f} | {accuracy * 100:.2f} % | {shown} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--data", default=str(ROOT / "bench" / "data"))
    parser.add_argument("--only", choices=["banking77", "clinc150"])
    args = parser.parse_args()
    data = Path(args.data)
    print(f"pipeline: {args.config}")
    with tempfile.TemporaryDirectory() as work:
        for name, loader in (("banking77", banking77), ("clinc150", clinc150)):
            if args.only in (None, name):
                evaluate(name, *loader(data), args.config, Path(work))


if __name__ == "__main__":
    main()
