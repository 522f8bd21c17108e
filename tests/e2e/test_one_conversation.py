"""One conversation that follows the person across channels, against the real Rasa server,
action server and handoff service, the platforms replaced by local stand-ins, and the agent in
the console in headless Chromium.

The shoe story: a Persian customer on Telegram says the shoes came in the wrong size and gives
the order number, asks for a person, shares their phone with Telegram's contact button and sends
a photo; later they write on WhatsApp from the same number. The bot recognises them and their
open request, the chat moves to WhatsApp, the agent sees one conversation spanning both channels
and replies, and the reply reaches WhatsApp. The customer never repeats the order or the problem.
"""

from __future__ import annotations

import base64
import sqlite3
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, expect

from common.text import localize_digits
from handoff.contacts import identity_hash
from tests.e2e import domain_texts
from tests.e2e.browser import open_page, screenshot
from tests.e2e.clients import Agent, Customer, eventually
from tests.e2e.fixtures import WIDGET_IDENTITY_SECRET, Platforms, ShopSite
from tests.e2e.platforms import TelegramUser
from tests.e2e.test_browser import sign_in
from tests.e2e.test_messengers import matches, user_events
from tools.stack import Stack

pytestmark = pytest.mark.e2e


def test_the_shoe_story_telegram_then_whatsapp_in_persian(
        platforms: Platforms, stack: Stack, agent_factory: Callable[..., Agent],
        browser: Browser) -> None:
    telegram, twilio = platforms.telegram, platforms.twilio
    phone = "+98935" + str(uuid.uuid4().int)[:7]
    leila = TelegramUser(telegram, 940000 + int(phone[-5:]))
    agent = agent_factory(languages=("fa",))

    # 1. On Telegram: the problem and the order number, then a person.
    leila.say("سلام")
    matches(leila.receive().body["text"], "utter_greet", "fa")
    leila.say("کفش‌هایم سایز اشتباه آمده، سفارش ۵۸۲۳۱")
    matches(leila.receive().body["text"], "utter_ask_item", "fa")
    leila.say("می‌خواهم با یک انسان صحبت کنم")
    reference = matches(leila.receive().body["text"], "utter_handoff_no_agents", "fa")[
        "reference"]

    # 2. The bot offers Telegram's contact button; she shares her own number, and a photo.
    offer = leila.receive()
    assert offer.body["text"] == domain_texts.text("utter_share_phone", "fa")
    button = offer.body["reply_markup"]["keyboard"][0][0]
    assert button["request_contact"] is True
    leila.share_contact(phone)
    leila.send_photo(f"shoes-{uuid.uuid4().hex[:6]}")
    handoff = eventually(lambda: agent.find(leila.sender_id))
    assert handoff["reference"] == reference
    detail = eventually(lambda: (lambda d: d if d["attachments"] and d["attachments"][0][
        "state"] == "ready" and any(i["kind"] == "phone" for i in d["verified"]) else None)(
        agent.detail(handoff["id"])), timeout=30)
    assert {"kind": "phone", "value": phone} in detail["verified"]
    assert detail["context"]["slots"]["order_number"] == "58231"
    # The agent takes it (in the console below, the chat is then hers to open).
    assert agent.call("POST", f"/handoffs/{handoff['id']}/claim").status_code == 200
    matches(leila.receive().body["text"], "utter_handoff_assigned", "fa")

    # 3. Later, on WhatsApp from the same number: the bot knows her, her open request and who
    # has it ("your request … about order ۵۸۲۳۱ is with Sara; continue here?").
    number = f"whatsapp:{phone}"
    twilio.deliver(number, "سلام، خبری نشد؟")
    question = twilio.receive_text(number)
    asked = matches(question.split("\n\n")[0], "utter_open_request_assigned_order", "fa")
    assert asked == {"reference": reference, "order": localize_digits("58231", "fa"),
                     "agent": agent.name}
    twilio.deliver(number, "۱")  # the first choice: continue here
    moved = matches(twilio.receive_text(number), "utter_moved_here_assigned", "fa")
    assert moved["agent"] == agent.name
    assert user_events(stack, number)[-1]["text"] == "/affirm"
    assert eventually(lambda: agent.detail(handoff["id"])["channel"] == "whatsapp")

    # 4. The agent, in the console: one conversation spanning both channels.
    console = sign_in(browser, stack.config.handoff_url, agent)
    ticket = console.locator(".ticket", has_text=reference)
    expect(ticket).to_contain_text("WhatsApp")
    ticket.get_by_role("button", name="Open").click()
    transcript = console.locator("#transcript")
    expect(transcript).to_contain_text("کفش‌هایم سایز اشتباه آمده، سفارش ۵۸۲۳۱")  # on Telegram
    expect(transcript).to_contain_text("The customer continued on WhatsApp.")
    expect(transcript).to_contain_text("سلام، خبری نشد؟")  # on WhatsApp
    expect(console.locator("#chat-channel")).to_have_text("WhatsApp")
    expect(console.locator("#verified")).to_contain_text(phone)
    expect(transcript).to_contain_text(phone)  # the contact she shared
    for photo in (transcript.locator(".photos img"), console.locator("#context .photos img")):
        expect(photo).to_have_count(1)  # in her message, and among the handoff's photos
        expect(photo).to_have_js_property("naturalWidth", 1)  # the photo itself, fetched
    screenshot(console, "console-one-conversation")

    # 5. The reply reaches WhatsApp.
    reply = "سلام لیلا، سارا هستم. تعویض سایز سفارش ۵۸۲۳۱ را ثبت می‌کنم."
    console.get_by_label("Reply to the customer").fill(reply)
    console.keyboard.press("Enter")
    assert twilio.receive_text(number) == reply
    assert telegram.nothing_for(str(leila.id), 1.0)

    # 6. She never repeated the order number or the problem on WhatsApp.
    said = [e["text"] for e in user_events(stack, number)]
    assert not any("58231" in text or "۵۸۲۳۱" in text or "سایز" in text for text in said)
    assert console.script_errors == []
    # closed, so that no later test's Persian agent finds it waiting in the queue
    assert agent.call("POST", f"/handoffs/{handoff['id']}/resolve").status_code == 200


