"""The supervisors' reports: figures computed from seeded sessions and handoffs, compared with
figures computed here by hand; the CSV export; roles and bad input."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from handoff.models import BotSession, Handoff, Rating
from handoff.reports import percentile
from handoff.settings import Settings
from tests.handoff.support import RasaEvents, escalate, make_agent, wait_for

TEHRAN = ZoneInfo("Asia/Tehran")
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=TEHRAN).timestamp()
RANGE = {"since": "2026-11-30", "until": "2026-12-01", "timezone": "Asia/Tehran"}


def seed(client: TestClient, events: RasaEvents) -> dict[str, int]:
    """Five conversations' sessions with the bot and four handoffs, at known times."""
    def user(conversation: str, text: str, at: float, channel: str, language: str) -> None:
        events.publish(conversation, {
            "event": "user", "text": text, "timestamp": at, "input_channel": channel,
            "parse_data": {"intent": {"name": "greet", "confidence": 0.99},
                           "entities": [{"entity": "language", "value": language}]}})

    def started(conversation: str, at: float) -> None:
        events.publish(conversation, {"event": "session_started", "timestamp": at})

    started("conv-a", T0)
    user("conv-a", "سلام، سفارشم کجاست؟", T0 + 1, "socketio", "fa")
    started("conv-b", T0 + 100)
    user("conv-b", "hi", T0 + 101, "telegram", "en")
    started("conv-b", T0 + 5000)  # the same customer, a new session
    user("conv-b", "my parcel is late", T0 + 5001, "telegram", "en")
    user("conv-c", "مرحبا", T0 + 200, "socketio", "ar")  # no session_started: starts with it
    started("conv-d", T0 - 2 * 86400)  # before the range
    user("conv-d", "שלום", T0 - 2 * 86400 + 1, "socketio", "he")
    started("conv-e", T0 + 300)  # the widget opened, nothing written
    services = client.app.state.services
    wait_for(lambda: _sessions_with_messages(services) == 5, timeout=10)

    ids = {name: escalate(client, conversation, language, reason=reason)["id"]
           for name, conversation, language, reason in (
               ("a", "conv-a", "fa", "explicit_request"), ("b", "conv-b", "en", "fallback"),
               ("f", "conv-f", "en", "frustration"), ("old", "conv-d", "he", "fallback"))}
    agent = make_agent(client)
    agent_id = client.get("/api/v1/agents/me", headers=agent).json()["id"]
    timings = {  # created, assigned, first response, resolved (seconds after created)
        "a": (T0 + 10, 30, 90, 600), "b": (T0 + 5010, 60, 120, 1200),
        "f": (T0 + 7000, 120, None, None), "old": (T0 - 2 * 86400 + 10, 5, 5, 5)}
    with services.sessions() as session:
        for name, (created, assigned, answered, resolved) in timings.items():
            session.execute(update(Handoff).where(Handoff.id == ids[name]).values(
                created_at=created, assigned_at=created + assigned, agent_id=agent_id,
                first_response_at=created + answered if answered else None,
                resolved_at=created + resolved if resolved else None,
                status="resolved" if resolved else "assigned"))
        session.add_all([Rating(handoff_id=ids["a"], score=5), Rating(handoff_id=ids["b"], score=2),
                         Rating(handoff_id=ids["old"], score=1)])
        session.commit()
    return ids


