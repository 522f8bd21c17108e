"""Rule-based extraction of order numbers, emails and phones across digit scripts (spaCy)."""

from __future__ import annotations

import pytest

from common.text import normalize
from nlu.contact_details import ContactDetailsExtractor

extractor = ContactDetailsExtractor(ContactDetailsExtractor.get_default_config())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is order 58231?", [("order_number", "58231")]),
        ("سفارش ۵۸۲۳۱ کجاست؟", [("order_number", "58231")]),
        ("أين الطلب ٥٨٢٣١؟", [("order_number", "58231")]),
        ("הזמנה 58231 🙂", [("order_number", "58231")]),
        ("mail: Leila.K@example.com", [("email", "Leila.K@example.com")]),
        ("شماره‌ام ۰۹۱۲ ۱۲۳ ۴۵۶۷ است", [("phone", "09121234567")]),
        ("call +49 30 1234567 about 40017", [("phone", "+49301234567"),
                                              ("order_number", "40017")]),
        ("123456 and 12", []),
    ],
)
def test_extracts_details_in_any_script(text: str, expected: list[tuple[str, str]]) -> None:
    normalized = normalize(text)
    found = extractor.extract(normalized)
    assert [(e["entity"], e["value"]) for e in found] == expected
    for entity in found:  # offsets point into the customer's own text
        assert len(text[entity["start"]:entity["end"]]) == entity["end"] - entity["start"]
