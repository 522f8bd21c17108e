"""A verified person who writes on a second channel while their handoff is open is offered to
continue there; "yes" moves the live chat, "no" leaves it. A typed detail offers nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from handoff.models import Contact, Conversation, Handoff
from tests.handoff.support import ACTION, RasaEvents, escalate, make_agent, wait_for

BOT = {"Authorization": f"Bearer {ACTION}"}
TELEGRAM_PHONE = [{"kind": "phone", "value": "+989121234567", "source": "telegram_contact"}]
WHATSAPP = "whatsapp:+989121234567"


def _arrive(client: TestClient, conversation_id: str, channel: str, **body: object) -> dict:
    response = client.post(f"/api/v1/conversations/{conversation_id}/arrival",
                           json={"channel": channel, **body}, headers=BOT)
    assert response.status_code == 200, response.text
    return response.json()


def _handoff(client: TestClient, handoff_id: int) -> Handoff:
    with client.app.state.services.sessions() as session:
        return session.get(Handoff, handoff_id)


def test_yes_on_whatsapp_moves_the_chat_and_the_transcript_shows_it(
        client: TestClient, events: RasaEvents) -> None:
    sara = make_agent(client)
    ticket = escalate(client, "telegram:42", "fa", channel="telegram", verified=TELEGRAM_PHONE,
                      contact={"order_numbers": ["۵۸۲۳۱"]})
    welcome = _arrive(client, WHATSAPP, "whatsapp")
    assert welcome["open"] == {"reference": ticket["reference"], "status": "queued",
                               "channel": "telegram", "language": "fa", "agent_name": None,
                               "order_numbers": ["۵۸۲۳۱"]}
    events.user(WHATSAPP, "سلام، خبری شد؟", intent="greet")  # came before the question
    events.user(WHATSAPP, "/affirm", intent="affirm")
    wait_for(lambda: _handoff(client, ticket["id"]).conversation_id == WHATSAPP)
    assert _handoff(client, ticket["id"]).channel == "whatsapp"
    events.user(WHATSAPP, "سایز ۴۲ می‌خواهم")

    def messages() -> list[tuple[str, str]]:
        shown = client.get(f"/api/v1/handoffs/{ticket['id']}", headers=sara).json()["messages"]
        return [(m["sender"], m["text"]) for m in shown]

    assert wait_for(lambda: len(messages()) == 3)
    assert messages() == [
        ("system", "whatsapp"), ("customer", "سلام، خبری شد؟"), ("customer", "سایز ۴۲ می‌خواهم")]


def test_no_leaves_the_chat_where_it_was(client: TestClient, events: RasaEvents) -> None:
    ticket = escalate(client, "telegram:43", "en", channel="telegram", verified=[
        {"kind": "phone", "value": "+4915112345678", "source": "telegram_contact"}])
    assert _arrive(client, "whatsapp:+4915112345678", "whatsapp")["open"] is not None
    events.user("whatsapp:+4915112345678", "hi", intent="greet")
    events.user("whatsapp:+4915112345678", "/deny", intent="deny")
    events.user("telegram:43", "still there?")  # the chat goes on where it was
    sara = make_agent(client)
    wait_for(lambda: client.get(f"/api/v1/handoffs/{ticket['id']}", headers=sara)
             .json()["messages"])
    assert _handoff(client, ticket["id"]).conversation_id == "telegram:43"


def test_a_typed_number_is_not_offered_someone_elses_request(client: TestClient) -> None:
    escalate(client, "telegram:44", "fa", channel="telegram", contact={"phone": "+989120000001"})
    assert _arrive(client, "whatsapp:+989120000002", "whatsapp") == {
        "waiting_here": False, "open": None, "previous": None}
    escalate(client, "telegram:45", "fa", channel="telegram",
             contact={"order_numbers": ["58231"], "email": "a@example.com"})
    assert _arrive(client, "messenger:999", "messenger")["open"] is None


def test_a_new_session_while_waiting_stays_paused_and_a_resolved_one_is_remembered(
        client: TestClient) -> None:
    ticket = escalate(client, "whatsapp:+989121111111", "ar", channel="whatsapp",
                      contact={"order_numbers": ["٤٠٠١٧"]}, summary="وصل المنتج تالفا")
    assert _arrive(client, "whatsapp:+989121111111", "whatsapp")["waiting_here"] is True
    with client.app.state.services.sessions() as session:
        session.get(Handoff, ticket["id"]).status = "resolved"
        session.commit()
    previous = _arrive(client, "whatsapp:+989121111111", "whatsapp")["previous"]
    assert previous == {"reference": ticket["reference"], "language": "ar",
                        "order_numbers": ["٤٠٠١٧"], "summary": "وصل المنتج تالفا"}


def test_an_anonymous_visitor_waiting_stays_paused_and_is_stored_nowhere(
        client: TestClient) -> None:
    """A web visitor nothing verifies: a new session (Rasa's expire after an hour) while their
    request waits keeps the bot paused; a visitor who never asked for a person is not stored."""
    assert _arrive(client, "anon-visitor-1", "socketio") == {
        "waiting_here": False, "open": None, "previous": None}
    with client.app.state.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 0
        assert session.scalar(select(func.count()).select_from(Conversation)) == 0
    escalate(client, "anon-visitor-2", "he")
    assert _arrive(client, "anon-visitor-2", "socketio")["waiting_here"] is True
    assert _arrive(client, "anon-visitor-1", "socketio")["waiting_here"] is False
