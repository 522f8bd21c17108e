"""Intent accuracy and macro-F1 per language, on a held-out set the model never trained on.

Trains the NLU model from data/ with an empty cache (so the training time is real), then scores
tests/nlu_holdout/{en,fa,ar,he}.yml with `rasa test nlu`. Prints accuracy and macro-F1 per
language with a 95 % bootstrap interval over the held-out examples (128 per language: one miss
moves macro-F1 by about 0.01, so the interval is wide). Usage: `.venv/bin/python -m
bench.nlu_eval [--config config.yml] [--out DIR]` (with --out, Rasa's reports stay in
DIR/<language>/: intent_errors.json lists every miss).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.rasa_cli import rasa
from bench.scores import accuracy, bootstrap, macro_f1
from common.protocol import LANGUAGES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--out", type=Path, help="keep the model and the reports here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work_dir = args.out or Path(scratch)
        started = time.monotonic()
        rasa("train", "nlu", "--config", args.config, "--nlu", "data/nlu", "--out", str(work_dir),
             "--fixed-model-name", "bench", cache=work_dir / "cache")
        trained = time.monotonic() - started
        print(f"NLU training ({args.config}): {trained:.0f} s")
        print("| language | examples | accuracy | macro-F1 [95 % interval] |")
        print("| --- | ---: | ---: | ---: |")
        for language in LANGUAGES:
            out = work_dir / language
            rasa("test", "nlu", "--model", str(work_dir / "bench.tar.gz"),
                 "--nlu", f"tests/nlu_holdout/{language}.yml", "--out", str(out),
                 "--successes", cache=work_dir / "cache")
            pairs = [(item["intent"], item["intent_prediction"]["name"])
                     for name in ("intent_successes.json", "intent_errors.json")
                     if (out / name).exists()
                     for item in json.loads((out / name).read_text())]
            low, high = bootstrap(pairs)
            print(f"| {language} | {len(pairs)} | {accuracy(pairs):.3f} | "
                  f"{macro_f1(pairs):.3f} [{low:.3f}, {high:.3f}] |")


if __name__ == "__main__":
    main()
