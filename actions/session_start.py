"""The start of a conversation, or of a new session of one: the bot recognises a verified person.

Rasa runs `action_session_start` before it reads the session's first message. This one carries
the slots over (as Rasa's own does), then asks the handoff service who the customer is:
- their handoff is open in this conversation: the bot stays paused (a session that expires while
  the customer waits must not hand the chat back to the bot), anonymous web visitors included;
- it is open on another channel: the bot asks whether to continue here, and pauses; the answer
  goes to the service, which moves the chat or not (handoff/moves.py);
- it was resolved: the bot says what it remembers and keeps the order number, so the customer
  need not repeat it.
The texts are rendered here, in the language of that request: the session's first message has
not been read yet, so the language slot is not set.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ConversationPaused,
    EventType,
    SessionStarted,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff_client import HandoffClient, HandoffUnavailable
from common.protocol import (
    MESSENGER,
    META_IDENTITY,
    META_VERIFIED_PHONE,
    TELEGRAM,
    WEB_CHANNEL,
    WHATSAPP,
    owned,
    signed_identity,
)
from common.responses import render, variant
from common.text import localize_digits

logger = logging.getLogger(__name__)
NOT_CARRIED = frozenset({"session_started_metadata", "requested_slot"})


def carried_slots(tracker: Tracker) -> list[EventType]:
    return [SlotSet(name, value) for name, value in tracker.slots.items()
            if value is not None and name not in NOT_CARRIED]


def arrival(sender_id: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """What verifies the customer: a messenger's sender id (and what its connector vouched
    for), or the identity the host site signed for the web widget. An anonymous web visitor
    has none; the service then only looks for a handoff of this conversation.

    The session's first message is not in the tracker yet, so its channel is told by the
    sender id: each messenger's connector prefixes its own, and no other channel takes a
    prefixed one. A metadata key counts only from the channel that sets it."""
    channel = next((name for name in (TELEGRAM, MESSENGER, WHATSAPP)
                    if sender_id.startswith(f"{name}:")), WEB_CHANNEL)
    signed = signed_identity(owned(metadata, META_IDENTITY, channel))
    phone = owned(metadata, META_VERIFIED_PHONE, channel) if channel == TELEGRAM else None
    return {"channel": channel, "signed_identity": signed, "verified": [
        {"kind": "phone", "value": str(phone), "source": "telegram_contact"}] if phone else []}


def say(dispatcher: CollectingDispatcher, domain: dict[str, Any], response: str,
        language: str, **values: Any) -> None:
    chosen = variant((domain.get("responses") or {}).get(response, []), language) or {}
    if chosen.get("text"):
        dispatcher.utter_message(text=render(chosen["text"], language, values),
                                 buttons=chosen.get("buttons") or [])


def welcome_back(dispatcher: CollectingDispatcher, domain: dict[str, Any],
                 welcome: dict[str, Any], tracker: Tracker) -> list[EventType]:
    if welcome.get("waiting_here"):
        return [ConversationPaused()]
    if open_one := welcome.get("open"):
        language, orders = open_one["language"], open_one["order_numbers"]
        state = "assigned" if open_one["agent_name"] else "waiting"
        say(dispatcher, domain, f"utter_open_request_{state}{'_order' if orders else ''}",
            language, reference=open_one["reference"], agent=open_one["agent_name"] or "",
            order=localize_digits(orders[-1], language) if orders else "")
        return [SlotSet("language", language), SlotSet("handoff_reference",
                                                       open_one["reference"]),
                ConversationPaused()]
    previous = welcome.get("previous")
    if previous and previous["order_numbers"]:
        language, order = previous["language"], previous["order_numbers"][-1]
        say(dispatcher, domain, "utter_welcome_back_order", language,
            order=localize_digits(order, language), summary=previous["summary"])
        events: list[EventType] = [SlotSet("language", language)]
        if not tracker.get_slot("order_number"):
            events.append(SlotSet("order_number", order))
        return events
    return []


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        events: list[EventType] = [SessionStarted(), *carried_slots(tracker),
                                   ActionExecuted("action_listen")]
        metadata = tracker.get_slot("session_started_metadata") or {}
        found = arrival(tracker.sender_id, metadata if isinstance(metadata, dict) else {})
        try:
            welcome = await asyncio.to_thread(HandoffClient.from_env().arrival,
                                              tracker.sender_id, found)
        except HandoffUnavailable as error:  # the bot still answers; it only forgets
            logger.warning("arrival of %s not told to the service: %s", tracker.sender_id, error)
            return events
        return events + welcome_back(dispatcher, domain, welcome, tracker)