def test_back_after_the_handoff_was_resolved_the_bot_keeps_what_it_knew(
        platforms: Platforms, stack: Stack, agent_factory: Callable[..., Agent]) -> None:
    telegram, twilio = platforms.telegram, platforms.twilio
    phone = "+4917" + str(uuid.uuid4().int)[:8]
    sam = TelegramUser(telegram, 970000 + int(phone[-5:]), "Sam")
    agent = agent_factory(languages=("en",))
    sam.share_contact(phone)  # before any request: the bot thanks, and remembers at escalation
    assert sam.receive().body["text"] == domain_texts.text("utter_contact_received", "en")
    sam.say("where is my order 58231?")
    matches(sam.receive().body["text"], "utter_order_delivered", "en")
    sam.say("I want to talk to a human")
    matches(sam.receive().body["text"], "utter_handoff_no_agents", "en")
    handoff = eventually(lambda: agent.find(sam.sender_id))
    agent.call("POST", f"/handoffs/{handoff['id']}/claim")
    sam.receive()
    assert agent.call("POST", f"/handoffs/{handoff['id']}/resolve").status_code == 200

    number = f"whatsapp:{phone}"
    twilio.deliver(number, "hi")
    remembered = matches(twilio.receive_text(number), "utter_welcome_back_order", "en")
    assert remembered["order"] == "58231"
    matches(twilio.receive_text(number), "utter_greet", "en")
    twilio.deliver(number, "my shoes came in the wrong size")
    matches(twilio.receive_text(number).split("\n\n")[0], "utter_ask_item", "en")  # not the order


def test_someone_elses_order_number_and_email_typed_link_nothing(
        platforms: Platforms, stack: Stack, agent_factory: Callable[..., Agent],
        browser: Browser) -> None:
    telegram, messenger = platforms.telegram, platforms.messenger
    agent = agent_factory(languages=("en",))
    leila = TelegramUser(telegram, 990001 + uuid.uuid4().int % 9999)
    leila.say("where is my order 40017?")
    matches(leila.receive().body["text"], "utter_order_shipped", "en")
    leila.say("my email is leila.k@example.com, I want to talk to a human")
    handoff = eventually(lambda: agent.find(leila.sender_id))
    agent.call("POST", f"/handoffs/{handoff['id']}/claim")
    agent.call("POST", f"/handoffs/{handoff['id']}/resolve")

    # A stranger on Messenger types her order number and email.
    psid = f"psid{uuid.uuid4().hex[:8]}"
    messenger.deliver([messenger.event(psid, text="order 40017, my email is leila.k@example.com")])
    messenger.receive(psid)
    messenger.deliver([messenger.event(psid, text="I want to talk to a human")])
    stranger = eventually(lambda: agent.find(f"messenger:{psid}"))
    with sqlite3.connect(stack.config.var_dir / "handoff.db") as db:
        contacts = dict(db.execute(
            "SELECT c.sender_id, c.contact_id FROM conversations c WHERE c.sender_id IN (?, ?)",
            (leila.sender_id, f"messenger:{psid}")).fetchall())
        kinds = {kind for (kind,) in db.execute(
            "SELECT kind FROM contact_identities WHERE contact_id = ?",
            (contacts[f"messenger:{psid}"],))}
    assert contacts[leila.sender_id] != contacts[f"messenger:{psid}"]
    assert kinds == {"channel"}

    console = sign_in(browser, stack.config.handoff_url, agent)
    console.locator(".ticket", has_text=stranger["reference"]).get_by_role(
        "button", name="Claim").click()
    context = console.locator("#context")
    expect(context).to_contain_text("No earlier conversations.")
    expect(console.locator("#verified")).to_have_text(f"Channel accountmessenger:{psid}")
    expect(console.locator("#stated")).to_contain_text("leila.k@example.com")
    expect(context).not_to_contain_text(leila.sender_id)
    assert console.script_errors == []
    assert agent.call("POST", f"/handoffs/{stranger['id']}/resolve").status_code == 200


