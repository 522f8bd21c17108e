"""What the messenger connectors share: choices answered by number or title in any digits, the
question a session's start asked, repeats found in the tracker, and splitting within a limit."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from common.text import split_message, utf16_length
from rasa_runtime.channels.platform import (
    delivered_before,
    numbered,
    offered_choices,
    pick_choice,
)

CHOICES = [{"title": "بازپرداخت", "payload": "choice:refund"},
           {"title": "تعویض", "payload": "choice:exchange"},
           {"title": "سایز دیگر", "payload": "choice:other_size"}]


@pytest.mark.parametrize("typed", ["2", "۲", "٢", " 2. ", "تعویض"])
def test_the_second_choice_by_number_in_any_digits_or_by_its_title(typed: str) -> None:
    assert pick_choice(typed, CHOICES) == CHOICES[1]


@pytest.mark.parametrize("typed", ["4", "0", "58231", "تعویض کنید لطفا", ""])
def test_other_answers_pick_nothing(typed: str) -> None:
    assert pick_choice(typed, CHOICES) is None


def test_a_numbered_list_uses_the_digits_of_the_question() -> None:
    assert numbered("چه می‌خواهید؟", CHOICES).splitlines()[-1] == "۳. سایز دیگر"
    assert numbered("What would you like?", CHOICES).splitlines()[-1] == "3. سایز دیگر"


def test_choices_are_offered_until_the_customer_answers() -> None:
    asked = BotUttered("چه می‌خواهید؟", {"buttons": CHOICES})
    assert offered_choices([UserUttered("hi"), asked]) == CHOICES
    assert offered_choices([asked, UserUttered("تعویض")]) == []


def test_the_first_message_of_a_session_does_not_answer_the_starts_question() -> None:
    asked = BotUttered("Continue here?", {"buttons": CHOICES})
    events = [ActionExecuted("action_session_start"), asked, SessionStarted(),
              ActionExecuted("action_listen"), UserUttered("any news?")]
    assert offered_choices(events) == CHOICES
    assert offered_choices([*events, UserUttered("2")]) == []


def test_a_repeat_is_found_by_the_platforms_message_id() -> None:
    events = [UserUttered("hi", metadata={"platform_message_id": "m_1"})]
    assert delivered_before(events, "m_1") and not delivered_before(events, "m_2")


def test_a_long_message_is_split_between_words_and_nothing_is_lost() -> None:
    text = "سلام دنیا 👋🏽. " * 400
    parts = split_message(text, 1600)
    assert all(utf16_length(part) <= 1600 for part in parts) and len(parts) > 1
    assert " ".join(parts) == text.strip()
    assert all(not part.startswith(("\U0001f3fd", " ")) for part in parts)  # no split emoji


def test_a_word_longer_than_the_limit_is_split_inside_it() -> None:
    assert split_message("a" * 10, 4) == ["aaaa", "aaaa", "aa"]
