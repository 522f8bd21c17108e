"""Rasa component that gives each message a sentence embedding as a dense sentence feature.

The embedding (nlu/sentence_embeddings.py) is taken of the normalised text (digits and letter
variants unified by nlu.text_normalizer), so it runs after that component. Rasa's
LogisticRegressionClassifier reads dense sentence features beside the sparse ones; `scale`
weighs the embedding against the sparse counts there (chosen by cross-validation on data/nlu,
bench/README.md). Only the first `max_characters` (300) are embedded, cut at a word: the model's
cost grows with the square of the length (1.6 s for 4,000 characters, 80 ms for 300), and a
customer says what they want at the start; the counts still read the whole message. A live
message's short text is embedded once and remembered (nlu/embedding_cache.py). A message
being answered is embedded with `inference_threads` threads (1): a second thread makes one short
sentence 25 % faster for 50 % more CPU, which the other conversations and processes on a small
machine need more (bench/README.md, "The NLU off Rasa's event loop"). Training
keeps its embeddings in a store on disk (NLU_EMBEDDING_STORE, by default
var/cache/embeddings.sqlite3), so a retraining embeds only the texts it has not seen.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.embedding_cache import CachingEmbedder
from nlu.sentence_embeddings import E5Embedder, Embedder, VectorStore


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "scale": 1.0, "max_characters": 300,
                "inference_threads": 1}

    def __init__(self, config: dict[str, Any], name: str,
                 embedder: Embedder | None = None) -> None:
        super().__init__(name, config)
        self._embedder = embedder or E5Embedder()
        self._scale = float(config["scale"])
        self._max_characters = int(config["max_characters"])
        self._inference_threads = int(config["inference_threads"])
        self._live = CachingEmbedder(self._embedder)  # for the messages being answered

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentenceEmbeddingFeaturizer:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass

    def _featurize(self, embedder: Embedder, messages: list[Message],
                   store: VectorStore | None = None, threads: int | None = None) -> None:
        texts = [message for message in messages if message.get(TEXT)]
        vectors = embedder.embed([self._start(message.get(TEXT)) for message in texts],
                                 store, threads)
        for message, vector in zip(texts, vectors, strict=True):
            self.add_features_to_message(None, (vector * self._scale)[np.newaxis, :], TEXT,
                                         message)

    def _start(self, text: str) -> str:
        if len(text) <= self._max_characters:
            return text
        start = text[:self._max_characters]
        word_end = start.rfind(" ")
        return start[:word_end] if word_end > self._max_characters // 2 else start

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        store = VectorStore.configured(self._embedder.name, self._embedder.dimensions)
        self._featurize(self._embedder, training_data.training_examples, store)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(self._live, messages, threads=self._inference_threads)
        return messages
