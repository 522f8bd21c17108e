"""Dead ends: the bot notices it is stuck and offers a person by itself."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.escalation import end_form

NOT_UNDERSTOOD = frozenset({"nlu_fallback", "out_of_scope"})
OFFER_AFTER = 2  # consecutive messages the bot could not handle


def not_understood_streak(tracker: Tracker) -> int:
    """How many of the customer's latest messages in a row the bot could not handle."""
    streak = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent not in NOT_UNDERSTOOD:
            break
        streak += 1
    return streak


class ActionFallback(Action):
    """First miss: ask to rephrase (or say it is out of scope). Second miss in a row: offer a
    person, and remember that the reason would be "fallback"."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if not_understood_streak(tracker) >= OFFER_AFTER:
            dispatcher.utter_message(response="utter_offer_human")
            return [SlotSet("handoff_offer", "fallback")]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        dispatcher.utter_message(
            response="utter_out_of_scope" if intent == "out_of_scope" else "utter_default")
        return []


class ActionOfferHuman(Action):
    """The customer is clearly frustrated: apologise and offer a person at once."""

    def name(self) -> str:
        return "action_offer_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_offer_human_frustrated")
        # a frustrated customer is not asked any more questions: the form ends
        return [SlotSet("handoff_offer", "frustration"), *end_form(tracker)]


class ActionDeclineOffer(Action):
    def name(self) -> str:
        return "action_decline_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("handoff_offer", None)]
