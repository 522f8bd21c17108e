"""What operators see inside: /metrics scraped and parsed with prometheus_client's own parser, its
figures compared with what the test did; and log lines as JSON carrying the handoff's ids."""

from __future__ import annotations

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from handoff import logs
from handoff.app import create_app
from handoff.settings import Settings
from tests.handoff.support import RasaApi, RasaEvents, bearer, escalate, make_agent, wait_for

TOKEN = "metrics-token-for-tests-0123"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def settings(settings: Settings, rasa: RasaApi) -> Settings:
    return settings.model_copy(update=dict(rasa_url=f"http://127.0.0.1:{rasa.server_port}",
                                           metrics_token=TOKEN))


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics", headers=bearer(TOKEN))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def test_metrics_need_their_own_token(client: TestClient) -> None:
    agent = make_agent(client)
    for headers in ({}, bearer("wrong-token-0123456789"), agent, {"Authorization": TOKEN}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["www-authenticate"] == "Bearer"


def test_metrics_are_off_without_a_token(settings: Settings, events: RasaEvents) -> None:
    with TestClient(create_app(settings.model_copy(update={"metrics_token": None}))) as client:
        off = client.get("/metrics", headers=bearer(TOKEN))
    assert off.status_code == 404
    assert "HANDOFF_METRICS_TOKEN" in off.json()["detail"]


def test_the_queue_the_waits_and_the_deliveries(client: TestClient, rasa: RasaApi) -> None:
    rasa.failing = True  # agents' messages wait in the outbox
    first = escalate(client, "conv-1")
    escalate(client, "conv-2", "ar", reason="frustration")
    before = scrape(client)
    assert value(before, "handoff_queue_length", team="support") == 2
    assert value(before, "handoff_queue_oldest_seconds", team="support") >= 0
    assert value(before, "handoff_handoffs_total", reason="explicit_request",
                 channel="socketio") == 1
    assert value(before, "handoff_handoffs_total", reason="frustration", channel="socketio") == 1

    sara = make_agent(client)
    claimed = client.post(f"/api/v1/handoffs/{first['id']}/claim", headers=sara).json()
    sent = client.post(f"/api/v1/handoffs/{first['id']}/messages", json={"text": "سلام، من سارا"},
                       headers=sara)
    assert sent.status_code == 201
    waiting = scrape(client)
    assert value(waiting, "handoff_queue_length", team="support") == 1
    assert value(waiting, "handoff_waiting_seconds_count", team="support") == 1
    assert value(waiting, "handoff_waiting_seconds_sum", team="support") == pytest.approx(
        claimed["assigned_at"] - claimed["created_at"])
    assert value(waiting, "handoff_outbox_backlog") == 1
    assert value(waiting, "handoff_delivery_seconds_count") == 0
    # the route's template labels the request, never the handoff's id
    assert value(waiting, "handoff_http_requests_total", method="POST",
                 route="/api/v1/handoffs/{handoff_id}/claim", status="200") == 1
    assert not [labels for (_, labels) in waiting if ("route", f"/api/v1/handoffs/{first['id']}"
                                                      "/claim") in labels]
    assert value(waiting, "handoff_http_request_seconds_count", method="POST",
                 route="/api/v1/handoffs/{handoff_id}/messages") == 1

    rasa.failing = False
    # the delivery is observed once the message is marked delivered, by the event it emits: a
    # scrape may come between the two
    delivered = wait_for(lambda: (found := scrape(client)) and value(
        found, "handoff_outbox_backlog") == 0 and value(
        found, "handoff_delivery_seconds_count") >= 1 and found, timeout=15)
    message = next(m for m in client.get(f"/api/v1/handoffs/{first['id']}/messages",
                                         headers=sara).json() if m["sender"] == "agent")
    assert value(delivered, "handoff_delivery_seconds_count") == 1
    assert value(delivered, "handoff_delivery_seconds_sum") == pytest.approx(
        message["delivered_at"] - message["created_at"])


def test_rasa_turn_latency_from_its_own_events(client: TestClient, events: RasaEvents) -> None:
    events.publish("conv-9", {"event": "user", "text": "سلام", "timestamp": 1000.0})
    events.publish("conv-9", {"event": "action", "name": "action_listen", "timestamp": 1000.1})
    events.publish("conv-8", {"event": "user", "text": "hello", "timestamp": 1000.2})
    events.publish("conv-9", {"event": "bot", "text": "درود", "timestamp": 1000.25})
    events.publish("conv-9", {"event": "bot", "text": "a second reply", "timestamp": 1000.5})
    events.publish("conv-7", {"event": "bot", "text": "no one asked", "timestamp": 1001.0})
    events.publish("conv-8", {"event": "bot", "text": "hi", "timestamp": 1001.2})

    found = wait_for(lambda: (samples := scrape(client)) and value(
        samples, "rasa_turn_seconds_count") == 2 and samples)
    assert value(found, "rasa_turn_seconds_sum") == pytest.approx(0.25 + 1.0)
    assert value(found, "rasa_turn_seconds_bucket", le="0.25") == 1
    assert value(found, "handoff_event_consumer_lag_events") == 0


def test_log_lines_are_json_with_the_ids_of_what_they_are_about() -> None:
    stream = io.StringIO()
    log = logging.getLogger("tests.logs")
    log.addHandler(logs.handler("json", stream))
    log.setLevel(logging.INFO)
    log.propagate = False
    with logs.about(handoff_id=7, conversation_id="conv-۵۸"):
        log.info("claimed by %s", "سارا")
        with logs.about(handoff_id=8):
            log.warning("inner")
    log.error("outside")
    log.info("Started server process [%d]", 7, extra={"color_message": "\x1b[36m%d\x1b[0m"})
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0] | {"time": None} == {"time": None, "level": "INFO", "logger": "tests.logs",
                                          "message": "claimed by سارا", "handoff_id": 7,
                                          "conversation_id": "conv-۵۸"}
    assert (lines[1]["handoff_id"], lines[1]["conversation_id"]) == (8, "conv-۵۸")
    assert "handoff_id" not in lines[2] and lines[2]["level"] == "ERROR"
    assert lines[3]["message"] == "Started server process [7]" and "color_message" not in lines[3]


def test_every_named_event_is_a_log_line_about_its_handoff(client: TestClient) -> None:
    stream = io.StringIO()
    history = logging.getLogger("handoff.history")
    history.addHandler(handler := logs.handler("json", stream))
    history.setLevel(logging.INFO)
    try:
        ticket = escalate(client, "conv-5")
        sara = make_agent(client)
        client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
    finally:
        history.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    about_it = [(line["message"], line["conversation_id"]) for line in lines
                if line.get("handoff_id") == ticket["id"]]
    assert ("handoff.created", "conv-5") in about_it
    assert ("handoff.assigned", "conv-5") in about_it
    assert not any("text" in line for line in lines)
