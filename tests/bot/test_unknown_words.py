"""The unknown-words guard: a message of words never seen in training loses its intent."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.unknown_words import UnknownWordsGuard

TOKENIZER = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
TRAINING = [("where is my order?", "check_order_status"), ("سفارش من کجاست", "check_order_status"),
            ("hello", "greet"), ("שלום", "greet")]


def _message(text: str) -> Message:
    message = Message({TEXT: text})
    TOKENIZER.process([message])
    message.set(INTENT, {"name": "greet", "confidence": 0.31})
    message.set(INTENT_RANKING_KEY, [{"name": "greet", "confidence": 0.31},
                                     {"name": "affirm", "confidence": 0.2}])
    return message


@pytest.fixture
def guard(tmp_path: Path) -> UnknownWordsGuard:
    """Trained, persisted and loaded back, as Rasa does between `train` and `run`."""
    storage = LocalModelStorage(tmp_path)
    resource = Resource("unknown_words")
    context = ExecutionContext(GraphSchema({}), "test")
    examples = [Message({TEXT: text, INTENT: intent}) for text, intent in TRAINING]
    TOKENIZER.process(examples)
    UnknownWordsGuard.create({}, storage, resource, context).train(TrainingData(examples))
    return UnknownWordsGuard.load({}, storage, resource, context)


@pytest.mark.parametrize("text", ["xqzv blorp wug", "asdf qwer 🙂", "ققق ثثث"])
def test_words_never_seen_lose_the_intent(guard: UnknownWordsGuard, text: str) -> None:
    message = guard.process([_message(text)])[0]
    assert message.get(INTENT) == {"name": "greet", "confidence": 0.0}
    assert [entry["confidence"] for entry in message.get(INTENT_RANKING_KEY)] == [0.0, 0.0]


@pytest.mark.parametrize("text", [
    "where is blorp",  # one known word is enough
    "سفارش ۵۸۲۳۱ بلورپ",  # a known word; the number is not counted
    "helo",  # a single unknown word: a typo is the classifier's to judge
    "58231 sara@example.com",  # a number and an email: one token with letters
])
def test_messages_with_a_known_word_or_too_short_keep_the_intent(
    guard: UnknownWordsGuard, text: str,
) -> None:
    message = guard.process([_message(text)])[0]
    assert message.get(INTENT)["confidence"] == 0.31