def _sessions_with_messages(services: object) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count(BotSession.id)).where(BotSession.messages > 0))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The seeded handoffs stay as seeded: none is taken back for want of an answer."""
    return settings.model_copy(update={"assign_timeout_seconds": 1e9})


@pytest.fixture
def supervisor(client: TestClient) -> dict[str, str]:
    return make_agent(client, "maryam@example.com", role="supervisor")


def test_percentiles_are_linear_between_ranks() -> None:
    assert percentile([40, 10, 30, 20], 0.5) == 25
    assert percentile([30, 60, 120], 0.9) == pytest.approx(108)
    assert percentile([7], 0.9) == 7 and percentile([], 0.5) is None


def test_the_figures_are_those_computed_by_hand(client: TestClient, events: RasaEvents,
                                                supervisor: dict[str, str]) -> None:
    seed(client, events)
    found = client.get("/api/v1/reports", params=RANGE, headers=supervisor)
    assert found.status_code == 200, found.text
    total = found.json()["total"]
    # sessions in the range: a, b's two, c (d's is before it, e's has no message); a's and
    # b's second had a handoff
    assert (total["sessions"], total["contained"], total["containment"]) == (4, 2, 0.5)
    assert total["handoffs"] == 3
    assert total["waiting"] == {"count": 3, "p50": 60, "p90": pytest.approx(108)}
    assert total["first_response"] == {"count": 2, "p50": 105, "p90": pytest.approx(117)}
    assert total["resolution"] == {"count": 2, "p50": 900, "p90": pytest.approx(1140)}
    assert total["csat"] == {"average": 3.5, "ratings": 2, "resolved": 2, "response_rate": 1.0,
                             "distribution": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}}
    reasons = {row["key"]: row for row in found.json()["by_reason"]}
    assert set(reasons) == {"explicit_request", "fallback", "frustration"}
    assert (reasons["explicit_request"]["csat"]["average"],
            reasons["explicit_request"]["resolution"]["p50"]) == (5, 600)
    assert (reasons["fallback"]["csat"]["average"], reasons["fallback"]["resolution"]["p50"]) == (
        2, 1200)
    assert reasons["frustration"]["csat"]["ratings"] == 0
    assert reasons["frustration"]["resolution"]["count"] == 0
    days = [(row["key"], row["handoffs"], row["sessions"]) for row in found.json()["by_day"]]
    assert days == [("2026-11-30", 0, 0), ("2026-12-01", 3, 4)]


def test_filters_narrow_the_figures_and_containment_only_where_it_means_something(
        client: TestClient, events: RasaEvents, supervisor: dict[str, str]) -> None:
    seed(client, events)
    persian = client.get("/api/v1/reports", params=RANGE | {"language": "fa"},
                         headers=supervisor).json()["total"]
    assert (persian["sessions"], persian["contained"], persian["handoffs"]) == (1, 0, 1)
    arabic = client.get("/api/v1/reports", params=RANGE | {"language": "ar"},
                        headers=supervisor).json()["total"]
    assert (arabic["sessions"], arabic["containment"], arabic["handoffs"]) == (1, 1.0, 0)
    fallback = client.get("/api/v1/reports", params=RANGE | {"reason": "fallback"},
                          headers=supervisor).json()["total"]
    assert (fallback["handoffs"], fallback["sessions"], fallback["containment"]) == (1, None, None)
    day_before = client.get("/api/v1/reports", headers=supervisor, params={
        "since": "2026-11-29", "until": "2026-11-29", "timezone": "Asia/Tehran"}).json()["total"]
    assert (day_before["handoffs"], day_before["sessions"], day_before["csat"]["average"]) == (
        1, 1, 1)


def test_the_csv_has_a_row_per_group(client: TestClient, events: RasaEvents,
                                     supervisor: dict[str, str]) -> None:
    seed(client, events)
    exported = client.get("/api/v1/reports/export.csv", params=RANGE | {"by": "language"},
                          headers=supervisor)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "report-language-2026-11-30-2026-12-01.csv" in exported.headers[
        "content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    by_language = {row["language"]: row for row in rows}
    assert set(by_language) == {"ar", "en", "fa"}
    assert (by_language["en"]["handoffs"], by_language["en"]["sessions"],
            by_language["en"]["contained"]) == ("2", "2", "1")
    assert by_language["en"]["waiting_p50_s"] == "90.0"  # b: 60 s, f: 120 s
    assert by_language["ar"]["csat_average"] == ""
    by_reason = list(csv.DictReader(io.StringIO(client.get(
        "/api/v1/reports/export.csv", params=RANGE, headers=supervisor).text)))
    assert [row["reason"] for row in by_reason] == ["explicit_request", "fallback", "frustration"]
    assert by_reason[0]["sessions"] == ""
    for by, keys in (("team", ["support"]), ("agent", ["sara"])):
        grouped = list(csv.DictReader(io.StringIO(client.get(
            "/api/v1/reports/export.csv", params=RANGE | {"by": by}, headers=supervisor).text)))
        assert [(row[by], row["handoffs"]) for row in grouped] == [(keys[0], "3")]


def test_only_supervisors_and_admins_see_reports_and_bad_ranges_are_refused(
        client: TestClient, supervisor: dict[str, str]) -> None:
    agent = make_agent(client, "omid@example.com")
    trainer = make_agent(client, "tara@example.com", role="trainer")
    for path in ("/api/v1/reports", "/api/v1/reports/export.csv"):
        assert client.get(path, params=RANGE).status_code == 401
        assert client.get(path, params=RANGE, headers=agent).status_code == 403
        assert client.get(path, params=RANGE, headers=trainer).status_code == 403
    for bad in ({"since": "2026-12-02", "until": "2026-12-01"},
                {"since": "2025-01-01", "until": "2026-12-01"},
                RANGE | {"timezone": "Mars/Olympus_Mons"},
                {"since": "yesterday", "until": "2026-12-01"},
                RANGE | {"reason": "boredom"}, RANGE | {"team": "0"}):
        refused = client.get("/api/v1/reports", params=bad, headers=supervisor)
        assert refused.status_code == 422, bad
    assert client.get("/api/v1/reports/export.csv", params=RANGE | {"by": "mood"},
                      headers=supervisor).status_code == 422
