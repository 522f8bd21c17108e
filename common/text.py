"""Script-aware text normalisation shared by the NLU pipeline and the actions.

Every mapping here replaces one character with one character, so entity offsets computed on the
normalised text still point into the customer's original message.
"""

from __future__ import annotations

# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits become ASCII digits.
_DIGITS = {chr(0x06F0 + i): str(i) for i in range(10)}
_DIGITS |= {chr(0x0660 + i): str(i) for i in range(10)}

# Arabic letter variants become the Persian forms, so "ي/ی" and "ك/ک" match the same examples.
_LETTERS = {
    "\u064a": "\u06cc",  # ARABIC YEH -> FARSI YEH
    "\u0649": "\u06cc",  # ALEF MAKSURA -> FARSI YEH
    "\u0643": "\u06a9",  # ARABIC KAF -> KEHEH
    "\u200c": " ",  # ZERO WIDTH NON-JOINER splits Persian words the way a space does
}

_TABLE = str.maketrans(_DIGITS | _LETTERS)

# Buttons send "choice:<value>" (or Rasa's "/intent"): machine text, in no human language.
CHOICE_PREFIX = "choice:"


def is_payload(text: str) -> bool:
    return text.startswith(("/", CHOICE_PREFIX))


def normalize(text: str) -> str:
    """Return `text` with unified digits and Arabic/Persian letter variants, same length."""
    return text.translate(_TABLE)


_NATIVE_DIGITS = {"fa": "۰۱۲۳۴۵۶۷۸۹", "ar": "٠١٢٣٤٥٦٧٨٩"}


def localize_digits(text: str, language: str) -> str:
    """Write ASCII digits the way `language` writes them (Persian and Arabic have their own)."""
    digits = _NATIVE_DIGITS.get(language)
    return text.translate(str.maketrans("0123456789", digits)) if digits else text


def ascii_digits(text: str) -> str:
    """Return `text` with Persian and Arabic-Indic digits replaced by ASCII digits."""
    return text.translate(str.maketrans(_DIGITS))
