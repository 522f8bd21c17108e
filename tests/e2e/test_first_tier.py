"""The first tier, through the real Rasa server and action server (and the handoff service where
the bot hands over): order status, the return case form, dead ends, and language switches."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.e2e import domain_texts
from tests.e2e.clients import Agent, RestCustomer, eventually
from tools.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def customer(stack: Stack) -> RestCustomer:
    return RestCustomer(stack.config.rasa_url, stack.config.rest_headers())


def only(answers: list[dict[str, Any]], response: str, language: str) -> dict[str, str]:
    """The bot answered exactly `response` in `language`; returns its placeholder values."""
    texts = [a.get("text", "") for a in answers]
    assert len(texts) == 1, texts
    match = domain_texts.pattern(response, language).match(texts[0])
    assert match, f"expected {response} in {language}, got {texts[0]!r}"
    return match.groupdict()


def buttons(answers: list[dict[str, Any]]) -> list[dict[str, str]]:
    return answers[-1].get("buttons", [])


def handoff_of(agent: Agent, conversation_id: str) -> dict[str, Any]:
    """The conversation's handoff, as the agent sees it. It is closed (abandoned) right away, so
    that no later test's agent is routed this customer."""
    found = eventually(lambda: agent.find(conversation_id))
    detail = agent.detail(found["id"])
    assert agent.call("POST", f"/handoffs/{found['id']}/abandon").status_code == 200
    return detail


def test_order_status_with_persian_digits(customer: RestCustomer) -> None:
    values = only(customer.say("وضعیت سفارش ۵۸۲۳۱ چیست؟"), "utter_order_delivered", "fa")
    assert values["order_number"] == "۵۸۲۳۱"
    only(customer.say("سفارش ۹۹۹۹۹ کجاست؟"), "utter_order_not_found", "fa")
    values = only(customer.say("أين الطلب ٤٠٠١٧؟"), "utter_order_shipped", "ar")
    assert values["order_number"] == "٤٠٠١٧"


def test_wrong_size_is_resolved_by_the_bot(customer: RestCustomer) -> None:
    only(customer.say("کفش‌هایم سایز اشتباه آمده"), "utter_ask_order_number", "fa")
    answers = customer.say("۵۸۲۳۱")
    only(answers, "utter_ask_item", "fa")
    assert [b["title"] for b in buttons(answers)] == ["کفش دویدن، سایز ۴۲", "جوراب ورزشی"]
    answers = customer.say(buttons(answers)[0]["payload"])
    only(answers, "utter_ask_problem", "fa")
    answers = customer.say(buttons(answers)[0]["payload"])  # wrong size, by button
    only(answers, "utter_ask_resolution", "fa")
    only(customer.say("همین را در سایز دیگر می‌خواهم"), "utter_ask_wanted_size", "fa")
    done = only(customer.say("۴۳"), "utter_return_created", "fa")
    assert done["return_reference"].startswith("RMA-")
    assert done["item"] == "کفش دویدن، سایز ۴۲" and done["order_number"] == "۵۸۲۳۱"


def test_a_damaged_item_goes_to_a_person_with_the_case_filled_in(
    customer: RestCustomer, agent_factory: Callable[..., Agent]
) -> None:
    agent = agent_factory(languages=("ar",))
    customer.say("وصل المنتج تالفا")
    customer.say("الطلب ٤٠٠١٧")  # one item: the bot does not ask which
    answers = customer.say("المنتج مكسور")
    only(answers, "utter_ask_resolution", "ar")
    answers = customer.say("choice:refund")
    texts = [a["text"] for a in answers]
    assert texts[0] == domain_texts.text("utter_return_needs_person", "ar")
    assert domain_texts.pattern("utter_handoff_no_agents", "ar").match(texts[1])
    handoff = handoff_of(agent, customer.session_id)
    assert handoff["reason"] == "business_rule" and handoff["priority"] == 1
    slots = handoff["context"]["slots"]
    assert (slots["order_number"], slots["problem"], slots["resolution"]) == (
        "40017", "damaged", "refund")
    assert slots["item"] == "جاكيت مطر، مقاس L"
    assert handoff["context"]["contact"]["order_numbers"] == ["40017"]


def test_a_person_in_the_middle_of_the_form_gets_what_was_gathered(
    customer: RestCustomer, agent_factory: Callable[..., Agent]
) -> None:
    agent = agent_factory(languages=("he",))
    only(customer.say("הנעליים הגיעו במידה הלא נכונה"), "utter_ask_order_number", "he")
    only(customer.say("58231"), "utter_ask_item", "he")
    only(customer.say("אני רוצה לדבר עם נציג"), "utter_handoff_no_agents", "he")
    context = handoff_of(agent, customer.session_id)["context"]
    assert context["reason"] == "explicit_request"
    assert context["active_form"] == "return_form"
    assert context["slots"]["order_number"] == "58231"
    assert context["summary"] == "הנעליים הגיעו במידה הלא נכונה"


def test_two_dead_ends_then_the_bot_offers_a_person(
    customer: RestCustomer, agent_factory: Callable[..., Agent]
) -> None:
    agent = agent_factory(languages=("en",))
    only(customer.say("what's the weather tomorrow?"), "utter_out_of_scope", "en")
    answers = customer.say("xqzv blorp wug")
    only(answers, "utter_offer_human", "en")
    assert [b["payload"] for b in buttons(answers)] == ["/affirm", "/deny"]
    only(customer.say("/affirm"), "utter_handoff_no_agents", "en")
    assert handoff_of(agent, customer.session_id)["reason"] == "fallback"


def test_frustration_is_met_with_a_person(
    customer: RestCustomer, agent_factory: Callable[..., Agent]
) -> None:
    agent = agent_factory(languages=("ar",))
    only(customer.say("أنت لا تساعدني أبدا"), "utter_offer_human_frustrated", "ar")
    only(customer.say("نعم"), "utter_handoff_no_agents", "ar")
    handoff = handoff_of(agent, customer.session_id)
    assert handoff["reason"] == "frustration" and handoff["priority"] == 2


def test_declining_the_offer_keeps_the_bot(customer: RestCustomer) -> None:
    only(customer.say("this is useless"), "utter_offer_human_frustrated", "en")
    only(customer.say("no thanks"), "utter_anything_else", "en")
    only(customer.say("how much is shipping?"), "utter_faq_shipping_cost", "en")


def test_the_language_follows_the_customer_mid_conversation(customer: RestCustomer) -> None:
    only(customer.say("hello"), "utter_greet", "en")
    only(customer.say("هزینه ارسال چقدر است؟"), "utter_faq_shipping_cost", "fa")
    only(customer.say("هل لديكم ضمان؟"), "utter_faq_warranty", "ar")
    only(customer.say("איך מבטלים הזמנה?"), "utter_faq_cancel_order", "he")
    only(customer.say("۵۸۲۳۱"), "utter_order_delivered", "fa")


def test_the_rest_channel_needs_its_token(stack: Stack) -> None:
    """Without it, nobody can speak as a customer or read the bot's answers to them."""
    url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    sender = f"rest-{uuid.uuid4().hex}"
    for headers in ({}, {"Authorization": "Bearer guessed"}):
        refused = requests.post(url, json={"sender": sender, "message": "hello"},
                                headers=headers, timeout=30)
        assert refused.status_code == 401
    tracker = requests.get(f"{stack.config.rasa_url}/conversations/{sender}/tracker",
                           headers=stack.config.rasa_headers(), timeout=30).json()
    assert [e for e in tracker["events"] if e["event"] == "user"] == []
    assert RestCustomer(stack.config.rasa_url, stack.config.rest_headers()).say("hello")
