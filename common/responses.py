"""The bot's responses of domain.yml, as the service and the actions render them themselves:
the variant of the customer's language, its {placeholders} filled, numbers in their digits."""

from __future__ import annotations

import re
from typing import Any

from common.text import localize_digits


def variant(variants: list[dict[str, Any]], language: str) -> dict[str, Any] | None:
    """The variant whose `language` condition matches, else the unconditional one."""
    fallback = None
    for candidate in variants:
        conditions = candidate.get("condition") or []
        if not conditions:
            fallback = fallback or candidate
        elif any(c.get("name") == "language" and c.get("value") == language
                 for c in conditions):
            return candidate
    return fallback


def _fill(value: Any, language: str) -> str:
    """Numbers are written the customer's way; names and references stay as they are."""
    return localize_digits(str(value), language) if isinstance(value, int | float) else str(value)


def render(template: str, language: str, values: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}",
                  lambda m: _fill(values[m[1]], language) if m[1] in values else m[0], template)
