"""The handoff context the escalation action sends: built from a real rasa_sdk Tracker."""

import json

from jsonschema import Draft202012Validator
from rasa_sdk import Tracker

from actions.escalation import escalation_reason
from actions.handoff_context import build_context
from common.protocol import CONTEXT_SCHEMA


def _user(text: str, intent: str, confidence: float, ts: float) -> dict:
    return {"event": "user", "text": text, "timestamp": ts,
            "parse_data": {"intent": {"name": intent, "confidence": confidence}},
            "input_channel": "socketio"}


def _tracker(events: list[dict], slots: dict | None = None) -> Tracker:
    latest = next((e["parse_data"] for e in reversed(events) if e["event"] == "user"), {})
    return Tracker("conv-1", slots or {}, latest, events, False, None, {}, "action_listen")


def test_context_carries_transcript_intents_slots_and_the_customers_words() -> None:
    events = [
        _user("سلام", "greet", 0.98, 1.0),
        {"event": "bot", "text": "سلام! من دستیار مجازی هستم", "timestamp": 2.0},
        _user("کفشم سایز اشتباه آمده", "nlu_fallback", 0.31, 3.0),
        {"event": "bot", "text": "ببخشید، متوجه نشدم", "timestamp": 4.0},
        _user("می‌خواهم با یک انسان صحبت کنم", "human_handoff", 0.95, 5.0),
    ]
    tracker = _tracker(events, {"language": "fa", "order_number": "58231", "email": None})
    context = build_context(tracker, reason=escalation_reason(tracker))

    assert context["version"] == 1
    assert context["conversation_id"] == "conv-1"
    assert context["channel"] == "socketio"
    assert context["language"] == "fa"
    assert context["reason"] == "explicit_request"
    assert context["summary"] == "کفشم سایز اشتباه آمده"
    assert context["slots"] == {"language": "fa", "order_number": "58231"}
    assert context["contact"]["order_numbers"] == ["58231"]
    intents = [i["name"] for i in context["last_intents"]]
    assert intents == ["greet", "nlu_fallback", "human_handoff"]
    assert [(e["sender"], e["timestamp"]) for e in context["transcript"]] == [
        ("customer", 1.0), ("bot", 2.0), ("customer", 3.0), ("bot", 4.0), ("customer", 5.0),
    ]



def test_bookkeeping_slots_are_not_shown_as_the_customers_details() -> None:
    tracker = _tracker([_user("کفشم سایز اشتباه آمده", "report_wrong_item", 0.9, 1.0)], {
        "language": "fa", "item": "کفش", "requested_slot": "wanted_size",
        "handoff_reference": "H-58", "handoff_offer": "fallback",
        "session_started_metadata": {"locale": "fa-IR"}})
    context = build_context(tracker, reason="explicit_request")
    assert context["slots"] == {"language": "fa", "item": "کفش"}

def test_agent_messages_of_an_earlier_handoff_are_marked_as_agent() -> None:
    events = [
        _user("help", "human_handoff", 0.9, 1.0),
        {"event": "bot", "text": "Hi, Sara here", "timestamp": 2.0, "metadata": {"handoff_id": 3}},
    ]
    context = build_context(_tracker(events), reason="explicit_request")
    assert [e["sender"] for e in context["transcript"]] == ["customer", "agent"]
    assert context["language"] == "en"


def test_reason_is_fallback_when_the_customer_did_not_ask() -> None:
    tracker = _tracker([_user("asdf", "nlu_fallback", 0.2, 1.0)])
    assert escalation_reason(tracker) == "fallback"


def test_the_customer_is_told_what_happens_next_in_their_digits() -> None:
    from actions.escalation import queued_message

    ticket = {"reference": "K2M9QX", "position": 12, "expected_wait_seconds": 130,
              "availability": "open", "opens_at": None}
    assert queued_message(ticket, "fa") == (
        "utter_handoff_queued", {"reference": "K2M9QX", "position": "۱۲", "wait": "حدود ۳ دقیقه"})
    # the wait takes each language's plural form: Arabic 3-10 and 11-99 differ, Hebrew 1 and 2
    assert queued_message(ticket, "ar")[1]["wait"] == "حوالي ٣ دقائق"
    assert queued_message(ticket | {"expected_wait_seconds": 660}, "ar")[1]["wait"] == (
        "حوالي ١١ دقيقة")
    assert queued_message(ticket | {"expected_wait_seconds": 30}, "he")[1]["wait"] == "כדקה אחת"
    assert queued_message(ticket | {"expected_wait_seconds": 100}, "he")[1]["wait"] == "כשתי דקות"
    assert queued_message(ticket, "en")[1]["wait"] == "about 3 minutes"
    assert queued_message(ticket | {"availability": "no_agents"}, "ar") == (
        "utter_handoff_no_agents", {"reference": "K2M9QX"})
    closed = ticket | {"availability": "closed", "opens_at": "2026-11-28T09:00+03:30"}
    assert queued_message(closed, "ar") == (
        "utter_handoff_closed", {"reference": "K2M9QX", "opens": "٢٠٢٦-١١-٢٨ ٠٩:٠٠"})


def test_buttons_show_as_the_customer_saw_them_and_rasa_bookkeeping_stays_out() -> None:
    events = [
        {"event": "user", "text": '/greet{"language": "fa"}', "timestamp": 1.0,
         "parse_data": {"intent": {"name": "greet", "confidence": 1.0}}},
        {"event": "user", "text": '/human_handoff{"language": "fa"}', "timestamp": 2.0,
         "input_channel": "socketio",
         "metadata": {"language": "fa", "shown": "می‌خواهم با یک کارشناس صحبت کنم"},
         "parse_data": {"intent": {"name": "human_handoff", "confidence": 1.0}}},
    ]
    tracker = Tracker("c", {"language": "fa", "session_started_metadata": {"x": 1}},
                      events[-1]["parse_data"], events, False, None, {}, "action_listen")
    context = build_context(tracker, reason="explicit_request")
    assert [(e["sender"], e["text"]) for e in context["transcript"]] == [
        ("customer", "می‌خواهم با یک کارشناس صحبت کنم")]
    assert context["slots"] == {"language": "fa"}


def test_the_context_is_valid_against_the_services_contract() -> None:
    """build_context() as the service's edge will judge it (common/handoff_context.schema.json,
    generated from handoff/contract.py)."""
    schema = json.loads(CONTEXT_SCHEMA.read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema)
    events = [
        {"event": "user", "text": "سفارش ۵۸۲۳۱ کجاست؟", "timestamp": 1.0,
         "parse_data": {"intent": {"name": "order_status", "confidence": 0.91}}},
        {"event": "bot", "text": "سفارش ۵۸۲۳۱ ارسال شده است.", "timestamp": 2.0},
        {"event": "user", "text": "می‌خواهم با یک انسان صحبت کنم", "timestamp": 3.0,
         "parse_data": {"intent": {"name": "human_handoff", "confidence": 0.97}}},
    ]
    slots = {"language": "fa", "order_number": "58231", "email": "a@b.ir", "requested_slot": None}
    tracker = Tracker("c-1", slots, events[-1]["parse_data"], events, False, None,
                      {"name": "return_form"}, "action_listen")
    context = build_context(tracker, reason="explicit_request")
    assert list(validator.iter_errors(context)) == []
    assert list(validator.iter_errors(context | {"language": "de"}))  # the schema can say no
