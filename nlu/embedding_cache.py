"""Which texts a live message's embedding may be remembered for, and a bounded memory of them.

Customers repeat short messages ("hi", "yes", "thanks", a button's payload) far more often
than sentences, and a short text's embedding costs as much CPU as the rest of the turn. A text is
remembered only if it is short (at most `SHORT_WORDS` words and `SHORT_CHARACTERS` characters),
so the memory holds what repeats and not what customers write once, and only if it has no digit
and no "@" (`is_remembered`). Only the embedding is kept,
in this process's memory. (Embedding a message of digits alone by its shape, every digit as 0,
so that one embedding serves every order number of a length, was measured and left out: it
changed the training of six examples, and one Hebrew message of the held-out set with them.)
Rasa's featurizer and the trainers' inbox each embed live messages through a `CachingEmbedder`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from nlu.sentence_embeddings import Embedder, VectorStore

SHORT_WORDS = 3
SHORT_CHARACTERS = 40
ENTRIES = 4096  # about 1.5 KiB each for a 384-dimensional embedding: 6 MiB at most

def is_remembered(text: str) -> bool:
    """Short, and with nothing of one customer's own in it: a text with a digit or an "@" (an
    order number, a phone, an email) is never kept, so how fast it is answered tells no one
    whether another customer sent it."""
    return (len(text) <= SHORT_CHARACTERS and len(text.split()) <= SHORT_WORDS
            and "@" not in text and not any(char.isdigit() for char in text))


class EmbeddingCache:
    """The embeddings of the most recently seen short texts, least recently used out first."""

    def __init__(self, entries: int = ENTRIES) -> None:
        self._entries = entries
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            vector = self._vectors.get(text)
            if vector is not None:
                self._vectors.move_to_end(text)
            return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        if not is_remembered(text):
            return
        kept = np.array(vector, dtype=np.float32)
        kept.setflags(write=False)  # shared by every message that reads it
        with self._lock:
            self._vectors[text] = kept
            self._vectors.move_to_end(text)
            while len(self._vectors) > self._entries:
                self._vectors.popitem(last=False)


class CachingEmbedder:
    """An embedder that embeds a short text once and remembers it (the others every time)."""

    def __init__(self, embedder: Embedder, cache: EmbeddingCache | None = None) -> None:
        self._embedder = embedder
        self._cache = cache or EmbeddingCache()
        self.dimensions, self.name = embedder.dimensions, embedder.name

    def embed(self, texts: Sequence[str], store: VectorStore | None = None,
              threads: int | None = None) -> np.ndarray:
        vectors = {text: vector for text in texts
                   if (vector := self._cache.get(text)) is not None}
        missing = [text for text in dict.fromkeys(texts) if text not in vectors]
        if missing:
            for text, vector in zip(missing, self._embedder.embed(missing, store, threads),
                                    strict=True):
                vectors[text] = vector
                self._cache.put(text, vector)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.stack([vectors[text] for text in texts])
