"""Plural forms of the four languages (CLDR rules), for texts with a count in them.

The rules for integers, as the Unicode CLDR gives them (and `Intl.PluralRules` applies in the
browser): English and Persian have `one` and `other`; Hebrew `one`, `two` and `other`; Arabic
`zero`, `one`, `two`, `few` (3-10, and 103-110 ...), `many` (11-99, ...) and `other`.
"""

from __future__ import annotations

from common.text import localize_digits

CATEGORIES = {
    "en": ("one", "other"),
    "fa": ("one", "other"),
    "he": ("one", "two", "other"),
    "ar": ("zero", "one", "two", "few", "many", "other"),
}


def category(count: int, language: str) -> str:
    """The CLDR plural category of a whole number in `language`."""
    if language == "ar":
        rest = count % 100
        if count in (0, 1, 2):
            return ("zero", "one", "two")[count]
        return "few" if 3 <= rest <= 10 else "many" if 11 <= rest <= 99 else "other"
    if language == "he" and count == 2:
        return "two"
    if language == "fa":
        return "one" if count in (0, 1) else "other"
    return "one" if count == 1 else "other"


# "about N minutes", the way each language says it for each category; {n} is the number.
_ABOUT_MINUTES = {
    "en": {"one": "about {n} minute", "other": "about {n} minutes"},
    "fa": {"one": "حدود {n} دقیقه", "other": "حدود {n} دقیقه"},
    "ar": {"zero": "أقل من دقيقة", "one": "حوالي دقيقة واحدة", "two": "حوالي دقيقتين",
           "few": "حوالي {n} دقائق", "many": "حوالي {n} دقيقة", "other": "حوالي {n} دقيقة"},
    "he": {"one": "כדקה אחת", "two": "כשתי דקות", "other": "כ-{n} דקות"},
}


# "N seconds" (a wait), likewise.
_SECONDS = {
    "en": {"one": "{n} second", "other": "{n} seconds"},
    "fa": {"one": "{n} ثانیه", "other": "{n} ثانیه"},
    "ar": {"zero": "أقل من ثانية", "one": "ثانية واحدة", "two": "ثانيتين",
           "few": "{n} ثوانٍ", "many": "{n} ثانية", "other": "{n} ثانية"},
    "he": {"one": "שנייה אחת", "two": "שתי שניות", "other": "{n} שניות"},
}


def _phrase(forms: dict[str, dict[str, str]], count: int, language: str) -> str:
    if language not in forms:
        language = "en"
    text = forms[language][category(count, language)]
    return text.replace("{n}", localize_digits(str(count), language))


def about_minutes(count: int, language: str) -> str:
    """"about 3 minutes" in `language`, with the number written its way."""
    return _phrase(_ABOUT_MINUTES, count, language)


def seconds(count: int, language: str) -> str:
    """"12 seconds" in `language`, with the number written its way."""
    return _phrase(_SECONDS, count, language)
