"""Reading the customer's rating from the buttons, the widget's form or typed text."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker

from actions.rating import comment_of, rating_buttons, rating_of


def _tracker(text: str, entities: dict | None = None) -> Tracker:
    parsed = {"text": text, "intent": {"name": "rate_service"},
              "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()]}
    return Tracker("c", {}, parsed, [], False, None, {}, "action_listen")


@pytest.mark.parametrize(
    ("text", "entities", "score"),
    [
        ('/rate_service{"rating": 4}', {"rating": 4}, 4),
        ("۵ ستاره", None, 5),
        ("تقييمي ٢", None, 2),
        ("I'd give it 3 stars", None, 3),
        ("order 58231", None, None),  # a number that is no score
        ("9 stars", None, None),
        ('/rate_service{"rating": "7"}', {"rating": "7"}, None),
        ('/rate_service{"rating": "x"}', {"rating": "x"}, None),
    ],
)
def test_score_from_payload_or_typed_digits(text: str, entities: dict | None,
                                            score: int | None) -> None:
    assert rating_of(_tracker(text, entities)) == score


def test_comment_is_trimmed_capped_and_optional() -> None:
    spaced = _tracker("/rate_service", {"rating_comment": "  سریع بود 👍 "})
    assert comment_of(spaced) == "سریع بود 👍"
    assert comment_of(_tracker("/rate_service", {"rating_comment": "x" * 5000})) == "x" * 2000
    assert comment_of(_tracker("/rate_service", {"rating_comment": "   "})) is None
    assert comment_of(_tracker("5", None)) is None


def test_rating_buttons_are_numbered_the_customers_way() -> None:
    buttons = rating_buttons("fa")
    assert [b["title"] for b in buttons] == ["۱ ★", "۲ ★", "۳ ★", "۴ ★", "۵ ★"]
    assert buttons[3]["payload"] == '/rate_service{"rating": 4}'
