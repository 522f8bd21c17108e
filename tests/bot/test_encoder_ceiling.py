"""The encoder-ceiling benchmark (bench/encoder_ceiling.py) measures the embeddings the pipeline
itself would see, and every classifier it compares can learn intents from them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.encoder_ceiling import HEADS, embedded
from nlu.sentence_embeddings import E5Embedder, VectorStore

EMBEDDER = E5Embedder()

TRAIN = [(text, "check_order_status") for text in (
    "where is my order", "سفارشم کجاست", "أين طلبي", "איפה ההזמנה שלי", "track my parcel",
    "وضعیت سفارش من", "ما حالة طلبي", "מה מצב ההזמנה", "has my order shipped", "طلبي وين")] + [
    (text, "goodbye") for text in (
    "bye", "خداحافظ", "مع السلامة", "להתראות", "see you later", "فعلا خداحافظ", "إلى اللقاء",
    "ביי", "goodbye for now", "باي")]


def test_the_text_is_embedded_as_the_pipeline_normalises_it(tmp_path: Path) -> None:
    store = VectorStore(tmp_path / "vectors.sqlite3", EMBEDDER.name, EMBEDDER.dimensions)
    vectors, intents = embedded(EMBEDDER, store, [("سفارش ۵۸۲۳۱ كجاست", "check_order_status")])
    assert list(intents) == ["check_order_status"]
    assert np.allclose(vectors[0], EMBEDDER.embed(["سفارش 58231 کجاست"])[0], atol=1e-6)
    assert not np.allclose(vectors[0], EMBEDDER.embed(["سفارش ۵۸۲۳۱ كجاست"])[0], atol=1e-3)


def test_every_classifier_learns_intents_from_the_embeddings(tmp_path: Path) -> None:
    store = VectorStore(tmp_path / "vectors.sqlite3", EMBEDDER.name, EMBEDDER.dimensions)
    x, y = embedded(EMBEDDER, store, TRAIN)
    x_new, y_new = embedded(EMBEDDER, store, [("where's my package?", "check_order_status"),
                                              ("خدانگهدار", "goodbye"), ("ביי ביי", "goodbye")])
    for head, make in HEADS.items():
        assert list(make().fit(x, y).predict(x_new)) == list(y_new), head
