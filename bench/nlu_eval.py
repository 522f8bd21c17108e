"""Intent accuracy and macro-F1 per language, on a held-out set the model never trained on.

Trains the NLU model from data/ with an empty cache (so the training time is real), then scores
tests/nlu_holdout/{en,fa,ar,he}.yml with `rasa test nlu`. Target: macro-F1 >= 0.90 in each
language. Usage: `.venv/bin/python -m bench.nlu_eval [--config config.yml] [--out DIR]` (with
--out, Rasa's reports stay in DIR/<language>/: intent_errors.json lists every miss).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.rasa_cli import rasa
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
        print(f"{'language':<10}{'examples':>9}{'accuracy':>10}{'macro-F1':>10}")
        for language in LANGUAGES:
            out = work_dir / language
            rasa("test", "nlu", "--model", str(work_dir / "bench.tar.gz"),
                 "--nlu", f"tests/nlu_holdout/{language}.yml", "--out", str(out),
                 cache=work_dir / "cache")
            report = json.loads((out / "intent_report.json").read_text())
            support = report["macro avg"]["support"]
            print(f"{language:<10}{support:>9}{report['accuracy']:>10.3f}"
                  f"{report['macro avg']['f1-score']:>10.3f}")


if __name__ == "__main__":
    main()
