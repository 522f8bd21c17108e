"""Rasa component that tags every message with the customer's language as a `language` entity.

The `language` slot is filled from this entity, so the bot's responses (conditional on the slot)
follow the customer's language turn by turn, including a switch mid-conversation. A message with
nothing to judge by (a button, an order number alone) takes the language its channel hints in the
message metadata (the widget sends the language the customer chose), if it gives one.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, METADATA, TEXT
from rasa.shared.nlu.training_data.message import Message

from common.protocol import LANGUAGES, META_LANGUAGE
from common.text import is_payload
from nlu.language import detect_language

ENTITY = "language"


def hinted_language(message: Message) -> str | None:
    """The language the channel says the customer chose, if it is one the bot speaks."""
    metadata = message.get(METADATA) or {}
    hint = metadata.get(META_LANGUAGE) if isinstance(metadata, dict) else None
    return hint if hint in LANGUAGES else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(GraphComponent):
    """Adds `{"entity": "language", "value": "fa"}`; adds nothing when neither the text nor the
    channel tells the language."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            language = None if is_payload(text) else detect_language(text)
            language = language or hinted_language(message)
            if language is None:
                continue
            entity = {
                "entity": ENTITY,
                "value": language,
                "start": 0,
                "end": len(text),
                "extractor": type(self).__name__,
            }
            message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
        return messages
