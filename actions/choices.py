"""Understanding the customer's answers to the return form's questions, in four languages.

Buttons send "choice:<canonical value>" (e.g. "choice:wrong_size"); typed answers are matched by
keywords after digit and letter normalisation, so "سايز" and "سایز" match alike.
"""

from __future__ import annotations

import re

from common.text import CHOICE_PREFIX, normalize

PROBLEMS = {
    "wrong_size": ["size", "small", "big", "large", "tight", "سایز", "اندازه", "کوچک", "بزرگ",
                   "تنگ", "مقاس", "صغیر", "کبیر", "ضیق", "מידה", "קטן", "גדול", "צר"],
    "wrong_item": ["wrong item", "wrong product", "different", "not what i ordered", "colour",
                   "color", "اشتباه", "رنگ", "دیگری", "خاطئ", "لون", "مختلف", "לא נכון",
                   "צבע", "אחר"],
    "damaged": ["damaged", "broken", "torn", "defect", "خراب", "آسیب", "شکسته", "پاره", "تالف",
                "مکسور", "ممزق", "פגום", "שבור", "קרוע"],
}
RESOLUTIONS = {
    "refund": ["refund", "money back", "پول", "بازگشت وجه", "استرداد", "المبلغ", "أموال",
               "החזר", "כסף"],
    "other_size": ["another size", "other size", "different size", "size", "سایز دیگر",
                   "سایز", "مقاس آخر", "مقاس", "מידה אחרת", "מידה"],
    "exchange": ["exchange", "swap", "replace", "تعویض", "عوض", "استبدال", "تبدیل",
                 "החלפה", "להחליף"],
}


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", normalize(text).lower()).strip()


def choose(text: str, options: dict[str, list[str]]) -> str | None:
    """The canonical option `text` names, or None. Earlier options win ties, so the more specific
    keywords go first ("another size" before "size")."""
    if text.startswith(CHOICE_PREFIX) and text.removeprefix(CHOICE_PREFIX) in options:
        return text.removeprefix(CHOICE_PREFIX)
    key = _key(text)
    for value, keywords in options.items():
        if any(_key(keyword) in key for keyword in keywords):
            return value
    return None


def match_item(text: str, items: list[dict[str, str]]) -> dict[str, str] | None:
    """The order's item whose name (in any language) the answer contains or is contained in."""
    key = _key(text)
    for item in items:
        for name in item.values():
            name_key = _key(name)
            if key and (key == name_key or key in name_key or name_key in key):
                return item
    return None
