"""Rasa component that withdraws the intent of a message made only of words the bot never saw.

A linear classifier always spreads its confidence over the intents it knows, so keyboard mashing
("xqzv blorp wug") still lands on one of them with a confidence a threshold cannot tell from a
real but unsure guess. A message of two or more words, none of which occurs anywhere in the
training data (in any language, after normalisation), is not something the bot can answer: here
its intent confidences drop to zero, so the FallbackClassifier after it makes it `nlu_fallback`
and the dead-end handling takes over. Tokens without letters (numbers, order numbers) are not
counted; a single unknown word (a typo of a known one) is left to the classifier.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

VOCABULARY_FILE = "vocabulary.json"
MIN_WORDS = 2


def _words(message: Message) -> list[str]:
    """The message's tokens that contain a letter, lower-cased."""
    return [token.text.lower() for token in message.get(TOKENS_NAMES[TEXT]) or []
            if any(character.isalpha() for character in token.text)]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownWordsGuard(GraphComponent):
    """Place it after the intent classifier and before the FallbackClassifier."""

    def __init__(self, vocabulary: set[str], model_storage: ModelStorage,
                 resource: Resource) -> None:
        self._vocabulary = vocabulary
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> UnknownWordsGuard:
        return cls(set(), model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> UnknownWordsGuard:
        with model_storage.read_from(resource) as directory:
            words = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        return cls(set(words), model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        self._vocabulary = {word for example in training_data.training_examples
                            for word in _words(example)}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(sorted(self._vocabulary), ensure_ascii=False), encoding="utf-8")
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            words = _words(message)
            if len(words) >= MIN_WORDS and self._vocabulary.isdisjoint(words):
                self._withdraw(message)
        return messages

    @staticmethod
    def _withdraw(message: Message) -> None:
        intent = message.get(INTENT)
        if intent:
            message.set(INTENT, {**intent, "confidence": 0.0}, add_to_output=True)
        ranking = message.get(INTENT_RANKING_KEY)
        if ranking:
            message.set(INTENT_RANKING_KEY,
                        [{**entry, "confidence": 0.0} for entry in ranking], add_to_output=True)
