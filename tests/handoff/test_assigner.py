"""Auto-assignment, and taking chats back from agents who go quiet or offline."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from handoff.app import create_app
from handoff.settings import Settings
from tests.handoff.support import RasaEvents, escalate, make_agent, wait_for


@pytest.fixture
def quick(settings: Settings, events: RasaEvents) -> Iterator[TestClient]:
    """A service whose agents lose unanswered chats after 1 s and presence after 2 s."""
    fast = settings.model_copy(update={"assign_timeout_seconds": 1.0,
                                       "presence_timeout_seconds": 2.0})
    with TestClient(create_app(fast)) as client:
        yield client


def _status(client: TestClient, headers: dict[str, str], handoff_id: int) -> dict:
    return client.get(f"/api/v1/handoffs/{handoff_id}", headers=headers).json()


def test_a_handoff_is_assigned_when_a_matching_agent_comes_online(client: TestClient) -> None:
    hebrew = escalate(client, "conv-he", "he")
    persian = escalate(client, "conv-fa", "fa")
    sara = make_agent(client, languages=["fa"], capacity=1, online=True)
    me = client.get("/api/v1/agents/me", headers=sara).json()
    assigned = wait_for(lambda: _status(client, sara, persian["id"])["agent_id"] == me["id"])
    assert assigned
    assert _status(client, sara, hebrew["id"])["status"] == "queued"
    later = escalate(client, "conv-fa-2", "fa")  # sara is full: it waits
    assert wait_for(lambda: _status(client, sara, later["id"])["position"] == 1)
    assert _status(client, sara, later["id"])["status"] == "queued"


def test_unanswered_chats_go_back_to_the_queue(quick: TestClient) -> None:
    sara = make_agent(quick, online=True)
    ticket = escalate(quick)
    wait_for(lambda: _status(quick, sara, ticket["id"])["status"] == "assigned")
    detail = wait_for(lambda: (d := _status(quick, sara, ticket["id"]))["status"] == "queued"
                      and d, timeout=5)
    assert detail["audit"][-1]["detail"] == "no answer in time"
    assert quick.get("/api/v1/agents/me", headers=sara).json()["presence"] == "away"


def test_answered_chats_stay(settings: Settings, events: RasaEvents) -> None:
    """3 s to answer here: on a loaded machine a second can pass between the agent seeing the
    chat and their answer arriving."""
    patient = settings.model_copy(update={"assign_timeout_seconds": 3.0})
    with TestClient(create_app(patient)) as client:
        sara = make_agent(client, online=True)
        ticket = escalate(client)
        wait_for(lambda: _status(client, sara, ticket["id"])["status"] == "assigned")
        answer = client.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": "hi"},
                             headers=sara)
        assert answer.status_code == 201, answer.text
        time.sleep(3.5)
        assert _status(client, sara, ticket["id"])["status"] == "assigned"


def test_going_offline_requeues_the_agents_chats(client: TestClient) -> None:
    sara = make_agent(client, online=True)
    ticket = escalate(client)
    wait_for(lambda: _status(client, sara, ticket["id"])["status"] == "assigned")
    client.put("/api/v1/agents/me/presence", json={"presence": "offline"}, headers=sara)
    detail = _status(client, sara, ticket["id"])
    assert detail["status"] == "queued" and detail["agent_id"] is None
    assert detail["audit"][-1]["detail"] == "agent went offline"


def test_an_agent_not_seen_for_too_long_is_set_offline(quick: TestClient) -> None:
    sara = make_agent(quick, online=True)
    omid = make_agent(quick, "omid@example.com")
    ticket = escalate(quick)
    wait_for(lambda: _status(quick, omid, ticket["id"])["status"] == "assigned")
    quick.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": "hi"}, headers=sara)
    detail = wait_for(lambda: (d := _status(quick, omid, ticket["id"]))["status"] == "queued"
                      and d, timeout=6)
    assert detail["audit"][-1]["detail"] == "agent not seen"
    assert quick.get("/api/v1/agents/me", headers=sara).json()["presence"] == "offline"
