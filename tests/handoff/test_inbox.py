"""The trainers' inbox: what the bot did not understand, from Rasa's events to a decision."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from handoff.app import create_app
from handoff.db import make_engine, make_session_factory
from handoff.inbox import InboxCollector, Reason, reasons_for
from handoff.migrate import upgrade
from handoff.models import InboxMessage
from handoff.settings import Settings
from nlu.sentence_embeddings import E5Embedder
from tests.handoff.support import RasaEvents, escalate, make_agent, wait_for

ROOT = Path(__file__).resolve().parents[2]


def parse(intent: str, confidence: float, second: tuple[str, float] | None = None,
          language: str = "en") -> dict[str, Any]:
    ranking = [{"name": intent, "confidence": confidence}]
    if second:
        ranking.append({"name": second[0], "confidence": second[1]})
    return {"intent": {"name": intent, "confidence": confidence}, "intent_ranking": ranking,
            "entities": [{"entity": "language", "value": language}]}


def said(events: RasaEvents, sender: str, text: str, parse_data: dict[str, Any],
         at: float | None = None) -> None:
    events.publish(sender, {"event": "user", "text": text, "timestamp": at or time.time(),
                            "parse_data": parse_data})


def answered(events: RasaEvents, sender: str, text: str = "an answer") -> None:
    events.publish(sender, {"event": "bot", "text": text, "timestamp": time.time()})


@pytest.mark.parametrize(("parse_data", "expected"), [
    ({"intent": {"name": "nlu_fallback", "confidence": 0.55},
      "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.55},
                         {"name": "greet", "confidence": 0.31}]}, [Reason.FALLBACK]),
    (parse("out_of_scope", 0.93), [Reason.OUT_OF_SCOPE]),
    (parse("faq_returns", 0.62), [Reason.LOW_CONFIDENCE]),
    (parse("faq_returns", 0.74, ("faq_exchanges", 0.69)), [Reason.AMBIGUOUS]),
    (parse("faq_returns", 0.96, ("faq_exchanges", 0.02)), []),
])
def test_what_nlu_was_unsure_of(parse_data: dict[str, Any], expected: list[Reason]) -> None:
    assert reasons_for(parse_data) == expected


@pytest.fixture
def collector(settings: Settings) -> InboxCollector:
    upgrade(settings.database_url)
    return InboxCollector(make_engine(settings.events_url),
                          make_session_factory(make_engine(settings.database_url)))


def rows(collector: InboxCollector) -> dict[str, list[str]]:
    with collector._sessions() as session:
        return {row.text: row.reasons for row in session.scalars(select(InboxMessage))}


def test_the_collector_keeps_what_the_bot_missed_and_nothing_else(
        collector: InboxCollector, events: RasaEvents) -> None:
    said(events, "c1", "can you recommend a film", parse("nlu_fallback", 0.55))
    said(events, "c1", "where is my order", parse("check_order_status", 0.97))
    answered(events, "c1")
    said(events, "c1", "/affirm", parse("affirm", 0.2))  # a button: no one typed it
    said(events, "c2", "کی پولم برمیگرده", parse("faq_refund_time", 0.6, language="fa"))
    events.publish("c3", {"event": "pause", "timestamp": time.time()})
    said(events, "c3", "thanks, waiting for the agent", parse("thank", 0.3))  # for the agent
    events.publish("c3", {"event": "resume", "timestamp": time.time()})
    said(events, "c3", "hm no idea", parse("deny", 0.4))
    assert collector.poll_once() == 9
    assert rows(collector) == {"can you recommend a film": ["fallback"],
                               "کی پولم برمیگرده": ["low_confidence"],
                               "hm no idea": ["low_confidence"]}
    with collector._sessions() as session:
        persian = session.scalars(select(InboxMessage).where(InboxMessage.language == "fa")).one()
        assert (persian.intent, persian.confidence) == ("faq_refund_time", 0.6)
        assert persian.embedding is not None and len(persian.embedding) == 384 * 4


def test_a_message_said_again_after_the_answer_is_one_the_answer_missed(
        collector: InboxCollector, events: RasaEvents) -> None:
    said(events, "c1", "I want to send the shoes back", parse("faq_exchanges", 0.91))
    answered(events, "c1", "You can exchange within 30 days.")
    assert collector.poll_once() == 2
    assert rows(collector) == {}
    # in the next batch: the earlier message is read back from what the collector remembers
    said(events, "c1", "I want to send these shoes back", parse("faq_returns", 0.95))
    said(events, "c1", "and where is my order 58231", parse("check_order_status", 0.97))
    assert collector.poll_once() == 2
    assert rows(collector) == {"I want to send the shoes back": ["rephrased"]}


def test_a_restarted_collector_resumes_without_duplicates(
        collector: InboxCollector, events: RasaEvents, settings: Settings) -> None:
    said(events, "c1", "what about the weather", parse("out_of_scope", 0.9))
    collector.poll_once()
    said(events, "c1", "tell me a joke", parse("out_of_scope", 0.9))
    again = InboxCollector(make_engine(settings.events_url),
                           make_session_factory(make_engine(settings.database_url)))
    assert again.poll_once() == 1
    assert again.poll_once() == 0
    assert rows(again) == {"what about the weather": ["out_of_scope"],
                           "tell me a joke": ["out_of_scope"]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the files the trainers edit."""
    shutil.copytree(ROOT / "data", tmp_path / "project" / "data")
    shutil.copytree(ROOT / "tests" / "nlu_holdout", tmp_path / "project" / "tests" / "nlu_holdout")
    for name in ("domain.yml", "config.yml"):
        shutil.copy(ROOT / name, tmp_path / "project" / name)
    return tmp_path / "project"


