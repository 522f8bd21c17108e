"""What the console and the widget need from the service: pages, colleagues, canned responses,
slot checks, and typing indicators in both directions."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from handoff.app import create_app
from handoff.settings import Settings
from handoff.slot_values import InvalidSlot, checked_value
from tests.handoff.support import RasaEvents, escalate, live_protocols, make_agent

WIDGET_CONVERSATION = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
WIDGET_FEED = "/api/v1/widget/live"


def hello(conversation_id: str) -> dict[str, str]:
    """The widget feed's first frame: which conversation the socket speaks for."""
    return {"type": "hello", "conversation_id": conversation_id}


def test_the_pages_and_the_widget_script_are_served(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/console/"
    console = client.get("/console/")
    assert console.status_code == 200 and 'type="module" src="main.js"' in console.text
    assert client.get("/console/main.js").status_code == 200
    assert "io(socketUrl" in client.get("/widget/widget.js").text
    # the widget runs on customers' own sites and fetches its texts from here
    texts = client.get("/widget/i18n/fa.json", headers={"Origin": "https://shop.example"})
    assert texts.headers["access-control-allow-origin"] == "*"
    assert texts.json()["dir"] == "rtl"
    assert client.get("/widget/socket.io.min.js").status_code == 200
    demo = client.get("/widget/demo")
    assert 'src="/widget/widget.js"' in demo.text and "data-socket-url=" in demo.text


def test_colleagues_are_those_of_your_teams(client: TestClient) -> None:
    sara = make_agent(client, "sara@example.com", teams=["support", "returns"])
    make_agent(client, "omid@example.com", teams=["returns"])
    make_agent(client, "anna@example.com", teams=["billing"])
    names = [a["name"] for a in client.get("/api/v1/agents", headers=sara).json()]
    assert names == ["omid", "sara"]
    assert client.get("/api/v1/agents").status_code == 401


@pytest.mark.parametrize("language", ["en", "fa", "ar", "he"])
def test_canned_responses_exist_in_every_language(client: TestClient, language: str) -> None:
    sara = make_agent(client)
    canned = client.get(f"/api/v1/canned-responses?language={language}", headers=sara).json()
    assert len(canned) >= 3
    assert all(c["language"] == language and c["text"].strip() for c in canned)


def test_canned_responses_need_a_known_language_and_a_login(client: TestClient) -> None:
    sara = make_agent(client)
    assert client.get("/api/v1/canned-responses?language=xx", headers=sara).status_code == 422
    assert client.get("/api/v1/canned-responses?language=en").status_code == 401


def test_only_the_assignee_corrects_a_slot(client: TestClient) -> None:
    sara, omid = make_agent(client), make_agent(client, "omid@example.com")
    ticket = escalate(client)
    client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
    url = f"/api/v1/handoffs/{ticket['id']}/slots/order_number"
    assert client.put(url, json={"value": "58232"}, headers=omid).status_code == 403
    assert client.put(url, json={"value": "58232"}).status_code == 401
    assert client.put(url, json={"value": {"x": 1}}, headers=sara).status_code == 422
    assert client.put("/api/v1/handoffs/999/slots/x", json={"value": "1"},
                      headers=sara).status_code == 404


SLOTS: dict[str, dict[str, Any]] = {
    "language": {"type": "categorical", "values": ["en", "fa", "ar", "he"]},
    "order_number": {"type": "text"},
    "requested_slot": {"type": "text"},
    "count": {"type": "float"},
}


@pytest.mark.parametrize(
    ("name", "value", "stored"),
    [("order_number", " 58232 ", "58232"), ("order_number", 58232, "58232"),
     ("language", "fa", "fa"), ("count", 2, 2), ("order_number", None, None)],
)
def test_corrections_are_stored_as_the_slot_keeps_them(name: str, value: Any, stored: Any) -> None:
    assert checked_value(SLOTS, name, value) == stored


@pytest.mark.parametrize(
    ("name", "value"),
    [("nope", "1"), ("requested_slot", "item"), ("language", "de"), ("count", "two"),
     ("order_number", ""), ("order_number", "x" * 501), ("order_number", True)],
)
def test_corrections_the_bot_could_not_keep_are_refused(name: str, value: Any) -> None:
    with pytest.raises(InvalidSlot):
        checked_value(SLOTS, name, value)


def test_typing_reaches_the_other_side_of_the_chat_only(client: TestClient) -> None:
    sara = make_agent(client)
    ticket = escalate(client, WIDGET_CONVERSATION)
    other = escalate(client, "f" * 32)
    client.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara)
    with client.websocket_connect("/api/v1/live", subprotocols=live_protocols(sara)) as agent, \
            client.websocket_connect(WIDGET_FEED) as widget, \
            client.websocket_connect(WIDGET_FEED) as stranger:
        widget.send_json(hello(WIDGET_CONVERSATION))
        stranger.send_json(hello("f" * 32))
        # typing for a chat that is not hers is ignored; for hers it reaches the widget
        agent.send_json({"type": "typing", "handoff_id": other["id"]})
        agent.send_json({"type": "typing", "handoff_id": ticket["id"]})
        assert widget.receive_json()["type"] == "agent.typing"
        widget.send_json({"type": "typing"})
        while (event := agent.receive_json())["type"] != "customer.typing":
            pass
        assert event["handoff_id"] == ticket["id"]
        # the other customer's widget heard nothing: its first event is its own agent's typing
        client.post(f"/api/v1/handoffs/{other['id']}/claim", headers=sara)
        agent.send_json({"type": "typing", "handoff_id": other["id"]})
        # the other customer's widget heard nothing before its own agent typed
        assert stranger.receive_json()["to_conversation"] == "f" * 32


def test_the_widget_feed_needs_a_session_id_in_its_first_frame(client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), client.websocket_connect(WIDGET_FEED) as socket:
        socket.send_json(hello("short"))
        socket.receive_json()
    # never in the URL, where access logs and proxies keep it
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(
            f"{WIDGET_FEED}?conversation_id={WIDGET_CONVERSATION}") as socket:
        socket.send_json(hello(WIDGET_CONVERSATION))
        socket.receive_json()
    assert refused.value.code == 1008


def test_only_allowed_pages_open_the_widget_feed(settings: Settings, events: object) -> None:
    from starlette.websockets import WebSocketDisconnect

    shop = settings.model_copy(update={"widget_origins": "https://shop.example"})
    with TestClient(create_app(shop)) as client:
        with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(
                WIDGET_FEED, headers={"Origin": "https://evil.example"}) as socket:
            socket.send_json(hello(WIDGET_CONVERSATION))
            socket.send_json({"type": "sync", "after": 0})  # would be answered, if let in
            socket.receive_json()
        assert refused.value.code == 1008
        for origin in ("https://shop.example", "http://testserver"):  # listed, and its own
            with client.websocket_connect(WIDGET_FEED, headers={"Origin": origin}) as socket:
                socket.send_json(hello(WIDGET_CONVERSATION))
                socket.send_json({"type": "sync", "after": 0})
                assert socket.receive_json()["type"] == "missed"


def test_the_console_reads_when_an_unanswered_chat_goes_back(settings: Settings,
                                                             events: RasaEvents) -> None:
    with TestClient(create_app(settings.model_copy(
            update={"assign_timeout_seconds": 95.0}))) as client:
        sara = make_agent(client)
        assert client.get("/api/v1/console/settings", headers=sara).json() == {
            "assign_timeout_seconds": 95.0}
        assert client.get("/api/v1/console/settings").status_code == 401
