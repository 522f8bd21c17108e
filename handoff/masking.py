"""Masks the contact details in what customers wrote before trainers read it.

Trainers see messages, not people: an email, a phone number or an order number becomes a
placeholder. Persian and Arabic-Indic digits are matched as the ASCII digits they stand for (the
same rules as the bot's own extractor, nlu/contact_details.py), and the text around a match is
left as the customer wrote it.
"""

from __future__ import annotations

import re

from common.text import ascii_digits

EMAIL = "[email]"
PHONE = "[phone]"
ORDER = "[order]"

# in the order they are applied: an email's digits are not a phone, a phone's not an order
_PATTERNS = (
    (EMAIL, re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    (PHONE, re.compile(r"(?<![\w+])\+?\d[\d\s\-().]{6,22}\d(?!\w)")),
    (ORDER, re.compile(r"(?<!\w)#?\d{5,}(?!\w)")),
)


def mask(text: str) -> str:
    """`text` with every email, phone number and order number replaced by its placeholder."""
    for placeholder, pattern in _PATTERNS:
        # ascii_digits maps one character to one, so the spans found there fit `text`
        spans = [match.span() for match in pattern.finditer(ascii_digits(text))]
        for start, end in reversed(spans):
            text = text[:start] + placeholder + text[end:]
    return text
