"""Contact details are masked before trainers read a message; the rest is left as written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff.masking import mask


@pytest.mark.parametrize(("written", "shown"), [
    ("where is order ۵۸۲۳۱?", "where is order [order]?"),
    ("طلبي رقم ٥٨٢٣١ وين", "طلبي رقم [order] وين"),
    ("order #4001723 please", "order [order] please"),
    ("mail me at a.b+c@shop.co.uk now", "mail me at [email] now"),
    ("call +98 912 345 6789 please", "call [phone] please"),
    ("הטלפון שלי 052-1234567", "הטלפון שלי [phone]"),
    ("شماره‌ام ۰۹۱۲۳۴۵۶۷۸۹ است", "شماره‌ام [phone] است"),
    ("I rate it 5 stars, 3 items, size ۴۲", "I rate it 5 stars, 3 items, size ۴۲"),
])
def test_details_are_masked_and_nothing_else_changes(written: str, shown: str) -> None:
    assert mask(written) == shown


@given(st.text(alphabet=st.characters(blacklist_categories=["Nd"]), max_size=80))
def test_text_without_digits_or_at_signs_is_unchanged(text: str) -> None:
    if "@" not in text:
        assert mask(text) == text


@given(st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}@[a-z]{2,8}\.(com|ir|co\.il)", fullmatch=True),
       st.sampled_from(["", "سلام ", "שלום ", "hi "]))
def test_no_email_survives(email: str, before: str) -> None:
    assert "@" not in mask(f"{before}{email} ۵۸۲۳۱")
