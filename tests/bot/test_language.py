"""Language detection and normalisation used by the NLU pipeline and the actions."""

import pytest

from nlu.language import detect_language
from nlu.text import ascii_digits, localize_digits, normalize


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hello, I want a human", "en"),
        ("می‌خواهم با یک انسان صحبت کنم", "fa"),
        ("سفارش من کجاست؟", "fa"),
        ("سلام", "fa"),
        ("أريد التحدث مع موظف", "ar"),
        ("مرحبا", "ar"),
        ("شكرا جزيلا", "ar"),
        ("אני רוצה לדבר עם נציג", "he"),
        ("order 58231 שלום עולם", "he"),
        ("سفارش ۵۸۲۳۱ رسید؟ 🙂", "fa"),
    ],
)
def test_detects_language_by_script_letters_and_lingua(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "12345", "🙂👍", "?!"])
def test_no_language_without_letters(text: str) -> None:
    assert detect_language(text) is None


def test_normalize_unifies_digits_and_letter_variants_keeping_length() -> None:
    text = "سفارش ۵۸۲۳۱ و ٥٨٢٣١ يك مي‌خواهم"
    normalized = normalize(text)
    assert normalized == "سفارش 58231 و 58231 یک می خواهم"
    assert len(normalized) == len(text)


def test_ascii_digits_leaves_letters_alone() -> None:
    assert ascii_digits("يك ۱۲ ٣٤") == "يك 12 34"


@pytest.mark.parametrize(
    ("language", "expected"), [("fa", "۱۲۰"), ("ar", "١٢٠"), ("he", "120"), ("en", "120")]
)
def test_localize_digits_writes_numbers_the_customers_way(language: str, expected: str) -> None:
    assert localize_digits("120", language) == expected


def test_button_payloads_carry_no_language() -> None:
    from nlu.text import is_payload

    assert is_payload("/affirm") and is_payload("choice:wrong_size")
    assert not is_payload("wrong size") and not is_payload("سایز اشتباه")
