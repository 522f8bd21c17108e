"""No signing oracle: the real system's demo page signs no identity for a visitor who names one,
and a malformed signature is refused with 400 (never a 500) without holding up the action
server's outbox of escalations."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import requests
from fastapi.testclient import TestClient

from actions.escalation_outbox import EscalationOutbox
from actions.handoff_client import HandoffClient
from common.protocol import new_reference
from handoff.app import create_app
from handoff.settings import Settings
from tools.stack import Stack

VICTIM = "victim@shop.com"
# What an attacker puts where the shop's HMAC goes: non-ASCII, too long, not hex.
MALFORMED = ("é" * 64, "a" * 128, "z" * 64)


def _context(signature: str | None = None) -> dict[str, Any]:
    """An escalation of a web visitor, as the action server files it; in a team of its own, so
    that it waits in no other test's queue."""
    made: dict[str, Any] = {"team": "signing-tests",
        "version": 1, "conversation_id": uuid.uuid4().hex, "channel": "socketio",
        "language": "en", "reason": "explicit_request", "summary": "where is my order",
        "contact": {}, "slots": {"language": "en"}, "last_intents": [],
        "transcript": [{"sender": "customer", "text": "a human please", "timestamp": 1.0}],
        "reference": new_reference(), "escalated_at": time.time()}
    if signature is not None:
        made["signed_identity"] = {"identifier": VICTIM, "identifier_hash": signature}
    return made


def _action_server(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.config.environment()['HANDOFF_ACTION_SECRET']}"}


def test_the_demo_page_signs_no_identity_a_visitor_names(stack: Stack) -> None:
    page = requests.get(f"{stack.config.handoff_url}/widget/demo", params={"user": VICTIM},
                        timeout=10)
    assert page.status_code == 200 and "widget.js" in page.text
    assert "data-identifier-hash" not in page.text and VICTIM not in page.text


def test_a_malformed_signature_is_a_400(stack: Stack) -> None:
    base = f"{stack.config.handoff_url}/api/v1"
    for signature in MALFORMED:
        filed = requests.post(f"{base}/handoffs", json=_context(signature),
                              headers=_action_server(stack), timeout=10)
        assert filed.status_code == 400, (signature, filed.status_code, filed.text)
        arrived = requests.post(
            f"{base}/conversations/{uuid.uuid4().hex}/arrival", headers=_action_server(stack),
            json={"channel": "socketio",
                  "signed_identity": {"identifier": VICTIM, "identifier_hash": signature}},
            timeout=10)
        assert arrived.status_code == 400, (signature, arrived.status_code, arrived.text)


def test_a_bad_escalation_does_not_hold_up_the_good_one_behind_it(stack: Stack,
                                                                   tmp_path: Path) -> None:
    secret = stack.config.environment()["HANDOFF_ACTION_SECRET"]
    outbox = EscalationOutbox(tmp_path / "outbox.sqlite3",
                              lambda: HandoffClient(stack.config.handoff_url, secret, timeout=10))
    bad, good = _context(MALFORMED[0]), _context()
    for context in (bad, good):
        outbox.keep(context)  # the outbox's own thread delivers them
    deadline = time.monotonic() + 30
    while outbox.waiting() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert outbox.waiting() == []  # the good one filed, the bad one set aside
    handoff = requests.get(
        f"{stack.config.handoff_url}/api/v1/conversations/{good['conversation_id']}/handoff",
        headers=_action_server(stack), timeout=10)
    assert handoff.status_code == 200 and handoff.json()["reference"] == good["reference"]


def test_in_development_the_demo_page_signs_only_for_a_browser_on_this_machine(
        tmp_path: Path) -> None:
    """`make run` (HANDOFF_WIDGET_DEMO_SIGNS) behind a proxy on the same machine, or a page
    that rebinds its own name to 127.0.0.1, still gets no signature."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'handoff.db'}",
        events_url=f"sqlite:///{tmp_path / 'events.db'}",
        rasa_jwt_secret="r" * 32, action_secret="a" * 16, jwt_secret="j" * 32,
        admin_token="t" * 16, widget_identity_secret="the shop's secret",
        widget_demo_signs=True)
    app = create_app(settings)

    def signed(client: tuple[str, int], **headers: str) -> bool:
        with TestClient(app, base_url="http://127.0.0.1:8000", client=client) as browser:
            page = browser.get("/widget/demo", params={"user": VICTIM}, headers=headers)
        assert page.status_code == 200
        return "data-identifier-hash" in page.text

    here = ("127.0.0.1", 50000)
    assert signed(here)  # the developer's own browser
    assert signed(here, host="localhost:8000")
    assert not signed(here, **{"x-forwarded-for": "203.0.113.7"})  # a proxy in front
    assert not signed(here, forwarded="for=203.0.113.7")
    assert not signed(here, host="rebound.example:8000")  # DNS rebinding
    assert not signed(("203.0.113.7", 50000))  # another machine
