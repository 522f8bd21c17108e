"""The customer's rating (CSAT 1-5, optional comment) after a conversation with an agent.

It arrives from the rating buttons or the widget's form as `/rate_service{"rating": 4,
"rating_comment": "..."}`, or typed ("4 stars", "۴ ستاره"); the handoff service stores it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff_client import HandoffClient, HandoffUnavailable
from common.text import ascii_digits, localize_digits

logger = logging.getLogger(__name__)
MAX_COMMENT = 2000


def rating_buttons(language: str) -> list[dict[str, str]]:
    """One button per score, numbered the customer's way. Built here, not in domain.yml, where
    Rasa would read the payload's braces as a placeholder of the response."""
    return [{"title": f"{localize_digits(str(n), language)} ★",
             "payload": f'/rate_service{{"rating": {n}}}'} for n in range(1, 6)]


def ask_rating(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    dispatcher.utter_message(response="utter_ask_rating",
                             buttons=rating_buttons(tracker.get_slot("language") or "en"))


def _entity(tracker: Tracker, name: str) -> Any:
    return next(tracker.get_latest_entity_values(name), None)


def rating_of(tracker: Tracker) -> int | None:
    """The score 1-5 from the payload's entity, else the first lone digit 1-5 typed."""
    value = _entity(tracker, "rating")
    if value is None:
        found = re.search(r"(?<!\d)[1-5](?!\d)", ascii_digits(tracker.latest_message.get("text")
                                                              or ""))
        value = found[0] if found else None
    try:
        score = int(ascii_digits(str(value))) if value is not None else None
    except ValueError:
        return None
    return score if score is not None and 1 <= score <= 5 else None


def comment_of(tracker: Tracker) -> str | None:
    comment = str(_entity(tracker, "rating_comment") or "").strip()
    return comment[:MAX_COMMENT] or None


class ActionAskRating(Action):
    def name(self) -> str:
        return "action_ask_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ask_rating(dispatcher, tracker)
        return []


class ActionStoreRating(Action):
    def name(self) -> str:
        return "action_store_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        score = rating_of(tracker)
        if score is None:
            ask_rating(dispatcher, tracker)
            return []
        client = HandoffClient.from_env()
        try:
            await asyncio.to_thread(client.rate, tracker.sender_id, score, comment_of(tracker))
        except HandoffUnavailable as error:  # thanking is still right; the score is logged
            logger.error("rating %s of %s not stored: %s", score, tracker.sender_id, error)
        dispatcher.utter_message(response="utter_thanks_rating")
        return []
