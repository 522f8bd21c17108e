"""Intent accuracy and macro-F1 per language, on a held-out set the model never trained on.

Trains the NLU model from data/ with an empty cache (so the training time is real), then scores
tests/nlu_holdout/<set>/{en,fa,ar,he}.yml with `rasa test nlu` (how each set was written:
tests/nlu_holdout/README.md). Prints accuracy and macro-F1 per language with a 95 % bootstrap
interval over the held-out examples (136 per language: one miss moves macro-F1 by about 0.01, so
the interval is wide; the classifier is deterministic, so seeds would not widen it). The model
is trained with the fallback off and the configured threshold applied after the fact, which is
exact (bench/fallback.py); a message the fallback catches counts as `out_of_scope`, as the bot
handles both as a dead end. Usage: `.venv/bin/python -m bench.nlu_eval [--config config.yml]
[--set 2026-12] [--out DIR]` (with --out, Rasa's reports stay in DIR/<language>/:
intent_errors.json lists every miss).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.fallback import decided, report_rows, write_without_fallback
from bench.rasa_cli import rasa
from bench.scores import accuracy, bootstrap, macro_f1
from common.protocol import LANGUAGES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--set", default="2026-12", help="a folder of tests/nlu_holdout/")
    parser.add_argument("--out", type=Path, help="keep the model and the reports here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work_dir = args.out or Path(scratch)
        work_dir.mkdir(parents=True, exist_ok=True)
        raw = work_dir / "config.yml"
        threshold = write_without_fallback(Path(args.config), raw)
        started = time.monotonic()
        rasa("train", "nlu", "--config", str(raw), "--nlu", "data/nlu", "--out", str(work_dir),
             "--fixed-model-name", "bench", cache=work_dir / "cache")
        trained = time.monotonic() - started
        print(f"NLU training ({args.config}): {trained:.0f} s; held-out set {args.set}, "
              f"fallback threshold {threshold}")
        print("| language | examples | accuracy | macro-F1 [95 % interval] |")
        print("| --- | ---: | ---: | ---: |")
        for language in LANGUAGES:
            out = work_dir / language
            rasa("test", "nlu", "--model", str(work_dir / "bench.tar.gz"),
                 "--nlu", f"tests/nlu_holdout/{args.set}/{language}.yml", "--out", str(out),
                 "--successes", cache=work_dir / "cache")
            pairs = decided([row for _, row in report_rows(out)], threshold)
            low, high = bootstrap(pairs)
            print(f"| {language} | {len(pairs)} | {accuracy(pairs):.3f} | "
                  f"{macro_f1(pairs):.3f} [{low:.3f}, {high:.3f}] |")


if __name__ == "__main__":
    main()
