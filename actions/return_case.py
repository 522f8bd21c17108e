"""Wrong item, wrong size, damaged: a form gathers the case, then the bot resolves it or hands
it to a person with everything filled in."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.choices import PROBLEMS, RESOLUTIONS, choose, match_item
from actions.escalation import hand_off
from actions.orders import Order, OrdersUnavailable, order_backend
from common.text import ascii_digits, localize_digits


def _language(tracker: Tracker) -> str:
    return tracker.get_slot("language") or "en"


async def _order(number: Any) -> Order | None:
    return await asyncio.to_thread(order_backend().get, ascii_digits(str(number or "")))


def _chosen(slot: str, value: Any, options: dict[str, list[str]],
            dispatcher: CollectingDispatcher) -> dict[str, Any]:
    """The canonical option the answer names; None (asked again) when it names none."""
    choice = choose(str(value), options)
    if choice is None:
        dispatcher.utter_message(response="utter_invalid_choice")
    return {slot: choice}


class ValidateReturnForm(FormValidationAction):
    def name(self) -> str:
        return "validate_return_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        """A new size is asked for only when the customer wants another size."""
        if tracker.get_slot("resolution") == "other_size":
            return domain_slots
        return [slot for slot in domain_slots if slot != "wanted_size"]

    async def validate_order_number(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        try:
            order = await _order(value)
        except OrdersUnavailable:
            dispatcher.utter_message(response="utter_orders_unavailable")
            return {"order_number": None}
        if order is None:
            dispatcher.utter_message(response="utter_order_not_found")
            return {"order_number": None}
        if len(order.items) == 1:  # nothing to ask: the case is about the only item
            return {"order_number": order.number, "item": order.items[0][_language(tracker)]}
        return {"order_number": order.number}

    async def validate_item(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        order = await _order(tracker.get_slot("order_number"))
        item = match_item(str(value), order.items) if order else None
        if item is None:
            dispatcher.utter_message(response="utter_invalid_item")
            return {"item": None}
        return {"item": item[_language(tracker)]}

    async def validate_problem(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return _chosen("problem", value, PROBLEMS, dispatcher)

    async def validate_resolution(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return _chosen("resolution", value, RESOLUTIONS, dispatcher)

    async def validate_wanted_size(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        size = ascii_digits(str(value)).strip()
        if not 0 < len(size) <= 20:
            dispatcher.utter_message(response="utter_invalid_choice")
            return {"wanted_size": None}
        return {"wanted_size": size}


class ActionAskItem(Action):
    """Asks which item, offering the order's items (in the customer's language) as buttons."""

    def name(self) -> str:
        return "action_ask_item"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        order = await _order(tracker.get_slot("order_number"))
        language = _language(tracker)
        buttons = [{"title": item[language], "payload": item[language]}
                   for item in (order.items if order else [])]
        dispatcher.utter_message(response="utter_ask_item", buttons=buttons)
        return []


class ActionSubmitReturn(Action):
    """Resolves the case (registers the return) when the rules allow; a damaged item, or one
    past the return window, goes to a person as a business rule, with the case filled in."""

    def name(self) -> str:
        return "action_submit_return"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        order = await _order(tracker.get_slot("order_number"))
        if order is None:
            dispatcher.utter_message(response="utter_order_not_found")
            return []
        if tracker.get_slot("problem") == "damaged" or not order.returnable(date.today()):
            dispatcher.utter_message(response="utter_return_needs_person")
            return await hand_off(dispatcher, tracker, "business_rule", priority=1)
        case = {key: str(tracker.get_slot(key) or "") for key in
                ("item", "problem", "resolution", "wanted_size")}
        try:
            reference = await asyncio.to_thread(order_backend().create_return, order.number, case)
        except OrdersUnavailable:
            dispatcher.utter_message(response="utter_orders_unavailable")
            return []
        language = _language(tracker)
        dispatcher.utter_message(response="utter_return_created", return_reference=reference,
                                 item=case["item"],
                                 order_number=localize_digits(order.number, language))
        return [SlotSet("return_reference", reference)]