def signed_ref(identifier: str) -> str:
    """What the shop's backend puts in its m.me link: base64url(identifier).hash."""
    encoded = base64.urlsafe_b64encode(identifier.encode()).decode().rstrip("=")
    return f"{encoded}.{identity_hash(WIDGET_IDENTITY_SECRET, identifier)}"


def signed_customer(stack: Stack, identifier: str, secret: str) -> Customer:
    """The web widget on a shop page whose customer is signed in (widget.js sends this)."""
    return Customer(stack.config.rasa_url, metadata={"identity": {
        "identifier": identifier, "identifier_hash": identity_hash(secret, identifier)}})


def shop_page(stack: Stack, identifier: str, secret: str) -> str:
    """The shop's page for its signed-in customer, as its backend writes it: the widget's tag
    with the identity signed (README, "Signed-in customers on the web")."""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"></head><body>'
            f'<h1>My account</h1><script src="{stack.config.handoff_url}/widget/widget.js" '
            f'data-socket-url="{stack.config.rasa_url}" data-identifier="{identifier}" '
            f'data-identifier-hash="{identity_hash(secret, identifier)}" async></script>'
            f'</body></html>')


def test_messenger_then_the_web_widget_with_a_signed_identity_in_english(
        platforms: Platforms, stack: Stack, agent_factory: Callable[..., Agent],
        browser: Browser, shop: ShopSite) -> None:
    messenger, psid = platforms.messenger, f"psid{uuid.uuid4().hex[:8]}"
    email = f"sam.{uuid.uuid4().hex[:6]}@example.com"
    agent = agent_factory(languages=("en",))

    # On Messenger, opened from the shop's m.me link, which carries the signed identity.
    opened = {"sender": {"id": psid}, "recipient": {"id": "PAGE1"}, "timestamp": 1,
              "postback": {"title": "Get Started", "payload": "/greet",
                           "referral": {"ref": signed_ref(email), "source": "SHORTLINK",
                                        "type": "OPEN_THREAD"}}}
    messenger.deliver([opened])
    matches(messenger.receive(psid).body["message"]["text"], "utter_greet", "en")
    messenger.deliver([messenger.event(psid, text="My shoes came in the wrong size, order 58231")])
    messenger.receive(psid)
    messenger.deliver([messenger.event(psid, text="I want to talk to a human")])
    reference = matches(messenger.receive(psid).body["message"]["text"],
                        "utter_handoff_no_agents", "en")["reference"]
    handoff = eventually(lambda: agent.find(f"messenger:{psid}"))
    assert {"kind": "email", "value": email} in agent.detail(handoff["id"])["verified"]

    # A forged identity on the web is a stranger: nothing is offered.
    forger = signed_customer(stack, email, "not the shop's secret")
    forger.connect()
    try:
        forger.say("hello")
        matches(forger.receive_text(), "utter_greet", "en")
    finally:
        forger.disconnect()

    # The web widget on the shop's page, Sam signed in: offered the open request, and moved.
    widget = open_page(browser, shop.page(shop_page(stack, email, WIDGET_IDENTITY_SECRET)),
                       "en-US")
    question = widget.locator(".sw-bot").first
    expect(question).to_contain_text(f"Your request {reference} about order 58231")
    widget.get_by_role("button", name="Yes, continue here").click()
    expect(widget.locator(".sw-bot").last).to_have_text(
        domain_texts.text("utter_moved_here_waiting", "en").format(reference=reference))
    expect(widget.get_by_role("status")).to_contain_text(reference)  # the status bar
    detail = eventually(lambda: (lambda d: d if d["channel"] == "socketio" else None)(
        agent.detail(handoff["id"])))
    assert ("system", "socketio") in [(m["sender"], m["text"]) for m in detail["messages"]]
    assert agent.call("POST", f"/handoffs/{handoff['id']}/claim").status_code == 200
    agent.call("POST", f"/handoffs/{handoff['id']}/messages",
               json={"text": "Hi Sam, I see order 58231 here."})
    reply = widget.locator(".sw-agent")
    expect(reply.locator("span[dir=auto]")).to_have_text("Hi Sam, I see order 58231 here.")
    expect(reply.locator(".sw-name")).to_have_text(agent.name)
    assert messenger.nothing_for(psid, 1.0)
    assert widget.script_errors == []
    assert agent.call("POST", f"/handoffs/{handoff['id']}/resolve").status_code == 200
