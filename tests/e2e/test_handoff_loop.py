"""The whole loop, as a customer and an agent live it, against the real Rasa server, action server
and handoff service: bot -> escalation -> agent -> back to the bot."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nlu.text import ascii_digits, localize_digits
from tests.e2e import domain_texts
from tests.e2e.clients import Agent, Customer, eventually

pytestmark = pytest.mark.e2e

SCRIPTS = {
    "en": {
        "greet": "hello",
        "human": "I want to talk to a human",
        "problem": "My shoes came in the wrong size, order 58231 👟",
        "agent": "Hi, I'm Sara from support. Let me check order 58231.",
        "faq": "what is your return policy?",
    },
    "fa": {
        "greet": "سلام",
        "human": "می‌خواهم با یک انسان صحبت کنم",
        "problem": "کفش‌هایم سایز اشتباه آمده، سفارش ۵۸۲۳۱ 👟",
        "agent": "سلام، سارا هستم از پشتیبانی. سفارش ۵۸۲۳۱ را بررسی می‌کنم.",
        "faq": "شرایط مرجوعی چیست؟",
    },
    "ar": {
        "greet": "مرحبا",
        "human": "أريد التحدث مع إنسان",
        "problem": "وصلني الحذاء بمقاس خاطئ، الطلب ٥٨٢٣١",
        "agent": "مرحبا، أنا سارة من الدعم. سأتحقق من الطلب ٥٨٢٣١.",
        "faq": "ما هي سياسة الإرجاع؟",
    },
    "he": {
        "greet": "שלום",
        "human": "אני רוצה לדבר עם נציג",
        "problem": "הנעליים הגיעו במידה הלא נכונה, הזמנה 58231",
        "agent": "שלום, כאן שרה מהתמיכה. אני בודקת את הזמנה 58231.",
        "faq": "מה מדיניות ההחזרות?",
    },
}


@pytest.mark.parametrize("language", ["en", "fa", "ar", "he"])
def test_bot_escalation_agent_and_back(
    customer: Customer, agent_factory: Callable[[], Agent], language: str
) -> None:
    script = SCRIPTS[language]
    agent = agent_factory()

    # The bot answers in the customer's language.
    customer.say(script["greet"])
    assert customer.receive_text() == domain_texts.text("utter_greet", language)

    # Asking for a person: reference and place in the queue, in the customer's language.
    customer.say(script["human"])
    queued = domain_texts.pattern("utter_handoff_queued", language).match(customer.receive_text())
    assert queued, "the customer was not told their reference and place in the queue"
    assert int(ascii_digits(queued["position"])) >= 1
    assert queued["position"] == localize_digits(ascii_digits(queued["position"]), language)

    # The agent finds it in the queue with the context the bot gathered.
    handoff = eventually(lambda: next(
        (h for h in agent.queue() if h["conversation_id"] == customer.session_id), None))
    assert handoff["reference"] == queued["reference"]
    assert handoff["language"] == language and handoff["channel"] == "socketio"
    assert handoff["reason"] == "explicit_request"
    context = agent.detail(handoff["id"])["context"]
    transcript = [(entry["sender"], entry["text"]) for entry in context["transcript"]]
    assert ("customer", script["greet"]) in transcript
    assert ("bot", domain_texts.text("utter_greet", language)) in transcript
    assert context["last_intents"][-1]["name"] == "human_handoff"
    assert context["slots"]["language"] == language

    assert agent.call("POST", f"/handoffs/{handoff['id']}/claim").status_code == 200

    # The bot is paused: the customer's message goes to the agent, and the bot stays silent.
    customer.say(script["problem"])
    assert customer.nothing_received(2.0), "the bot answered during the handoff"
    messages = eventually(lambda: [m for m in agent.detail(handoff["id"])["messages"]
                                   if m["sender"] == "customer"])
    assert [m["text"] for m in messages] == [script["problem"]]

    # The agent's reply reaches the customer's socket.
    sent = agent.call("POST", f"/handoffs/{handoff['id']}/messages", json={"text": script["agent"]})
    assert sent.status_code == 201 and sent.json()["delivered_at"] is not None
    assert customer.receive_text() == script["agent"]

    # Resolving hands the conversation back; the bot answers again, in the same language.
    assert agent.call("POST", f"/handoffs/{handoff['id']}/resolve").status_code == 200
    assert customer.receive_text() == domain_texts.text("utter_handoff_resolved", language)
    customer.say(script["faq"])
    assert customer.receive_text() == domain_texts.text("utter_faq_returns", language)
    assert agent.detail(handoff["id"])["status"] == "resolved"


def test_a_second_agent_cannot_take_a_claimed_handoff(
    customer: Customer, agent_factory: Callable[[], Agent]
) -> None:
    first, second = agent_factory(), agent_factory()
    customer.say("connect me to an agent")
    assert domain_texts.pattern("utter_handoff_queued", "en").match(customer.receive_text())
    handoff = eventually(lambda: next(
        (h for h in first.queue() if h["conversation_id"] == customer.session_id), None))
    assert first.call("POST", f"/handoffs/{handoff['id']}/claim").status_code == 200
    assert second.call("POST", f"/handoffs/{handoff['id']}/claim").status_code == 409
    assert second.call("POST", f"/handoffs/{handoff['id']}/messages",
                       json={"text": "hi"}).status_code == 403