@pytest.fixture
def client(settings: Settings, events: RasaEvents, project: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={
            "project_dir": project, "inbox_poll_interval": 0.05}))) as test_client:
        yield test_client


def inbox(client: TestClient, headers: dict[str, str], language: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/inbox", params={"language": language}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["groups"]


def test_trainers_see_messages_grouped_and_masked_and_decide(
        client: TestClient, events: RasaEvents, project: Path) -> None:
    trainer = make_agent(client, "tara@example.com", role="trainer")
    for sender, text in (("c1", "سفارش ۵۸۲۳۱ من کجاست؟ ایمیلم ali@example.com"),
                         ("c2", "سفارش 77120 من کجاست؟"),
                         ("c3", "یه فیلم خوب معرفی کن")):
        said(events, sender, text, parse("nlu_fallback", 0.55, language="fa"))
    groups = wait_for(lambda: (found := inbox(client, trainer, "fa"))
                      and sum(g["count"] for g in found) == 3 and found)
    assert [group["count"] for group in groups] == [2, 1]
    assert sorted(m["text"] for m in groups[0]["messages"]) == [
        "سفارش [order] من کجاست؟", "سفارش [order] من کجاست؟ ایمیلم [email]"]
    ids = [m["id"] for m in groups[0]["messages"]]

    conversation = client.get(f"/api/v1/inbox/{ids[0]}/conversation", headers=trainer).json()
    assert [line["text"] for line in conversation if line["this"]] == [
        next(m["text"] for m in groups[0]["messages"] if m["id"] == ids[0])]

    decided = client.post("/api/v1/inbox/decisions", headers=trainer, json={
        "ids": ids, "decision": "intent", "intent": "check_order_status"})
    assert decided.status_code == 200, decided.text
    written = decided.json()["written"]
    assert [(w["language"], w["intent"], len(w["added"])) for w in written] == [
        ("fa", "check_order_status", 2)]
    persian = (project / "data" / "nlu" / "fa.yml").read_text()
    # written with made-up details of the same shape: no customer's email or order number
    assert "    - سفارش ۱۲۳۴۵ من کجاست؟ ایمیلم someone@example.com\n" in persian
    assert "ali@example.com" not in persian
    assert "- intent: check_order_status" in persian
    assert [group["count"] for group in inbox(client, trainer, "fa")] == [1]
    again = client.post("/api/v1/inbox/decisions", headers=trainer, json={
        "ids": ids[:1], "decision": "ignore"})
    assert again.status_code == 409

    film = inbox(client, trainer, "fa")[0]["messages"][0]["id"]
    assert client.post("/api/v1/inbox/decisions", headers=trainer, json={
        "ids": [film], "decision": "out_of_scope"}).status_code == 200
    assert "    - یه فیلم خوب معرفی کن\n" in (project / "data" / "nlu" / "fa.yml").read_text()


def test_bad_decisions_get_clear_errors(client: TestClient, events: RasaEvents) -> None:
    trainer = make_agent(client, "tara@example.com", role="trainer")
    said(events, "c1", "blah blah", parse("nlu_fallback", 0.55))
    item = wait_for(lambda: inbox(client, trainer, "en"))[0]["messages"][0]["id"]
    for body, code in (({"ids": [item, 999999], "decision": "ignore"}, 404),
                       ({"ids": [item], "decision": "intent"}, 422),
                       ({"ids": [item], "decision": "intent", "intent": "Not An Intent"}, 422),
                       ({"ids": [], "decision": "ignore"}, 422),
                       ({"ids": [item], "decision": "delete"}, 422)):
        response = client.post("/api/v1/inbox/decisions", headers=trainer, json=body)
        assert response.status_code == code, (body, response.text)
    assert client.post("/api/v1/inbox/decisions", headers=trainer, json={
        "ids": [item], "decision": "ignore"}).status_code == 200
    assert inbox(client, trainer, "en") == []


def test_only_trainers_and_admins_reach_the_inbox(client: TestClient) -> None:
    agent = make_agent(client, "sara@example.com")
    supervisor = make_agent(client, "sam@example.com", role="supervisor")
    admin = make_agent(client, "ada@example.com", role="admin")
    for headers, code in (({}, 401), (agent, 403), (supervisor, 403), (admin, 200)):
        response = client.get("/api/v1/inbox", params={"language": "en"}, headers=headers)
        assert response.status_code == code, response.text
        decided = client.post("/api/v1/inbox/decisions", headers=headers,
                              json={"ids": [1], "decision": "ignore"})
        assert decided.status_code == (404 if code == 200 else code)


def test_an_escalation_after_misses_and_an_agents_flag_reach_the_inbox(
        client: TestClient, events: RasaEvents) -> None:
    trainer = make_agent(client, "tara@example.com", role="trainer")
    agent = make_agent(client, "sara@example.com", online=True)
    ticket = escalate(client, "conv-9", "fa", reason="fallback", transcript=[
        {"sender": "customer", "text": "سلام", "timestamp": 1.0},
        {"sender": "bot", "text": "سلام! چطور کمک کنم؟", "timestamp": 2.0},
        {"sender": "customer", "text": "کارت هدیه‌ام باطل شده", "timestamp": 3.0},
        {"sender": "bot", "text": "متوجه نشدم", "timestamp": 4.0},
        {"sender": "customer", "text": "کارت هدیه کار نمیکنه دیگه", "timestamp": 5.0}])
    events.user("conv-9", "شماره کارتم ۱۲۳۴۵۶۷۸۹۰۱۲ هست", intent="inform")
    messages = wait_for(lambda: client.get(f"/api/v1/handoffs/{ticket['id']}/messages",
                                           headers=agent).json())
    flagged = client.post(f"/api/v1/handoffs/{ticket['id']}/messages/{messages[0]['id']}/flag",
                          headers=agent)
    assert flagged.status_code == 204, flagged.text
    assert client.post(f"/api/v1/handoffs/{ticket['id']}/messages/999999/flag",
                       headers=agent).status_code == 404
    assert client.post(f"/api/v1/handoffs/{ticket['id']}/messages/{messages[0]['id']}/flag",
                       headers=trainer).status_code == 403
    found = {m["text"]: m["reasons"] for g in wait_for(lambda: inbox(client, trainer, "fa"))
             for m in g["messages"]}
    assert found == {"کارت هدیه‌ام باطل شده": ["before_escalation"],
                     "کارت هدیه کار نمیکنه دیگه": ["before_escalation"],
                     "شماره کارتم [phone] هست": ["flagged"]}


class CountingEmbedder:
    """The real embedder, counting the texts it is asked for."""

    def __init__(self) -> None:
        self.inner = E5Embedder()
        self.dimensions = self.inner.dimensions
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts)


