"""Properties of the contact-detail extraction (nlu/contact_details.py) over generated messages:
mixed scripts, emoji, control and bidi-override characters, every kind of digit. Whatever the
text, extraction does not fail and every entity points at its own text; a phone number or an
order number written in any digits, among any of that, is found with its ASCII value.
Bounded: a fixed number of examples."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from common.text import normalize
from nlu.contact_details import ContactDetailsExtractor

EXTRACTOR = ContactDetailsExtractor(ContactDetailsExtractor.get_default_config())
BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
DIGITS = {"ascii": "0123456789", "persian": "۰۱۲۳۴۵۶۷۸۹", "arabic": "٠١٢٣٤٥٦٧٨٩"}
WORDS = ["سفارش", "طلبي", "שלום", "order", "👟", "👩‍👩‍👧", "🇮🇷", "کجاست؟", "رقم", "\x00",
         "\u200b", "\u200d", "e\u0301", "a@b", "@"]
noise = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(BIDI), st.text(max_size=4)),
                 max_size=12).map(" ".join)
# Deterministic in CI (the same examples every run); HYPOTHESIS_PROFILE=explore for more.
settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True)
settings.register_profile("explore", max_examples=5000, deadline=None)
examples = settings(settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci")))


def _written(number: str, kind: str) -> str:
    return number.translate(str.maketrans("0123456789", DIGITS[kind]))


@examples
@given(noise)
def test_any_text_extracts_without_failing_and_entities_point_at_their_text(text: str) -> None:
    normalized = normalize(text)
    for entity in EXTRACTOR.extract(normalized):
        assert 0 <= entity["start"] < entity["end"] <= len(normalized)
        if entity["entity"] == "phone":
            digits = entity["value"].lstrip("+")
            assert digits.isascii() and digits.isdigit() and 8 <= len(digits) <= 15


@examples
@given(noise, noise, st.integers(min_value=10_000, max_value=99_999),
       st.sampled_from(sorted(DIGITS)))
def test_an_order_number_in_any_digits_is_found(before: str, after: str, number: int,
                                                kind: str) -> None:
    # between marks that end a digit run (a digit group next to it would be part of a phone)
    text = normalize(f"{before} : {_written(str(number), kind)} ; {after}")
    orders = [e["value"] for e in EXTRACTOR.extract(text) if e["entity"] == "order_number"]
    assert str(number) in orders


@examples
@given(noise, noise, st.integers(min_value=10**8, max_value=10**12 - 1),
       st.sampled_from(sorted(DIGITS)), st.sampled_from(["", "+"]))
def test_a_phone_number_in_any_digits_is_found(before: str, after: str, number: int, kind: str,
                                               plus: str) -> None:
    text = normalize(f"{before} : {plus}{_written(str(number), kind)} ; {after}")
    phones = [e["value"] for e in EXTRACTOR.extract(text) if e["entity"] == "phone"]
    assert f"{plus}{number}" in phones
