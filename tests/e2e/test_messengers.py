"""Customers on Telegram, WhatsApp (Twilio) and Messenger, against the real Rasa server, action
server and handoff service, with each platform replaced by a local stand-in that speaks its wire
format (tests/e2e/platforms.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from common.plurals import about_minutes
from common.text import localize_digits, utf16_length
from tests.e2e import domain_texts
from tests.e2e.clients import Agent, eventually
from tests.e2e.fixtures import Platforms
from tests.e2e.platforms import PHOTO, TelegramUser
from tools.stack import Stack

pytestmark = pytest.mark.e2e


def matches(text: str, response: str, language: str) -> dict[str, str]:
    match = domain_texts.pattern(response, language).match(text)
    assert match, f"expected {response} in {language}, got {text!r}"
    return match.groupdict()


def user_events(stack: Stack, sender_id: str) -> list[dict[str, Any]]:
    tracker = requests.get(f"{stack.config.rasa_url}/conversations/{sender_id}/tracker",
                           headers=stack.config.rasa_headers(), timeout=30)
    tracker.raise_for_status()
    return [event for event in tracker.json()["events"] if event["event"] == "user"]


def new_phone() -> str:
    return "+98912" + str(uuid.uuid4().int)[:7]


def test_telegram_webhook_is_set_with_the_secret_token(platforms: Platforms,
                                                            stack: Stack) -> None:
    calls = [c for c in platforms.telegram.calls if c.path.endswith("/setWebhook")]
    assert calls, "Rasa did not register its webhook"  # once per start of Rasa
    assert all(c.body["secret_token"] == platforms.telegram.secret for c in calls)
    assert all(c.body["url"] == "https://shop.example/webhooks/telegram/webhook" for c in calls)


# --- forged, replayed and malformed deliveries ---------------------------------------------------


def test_telegram_refuses_updates_without_the_secret(platforms: Platforms, stack: Stack) -> None:
    user = TelegramUser(platforms.telegram, 910001)
    update = {"message": user._message(text="hello")}
    assert platforms.telegram.deliver(update, secret=None).status_code == 403
    assert platforms.telegram.deliver(update, secret="guessed").status_code == 403
    telegram = platforms.telegram
    assert requests.post(telegram.webhook_url, data="{not json", timeout=30, headers={
        "X-Telegram-Bot-Api-Secret-Token": telegram.secret}).status_code == 400
    assert requests.post(telegram.webhook_url, json={"message": {}}, timeout=30, headers={
        "X-Telegram-Bot-Api-Secret-Token": telegram.secret}).status_code == 400
    assert telegram.deliver({"poll": {"id": "1", "question": "?"}}).status_code == 200
    assert user_events(stack, user.sender_id) == []
    assert telegram.nothing_for(str(user.id), 1.0)


def test_messenger_refuses_deliveries_without_a_valid_sha256_signature(
        platforms: Platforms, stack: Stack) -> None:
    messenger, psid = platforms.messenger, f"psid{uuid.uuid4().hex[:8]}"
    event = messenger.event(psid, text="hello")
    assert messenger.deliver([event], signature=None).status_code == 403
    assert messenger.deliver([event], signature=messenger.sign(b"other")).status_code == 403
    body = json.dumps({"object": "page", "entry": [{"messaging": [event]}]}).encode()
    sha1 = "sha1=" + __import__("hmac").new(b"app-secret", body, "sha1").hexdigest()
    assert messenger.deliver([], signature=sha1, raw=body).status_code == 403  # SHA-1 only
    assert messenger.deliver([], raw=b"{not json").status_code == 400
    assert messenger.deliver([], raw=b'{"object": "page"}').status_code == 400
    read = {"sender": {"id": psid}, "recipient": {"id": "PAGE1"}, "read": {"watermark": 1}}
    assert messenger.deliver([read]).status_code == 200
    assert user_events(stack, f"messenger:{psid}") == []
    assert messenger.nothing_for(psid, 1.0)


def test_whatsapp_refuses_posts_without_twilios_signature(platforms: Platforms,
                                                          stack: Stack) -> None:
    twilio, number = platforms.twilio, f"whatsapp:{new_phone()}"
    assert twilio.deliver(number, "hello", signature=None).status_code == 403
    assert twilio.deliver(number, "hello", signature=twilio.sign(
        {"From": number}, token="guessed")).status_code == 403
    unsigned_fields = requests.post(twilio.webhook_url, data={"Body": "hi"}, timeout=30,
                                    headers={"X-Twilio-Signature": twilio.sign({"Body": "hi"})})
    assert unsigned_fields.status_code == 400  # signed, but no From or MessageSid
    status_callback = {"MessageSid": "SM1", "MessageStatus": "delivered", "From": number}
    assert requests.post(twilio.webhook_url, data=status_callback, timeout=30, headers={
        "X-Twilio-Signature": twilio.sign(status_callback)}).status_code == 200
    assert user_events(stack, number) == []
    assert twilio.nothing_for(number, 1.0)


@pytest.mark.parametrize("channel", ["telegram", "messenger", "whatsapp"])
def test_a_repeated_delivery_is_handled_once(platforms: Platforms, stack: Stack,
                                             channel: str) -> None:
    if channel == "telegram":
        user = TelegramUser(platforms.telegram, 920000 + len(platforms.telegram.calls))
        update = {"message": user._message(text="how much is shipping?")}
        deliver = lambda: platforms.telegram.deliver(update)  # noqa: E731
        sender, inbox = user.sender_id, (platforms.telegram, str(user.id))
    elif channel == "messenger":
        psid = f"psid{uuid.uuid4().hex[:8]}"
        event = platforms.messenger.event(psid, text="how much is shipping?")
        deliver = lambda: platforms.messenger.deliver([event])  # noqa: E731
        sender, inbox = f"messenger:{psid}", (platforms.messenger, psid)
    else:
        number = f"whatsapp:{new_phone()}"
        deliver = lambda: platforms.twilio.deliver(  # noqa: E731
            number, "how much is shipping?", sid="SM" + "7" * 32)
        sender, inbox = number, (platforms.twilio, number)
    with ThreadPoolExecutor(2) as pool:  # the repeat arrives while the first is in flight
        assert [r.status_code for r in pool.map(lambda _: deliver(), range(2))] == [200, 200]
    stand_in, recipient = inbox
    stand_in.receive(recipient)
    assert stand_in.nothing_for(recipient, 1.5), "the repeat was answered again"
    assert len(user_events(stack, sender)) == 1


def test_a_forwarded_contact_of_someone_else_is_not_a_verified_phone(
        platforms: Platforms, stack: Stack) -> None:
    user = TelegramUser(platforms.telegram, 950001)
    assert user.share_contact("+989121110000", user_id=777).status_code == 200
    user.receive()
    assert user.share_contact("+989122220000").status_code == 200  # her own
    user.receive()
    shared = [event["metadata"] for event in user_events(stack, user.sender_id)]
    assert [m.get("verified_phone") for m in shared] == [None, "+989122220000"]


# --- everything the widget does, on each messenger -----------------------------------------------


def test_telegram_in_persian_faq_order_and_the_return_form_with_a_keyboard(
        platforms: Platforms, stack: Stack) -> None:
    user = TelegramUser(platforms.telegram, 930001)
    user.say("شرایط مرجوعی چیست؟")
    assert user.receive().body["text"] == domain_texts.text("utter_faq_returns", "fa")
    user.say("وضعیت سفارش ۵۸۲۳۱ چیست؟")
    matches(user.receive().body["text"], "utter_order_delivered", "fa")

    user.say("کفش‌هایم سایز اشتباه آمده")  # the order is known already: not asked again
    item_question = user.receive()
    matches(item_question.body["text"], "utter_ask_item", "fa")
    first_item = item_question.body["reply_markup"]["inline_keyboard"][0][0]["text"]
    user.press(item_question, first_item)
    problem = user.receive()
    titles = [row[0]["text"] for row in problem.body["reply_markup"]["inline_keyboard"]]
    assert len(titles) == 3
    user.press(problem, titles[0])  # wrong size
    resolution = user.receive()
    matches(resolution.body["text"], "utter_ask_resolution", "fa")
    answered = [c for c in platforms.telegram.calls if c.path.endswith("/answerCallbackQuery")]
    assert len(answered) >= 2  # each press stops its button's spinner
    history = user_events(stack, user.sender_id)
    assert history[-1]["text"] == "choice:wrong_size"
    assert history[-1]["metadata"]["shown"] == titles[0]


def test_whatsapp_choices_are_numbered_and_a_typed_arabic_digit_picks_one(
        platforms: Platforms, stack: Stack) -> None:
    twilio, number = platforms.twilio, f"whatsapp:{new_phone()}"
    twilio.deliver(number, "وصل المنتج تالفا")
    matches(twilio.receive_text(number), "utter_ask_order_number", "ar")
    twilio.deliver(number, "الطلب ٤٠٠١٧")  # one item: the bot does not ask which
    question = twilio.receive_text(number)
    options = question.split("\n\n")[-1].splitlines()
    assert [line.split(". ")[0] for line in options] == ["١", "٢", "٣"]
    twilio.deliver(number, "٢")
    twilio.receive_text(number)
    last = user_events(stack, number)[-1]
    assert last["text"] == "choice:wrong_item"
    assert last["metadata"]["shown"] == options[1].split(". ", 1)[1]


def test_a_person_on_messenger_in_english_with_quick_replies_and_a_long_reply(
        platforms: Platforms, stack: Stack, agent_factory: Callable[..., Agent]) -> None:
    messenger, psid = platforms.messenger, f"psid{uuid.uuid4().hex[:8]}"
    agent = agent_factory(languages=("en",))
    messenger.deliver([messenger.event(psid, text="I want to talk to a human")])
    reference = matches(messenger.receive(psid).body["message"]["text"],
                        "utter_handoff_no_agents", "en")["reference"]
    handoff = eventually(lambda: agent.find(f"messenger:{psid}"))
    assert handoff["reference"] == reference and handoff["channel"] == "messenger"
    # claimed, not assigned by going online: English chats other tests left waiting come first
    assert agent.call("POST", f"/handoffs/{handoff['id']}/claim").status_code == 200
    matches(messenger.receive(psid).body["message"]["text"], "utter_handoff_assigned", "en")

    image = f"{messenger.url}/images/{uuid.uuid4().hex[:6]}.png"
    messenger.files[image.removeprefix(messenger.url)] = PHOTO
    messenger.deliver([messenger.event(psid, attachments=[
        {"type": "image", "payload": {"url": image}}])])
    assert eventually(lambda: [a for a in agent.detail(handoff["id"])["attachments"]
                               if a["state"] == "ready"], timeout=30)
    messenger.deliver([messenger.event(psid, text="where is my request?")])
    matches(messenger.receive(psid).body["message"]["text"], "utter_handoff_assigned", "en")

    long_reply = " ".join(f"Step {n}: check the size chart row {n} carefully." for n in
                          range(1, 81))  # 3,800 characters: two parts
    assert agent.call("POST", f"/handoffs/{handoff['id']}/messages",
                      json={"text": long_reply}).status_code == 201
    sent = [messenger.receive(psid).body]
    while sum(len(s["message"]["text"]) for s in sent) + len(sent) - 1 < len(long_reply):
        sent.append(messenger.receive(psid).body)
    parts = [s["message"]["text"] for s in sent]
    # an agent's message is tagged as one, so Meta delivers it for 7 days instead of 24 hours
    assert all((s["messaging_type"], s.get("tag")) == ("MESSAGE_TAG", "HUMAN_AGENT") for s in sent)
    assert all(utf16_length(part) <= 2000 for part in parts) and len(parts) == 2
    assert " ".join(parts) == long_reply  # split between words, nothing lost

    assert agent.call("POST", f"/handoffs/{handoff['id']}/resolve").status_code == 200
    matches(messenger.receive(psid).body["message"]["text"], "utter_handoff_resolved", "en")
    asked_body = messenger.receive(psid).body
    assert asked_body["messaging_type"] == "RESPONSE"  # the bot's own
    asked = asked_body["message"]
    assert asked["text"] == domain_texts.text("utter_ask_rating", "en")
    replies = asked["quick_replies"]
    assert [r["title"] for r in replies] == [f"{n} ★" for n in range(1, 6)]
    event = messenger.event(psid, text=replies[4]["title"], quick_reply={
        "payload": replies[4]["payload"]})
    messenger.deliver([event])
    matches(messenger.receive(psid).body["message"]["text"], "utter_thanks_rating", "en")
    assert agent.detail(handoff["id"])["rating"]["score"] == 5


def test_whatsapp_in_hebrew_agent_reply_and_rating_by_number(
        platforms: Platforms, stack: Stack, agent_factory: Callable[..., Agent]) -> None:
    twilio, number = platforms.twilio, f"whatsapp:{new_phone()}"
    agent = agent_factory(languages=("he",))
    twilio.deliver(number, "אני רוצה לדבר עם נציג")
    matches(twilio.receive_text(number), "utter_handoff_no_agents", "he")
    handoff = eventually(lambda: agent.find(number))
    assert agent.call("POST", f"/handoffs/{handoff['id']}/claim").status_code == 200
    matches(twilio.receive_text(number), "utter_handoff_assigned", "he")
    twilio.deliver(number, "הנעליים הגיעו במידה הלא נכונה")
    twilio.deliver(number, media=f"shoe-{uuid.uuid4().hex[:6]}.png")  # a photo, no caption
    photos = eventually(lambda: [a for a in agent.detail(handoff["id"])["attachments"]
                                 if a["state"] == "ready"], timeout=30)
    served = agent.http.get(f"{agent.base_url}{photos[0]['url']}", timeout=10)
    assert served.status_code == 200 and served.content == PHOTO  # fetched with Twilio's auth
    texts = [m["text"] for m in agent.detail(handoff["id"])["messages"]
             if m["sender"] == "customer"]
    assert texts == ["הנעליים הגיעו במידה הלא נכונה", "📷"]
    agent.call("POST", f"/handoffs/{handoff['id']}/messages", json={"text": "שלום, אני בודקת"})
    assert twilio.receive_text(number) == "שלום, אני בודקת"
    agent.call("POST", f"/handoffs/{handoff['id']}/resolve")
    matches(twilio.receive_text(number), "utter_handoff_resolved", "he")
    rating = twilio.receive_text(number)
    assert rating.startswith(domain_texts.text("utter_ask_rating", "he"))
    assert rating.rstrip().endswith("5. 5 ★")
    twilio.deliver(number, localize_digits("4", "he"))
    matches(twilio.receive_text(number), "utter_thanks_rating", "he")
    assert agent.detail(handoff["id"])["rating"]["score"] == 4


def test_telegram_in_arabic_queued_with_place_and_wait_then_rated_by_keyboard(
        platforms: Platforms, stack: Stack, agent_factory: Callable[..., Agent]) -> None:
    agent = agent_factory(capacity=1, languages=("ar",))
    agent.set_presence("online")
    first = f"whatsapp:{new_phone()}"  # takes the agent's only place
    platforms.twilio.deliver(first, "أريد التحدث مع موظف")
    matches(platforms.twilio.receive_text(first), "utter_handoff_queued", "ar")
    matches(platforms.twilio.receive_text(first), "utter_handoff_assigned", "ar")

    user = TelegramUser(platforms.telegram, 980001)
    user.say("أريد التحدث مع إنسان")
    queued = matches(user.receive().body["text"], "utter_handoff_queued", "ar")
    assert queued["position"] == "١"
    assert queued["wait"] in {about_minutes(n, "ar") for n in range(1, 120)}
    user.receive()  # the contact button
    user.say("أين وصل طلبي؟")
    place = matches(user.receive().body["text"], "utter_handoff_position", "ar")
    assert (place["reference"], place["position"]) == (queued["reference"], "١")

    # The agent finishes the first chat; the assigner gives them this one.
    taken = eventually(lambda: agent.find(first))
    assert agent.call("POST", f"/handoffs/{taken['id']}/resolve").status_code == 200
    matches(user.receive().body["text"], "utter_handoff_assigned", "ar")
    handoff = eventually(lambda: agent.find(user.sender_id))
    assert agent.call("POST", f"/handoffs/{handoff['id']}/resolve").status_code == 200
    matches(user.receive().body["text"], "utter_handoff_resolved", "ar")
    asked = user.receive()
    assert asked.body["text"] == domain_texts.text("utter_ask_rating", "ar")
    user.press(asked, "٤ ★")
    matches(user.receive().body["text"], "utter_thanks_rating", "ar")
    assert agent.detail(handoff["id"])["rating"]["score"] == 4