def test_confident_turns_of_one_intent_are_not_embedded(settings: Settings,
                                                        events: RasaEvents) -> None:
    upgrade(settings.database_url)
    embedder = CountingEmbedder()
    collector = InboxCollector(make_engine(settings.events_url),
                               make_session_factory(make_engine(settings.database_url)),
                               embedder)
    said(events, "c1", "where is my order 58231", parse("check_order_status", 0.97))
    answered(events, "c1")
    said(events, "c1", "where is my order 40017 too", parse("check_order_status", 0.96))
    collector.poll_once()
    assert embedder.texts == 0
    answered(events, "c1")
    said(events, "c1", "I meant the refund for it", parse("faq_refund_time", 0.95))
    collector.poll_once()
    assert embedder.texts == 2
    answered(events, "c1")  # the refund message was embedded as the later of its pair
    said(events, "c1", "and what about the delivery fee", parse("faq_shipping_cost", 0.95))
    collector.poll_once()
    assert embedder.texts == 3



def test_a_message_kept_after_its_rephrase_check_is_not_embedded_again(
        settings: Settings, events: RasaEvents) -> None:
    upgrade(settings.database_url)
    embedder = CountingEmbedder()
    collector = InboxCollector(make_engine(settings.events_url),
                               make_session_factory(make_engine(settings.database_url)),
                               embedder)
    said(events, "c1", "where is my order 58231", parse("check_order_status", 0.97))
    answered(events, "c1")
    said(events, "c1", "the parcel never came", parse("complain", 0.62))  # kept: unsure
    collector.poll_once()
    assert embedder.texts == 2  # the pair; the kept message reuses its embedding
    with make_session_factory(make_engine(settings.database_url))() as session:
        kept = session.scalars(select(InboxMessage)).one()
    assert kept.text == "the parcel never came" and kept.embedding is not None
