"""Rasa component that extracts order numbers, emails and phone numbers with spaCy rules.

It runs after nlu.text_normalizer, so Persian (۵۸۲۳۱) and Arabic-Indic (٥٨٢٣١) digits are ASCII by
then, and the same patterns serve every script. A blank multi-language spaCy pipeline tokenises
(no trained weights are needed, or available offline); its Matcher finds emails and order numbers,
and a phone is a run of digit groups with an optional leading + of 8 to 15 digits in all.
"""

from __future__ import annotations

import re
from typing import Any

import spacy
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from spacy.matcher import Matcher

_PHONE = re.compile(r"(?<![\w+])\+?\d[\d\s\-().]{6,22}\d(?!\w)")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ContactDetailsExtractor(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"order_number_pattern": r"^\d{5}$"}

    def __init__(self, config: dict[str, Any]) -> None:
        self._nlp = spacy.blank("xx")
        self._matcher = Matcher(self._nlp.vocab)
        self._matcher.add("email", [[{"LIKE_EMAIL": True}]])
        self._matcher.add("order_number", [[{"TEXT": {"REGEX": config["order_number_pattern"]}}]])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ContactDetailsExtractor:
        return cls(config)

    def extract(self, text: str) -> list[dict[str, Any]]:
        doc = self._nlp(text)
        found = []
        phones = [(m.start(), m.end()) for m in _PHONE.finditer(text)
                  if 8 <= sum(ch.isdigit() for ch in m.group()) <= 15]
        for match_id, start, end in self._matcher(doc):
            span = doc[start:end]
            inside_phone = any(a <= span.start_char and span.end_char <= b for a, b in phones)
            if not inside_phone:
                found.append(self._entity(self._nlp.vocab.strings[match_id], span.text,
                                          span.start_char, span.end_char))
        found += [self._entity("phone", re.sub(r"[\s\-().]", "", text[a:b]), a, b)
                  for a, b in phones]
        return sorted(found, key=lambda entity: entity["start"])

    def _entity(self, name: str, value: str, start: int, end: int) -> dict[str, Any]:
        return {"entity": name, "value": value, "start": start, "end": end,
                "confidence_entity": 1.0, "extractor": type(self).__name__}

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entities = self.extract(message.get(TEXT) or "")
            if entities:
                message.set(ENTITIES, [*message.get(ENTITIES, []), *entities],
                            add_to_output=True)
        return messages
