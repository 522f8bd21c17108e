"""How far the frozen sentence encoder can carry intent accuracy, whatever classifier sits on it.

The bot's classifier reads multilingual-e5-small embeddings (nlu/sentence_embeddings.py) that are
never fine-tuned. This trains several kinds of classifier on those embeddings alone, for
BANKING77 and CLINC150's in-scope intents (the same splits as bench/public_benchmarks.py), and
prints validation accuracy with no fallback: if none of them reaches a target, no choice of
classifier will, and the lever is the encoder. Embeddings come from, and go to, the same store
as training (NLU_EMBEDDING_STORE), so a second run embeds nothing. Usage (scikit-learn lives in
Rasa's environment):

    PYTHONPATH=. .venv-rasa/bin/python -m bench.encoder_ceiling [--data bench/data]
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC

from bench.fallback import OUT_OF_SCOPE
from bench.public_benchmarks import banking77, clinc150
from common.text import normalize
from nlu.sentence_embeddings import E5Embedder, VectorStore
from tools.model import ROOT

HEADS: dict[str, Callable[[], ClassifierMixin]] = {
    "logistic regression, C = 100": lambda: LogisticRegression(C=100, max_iter=300),
    "logistic regression, C = 1000": lambda: LogisticRegression(C=1000, max_iter=300),
    "SVM, RBF kernel, C = 10": lambda: SVC(C=10),
    "MLP, 512 hidden units": lambda: MLPClassifier((512,), alpha=1e-3, max_iter=60,
                                                   random_state=0),
    "10 nearest neighbours, cosine": lambda: KNeighborsClassifier(10, metric="cosine",
                                                                  weights="distance"),
}


def embedded(embedder: E5Embedder, store: VectorStore,
             examples: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """The examples' embeddings, of the text as the pipeline normalises it, and their intents."""
    vectors = embedder.embed([normalize(text) for text, _ in examples], store)
    return vectors, np.array([intent for _, intent in examples])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    embedder = E5Embedder()
    store = VectorStore.configured(embedder.name, embedder.dimensions)
    for name, loader in (("banking77", banking77), ("clinc150", clinc150)):
        train, validation = (
            [(text, intent) for text, intent in split if intent != OUT_OF_SCOPE]
            for split in loader(args.data))
        x_train, y_train = embedded(embedder, store, train)
        x_val, y_val = embedded(embedder, store, validation)
        print(f"\n{name}: {len(train)} train / {len(validation)} validation, in-scope intents, "
              f"{embedder.name} embeddings only, no fallback")
        print("| classifier | validation accuracy | fit |")
        print("| --- | ---: | ---: |")
        for head, make in HEADS.items():
            started = time.monotonic()
            model = make().fit(x_train, y_train)
            fitted = time.monotonic() - started
            accuracy = float((model.predict(x_val) == y_val).mean())
            print(f"| {head} | {accuracy * 100:.2f} % | {fitted:.0f} s |", flush=True)


if __name__ == "__main__":
    main()
