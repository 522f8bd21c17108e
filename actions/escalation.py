"""The one action that hands a conversation to the human agent queue."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff_client import HandoffClient, HandoffUnavailable
from actions.handoff_context import HANDOFF_INTENT, build_context
from nlu.text import localize_digits

logger = logging.getLogger(__name__)


def escalation_reason(tracker: Tracker) -> str:
    """Why the conversation goes to a person, as the handoff contract names it."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return "explicit_request" if intent == HANDOFF_INTENT else "fallback"


class ActionHandoffToHuman(Action):
    """Sends the context to the handoff service, tells the customer their reference and place in
    the queue, and pauses the bot so that the agent's and customer's messages flow freely."""

    def name(self) -> str:
        return "action_handoff_to_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        context = build_context(tracker, reason=escalation_reason(tracker))
        try:
            ticket = await asyncio.to_thread(HandoffClient.from_env().create_handoff, context)
        except HandoffUnavailable as error:
            logger.error("handoff of %s failed: %s", tracker.sender_id, error)
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return []
        dispatcher.utter_message(
            response="utter_handoff_queued",
            reference=ticket["reference"],
            position=localize_digits(str(ticket["position"]), context["language"]),
        )
        return [SlotSet("handoff_reference", ticket["reference"]), ConversationPaused()]
