"""The bot's texts per language, read from domain.yml, so tests assert the customer's language."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"


@cache
def _responses() -> dict[str, dict[str, str]]:
    domain = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))
    texts: dict[str, dict[str, str]] = {}
    for name, variants in domain["responses"].items():
        for variant in variants:
            conditions = variant.get("condition") or []
            language = next((c["value"] for c in conditions if c["name"] == "language"), "en")
            texts.setdefault(name, {})[language] = variant["text"]
    return texts


def text(response: str, language: str) -> str:
    return _responses()[response][language]


def pattern(response: str, language: str) -> re.Pattern[str]:
    """The response as a regex whose {placeholders} become named groups."""
    parts = re.split(r"\{(\w+)\}", text(response, language))
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
        for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")
