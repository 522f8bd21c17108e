"""The whole loop, as a customer and an agent live it, against the real Rasa server, action server
and handoff service: bot -> escalation -> agent -> back to the bot."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from common.plurals import about_minutes
from common.text import localize_digits
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
        "status": "where is my request?",
    },
    "fa": {
        "greet": "سلام",
        "human": "می‌خواهم با یک انسان صحبت کنم",
        "problem": "کفش‌هایم سایز اشتباه آمده، سفارش ۵۸۲۳۱ 👟",
        "agent": "سلام، سارا هستم از پشتیبانی. سفارش ۵۸۲۳۱ را بررسی می‌کنم.",
        "faq": "شرایط مرجوعی چیست؟",
        "status": "درخواستم به کجا رسید؟",
    },
    "ar": {
        "greet": "مرحبا",
        "human": "أريد التحدث مع إنسان",
        "problem": "وصلني الحذاء بمقاس خاطئ، الطلب ٥٨٢٣١",
        "agent": "مرحبا، أنا سارة من الدعم. سأتحقق من الطلب ٥٨٢٣١.",
        "faq": "ما هي سياسة الإرجاع؟",
        "status": "أين وصل طلبي؟",
    },
    "he": {
        "greet": "שלום",
        "human": "אני רוצה לדבר עם נציג",
        "problem": "הנעליים הגיעו במידה הלא נכונה, הזמנה 58231",
        "agent": "שלום, כאן שרה מהתמיכה. אני בודקת את הזמנה 58231.",
        "faq": "מה מדיניות ההחזרות?",
        "status": "איפה הפנייה שלי?",
    },
}


def expect(customer: Customer, response: str, language: str) -> dict[str, str]:
    """The customer's next message is `response` in `language`; returns its placeholder values."""
    received = customer.receive_text()
    match = domain_texts.pattern(response, language).match(received)
    assert match, f"expected {response} in {language}, got {received!r}"
    return match.groupdict()


@pytest.mark.parametrize("language", ["en", "fa", "ar", "he"])
def test_bot_escalation_agent_and_back(
    customer: Customer, agent_factory: Callable[..., Agent], language: str
) -> None:
    script = SCRIPTS[language]
    agent = agent_factory(languages=(language,))

    # The bot answers in the customer's language.
    customer.say(script["greet"])
    expect(customer, "utter_greet", language)

    # No agent online: the customer gets a reference and is told their message will be read.
    customer.say(script["human"])
    reference = expect(customer, "utter_handoff_no_agents", language)["reference"]
    status = customer.status()
    assert (status["reference"], status["availability"], status["status"]) == \
        (reference, "no_agents", "queued")

    # The agent finds it in the queue with the context the bot gathered.
    handoff = eventually(lambda: agent.find(customer.session_id))
    assert handoff["reference"] == reference
    assert handoff["language"] == language and handoff["channel"] == "socketio"
    assert handoff["reason"] == "explicit_request" and handoff["status"] == "queued"
    context = agent.detail(handoff["id"])["context"]
    transcript = [(entry["sender"], entry["text"]) for entry in context["transcript"]]
    assert ("customer", script["greet"]) in transcript
    assert ("bot", domain_texts.text("utter_greet", language)) in transcript
    assert context["last_intents"][-1]["name"] == "human_handoff"
    assert context["slots"]["language"] == language

    # The agent comes online; the assigner assigns the chat and the customer learns who has it.
    agent.set_presence("online")
    assert expect(customer, "utter_handoff_assigned", language)["agent"] == agent.name
    assigned = customer.status()
    assert (assigned["reference"], assigned["status"], assigned["agent"]) == \
        (reference, "assigned", agent.name)
    assert agent.detail(handoff["id"])["status"] == "assigned"

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

    # Resolving hands the conversation back; the bot asks for a rating, in the same language,
    # and the rating reaches the handoff service.
    assert agent.call("POST", f"/handoffs/{handoff['id']}/resolve").status_code == 200
    assert customer.status()["status"] == "resolved"
    expect(customer, "utter_handoff_resolved", language)
    asked = customer.receive()  # the rating question, with one button per score
    assert asked["text"] == domain_texts.text("utter_ask_rating", language)
    assert [b["payload"] for b in asked["quick_replies"]] == \
        [f'/rate_service{{"rating": {n}}}' for n in range(1, 6)]
    customer.say('/rate_service{"rating": 4, "rating_comment": "👍 ok"}')
    expect(customer, "utter_thanks_rating", language)
    rating = agent.detail(handoff["id"])["rating"]
    assert (rating["score"], rating["comment"]) == (4, "👍 ok")
    customer.say(script["faq"])
    expect(customer, "utter_faq_returns", language)
    assert agent.detail(handoff["id"])["status"] == "resolved"


@pytest.mark.parametrize("language", ["fa", "en"])
def test_waiting_customer_sees_place_wait_and_can_ask(
    stack: object, agent_factory: Callable[..., Agent], language: str
) -> None:
    script = SCRIPTS[language]
    agent = agent_factory(capacity=1, languages=(language,))
    agent.set_presence("online")
    first, second = Customer(stack.config.rasa_url), Customer(stack.config.rasa_url)
    first.connect()
    second.connect()
    try:
        first.say(script["human"])
        expect(first, "utter_handoff_queued", language)
        expect(first, "utter_handoff_assigned", language)

        second.say(script["human"])
        queued = expect(second, "utter_handoff_queued", language)
        assert queued["position"] == localize_digits("1", language)
        assert queued["wait"] in {about_minutes(n, language) for n in range(1, 120)}

        # Paused, the bot is silent; the handoff service answers "where is my request?" itself.
        second.say(script["status"])
        place = expect(second, "utter_handoff_position", language)
        assert place["reference"] == queued["reference"]
        assert place["position"] == localize_digits("1", language)
    finally:
        first.disconnect()
        second.disconnect()


def test_a_second_agent_cannot_take_a_claimed_handoff(
    customer: Customer, agent_factory: Callable[..., Agent]
) -> None:
    first, second = agent_factory(), agent_factory()
    customer.say("connect me to an agent")
    expect(customer, "utter_handoff_no_agents", "en")
    handoff = eventually(lambda: first.find(customer.session_id))
    assert first.call("POST", f"/handoffs/{handoff['id']}/claim").status_code == 200
    expect(customer, "utter_handoff_assigned", "en")
    assert second.call("POST", f"/handoffs/{handoff['id']}/claim").status_code == 409
    assert second.call("POST", f"/handoffs/{handoff['id']}/messages",
                       json={"text": "hi"}).status_code == 403
