"""Live updates over the WebSocket: agents hear of new handoffs, assignments and messages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.handoff.support import RasaEvents, escalate, live_protocols, make_agent


def _next_of(websocket, kind: str) -> dict:  # noqa: ANN001 - starlette's test session
    for _ in range(20):
        event = websocket.receive_json()
        if event["type"] == kind:
            return event
    raise AssertionError(f"no {kind} event")


def test_agents_get_new_handoffs_and_customer_messages_live(
    client: TestClient, events: RasaEvents
) -> None:
    sara = make_agent(client)
    with client.websocket_connect("/api/v1/live", subprotocols=live_protocols(sara)) as websocket:
        ticket = escalate(client)
        assert _next_of(websocket, "handoff.created")["handoff_id"] == ticket["id"]
        client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
        assert _next_of(websocket, "handoff.assigned")["handoff_id"] == ticket["id"]
        events.user("conv-1", "سلام؟ کسی هست؟")
        message = _next_of(websocket, "message.created")
        assert message["handoff_id"] == ticket["id"] and message["sender"] == "customer"


def test_other_teams_events_are_not_sent(client: TestClient) -> None:
    anna = make_agent(client, "anna@example.com", teams=["billing"])
    with client.websocket_connect("/api/v1/live", subprotocols=live_protocols(anna)) as websocket:
        escalate(client, "conv-1", team="returns")
        billing = escalate(client, "conv-2", team="billing")
        assert _next_of(websocket, "handoff.created")["handoff_id"] == billing["id"]


def test_a_bad_token_is_refused(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect), \
            client.websocket_connect("/api/v1/live",
                                     subprotocols=["handoff.live", "bearer.nope"]) as websocket:
        websocket.receive_json()
