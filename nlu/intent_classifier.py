"""Rasa's logistic-regression intent classifier, with its feature matrix built block by block.

Rasa's `_create_X` asks each message for its combined features, which deep-copies and joins the
token-level features too, then stacks the rows one by one: 10 s of each training run on our
3,120 examples and two cores (2026-12-02), against 1 s here. The classifier reads only the
sentence-level features, so this stacks each featurizer's sentence features over all messages
once and joins the blocks in Rasa's order (sparse, then dense): the same matrix, so the same
model (tests/bot/test_intent_classifier.py).

It also keeps the weights in column order for answering: scikit-learn multiplies a message's
sparse row by the weights' transpose, and scipy copied the row-ordered weights (33 intents ×
21,899 features, 5.6 MB) into that order on every message, 5 ms of a turn; in column order the
transpose is read where it lies (0.09 ms, the same probabilities; bench/README.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack, vstack


def _sentence_features(message: Message) -> list[Features]:
    """The message's sentence-level text features, sparse before dense, each in message order."""
    features = [feature for feature in message.features
                if feature.attribute == TEXT and feature.type == FEATURE_TYPE_SENTENCE]
    return ([feature for feature in features if feature.is_sparse()]
            + [feature for feature in features if feature.is_dense()])


def _stack(features: list[Features]) -> csr_matrix:
    if features[0].is_sparse():
        return vstack([feature.features for feature in features], format="csr")
    return csr_matrix(np.vstack([feature.features for feature in features]))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class StackedLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Configured and persisted exactly as Rasa's LogisticRegressionClassifier."""

    def _create_X(self, messages: list[Message]) -> csr_matrix:
        per_message = [_sentence_features(message) for message in messages]
        layouts = {tuple((str(feature.origin), feature.is_sparse()) for feature in features)
                   for features in per_message}
        if len(layouts) != 1 or not per_message[0]:
            # messages featurised differently (or not at all): Rasa's row-by-row join copes
            return super()._create_X(messages)
        return hstack([_stack([features[k] for features in per_message])
                       for k in range(len(per_message[0]))], format="csr")

    def train(self, training_data: TrainingData) -> Resource:
        resource = super().train(training_data)
        self._weights_by_column()
        return resource

    @classmethod
    def load(cls, *args: Any, **kwargs: Any) -> StackedLogisticRegressionClassifier:
        component = super().load(*args, **kwargs)
        component._weights_by_column()
        return component

    def _weights_by_column(self) -> None:
        """Once, when the model is made or loaded, not on a customer's message."""
        weights = getattr(self.clf, "coef_", None)
        if weights is not None:
            self.clf.coef_ = np.asfortranarray(weights)
