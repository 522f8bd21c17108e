"""Cross-validation of a model's NLU data, for the report that decides whether a new model may
replace the running one.

The data a model was trained on is kept beside it (tools/model.py); here it is dealt into folds
intent by intent in file order (bench/nlu_cv.py), and for each fold a model of the same config
is trained on the other folds, in this process, and parses the fold, with the configured
fallback. Embeddings come from the training store, so a fold embeds only what no earlier
training embedded. The out-of-fold predictions are kept beside the model's data, so the model
that is running now is cross-validated once, not at every report.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from bench.nlu_cv import examples, write_fold
from common.protocol import LANGUAGES
from common.text import plain
from tools.evaluation import Prediction, predict, quiet_rasa
from tools.model import data_of

Progress = Callable[[int, int], None]


def cross_validate(model: Path, folds: int, progress: Progress | None = None
                   ) -> list[Prediction] | None:
    """Out-of-fold predictions for every example of `model`'s data; None if its data was not
    kept (a model trained before the data was kept beside models)."""
    data_dir = data_of(model)
    if not (data_dir / "nlu").is_dir():
        return None
    kept = data_dir / f"cross-validation-{folds}.json"
    if kept.exists():
        return [Prediction(**row) for row in json.loads(kept.read_text())]
    from rasa.model_training import train_nlu

    quiet_rasa()
    data = {language: examples(data_dir / "nlu" / f"{language}.yml") for language in LANGUAGES}
    found: list[Prediction] = []
    with tempfile.TemporaryDirectory() as scratch:
        for fold in range(folds):
            if progress:
                progress(fold, folds)
            train = Path(scratch) / f"train{fold}"
            held = write_fold(data, folds, fold, data_dir / "nlu", train)
            trained = train_nlu(str(data_dir / "config.yml"), str(train), scratch,
                                fixed_model_name=f"fold{fold}")
            if trained is None:
                raise RuntimeError(f"fold {fold + 1} of {model.name} did not train")
            found += predict(Path(trained), [(language, plain(text), intent)
                                             for language, intent, text in held])
    if progress:
        progress(folds, folds)
    kept.write_text(json.dumps([asdict(p) for p in found], ensure_ascii=False))
    return found


def print_progress(label: str) -> Progress:
    def show(done: int, total: int) -> None:
        print(f"cross-validation of the {label} data: fold {min(done + 1, total)}/{total} "
              f"({100 * done // total} %)", file=sys.stderr, flush=True)
    return show
