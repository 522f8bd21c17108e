"""Masks the contact details in what customers wrote before trainers read it.

Trainers see messages, not people: an email, a phone number or an order number becomes a
placeholder (`mask`), and what their decisions write into the NLU data carries made-up details
of the same shape instead (`pseudonymise`), so the bot still learns how such a message looks.
Persian and Arabic-Indic digits are matched as the ASCII digits they stand for (the same rules as
the bot's own extractor, nlu/contact_details.py), and the text around a match is left as the
customer wrote it.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable

from common.text import ascii_digits

EMAIL = "[email]"
PHONE = "[phone]"
ORDER = "[order]"
# what `pseudonymise` puts instead: an address of the reserved example domain, and digits
EXAMPLE_EMAIL = "someone@example.com"
_EXAMPLE_DIGITS = "1234567890"

# in the order they are applied: an email's digits are not a phone, a phone's not an order
_PATTERNS = (
    (EMAIL, re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    (PHONE, re.compile(r"(?<![\w+])\+?\d[\d\s\-().]{6,22}\d(?!\w)")),
    (ORDER, re.compile(r"(?<!\w)#?\d{5,}(?!\w)")),
)


def _replaced(text: str, instead: Callable[[str, str], str]) -> str:
    """`text` with each match of the patterns replaced by `instead(placeholder, match)`."""
    for placeholder, pattern in _PATTERNS:
        # ascii_digits maps one character to one, so the spans found there fit `text`
        spans = [match.span() for match in pattern.finditer(ascii_digits(text))]
        for start, end in reversed(spans):
            text = text[:start] + instead(placeholder, text[start:end]) + text[end:]
    return text


def mask(text: str) -> str:
    """`text` with every email, phone number and order number replaced by its placeholder."""
    return _replaced(text, lambda placeholder, _found: placeholder)


def _made_up(placeholder: str, found: str) -> str:
    """An example address, or `found` with its digits made up (in their own script)."""
    if placeholder == EMAIL:
        return EXAMPLE_EMAIL
    digits = itertools.cycle(_EXAMPLE_DIGITS)
    return "".join(chr(ord(char) - unicodedata.decimal(char) + int(next(digits)))
                   if char.isdecimal() else char for char in found)


def pseudonymise(text: str) -> str:
    """`text` with every email, phone number and order number replaced by a made-up one of the
    same shape: what may go into the training data, which is shared and kept for good."""
    return _replaced(text, _made_up)
