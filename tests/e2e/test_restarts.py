"""Services restarted mid-chat: nothing is lost and nothing is doubled.

The handoff service is killed (SIGKILL, as in a crash) while the customer keeps writing, and Rasa
is stopped while the agent writes. Both come back and the conversation carries on.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from tests.e2e.clients import Agent, Customer, eventually
from tests.e2e.fixtures import Platforms
from tests.e2e.platforms import TelegramUser
from tests.e2e.test_handoff_loop import SCRIPTS, expect
from tests.e2e.test_messengers import user_events
from tools.stack import Stack

pytestmark = pytest.mark.e2e


def customer_texts(agent: Agent, handoff_id: int) -> list[str]:
    return [m["text"] for m in agent.detail(handoff_id)["messages"] if m["sender"] == "customer"]


def bot_events_with(stack: Stack, conversation_id: str, message_id: int) -> int:
    tracker = requests.get(f"{stack.config.rasa_url}/conversations/{conversation_id}/tracker",
                           headers=stack.config.rasa_headers(), timeout=10).json()
    return sum(1 for e in tracker["events"]
               if e["event"] == "bot" and (e.get("metadata") or {}).get("message_id") == message_id)


def test_handoff_service_crash_and_rasa_restart_mid_chat(
    stack: Stack, customer: Customer, agent_factory: Callable[..., Agent]
) -> None:
    agent = agent_factory(languages=("fa",))
    customer.say("سلام، می‌خواهم با یک انسان صحبت کنم")
    expect(customer, "utter_handoff_no_agents", "fa")
    handoff = eventually(lambda: agent.find(customer.session_id))
    assert agent.call("POST", f"/handoffs/{handoff['id']}/claim").status_code == 200
    expect(customer, "utter_handoff_assigned", "fa")
    customer.say("پیام اول")
    eventually(lambda: customer_texts(agent, handoff["id"]) == ["پیام اول"])

    # The handoff service crashes; the customer keeps writing meanwhile.
    stack.kill("handoff")
    customer.say("پیام دوم ۲")
    customer.say("پیام سوم 🙂")
    time.sleep(1.0)
    stack.start(("handoff",))
    stack.wait_ready(timeout=60)
    expected = ["پیام اول", "پیام دوم ۲", "پیام سوم 🙂"]
    eventually(lambda: customer_texts(agent, handoff["id"]) == expected)
    time.sleep(1.0)  # a second pass of the consumer must not add anything
    assert customer_texts(agent, handoff["id"]) == expected

    # Rasa goes down while the agent writes: the message waits in the outbox, then arrives once.
    stack.stop(("rasa",))
    sent = agent.call("POST", f"/handoffs/{handoff['id']}/messages", json={"text": "هنوز اینجام"})
    assert sent.status_code == 201 and sent.json()["delivered_at"] is None
    stack.start(("rasa",))
    stack.wait_ready(timeout=300)
    message_id = sent.json()["id"]
    eventually(lambda: bot_events_with(stack, customer.session_id, message_id) == 1, timeout=30)
    time.sleep(3.0)  # the next outbox rounds must not send it again
    assert bot_events_with(stack, customer.session_id, message_id) == 1
    delivered = agent.detail(handoff["id"])["messages"][-1]
    assert delivered["id"] == message_id and delivered["delivered_at"] is not None


def test_a_telegram_repeat_after_rasa_restarted_is_dropped(stack: Stack,
                                                          platforms: Platforms) -> None:
    """Rasa forgets the message ids it held in memory; the tracker still has them."""
    user = TelegramUser(platforms.telegram, 960001)
    update = {"update_id": 960001, "message": user._message(text="how much is shipping?")}
    assert platforms.telegram.deliver(update).status_code == 200
    user.receive()
    stack.stop(("rasa",))
    stack.start(("rasa",))
    stack.wait_ready(timeout=300)
    assert platforms.telegram.deliver(update).status_code == 200
    assert platforms.telegram.nothing_for(str(user.id), 2.0), "the repeat was answered again"
    assert len(user_events(stack, user.sender_id)) == 1


def test_escalations_while_the_handoff_service_is_down_are_filed_once_when_it_is_back(
    stack: Stack, customer: Customer, agent_factory: Callable[..., Agent]
) -> None:
    """The service is down when two customers (English, Persian) ask for a person. Each is told
    they are in line, with a reference; each keeps writing. When the service is back, each
    request is filed once, under that reference, with its context and every message."""
    agent = agent_factory(languages=("en", "fa"))
    persian = Customer(stack.config.rasa_url)
    persian.connect()
    try:
        customers = {"en": customer, "fa": persian}
        later = {"en": ["the order is 58231", "are you there? 🙂"],
                 "fa": ["سفارشم ۵۸۲۳۱ است", "کسی هست؟ 🙂"]}
        stack.kill("handoff")
        references = {}
        for language, person in customers.items():
            person.say(SCRIPTS[language]["human"])
            references[language] = expect(person, "utter_handoff_pending", language)["reference"]
            for text in later[language]:
                person.say(text)
        time.sleep(3.0)  # the action server retries meanwhile, and fails
        stack.start(("handoff",))
        stack.wait_ready(timeout=60)
        for language, person in customers.items():
            handoff = eventually(lambda p=person: agent.find(p.session_id), timeout=30)
            assert handoff["reference"] == references[language]
            eventually(lambda h=handoff, lang=language:
                       customer_texts(agent, h["id"]) == later[lang], timeout=30)
            detail = agent.detail(handoff["id"])
            assert detail["reason"] == "explicit_request"
            assert SCRIPTS[language]["human"] in [
                entry["text"] for entry in detail["context"]["transcript"]]
            # the customer hears where the request now stands, under the same reference
            assert expect(person, "utter_handoff_no_agents", language)["reference"] == \
                references[language]
        time.sleep(5.0)  # more rounds of the outbox and the consumer add nothing
        for language, person in customers.items():
            mine = [h for h in agent.queue() if h["conversation_id"] == person.session_id]
            assert len(mine) == 1, mine
            assert customer_texts(agent, mine[0]["id"]) == later[language]
            assert agent.call("POST", f"/handoffs/{mine[0]['id']}/claim").status_code == 200
            assert agent.call("POST", f"/handoffs/{mine[0]['id']}/resolve").status_code == 200
    finally:
        persian.disconnect()
