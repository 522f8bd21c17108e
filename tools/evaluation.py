"""Parsing a set of labelled messages with a trained model, as the running bot would.

A message the fallback catches counts as `out_of_scope`: the bot handles both as a dead end.
Runs in Rasa's environment.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from bench.nlu_cv import examples
from bench.scores import Pairs
from common.protocol import LANGUAGES
from common.text import plain
from tools.model import ROOT

HOLDOUT = ROOT / "tests" / "nlu_holdout" / "2026-12"
FALLBACK = "nlu_fallback"

Labelled = tuple[str, str, str]  # language, text, intent


@dataclass(frozen=True)
class Prediction:
    language: str
    text: str
    truth: str
    predicted: str
    confidence: float


def held_out(folder: Path = HOLDOUT) -> list[Labelled]:
    """(language, text, intent) of every held-out message."""
    return [(language, plain(text), intent) for language in LANGUAGES
            for intent, texts in examples(folder / f"{language}.yml").items() for text in texts]


def quiet_rasa() -> None:
    """Rasa logs each message parsed and each component trained; a report shows its steps."""
    from rasa.utils.log_utils import configure_structlog

    for name in ("rasa", "tensorflow", "absl", "matplotlib"):
        logging.getLogger(name).setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)


def predict(model: Path, messages: list[Labelled]) -> list[Prediction]:
    """Each message parsed by `model` (loaded once, in this process)."""
    from rasa.core.agent import Agent

    quiet_rasa()
    agent = Agent.load(str(model))

    async def parse_all() -> list[Prediction]:
        found = []
        for language, text, truth in messages:
            intent = (await agent.parse_message(text))["intent"]
            name = "out_of_scope" if intent["name"] == FALLBACK else intent["name"]
            found.append(Prediction(language, text, truth, name, float(intent["confidence"])))
        return found

    return asyncio.run(parse_all())


def pairs(predictions: list[Prediction], language: str | None = None) -> Pairs:
    return [(p.truth, p.predicted) for p in predictions
            if language is None or p.language == language]
