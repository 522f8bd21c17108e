"""The reply to a message Rasa does not process (too long, too fast), in the customer's
language: the widget's, else the one its letters show. Rendered here from the domain's
responses, because the refusal happens before any tracker or slot exists for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from common.protocol import LANGUAGES, META_LANGUAGE
from common.responses import render, variant
from common.text import script_language


def refusal(responses: dict[str, Any], name: str, text: str, metadata: Any, fallback: str,
            values: Callable[[str], dict[str, Any]]) -> str:
    """Response `name` (else `fallback`) with `values(language)` filled in."""
    language = metadata.get(META_LANGUAGE) if isinstance(metadata, dict) else None
    if language not in LANGUAGES:
        language = script_language(text[:2000])
    chosen = variant(responses.get(name, []), language) or {}
    return render(chosen.get("text", fallback), language, values(language))
