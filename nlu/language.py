"""Per-message language detection for en, fa, ar and he.

The script decides first: Hebrew letters mean Hebrew, Latin letters English. Arabic script is shared
by Persian and Arabic, so letters that only one of them writes decide next, and lingua decides the
rest (short greetings such as "سلام" that both languages write alike).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

_PERSIAN_ONLY = frozenset("پچژگکی۰۱۲۳۴۵۶۷۸۹")
_ARABIC_ONLY = frozenset("يكىةإأؤ٠١٢٣٤٥٦٧٨٩")
_LINGUA_CODES = {Language.PERSIAN: "fa", Language.ARABIC: "ar"}


@lru_cache(maxsize=1)
def _arabic_script_detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*_LINGUA_CODES).build()


def _script(char: str) -> str | None:
    if not char.isalnum():
        return None
    name = unicodedata.name(char, "")
    for script in ("HEBREW", "ARABIC", "LATIN"):
        if script in name or (script == "ARABIC" and "PERSIAN" in name):
            return script
    return None


def dominant_script(text: str) -> str | None:
    """Return HEBREW, ARABIC or LATIN, whichever script most letters and digits of `text` use."""
    counts: dict[str, int] = {}
    for char in text:
        script = _script(char)
        if script:
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def detect_language(text: str) -> str | None:
    """Return the language code of `text`, or None when it carries no letters to judge by."""
    script = dominant_script(text)
    if script == "HEBREW":
        return "he"
    if script == "LATIN":
        return "en"
    if script != "ARABIC":
        return None
    persian = sum(char in _PERSIAN_ONLY for char in text)
    arabic = sum(char in _ARABIC_ONLY for char in text)
    if persian != arabic:
        return "fa" if persian > arabic else "ar"
    detected = _arabic_script_detector().detect_language_of(text)
    return _LINGUA_CODES.get(detected, "fa") if detected else "fa"
