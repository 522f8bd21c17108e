"""Order status, from the order backend, in the customer's language and digits."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.orders import OrdersUnavailable, order_backend
from common.text import ascii_digits, localize_digits


def order_number_of(tracker: Tracker) -> str | None:
    """The number in the latest message, else the one the customer gave earlier."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "order_number":
            return ascii_digits(str(entity["value"]))
    slot = tracker.get_slot("order_number")
    return ascii_digits(str(slot)) if slot else None


class ActionOrderStatus(Action):
    def name(self) -> str:
        return "action_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        number = order_number_of(tracker)
        if number is None:
            dispatcher.utter_message(response="utter_ask_order_number")
            return []
        try:
            order = await asyncio.to_thread(order_backend().get, number)
        except OrdersUnavailable:
            dispatcher.utter_message(response="utter_orders_unavailable")
            return []
        if order is None:
            dispatcher.utter_message(response="utter_order_not_found")
            return []
        language = tracker.get_slot("language") or "en"
        values = {
            "order_number": localize_digits(order.number, language),
            "eta": localize_digits(order.eta.isoformat(), language) if order.eta else "",
            "delivered": localize_digits(order.delivered_on.isoformat(), language)
            if order.delivered_on else "",
        }
        dispatcher.utter_message(response=f"utter_order_{order.status}", **values)
        return []
