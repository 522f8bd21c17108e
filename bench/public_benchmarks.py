"""Our NLU pipeline on public intent benchmarks, against their published results.

BANKING77 (77 intents; a seeded 10 % of train is held out as validation, as only train is here)
and CLINC150 with out-of-scope queries (its own validation split; trained on the OOS+ setting:
the 100 out-of-scope training examples form an `out_of_scope` intent). A prediction of
`out_of_scope` or `nlu_fallback` counts as "out of scope". Reports accuracy, out-of-scope recall
and training time. Usage:

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

from bench.rasa_cli import rasa
from tools.model import ROOT

OOS = "out_of_scope"
FALLBACK = "nlu_fallback"
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
    train = [(t, i) for t, i in raw["train"]] + [(t, OOS) for t, _ in raw["oos_train"]]
    val = [(t, i) for t, i in raw["val"]] + [(t, OOS) for t, _ in raw["oos_val"]]
    return train, val


def predictions(out: Path) -> list[tuple[str, str]]:
    """(true intent, predicted intent) for every validation example."""
    pairs = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        if path.exists():
            pairs += [(e["intent"], e["intent_prediction"]["name"])
                      for e in json.loads(path.read_text())]
    return pairs


def evaluate(name: str, train: list, val: list, config: str, work: Path) -> None:
    folder = work / name
    folder.mkdir()
    write_nlu(folder / "train.yml", train)
    write_nlu(folder / "val.yml", val)
    started = time.monotonic()
    rasa("train", "nlu", "--config", config, "--nlu", str(folder / "train.yml"), "--out",
        str(folder), "--fixed-model-name", "model", cache=folder / "cache")
    trained = time.monotonic() - started
    rasa("test", "nlu", "--model", str(folder / "model.tar.gz"), "--nlu", str(folder / "val.yml"),
        "--out", str(folder / "out"), "--successes", cache=folder / "cache")
    pairs = predictions(folder / "out")
    in_scope = [(t, p) for t, p in pairs if t != OOS]
    out_scope = [(t, p) for t, p in pairs if t == OOS]
    accuracy = sum(t == p for t, p in in_scope) / len(in_scope)
    line = f"{name}: {len(train)} train / {len(val)} validation, trained in {trained:.0f} s; " \
           f"in-scope accuracy {accuracy * 100:.2f} %"
    if out_scope:
        recall = sum(p in (OOS, FALLBACK) for _, p in out_scope) / len(out_scope)
        line += f", out-of-scope recall {recall * 100:.1f} %"
    print(line)
    print(f"  {ANCHORS[name]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="config.yml")
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
