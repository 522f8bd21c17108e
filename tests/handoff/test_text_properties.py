"""Properties of the text handling both tiers share (common/text.py) and of the service's phone
normalisation, over generated text: mixed scripts, emoji with modifiers and joiners, control
and bidi-override characters, and every kind of digit. Bounded: a fixed number of examples."""

from __future__ import annotations

import os
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from common.text import (
    ascii_digits,
    localize_digits,
    normalize,
    script_language,
    split_message,
    utf16_length,
)
from handoff.contacts import normalize_phone

BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
CONTROL = "\x00\x07\x1b\x7f\u0085\u200b\u200c\u200d\ufeff"
EMOJI = ["👟", "🙂", "👍🏽", "👩‍👩‍👧", "🇮🇷", "❤️", "1️⃣"]
SCRIPTS = ["سفارش", "كيك", "يي", "שלום", "hello", "é", "ñ", "ک", "ی", "ة", "\u064b"]
DIGITS = {"ascii": "0123456789", "persian": "۰۱۲۳۴۵۶۷۸۹", "arabic": "٠١٢٣٤٥٦٧٨٩"}

pieces = st.one_of(st.sampled_from(SCRIPTS), st.sampled_from(EMOJI), st.sampled_from(BIDI),
                   st.sampled_from(CONTROL), st.sampled_from(["".join(d) for d in DIGITS.values()]),
                   st.sampled_from([" ", "\n", "\n\n", ". ", "؟ ", "، "]), st.text(max_size=5))
mixed = st.lists(pieces, max_size=60).map("".join)
# Deterministic in CI (the same examples every run); HYPOTHESIS_PROFILE=explore for more.
settings.register_profile("ci", max_examples=300, deadline=None, derandomize=True)
settings.register_profile("explore", max_examples=5000, deadline=None)
examples = settings(settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci")))


@examples
@given(mixed)
def test_normalising_keeps_the_length_and_is_idempotent(text: str) -> None:
    normalized = normalize(text)
    assert len(normalized) == len(text)  # entity offsets stay valid
    assert normalize(normalized) == normalized
    assert not any(ch in normalized for ch in DIGITS["persian"] + DIGITS["arabic"])
    assert "\u064a" not in normalized and "\u0643" not in normalized


@examples
@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(sorted(DIGITS)))
def test_every_kind_of_digit_reads_the_same(number: int, kind: str) -> None:
    written = str(number).translate(str.maketrans("0123456789", DIGITS[kind]))
    assert ascii_digits(written) == str(number)
    assert normalize(written) == str(number)
    for language in ("fa", "ar"):
        assert ascii_digits(localize_digits(str(number), language)) == str(number)


@examples
@given(mixed)
def test_the_script_is_always_one_of_the_four_languages(text: str) -> None:
    assert script_language(text) in {"en", "fa", "ar", "he"}


@examples
@given(mixed, st.integers(min_value=40, max_value=200))
def test_splitting_drops_nothing_and_never_cuts_a_character(text: str, limit: int) -> None:
    """At limits above any one character's length (a letter with its marks, an emoji with its
    modifiers and joiners; the platforms' are 1,600 to 4,096): a character longer than the
    limit has to be cut somewhere."""
    parts = split_message(text, limit)
    assert all(utf16_length(part) <= limit for part in parts)
    assert "".join("".join(part.split()) for part in parts) == "".join(text.split())
    for part in parts[1:]:
        first = part[0]
        # no part starts with what belongs to the character before it
        assert not unicodedata.combining(first) and first not in "\u200d\ufe0f"


@examples
@given(st.integers(min_value=1, max_value=9),
       st.lists(st.integers(min_value=0, max_value=9), min_size=7, max_size=14),
       st.sampled_from(sorted(DIGITS)), st.sampled_from(["", "+", "00"]),
       st.lists(st.sampled_from([" ", "-", "(", ")", ".", "\u200e", "\u202d"]), max_size=4))
def test_a_phone_number_in_any_digits_and_layout_normalises_the_same(
        first: int, rest: list[int], kind: str, prefix: str, separators: list[str]) -> None:
    number = "".join(map(str, [first, *rest]))
    written = number.translate(str.maketrans("0123456789", DIGITS[kind]))
    for index, separator in enumerate(separators):
        cut = 1 + index * 3
        written = written[:cut] + separator + written[cut:]
    expected = ("+" if prefix else "") + number
    assert normalize_phone(prefix + written) == expected


@examples
@given(mixed)
def test_any_text_normalises_to_a_plus_and_ascii_digits(text: str) -> None:
    phone = normalize_phone(text)
    assert phone.lstrip("+").isascii() and (phone.lstrip("+").isdigit() or phone in ("", "+"))
