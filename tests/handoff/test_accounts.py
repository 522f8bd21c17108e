"""Accounts and roles: the bootstrap admin, what each role may do, deactivation, signing out,
passwords, and the limits on signing in."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from handoff import accounts
from handoff.app import create_app
from handoff.models import Agent
from handoff.settings import Settings
from handoff.sign_in_limits import SignInLimiter
from tests.handoff.support import (
    ACTION,
    ADMIN,
    PASSWORD,
    RasaEvents,
    admin_headers,
    bearer,
    escalate,
    live_protocols,
    make_agent,
    sign_in,
)

NEW_PASSWORD = "a brand new passphrase"


def _id(client: TestClient, headers: dict[str, str]) -> int:
    return client.get("/api/v1/agents/me", headers=headers).json()["id"]


def _id_of(client: TestClient, name: str) -> int:
    accounts_list = client.get("/api/v1/accounts", headers=admin_headers(client)).json()
    return next(account["id"] for account in accounts_list if account["name"] == name)


def test_the_shared_token_only_bootstraps_the_first_admin(client: TestClient) -> None:
    body = {"email": "root@example.com", "name": "Root", "password": PASSWORD}
    assert client.post("/api/v1/auth/bootstrap", json=body).status_code == 401
    assert client.post("/api/v1/auth/bootstrap", json=body,
                       headers=bearer("wrong-token-0123456789")).status_code == 401
    made = client.post("/api/v1/auth/bootstrap", json=body, headers=bearer(ADMIN))
    assert made.status_code == 201 and made.json()["role"] == "admin"
    again = client.post("/api/v1/auth/bootstrap", headers=bearer(ADMIN), json=body | {
        "email": "second@example.com"})
    assert again.status_code == 409
    root = sign_in(client, "root@example.com")
    # the shared token is no account: it manages nothing
    for headers, expected in ((bearer(ADMIN), 401), (root, 201)):
        created = client.post("/api/v1/agents", headers=headers, json={
            "email": "sara@example.com", "name": "Sara", "password": PASSWORD})
        assert created.status_code == expected


@pytest.mark.parametrize("role", ["agent", "supervisor", "trainer"])
def test_only_admins_manage_accounts_and_teams(client: TestClient, role: str) -> None:
    someone = make_agent(client, f"{role}@example.com", role=role)
    other = make_agent(client, "other@example.com")
    other_id = _id(client, other)
    refused = [
        client.post("/api/v1/agents", headers=someone, json={
            "email": "x@example.com", "name": "X", "password": PASSWORD}),
        client.patch(f"/api/v1/agents/{other_id}", headers=someone, json={"role": "admin"}),
        client.patch(f"/api/v1/agents/{_id(client, someone)}", headers=someone,
                     json={"role": "admin"}),
        client.post(f"/api/v1/agents/{other_id}/password-reset", headers=someone),
        client.get("/api/v1/accounts", headers=someone),
        client.put("/api/v1/teams/night", headers=someone, json={"name": "night"}),
    ]
    assert [response.status_code for response in refused] == [403] * len(refused)
    assert client.get("/api/v1/agents/me", headers=someone).json()["role"] == role
    admin = admin_headers(client)
    assert client.get("/api/v1/accounts", headers=admin).status_code == 200
    assert client.patch(f"/api/v1/agents/{other_id}", headers=admin,
                        json={"capacity": 5}).json()["capacity"] == 5


def test_a_trainer_cannot_read_or_take_chats(client: TestClient) -> None:
    trainer = make_agent(client, "tina@example.com", role="trainer")
    ticket = escalate(client)
    base = f"/api/v1/handoffs/{ticket['id']}"
    refused = [client.get("/api/v1/handoffs", headers=trainer),
               client.get(base, headers=trainer),
               client.post(f"{base}/claim", headers=trainer),
               client.post(f"{base}/messages", headers=trainer, json={"text": "hi"}),
               client.post("/api/v1/handoffs/next", headers=trainer),
               client.put("/api/v1/agents/me/presence", headers=trainer,
                          json={"presence": "online"})]
    assert [response.status_code for response in refused] == [403] * len(refused)
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(
            "/api/v1/live", subprotocols=live_protocols(trainer)) as websocket:
        escalate(client, "conv-2")  # were the feed open, this would arrive on it
        websocket.receive_json()
    assert closed.value.code == 1008
    supervisor = make_agent(client, "sue@example.com", role="supervisor")
    assert client.get(base, headers=supervisor).status_code == 200


def test_deactivation_ends_tokens_at_once_and_requeues_the_chats(
    client: TestClient, events: RasaEvents
) -> None:
    sara = make_agent(client)
    second_sign_in = sign_in(client, "sara@example.com")
    ticket = escalate(client)
    claimed = client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
    assert claimed.json()["status"] == "assigned"
    admin = admin_headers(client)
    with client.websocket_connect("/api/v1/live", subprotocols=live_protocols(sara)) as websocket:
        off = client.patch(f"/api/v1/agents/{_id(client, sara)}", headers=admin,
                           json={"active": False})
        assert off.status_code == 200 and off.json()["active"] is False
        for _ in range(20):
            event = websocket.receive_json()
            if event["type"] == "sign_ins.revoked":
                break
        with pytest.raises(WebSocketDisconnect) as closed:
            websocket.receive_json()
        assert closed.value.code == 1008
    for headers in (sara, second_sign_in):
        assert client.get("/api/v1/agents/me", headers=headers).status_code == 401
    handoff = client.get("/api/v1/conversations/conv-1/handoff", headers=bearer(ACTION)).json()
    assert handoff["status"] == "queued" and handoff["agent_name"] is None
    login = client.post("/api/v1/auth/login",
                        json={"email": "sara@example.com", "password": PASSWORD})
    assert login.status_code == 403
    # a sign-in that raced the deactivation (password checked just before it) does not work
    services = client.app.state.services
    with services.sessions() as session:
        raced, _ = accounts.sign_in(session, session.get(Agent, _id_of(client, "sara")),
                                    services.settings, "10.0.0.9")
    assert client.get("/api/v1/agents/me", headers=bearer(raced)).status_code == 401
    # a deactivated agent is nobody's colleague and gets no transfer
    omid = make_agent(client, "omid@example.com")
    assert [a["name"] for a in client.get("/api/v1/agents", headers=omid).json()] == ["omid"]
    back = client.patch(f"/api/v1/agents/{_id(client, omid) - 1}", headers=admin,
                        json={"active": True})
    assert back.json()["active"] is True
    assert sign_in(client, "sara@example.com")


def test_the_last_admin_cannot_be_deactivated_or_demoted(client: TestClient) -> None:
    admin = admin_headers(client)
    me = _id(client, admin)
    for change in ({"active": False}, {"role": "agent"}):
        assert client.patch(f"/api/v1/agents/{me}", headers=admin,
                            json=change).status_code == 409
    make_agent(client, "second@example.com", role="admin")
    assert client.patch(f"/api/v1/agents/{me}", headers=admin,
                        json={"role": "supervisor"}).json()["role"] == "supervisor"
    assert client.get("/api/v1/accounts", headers=admin).status_code == 403


def test_signing_out_revokes_only_that_token(client: TestClient) -> None:
    sara = make_agent(client)
    laptop = sign_in(client, "sara@example.com")
    assert client.post("/api/v1/auth/logout", headers=sara).status_code == 204
    assert client.get("/api/v1/agents/me", headers=sara).status_code == 401
    assert client.get("/api/v1/agents/me", headers=laptop).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=sara).status_code == 401


def test_an_agent_changes_their_own_password(client: TestClient) -> None:
    sara = make_agent(client)
    phone = sign_in(client, "sara@example.com")
    wrong = client.put("/api/v1/agents/me/password", headers=sara, json={
        "current_password": "not my password", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 403
    changed = client.put("/api/v1/agents/me/password", headers=sara, json={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 204
    assert client.get("/api/v1/agents/me", headers=sara).status_code == 200  # this sign-in
    assert client.get("/api/v1/agents/me", headers=phone).status_code == 401  # the others
    assert client.post("/api/v1/auth/login", json={
        "email": "sara@example.com", "password": PASSWORD}).status_code == 401
    assert sign_in(client, "sara@example.com", NEW_PASSWORD)


def test_an_admin_resets_a_password_with_a_one_time_token(client: TestClient) -> None:
    sara = make_agent(client)
    admin = admin_headers(client)
    started = client.post(f"/api/v1/agents/{_id(client, sara)}/password-reset", headers=admin)
    assert started.status_code == 201
    token = started.json()["reset_token"]
    assert client.get("/api/v1/agents/me", headers=sara).status_code == 401
    assert client.post("/api/v1/auth/reset", json={
        "token": "x" * 43, "new_password": NEW_PASSWORD}).status_code == 400
    assert client.post("/api/v1/auth/reset", json={
        "token": token, "new_password": NEW_PASSWORD}).status_code == 204
    assert client.post("/api/v1/auth/reset", json={
        "token": token, "new_password": "yet another password"}).status_code == 400
    assert sign_in(client, "sara@example.com", NEW_PASSWORD)


def test_failed_sign_ins_are_limited_per_account(client: TestClient) -> None:
    make_agent(client)
    wrong = {"email": "sara@example.com", "password": "guess"}
    codes = [client.post("/api/v1/auth/login", json=wrong).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    locked = client.post("/api/v1/auth/login",
                         json={"email": "sara@example.com", "password": PASSWORD})
    assert locked.status_code == 429  # even the right password waits
    assert 1 <= int(locked.headers["Retry-After"]) <= 60
    make_agent(client, "omid@example.com")  # another account from the same address is not
    assert sign_in(client, "omid@example.com")


def test_guesses_sent_at_once_are_limited_like_guesses_in_a_row(client: TestClient) -> None:
    """Each attempt is counted before the slow password check, so twelve guesses in parallel
    cannot all pass the limit's check before any of them is counted."""
    make_agent(client)
    wrong = {"email": "sara@example.com", "password": "guess"}
    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(lambda _: client.post("/api/v1/auth/login", json=wrong).status_code,
                              range(12)))
    assert sorted(codes) == [401] * 5 + [429] * 7
    right = client.post("/api/v1/auth/login", json=wrong | {"password": PASSWORD})
    assert right.status_code == 429


