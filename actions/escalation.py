"""Handing a conversation to the human agent queue, and telling the customer where it stands."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.escalation_outbox import EscalationOutbox
from actions.handoff_client import HandoffClient, HandoffRejected, HandoffUnavailable
from actions.handoff_context import build_context
from common.plurals import about_minutes
from common.protocol import (
    DEFAULT_LANGUAGE,
    HANDOFF_INTENT,
    TELEGRAM,
    WEB_CHANNEL,
    new_reference,
    opening_time,
    wait_minutes,
    widget_custom,
    widget_status,
)
from common.text import localize_digits

logger = logging.getLogger(__name__)

# Escalations kept while the service is down. Those kept before a restart of the action server
# are delivered from start-up on: the paused customer's messages run no action that would.
OUTBOX = EscalationOutbox.from_env()
if "HANDOFF_URL" in os.environ:
    OUTBOX.start_if_waiting()


def escalation_reason(tracker: Tracker) -> str:
    """Why the conversation goes to a person, as the handoff contract names it."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == HANDOFF_INTENT:
        return "explicit_request"
    if intent == "affirm":  # accepting the person the bot offered
        return tracker.get_slot("handoff_offer") or "fallback"
    return "fallback"


def queued_message(ticket: dict[str, Any], language: str) -> tuple[str, dict[str, str]]:
    """The response that tells the customer their reference and what happens next."""
    values = {"reference": ticket["reference"]}
    if ticket["availability"] == "closed":
        values["opens"] = localize_digits(opening_time(ticket.get("opens_at")), language)
        response = "utter_handoff_closed"
    elif ticket["availability"] == "no_agents":
        response = "utter_handoff_no_agents"
    else:
        values |= {"position": localize_digits(str(ticket["position"]), language),
                   "wait": about_minutes(wait_minutes(ticket.get("expected_wait_seconds")),
                                         language)}
        response = "utter_handoff_queued"
    return response, values


def widget_json(tracker: Tracker, ticket: dict[str, Any]) -> dict[str, Any]:
    """The request's state for the web widget's status bar, as custom JSON beside the text.
    Other channels get the text alone."""
    if tracker.get_latest_input_channel() != WEB_CHANNEL:
        return {}
    return {"json_message": widget_custom(handoff=widget_status(
        reference=ticket["reference"], status=ticket["status"],
        availability=ticket["availability"], position=ticket["position"],
        expected_wait_seconds=ticket.get("expected_wait_seconds"), agent=None,
        opens_at=ticket.get("opens_at")))}


async def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str,
                   **routing: Any) -> list[EventType]:
    """Send the context to the handoff service, tell the customer their reference and place in
    the queue and expected wait (or that the team is away and their message will be read), end
    any form, and pause the bot so that the agent's and customer's messages flow freely.

    With the service down, the escalation is kept (escalation_outbox.py) and filed when it is
    back; the customer is told they are in line, with the same reference."""
    context = build_context(tracker, reason=reason) | routing | {
        "reference": new_reference(), "escalated_at": time.time()}
    try:
        ticket = await asyncio.to_thread(HandoffClient.from_env().create_handoff, context)
    except HandoffRejected as error:
        logger.error("handoff of %s rejected: %s", tracker.sender_id, error)
        dispatcher.utter_message(response="utter_handoff_unavailable")
        return []
    except HandoffUnavailable as error:
        logger.warning("handoff service unavailable; escalation %s of %s kept: %s",
                       context["reference"], tracker.sender_id, error)
        await asyncio.to_thread(OUTBOX.keep, context)
        dispatcher.utter_message(response="utter_handoff_pending",
                                 reference=context["reference"])
        return paused(tracker, context["reference"])
    response, values = queued_message(ticket, context["language"])
    dispatcher.utter_message(response=response, **values, **widget_json(tracker, ticket))
    if context["channel"] == TELEGRAM and not context["verified"]:
        # so that the same person is recognised when they write on WhatsApp or the web
        dispatcher.utter_message(response="utter_share_phone")
    return paused(tracker, ticket["reference"])


def paused(tracker: Tracker, reference: str) -> list[EventType]:
    return [SlotSet("handoff_reference", reference), SlotSet("handoff_offer", None),
            *end_form(tracker), ConversationPaused()]


def end_form(tracker: Tracker) -> list[EventType]:
    """Whatever form was running ends (the rules expect `active_loop: null` after a handoff or
    an offer of a person); the slots it gathered stay, and travel with the handoff."""
    events: list[EventType] = [ActiveLoop(None)]
    if tracker.active_loop.get("name"):
        events.append(SlotSet("requested_slot", None))
    return events


class ActionHandoffToHuman(Action):
    def name(self) -> str:
        return "action_handoff_to_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return await hand_off(dispatcher, tracker, escalation_reason(tracker))


class ActionHandoffStatus(Action):
    """Answers "where is my request?" when the bot is not paused (the service answers while it
    is); with no open request, offers a person."""

    def name(self) -> str:
        return "action_handoff_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = tracker.get_slot("language") or DEFAULT_LANGUAGE
        try:
            status = await asyncio.to_thread(HandoffClient.from_env().status, tracker.sender_id)
        except HandoffUnavailable:
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return []
        if status is None or status["status"] in ("resolved", "abandoned"):
            dispatcher.utter_message(response="utter_no_open_request")
        elif status["agent_name"]:
            dispatcher.utter_message(response="utter_handoff_assigned", agent=status["agent_name"])
        else:
            dispatcher.utter_message(
                response="utter_handoff_position", reference=status["reference"],
                position=localize_digits(str(status["position"]), language),
                wait=about_minutes(wait_minutes(status["expected_wait_seconds"]), language),
            )
        return []
