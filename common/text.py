"""Script-aware text normalisation shared by the NLU pipeline and the actions.

Every mapping here replaces one character with one character, so entity offsets computed on the
normalised text still point into the customer's original message.
"""

from __future__ import annotations

import re
import string
import unicodedata

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


# Rasa's entity annotation in a training example: "[text](entity)" or "[text]{...}"
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def plain(example: str) -> str:
    """A training example as a customer would type it: its entity annotations unwrapped."""
    return ANNOTATION.sub(r"\1", example)


_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}؟،؛!?.…]+")


def comparable(text: str) -> str:
    """The form in which two examples are the same one: case, punctuation, spacing, digits and
    letter variants do not make a message new."""
    return " ".join(_PUNCTUATION.sub(" ", normalize(text)).lower().split())


def script_language(text: str) -> str:
    """The language a text is written in, as far as its letters tell: Hebrew, Persian (by its
    own letters or its own digits, ۰-۹), Arabic, else English. For what is said before NLU has
    read the text."""
    if re.search(r"[\u0590-\u05ff]", text):
        return "he"
    if re.search(r"[پچژگکی\u06f0-\u06f9]", text):
        return "fa"
    return "ar" if re.search(r"[\u0600-\u06ff]", text) else "en"


_NATIVE_DIGITS = {"fa": "۰۱۲۳۴۵۶۷۸۹", "ar": "٠١٢٣٤٥٦٧٨٩"}


def localize_digits(text: str, language: str) -> str:
    """Write ASCII digits the way `language` writes them (Persian and Arabic have their own)."""
    digits = _NATIVE_DIGITS.get(language)
    return text.translate(str.maketrans("0123456789", digits)) if digits else text


def ascii_digits(text: str) -> str:
    """Return `text` with Persian and Arabic-Indic digits replaced by ASCII digits."""
    return text.translate(str.maketrans(_DIGITS))


# Where a long message is best split, most natural first: paragraph, line, sentence, word.
_BREAKS = ("\n\n", "\n", ". ", "؟ ", "? ", "! ", "، ", ", ", " ")


def utf16_length(text: str) -> int:
    """Length as the messaging platforms count it (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def _fits(text: str, limit: int) -> int:
    """How many code points of `text` fit in `limit` UTF-16 units, not ending inside a
    combined character (a base letter and its marks, an emoji and its modifiers or joiners)."""
    units = 0
    for end, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            while end > 1 and _joins(text[end - 1], text[end]):
                end -= 1
            return end
    return len(text)


def _joins(before: str, char: str) -> bool:
    """Whether `char` belongs to the character before it."""
    return bool(unicodedata.combining(char)) or char in "\u200d\ufe0f" or before == "\u200d" \
        or 0x1F3FB <= ord(char) <= 0x1F3FF


def split_message(text: str, limit: int) -> list[str]:
    """`text` in parts of at most `limit` UTF-16 units, split where a reader would (paragraph,
    line, sentence, word), so a platform's length limit never cuts a message short. Nothing is
    dropped: joining the parts with the whitespace between them gives `text` back."""
    parts: list[str] = []
    rest = text.strip()
    while utf16_length(rest) > limit:
        window = rest[:_fits(rest, limit)]
        cut = next((window.rfind(mark) + len(mark.rstrip()) for mark in _BREAKS
                    if window.rfind(mark) > len(window) // 3), len(window))
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
