"""The block-stacked intent classifier builds Rasa's own feature matrix, so Rasa's model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.intent_classifier import StackedLogisticRegressionClassifier

EXAMPLES = [("where is my order ۵۸۲۳۱", "check_order_status"),
            ("سفارش من کجاست", "check_order_status"),
            ("أين طلبي", "check_order_status"), ("hello there", "greet"), ("שלום לכם", "greet"),
            ("سلام", "greet"), ("I want a refund 🙂", "refund"), ("אני רוצה החזר", "refund"),
            ("أريد استرداد المال", "refund")]


def _featurised(tmp_path: Path, examples: list[tuple[str, str]]) -> list[Message]:
    """Tokens, word and character counts from Rasa's featurizers, and a dense sentence vector."""
    messages = [Message({TEXT: text, INTENT: intent}) for text, intent in examples]
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process(messages)
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    for name, extra in (("words", {}), ("chars", {"analyzer": "char_wb", "max_ngram": 3})):
        config = {**CountVectorsFeaturizer.get_default_config(), **extra}
        featurizer = CountVectorsFeaturizer(config, storage, Resource(name), context)
        featurizer.train(TrainingData(messages))
        featurizer.process_training_data(TrainingData(messages))
    random = np.random.default_rng(7)
    for message in messages:
        tokens = len(message.get("text_tokens"))
        message.add_features(Features(random.normal(size=(tokens, 4)), FEATURE_TYPE_SEQUENCE,
                                      TEXT, "embeddings"))
        message.add_features(Features(random.normal(size=(1, 4)), FEATURE_TYPE_SENTENCE, TEXT,
                                      "embeddings"))
    return messages


def _classifier(cls: type[LogisticRegressionClassifier],
                tmp_path: Path) -> LogisticRegressionClassifier:
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**cls.get_default_config(), "max_iter": 50}
    return cls.create(config, LocalModelStorage(tmp_path), Resource(cls.__name__), context)


def test_the_matrix_is_rasas(tmp_path: Path) -> None:
    messages = _featurised(tmp_path, EXAMPLES)
    stacked = _classifier(StackedLogisticRegressionClassifier, tmp_path)
    rasa = _classifier(LogisticRegressionClassifier, tmp_path)
    ours, theirs = stacked._create_X(messages), rasa._create_X(messages).tocsr()
    assert ours.shape == theirs.shape and ours.shape[1] > 4
    assert (ours != theirs).nnz == 0


def test_one_message_as_at_prediction(tmp_path: Path) -> None:
    messages = _featurised(tmp_path, EXAMPLES)
    ours = _classifier(StackedLogisticRegressionClassifier, tmp_path)._create_X(messages[:1])
    theirs = _classifier(LogisticRegressionClassifier, tmp_path)._create_X(messages[:1])
    assert (ours != theirs.tocsr()).nnz == 0


def test_messages_featurised_differently_are_left_to_rasas_join(tmp_path: Path) -> None:
    messages = _featurised(tmp_path, EXAMPLES)
    messages[0].features = [feature for feature in messages[0].features
                            if feature.origin != "embeddings"]
    with pytest.raises(ValueError):  # Rasa's own join refuses rows of different widths
        _classifier(LogisticRegressionClassifier, tmp_path)._create_X(messages)
    with pytest.raises(ValueError):
        _classifier(StackedLogisticRegressionClassifier, tmp_path)._create_X(messages)


def test_same_model_same_probabilities(tmp_path: Path) -> None:
    messages = _featurised(tmp_path, EXAMPLES)
    ranked = []
    for cls in (StackedLogisticRegressionClassifier, LogisticRegressionClassifier):
        classifier = _classifier(cls, tmp_path)
        classifier.train(TrainingData(messages))
        probe = [Message(message.data.copy(), features=message.features) for message in messages]
        ranked.append([message.get("intent_ranking") for message in classifier.process(probe)])
    assert ranked[0] == ranked[1]


def test_answering_reads_the_weights_in_column_order(tmp_path: Path) -> None:
    """scipy copies row-ordered weights on every message (bench/README.md, fix 23)."""
    messages = _featurised(tmp_path, EXAMPLES)
    classifier = _classifier(StackedLogisticRegressionClassifier, tmp_path)
    classifier.train(TrainingData(messages))
    assert classifier.clf.coef_.T.flags.c_contiguous
    context = ExecutionContext(GraphSchema({}), "test")
    loaded = StackedLogisticRegressionClassifier.load(
        {**StackedLogisticRegressionClassifier.get_default_config(), "max_iter": 50},
        LocalModelStorage(tmp_path), Resource(StackedLogisticRegressionClassifier.__name__),
        context)
    assert loaded.clf.coef_.T.flags.c_contiguous
    assert np.array_equal(loaded.clf.coef_, classifier.clf.coef_)
