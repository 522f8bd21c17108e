"""Language detection and normalisation used by the NLU pipeline and the actions."""

import pytest

from common.text import ascii_digits, localize_digits, normalize
from nlu.language import detect_language


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
    from common.text import is_payload

    assert is_payload("/affirm") and is_payload("choice:wrong_size")
    assert not is_payload("wrong size") and not is_payload("سایز اشتباه")


@pytest.mark.parametrize(
    ("text", "metadata", "language"),
    [
        ("/greet", {"language": "fa"}, "fa"),  # a button: the widget's choice decides
        ("58231", {"language": "ar"}, "ar"),  # digits alone: no letters to judge by
        ("hello", {"language": "fa"}, "en"),  # letters win over the hint
        ("/greet", {"language": "xx"}, None),  # a language the bot does not speak is ignored
        ("/greet", None, None),
    ],
)
def test_the_channels_language_hint_decides_only_without_letters(
    text: str, metadata: dict | None, language: str | None
) -> None:
    from rasa.shared.nlu.training_data.message import Message

    from nlu.language_detector import LanguageDetector

    message = Message(data={"text": text, "metadata": metadata})
    LanguageDetector().process([message])
    found = [e["value"] for e in message.get("entities", []) if e["entity"] == "language"]
    assert found == ([language] if language else [])
