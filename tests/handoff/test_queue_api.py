"""The queue API on SQLite and PostgreSQL: filing, listing, claiming, chatting, and refusals."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import jwt
from fastapi.testclient import TestClient

from handoff.security import issue_token
from handoff.settings import Settings
from tests.handoff.support import ACTION, ADMIN, admin_headers, context, escalate, make_agent


def test_escalation_returns_reference_place_and_availability(client: TestClient) -> None:
    first = escalate(client, "conv-1")
    second = escalate(client, "conv-2")
    other_language = escalate(client, "conv-3", "en")
    assert (first["position"], second["position"], other_language["position"]) == (1, 2, 1)
    assert first["created"] and len(first["reference"]) == 6 and first["team"] == "support"
    assert first["reference"] != second["reference"]
    assert first["availability"] == "no_agents" and first["expected_wait_seconds"] is None


def test_expected_wait_once_an_agent_is_online(client: TestClient) -> None:
    make_agent(client, teams=["billing"], online=True)
    ticket = escalate(client, team="billing")
    assert ticket["availability"] == "open"
    assert ticket["expected_wait_seconds"] > 0


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
    assert [a["to_status"] for a in detail["audit"]] == ["queued"]

    assert client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara).status_code == 200
    taken = client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=omid)
    assert taken.status_code == 409
    assert client.get("/api/v1/handoffs", headers=omid).json() == []
    assert escalate(client, "conv-2")["position"] == 1


def test_agents_see_only_their_teams(client: TestClient) -> None:
    billing = escalate(client, "conv-1", team="billing")
    escalate(client, "conv-2", team="returns")
    anna = make_agent(client, "anna@example.com", teams=["billing"])
    listed = client.get("/api/v1/handoffs", headers=anna).json()
    assert [h["id"] for h in listed] == [billing["id"]]
    other = escalate(client, "conv-3", team="returns")
    assert client.get(f"/api/v1/handoffs/{other['id']}", headers=anna).status_code == 404
    assert client.post(f"/api/v1/handoffs/{other['id']}/claim", headers=anna).status_code == 404


def test_priority_then_longest_waiting_first(client: TestClient) -> None:
    calm = escalate(client, "conv-1")
    angry = escalate(client, "conv-2", reason="frustration")
    later = escalate(client, "conv-3")
    sara = make_agent(client)
    order = [h["id"] for h in client.get("/api/v1/handoffs", headers=sara).json()]
    assert order == [angry["id"], calm["id"], later["id"]]
    taken = client.post("/api/v1/handoffs/next", headers=sara).json()
    assert taken["id"] == angry["id"]


def test_claim_next_respects_language_and_capacity(client: TestClient) -> None:
    escalate(client, "conv-he", "he")
    persian = escalate(client, "conv-fa", "fa")
    sara = make_agent(client, languages=["fa"], capacity=1)
    assert client.post("/api/v1/handoffs/next", headers=sara).json()["id"] == persian["id"]
    escalate(client, "conv-fa-2", "fa")
    full = client.post("/api/v1/handoffs/next", headers=sara)
    assert full.status_code == 409 and "chats" in full.json()["detail"]


def test_transfer_release_and_notes(client: TestClient) -> None:
    ticket = escalate(client)
    sara = make_agent(client, "sara@example.com", teams=["support", "billing"])
    omid = make_agent(client, "omid@example.com", teams=["support"])
    bea = make_agent(client, "bea@example.com", teams=["billing"])
    hid = ticket["id"]
    client.post(f"/api/v1/handoffs/{hid}/claim", headers=sara)
    note = client.post(f"/api/v1/handoffs/{hid}/notes", json={"text": "VIP, be quick"},
                       headers=sara)
    assert note.status_code == 201
    omid_id = client.get("/api/v1/agents/me", headers=omid).json()["id"]
    moved = client.post(f"/api/v1/handoffs/{hid}/transfer", json={"agent_id": omid_id},
                        headers=sara)
    assert moved.status_code == 200 and moved.json()["agent_id"] == omid_id
    to_team = client.post(f"/api/v1/handoffs/{hid}/transfer", json={"team": "billing"},
                          headers=omid)
    assert to_team.json()["status"] == "transferred"
    assert [h["id"] for h in client.get("/api/v1/handoffs", headers=bea).json()] == [hid]
    client.post(f"/api/v1/handoffs/{hid}/claim", headers=bea)
    released = client.post(f"/api/v1/handoffs/{hid}/release", headers=bea)
    assert released.json()["status"] == "queued"
    detail = client.get(f"/api/v1/handoffs/{hid}", headers=bea).json()
    assert [n["text"] for n in detail["notes"]] == ["VIP, be quick"]
    assert [(a["from_status"], a["to_status"]) for a in detail["audit"]] == [
        (None, "queued"), ("queued", "assigned"), ("assigned", "transferred"),
        ("transferred", "assigned"), ("assigned", "transferred"), ("transferred", "assigned"),
        ("assigned", "queued"),
    ]


def test_a_waiting_handoff_can_be_abandoned_but_not_an_assigned_one(client: TestClient) -> None:
    left, taken = escalate(client, "conv-1"), escalate(client, "conv-2")
    sara = make_agent(client)
    client.post(f"/api/v1/handoffs/{taken['id']}/claim", headers=sara)
    closed = client.post(f"/api/v1/handoffs/{left['id']}/abandon", headers=sara)
    assert closed.status_code == 200 and closed.json()["status"] == "abandoned"
    assert client.post(f"/api/v1/handoffs/{taken['id']}/abandon", headers=sara).status_code == 409
    assert escalate(client, "conv-1")["created"]  # the customer may ask again


def test_illegal_transitions_are_refused(client: TestClient) -> None:
    ticket = escalate(client)
    sara = make_agent(client)
    hid = ticket["id"]
    assert client.post(f"/api/v1/handoffs/{hid}/resolve", headers=sara).status_code == 403
    client.post(f"/api/v1/handoffs/{hid}/claim", headers=sara)
    assert client.post(f"/api/v1/handoffs/{hid}/claim", headers=sara).status_code == 409
    client.post(f"/api/v1/handoffs/{hid}/release", headers=sara)
    assert client.post(f"/api/v1/handoffs/{hid}/release", headers=sara).status_code == 403


def test_concurrent_claims_over_http_assign_exactly_once(client: TestClient) -> None:
    ticket = escalate(client)
    agents = [make_agent(client, f"agent{i}@example.com") for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(
            lambda headers: client.post(f"/api/v1/handoffs/{ticket['id']}/claim",
                                        headers=headers).status_code,
            agents,
        ))
    assert sorted(codes) == [200] + [409] * 7


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


def test_rating_needs_a_resolved_handoff_and_is_given_once(client: TestClient) -> None:
    action = {"Authorization": f"Bearer {ACTION}"}
    assert client.post("/api/v1/conversations/nobody/rating", json={"score": 5},
                       headers=action).status_code == 404
    escalate(client)
    early = client.post("/api/v1/conversations/conv-1/rating", json={"score": 5}, headers=action)
    assert early.status_code == 409
    assert client.post("/api/v1/conversations/conv-1/rating", json={"score": 9},
                       headers=action).status_code == 422


def test_endpoints_require_the_right_credentials(client: TestClient) -> None:
    assert client.get("/api/v1/handoffs").status_code == 401
    assert client.get("/api/v1/handoffs",
                      headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert client.post("/api/v1/handoffs", json=context()).status_code == 401
    assert client.post("/api/v1/handoffs", json=context(),
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
    agent = make_agent(client)
    assert client.post("/api/v1/handoffs", json=context(), headers=agent).status_code == 401
    assert client.get("/api/v1/conversations/conv-1/handoff", headers=agent).status_code == 401
    assert client.post("/api/v1/agents", json={"email": "x@y.z", "name": "x",
                                                "password": "12345678"},
                       headers=agent).status_code == 403  # signed in, but not an admin
    assert client.put("/api/v1/teams/x", json={"name": "x"}, headers=agent).status_code == 403
    # the shared admin token only bootstraps the first admin: it manages nothing itself
    assert client.post("/api/v1/agents", json={"email": "x@y.z", "name": "x",
                                                "password": "12345678"},
                       headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 401
    wrong = client.post("/api/v1/auth/login",
                        json={"email": "sara@example.com", "password": "nope-nope"})
    assert wrong.status_code == 401


def test_expired_tokens_are_refused(client: TestClient, settings: Settings) -> None:
    headers = make_agent(client)
    claims = jwt.decode(headers["Authorization"].split()[1], options={"verify_signature": False})
    expired, _ = issue_token(int(claims["sub"]), claims["sid"], settings.jwt_secret, -1)
    assert client.get("/api/v1/agents/me", headers=headers).status_code == 200
    assert client.get("/api/v1/agents/me",
                      headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_bad_input_gets_clear_client_errors(client: TestClient) -> None:
    action = {"Authorization": f"Bearer {ACTION}"}
    malformed = client.post("/api/v1/handoffs", content=b"{not json",
                            headers=action | {"Content-Type": "application/json"})
    assert malformed.status_code == 422
    assert client.post("/api/v1/handoffs", json=context() | {"version": 2},
                       headers=action).status_code == 422
    assert client.post("/api/v1/handoffs", json=context() | {"language": "de"},
                       headers=action).status_code == 422
    assert client.post("/api/v1/handoffs", json=context() | {"unknown": 1},
                       headers=action).status_code == 422
    huge = context() | {"summary": "x" * 200_000}
    assert client.post("/api/v1/handoffs", json=huge, headers=action).status_code == 413
    chunked = (part for part in (b'{"summary": "', b"x" * 200_000, b'"}'))  # no Content-Length
    assert client.post("/api/v1/handoffs", content=chunked,
                       headers=action | {"Content-Type": "application/json"}).status_code == 413
    agent = make_agent(client)
    assert client.get("/api/v1/handoffs/999", headers=agent).status_code == 404
    assert client.post("/api/v1/handoffs/999/claim", headers=agent).status_code == 404
    assert client.get("/api/v1/handoffs/abc", headers=agent).status_code == 422
    assert client.get("/api/v1/handoffs?status=nonsense", headers=agent).status_code == 422
    ticket = escalate(client)
    client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=agent)
    empty = client.post(f"/api/v1/handoffs/{ticket['id']}/messages", json={"text": ""},
                        headers=agent)
    assert empty.status_code == 422
    both = client.post(f"/api/v1/handoffs/{ticket['id']}/transfer",
                       json={"agent_id": 1, "team": "x"}, headers=agent)
    assert both.status_code == 422
    bad_zone = client.put("/api/v1/teams/x", json={"name": "x", "timezone": "Mars/Base"},
                          headers=admin_headers(client))
    assert bad_zone.status_code == 422
    for hours in ({"mon": [["09:00", "09:00"]]}, {"mon": [["25:00", "09:00"]]}):
        no_hours = client.put("/api/v1/teams/x", json={"name": "x", "business_hours": hours},
                              headers=admin_headers(client))
        assert no_hours.status_code == 422, hours
    mixed = escalate(client, "conv-🙂-سلام-שלום", "he")
    assert mixed["created"]


def test_outside_business_hours_the_customer_learns_when_the_team_is_back(
    client: TestClient,
) -> None:
    hours = {"mon": [["00:00", "00:01"]]}  # open one minute a week
    team = client.put("/api/v1/teams/night", json={"name": "night", "timezone": "Asia/Tehran",
                                                    "business_hours": hours},
                      headers=admin_headers(client))
    assert team.status_code == 200
    ticket = escalate(client, team="night")
    assert ticket["availability"] == "closed"
    assert ticket["opens_at"].endswith("00:00+03:30")
    sara = make_agent(client, teams=["night"])
    assert [h["id"] for h in client.get("/api/v1/handoffs", headers=sara).json()] == [ticket["id"]]


def test_the_api_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/handoffs", "/api/v1/handoffs/{handoff_id}/claim",
                 "/api/v1/handoffs/{handoff_id}/transfer", "/api/v1/auth/login",
                 "/api/v1/conversations/{conversation_id}/rating"):
        assert path in paths


def test_admin_updates_agents_and_the_bot_reads_a_conversations_status(
    client: TestClient,
) -> None:
    sara = make_agent(client, languages=["fa"], capacity=1)
    me = client.get("/api/v1/agents/me", headers=sara).json()
    updated = client.patch(f"/api/v1/agents/{me['id']}", headers=admin_headers(client),
                           json={"languages": ["fa", "ar"], "teams": ["support", "vip"],
                                 "capacity": 4})
    assert updated.status_code == 200
    assert updated.json()["capacity"] == 4 and updated.json()["languages"] == ["fa", "ar"]
    assert sorted(t["name"] for t in client.get("/api/v1/teams", headers=sara).json()) == [
        "admins", "support", "vip"]  # the test admin's own team, then sara's
    assert [t["name"] for t in updated.json()["teams"]] == ["support", "vip"]
    assert client.patch("/api/v1/agents/999", headers=admin_headers(client),
                        json={"capacity": 2}).status_code == 404

    action = {"Authorization": f"Bearer {ACTION}"}
    assert client.get("/api/v1/conversations/conv-1/handoff", headers=action).status_code == 404
    ticket = escalate(client)
    status = client.get("/api/v1/conversations/conv-1/handoff", headers=action).json()
    assert (status["reference"], status["status"], status["position"]) == (
        ticket["reference"], "queued", 1)
    client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
    status = client.get("/api/v1/conversations/conv-1/handoff", headers=action).json()
    assert status["agent_name"] == "sara" and status["position"] == 0
