"""Understanding the return form's answers, the demo order store, and the return rules."""

from __future__ import annotations

from datetime import date

import pytest

from actions.choices import PROBLEMS, RESOLUTIONS, choose, match_item
from actions.orders import DemoOrderStore


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("choice:damaged", "damaged"),
        ("the size is too small", "wrong_size"),
        ("سایزش کوچک است", "wrong_size"),
        ("سايزش كوچك است", "wrong_size"),  # Arabic letter variants typed on a Persian phone
        ("المنتج مكسور", "damaged"),
        ("צבע לא נכון", "wrong_item"),
        ("banana", None),
    ],
)
def test_problem_answers(answer: str, expected: str | None) -> None:
    assert choose(answer, PROBLEMS) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("choice:other_size", "other_size"),
        ("I want my money back", "refund"),
        ("سایز دیگر لطفا", "other_size"),
        ("أريد استبدال المنتج", "exchange"),
        ("החזר כספי", "refund"),
        ("choice:nonsense", None),
    ],
)
def test_resolution_answers(answer: str, expected: str | None) -> None:
    assert choose(answer, RESOLUTIONS) == expected


def test_items_match_in_any_language() -> None:
    order = DemoOrderStore(today=date(2026, 11, 23)).get("58231")
    assert match_item("کفش دویدن، سایز ۴۲", order.items)["en"] == "Running shoes, size 42"
    assert match_item("sport socks", order.items)["he"] == "גרבי ספורט"
    assert match_item("a hat", order.items) is None


def test_demo_store_dates_follow_today_and_the_return_window() -> None:
    today = date(2026, 11, 23)
    store = DemoOrderStore(today=today)
    assert store.get("58231").delivered_on == date(2026, 11, 21)
    assert store.get("58231").returnable(today)
    assert not store.get("66001").returnable(today)
    assert store.get("99999") is None
    reference = store.create_return("58231", {"item": "Sport socks"})
    assert reference.startswith("RMA-") and store.get("58231").returns == [reference]
