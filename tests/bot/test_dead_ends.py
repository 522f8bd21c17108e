"""The bot notices dead ends: two misses in a row, or frustration, and offers a person."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.dead_ends import ActionFallback, not_understood_streak
from actions.escalation import escalation_reason


def _user(intent: str) -> dict:
    return {"event": "user", "text": intent, "parse_data": {"intent": {"name": intent}}}


def _tracker(intents: list[str], slots: dict | None = None) -> Tracker:
    events = [_user(i) for i in intents]
    return Tracker("c", slots or {}, events[-1]["parse_data"], events, False, None, {},
                   "action_listen")


def test_streak_counts_consecutive_misses_only() -> None:
    assert not_understood_streak(_tracker(["greet", "nlu_fallback"])) == 1
    assert not_understood_streak(_tracker(["nlu_fallback", "greet", "nlu_fallback"])) == 1
    assert not_understood_streak(_tracker(["greet", "out_of_scope", "nlu_fallback"])) == 2


def _run(intents: list[str]) -> tuple[list[str], list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionFallback().run(dispatcher, _tracker(intents), {}))
    return [m["response"] for m in dispatcher.messages], events


def test_first_miss_asks_to_rephrase_the_second_offers_a_person() -> None:
    assert _run(["greet", "nlu_fallback"]) == (["utter_default"], [])
    assert _run(["out_of_scope"])[0] == ["utter_out_of_scope"]
    responses, events = _run(["nlu_fallback", "nlu_fallback"])
    assert responses == ["utter_offer_human"]
    assert events[0]["name"] == "handoff_offer" and events[0]["value"] == "fallback"


def test_the_reason_of_an_accepted_offer_is_recorded() -> None:
    assert escalation_reason(_tracker(["complain", "affirm"], {"handoff_offer": "frustration"})) \
        == "frustration"
    assert escalation_reason(_tracker(["nlu_fallback", "affirm"])) == "fallback"
    assert escalation_reason(_tracker(["human_handoff"])) == "explicit_request"