def test_failed_sign_ins_are_limited_per_address(settings: Settings, events: RasaEvents) -> None:
    limited = settings.model_copy(update={"sign_in_address_limits": "3/minute"})
    with TestClient(create_app(limited)) as client:
        make_agent(client)
        codes = [client.post("/api/v1/auth/login", json={
            "email": f"nobody{n}@example.com", "password": "guess"}).status_code
            for n in range(4)]
        assert codes == [401, 401, 401, 429]
        refused = client.post("/api/v1/auth/login",
                              json={"email": "sara@example.com", "password": PASSWORD})
        assert refused.status_code == 429


def test_the_waits_grow_with_the_failures(tmp_path: Path) -> None:
    """Past the short window's failures, the next ones wait out the longer window."""
    limiter = SignInLimiter("2/second;3/10 seconds", "100/minute", "memory://")
    for _ in range(2):
        assert limiter.attempt("sara@example.com", "10.0.0.1") is None
    assert limiter.attempt("sara@example.com", "10.0.0.1") == 1
    time.sleep(1.1)
    assert limiter.retry_after("sara@example.com", "10.0.0.1") is None
    assert limiter.attempt("sara@example.com", "10.0.0.1") is None
    assert 8 <= limiter.retry_after("SARA@example.com", "10.0.0.1") <= 10
    limiter.succeeded("sara@example.com")
    assert limiter.retry_after("sara@example.com", "10.0.0.1") is None


def test_bad_limits_stop_the_service_with_the_variables_name() -> None:
    with pytest.raises(ValueError, match="rate limits"):
        Settings(events_url="sqlite://", rasa_jwt_secret="r" * 32, action_secret="a" * 16,
                 jwt_secret="j" * 32, admin_token="b" * 16,
                 sign_in_account_limits="five a minute")
