"""Cross-validation on the training data, per language: how trainers compare pipelines and data
changes without touching the held-out set (bench/nlu_eval.py), which only gives the final score.

Each language's examples are dealt into `--folds` folds intent by intent, in file order, so
every run and every pipeline sees the same folds. For each fold the model is trained on the other
folds of all four languages and tested on this fold. Prints, per language, accuracy and macro-F1
over all folds with a 95 % bootstrap interval over the examples, and macro-F1 fold by fold (mean
± standard deviation), with the configured fallback threshold applied after the fact
(bench/fallback.py); then the calibration table: macro-F1 per language and out-of-scope recall
for each threshold. Usage: `.venv/bin/python -m bench.nlu_cv [--config config.yml]
[--folds 5]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

from bench.fallback import (
    THRESHOLDS,
    Row,
    decided,
    out_of_scope_recall,
    report_rows,
    write_without_fallback,
)
from bench.rasa_cli import rasa
from bench.scores import accuracy, bootstrap, macro_f1, spread
from common.protocol import LANGUAGES
from common.text import normalize, plain
from tools.model import ROOT

NLU_DIR = ROOT / "data" / "nlu"


def examples(path: Path) -> dict[str, list[str]]:
    """Intent → examples (as written, with entity annotations) of one Rasa NLU file."""
    found: dict[str, list[str]] = defaultdict(list)
    for block in yaml.safe_load(path.read_text())["nlu"]:
        if "intent" in block:
            found[block["intent"]] += [line[2:].strip() for line in block["examples"].splitlines()
                                       if line.startswith("- ")]
    return found


def nlu_yaml(data: dict[str, list[str]]) -> str:
    blocks = [{"intent": intent, "examples": "".join(f"- {text}\n" for text in texts)}
              for intent, texts in data.items() if texts]
    return yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True, sort_keys=False)


def write_fold(data: dict[str, dict[str, list[str]]], folds: int, fold: int, nlu_dir: Path,
               train: Path) -> list[tuple[str, str, str]]:
    """Write fold `fold`'s training data (the other folds, and the files in no one language,
    such as regexes) into `train`; return its test messages as (language, intent, text)."""
    train.mkdir(parents=True)
    held = []
    for language, intents in data.items():
        kept = {}
        for intent, texts in intents.items():
            kept[intent] = [t for i, t in enumerate(texts) if i % folds != fold]
            held += [(language, intent, text) for text in texts[fold::folds]]
        (train / f"{language}.yml").write_text(nlu_yaml(kept))
    for shared in nlu_dir.glob("*.yml"):
        if shared.stem not in LANGUAGES:
            (train / shared.name).write_text(shared.read_text())
    return held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    data = {language: examples(NLU_DIR / f"{language}.yml")
            for language in LANGUAGES}
    rows: dict[str, list[Row]] = defaultdict(list)
    per_fold: dict[str, list[list[Row]]] = defaultdict(list)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        raw = work / "config.yml"
        threshold = write_without_fallback(Path(args.config), raw)
        for fold in range(args.folds):
            train, test = work / f"train{fold}", work / f"test{fold}.yml"
            language_of, held = {}, defaultdict(list)
            for language, intent, text in write_fold(data, args.folds, fold, NLU_DIR, train):
                held[intent].append(text)
                # Rasa reports the text as the pipeline left it (nlu/text_normalizer.py)
                language_of[plain(text)] = language_of[normalize(plain(text))] = language
            test.write_text(nlu_yaml(held))
            rasa("train", "nlu", "--config", str(raw), "--nlu", str(train), "--out",
                 str(work), "--fixed-model-name", f"fold{fold}", cache=work / "cache")
            out = work / f"report{fold}"
            rasa("test", "nlu", "--model", str(work / f"fold{fold}.tar.gz"), "--nlu", str(test),
                 "--out", str(out), "--successes", "--no-plot", cache=work / "cache")
            fold_rows: dict[str, list[Row]] = defaultdict(list)
            for text, row in report_rows(out):
                fold_rows[language_of[text]].append(row)
            for language, found in fold_rows.items():
                rows[language] += found
                per_fold[language].append(found)
            print(f"fold {fold + 1}/{args.folds} done ({time.monotonic() - started:.0f} s)",
                  flush=True)
    print(f"{args.folds}-fold cross-validation ({args.config}, fallback threshold {threshold}): "
          f"{time.monotonic() - started:.0f} s")
    print("| language | examples | accuracy | macro-F1 [95 % interval] | macro-F1 per fold |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for language in LANGUAGES:
        found = decided(rows[language], threshold)
        low, high = bootstrap(found)
        folds = [macro_f1(decided(fold, threshold)) for fold in per_fold[language]]
        print(f"| {language} | {len(found)} | {accuracy(found):.3f} | {macro_f1(found):.3f} "
              f"[{low:.3f}, {high:.3f}] | {spread(folds)} |")
    print("\ncalibration: macro-F1 and out-of-scope recall (all languages) by fallback threshold")
    print(f"| threshold | {' | '.join(LANGUAGES)} | mean | out-of-scope recall |")
    print(f"| ---: |{' ---: |' * (len(LANGUAGES) + 2)}")
    for step in THRESHOLDS:
        f1 = [macro_f1(decided(rows[language], step)) for language in LANGUAGES]
        recall = out_of_scope_recall([pair for language in LANGUAGES
                                      for pair in decided(rows[language], step)])
        print(f"| {step:.2f} | {' | '.join(f'{v:.3f}' for v in f1)} | {sum(f1) / len(f1):.3f} "
              f"| {recall:.3f} |")


if __name__ == "__main__":
    main()
