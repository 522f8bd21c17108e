"""The queue API: filing, listing, claiming, and what it refuses."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from tests.handoff.support import ACTION, context, escalate, make_agent


def test_escalation_returns_reference_and_place_in_queue(client: TestClient) -> None:
    first = escalate(client, "conv-1")
    second = escalate(client, "conv-2", "en")
    assert first["position"] == 1 and second["position"] == 2
    assert first["created"] and len(first["reference"]) == 6
    assert first["reference"] != second["reference"]


def test_asking_again_returns_the_open_handoff(client: TestClient) -> None:
    first = escalate(client, "conv-1")
    again = escalate(client, "conv-1")
    assert again["id"] == first["id"] and again["reference"] == first["reference"]
    assert again["created"] is False


def test_agent_sees_context_and_claims_once(client: TestClient) -> None:
    ticket = escalate(client)
    sara, omid = make_agent(client, "sara@example.com"), make_agent(client, "omid@example.com")

    queue = client.get("/api/v1/handoffs", headers=sara).json()
    assert [h["id"] for h in queue] == [ticket["id"]]
    detail = client.get(f"/api/v1/handoffs/{ticket['id']}", headers=sara).json()
    assert detail["context"]["summary"] == "کفشم سایز اشتباه آمده"
    assert detail["context"]["transcript"][0]["text"] == "سلام"
    assert detail["language"] == "fa" and detail["reason"] == "explicit_request"

    assert client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara).status_code == 200
    taken = client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=omid)
    assert taken.status_code == 409
    assert client.get("/api/v1/handoffs", headers=omid).json() == []
    assert escalate(client, "conv-2")["position"] == 1


def test_concurrent_claims_assign_exactly_once(client: TestClient) -> None:
    ticket = escalate(client)
    agents = [make_agent(client, f"agent{i}@example.com") for i in range(10)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(
            lambda headers: client.post(f"/api/v1/handoffs/{ticket['id']}/claim",
                                        headers=headers).status_code,
            agents,
        ))
    assert sorted(codes) == [200] + [409] * 9


def test_only_the_assignee_may_write_or_resolve(client: TestClient) -> None:
    ticket = escalate(client)
    sara, omid = make_agent(client, "sara@example.com"), make_agent(client, "omid@example.com")
    client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
    sent = client.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": "hi"},
                       headers=omid)
    assert sent.status_code == 403
    assert client.post(f"/api/v1/handoffs/{ticket['id']}/resolve", headers=omid).status_code == 403


def test_agent_message_is_kept_when_rasa_is_down(client: TestClient) -> None:
    ticket = escalate(client)
    sara = make_agent(client)
    client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
    sent = client.post(f"/api/v1/handoffs/{ticket['id']}/messages",
                       json={"text": "سلام، سارا هستم 👋"}, headers=sara)
    assert sent.status_code == 201
    assert sent.json()["delivered_at"] is None
    messages = client.get(f"/api/v1/handoffs/{ticket['id']}/messages", headers=sara).json()
    assert [m["text"] for m in messages] == ["سلام، سارا هستم 👋"]
    assert client.post(f"/api/v1/handoffs/{ticket['id']}/resolve", headers=sara).status_code == 502


def test_endpoints_require_the_right_credentials(client: TestClient) -> None:
    assert client.get("/api/v1/handoffs").status_code == 401
    assert client.get("/api/v1/handoffs",
                      headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert client.post("/api/v1/handoffs", json=context()).status_code == 401
    assert client.post("/api/v1/handoffs", json=context(),
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
    agent = make_agent(client)
    assert client.post("/api/v1/handoffs", json=context(), headers=agent).status_code == 401
    assert client.post("/api/v1/agents", json={"email": "x@y.z", "name": "x",
                                                "password": "12345678"},
                       headers=agent).status_code == 401
    wrong = client.post("/api/v1/auth/login",
                        json={"email": "sara@example.com", "password": "nope-nope"})
    assert wrong.status_code == 401


def test_bad_input_gets_clear_client_errors(client: TestClient) -> None:
    action = {"Authorization": f"Bearer {ACTION}"}
    malformed = client.post("/api/v1/handoffs", content=b"{not json",
                            headers=action | {"Content-Type": "application/json"})
    assert malformed.status_code == 422
    assert client.post("/api/v1/handoffs", json=context() | {"version": 2},
                       headers=action).status_code == 422
    assert client.post("/api/v1/handoffs", json=context() | {"language": "de"},
                       headers=action).status_code == 422
    huge = context() | {"summary": "x" * 200_000}
    assert client.post("/api/v1/handoffs", json=huge, headers=action).status_code == 413
    agent = make_agent(client)
    assert client.get("/api/v1/handoffs/999", headers=agent).status_code == 404
    assert client.post("/api/v1/handoffs/999/claim", headers=agent).status_code == 404
    assert client.get("/api/v1/handoffs/abc", headers=agent).status_code == 422
    ticket = escalate(client)
    client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=agent)
    empty = client.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": ""},
                        headers=agent)
    assert empty.status_code == 422
