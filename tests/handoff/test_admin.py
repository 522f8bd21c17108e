"""Admins' changes from the console: canned responses kept in the database (seeded once from the
YAML file, effective at once, no restart), and the audit of every admin change."""

from __future__ import annotations

from fastapi.testclient import TestClient

from handoff import canned
from handoff.app import create_app
from handoff.settings import DEFAULT_CANNED, Settings
from tests.handoff.support import RasaEvents, admin_headers, make_agent

NIGHT = {"en": "Good evening, the night desk here.", "fa": "عصر بخیر، اینجا میز شبانه است.",
         "ar": "مساء الخير، معك فريق الليل.", "he": "ערב טוב, כאן משמרת הלילה."}


def keys(client: TestClient, agent: dict[str, str], language: str = "fa") -> dict[str, str]:
    found = client.get(f"/api/v1/canned-responses?language={language}", headers=agent)
    assert found.status_code == 200, found.text
    return {entry["key"]: entry["text"] for entry in found.json()}


def test_canned_responses_change_for_agents_at_once(client: TestClient) -> None:
    admin, agent = admin_headers(client), make_agent(client)
    seeded = {entry.key for entry in canned.read_file(DEFAULT_CANNED)}
    assert set(keys(client, agent)) == seeded
    saved = client.put("/api/v1/admin/canned-responses/night_greeting", json=NIGHT, headers=admin)
    assert saved.status_code == 200, saved.text
    assert keys(client, agent)["night_greeting"] == NIGHT["fa"]
    assert keys(client, agent, "he")["night_greeting"] == NIGHT["he"]
    changed = client.put("/api/v1/admin/canned-responses/night_greeting",
                         json=NIGHT | {"fa": "  شب بخیر!  "}, headers=admin)
    assert changed.json()["texts"]["fa"] == "شب بخیر!"
    assert keys(client, agent)["night_greeting"] == "شب بخیر!"
    assert client.delete("/api/v1/admin/canned-responses/night_greeting",
                         headers=admin).status_code == 204
    assert "night_greeting" not in keys(client, agent)
    assert client.delete("/api/v1/admin/canned-responses/night_greeting",
                         headers=admin).status_code == 404


def test_bad_canned_responses_and_other_roles_are_refused(client: TestClient) -> None:
    admin, agent = admin_headers(client), make_agent(client)
    supervisor = make_agent(client, "maryam@example.com", role="supervisor")
    path = "/api/v1/admin/canned-responses/night_greeting"
    for body in ({k: v for k, v in NIGHT.items() if k != "ar"}, NIGHT | {"he": "   "},
                 NIGHT | {"en": "x" * 2001}, NIGHT | {"de": "Guten Abend"}):
        assert client.put(path, json=body, headers=admin).status_code == 422, body
    assert client.put("/api/v1/admin/canned-responses/no%20spaces", json=NIGHT,
                      headers=admin).status_code == 422
    for headers in ({}, agent, supervisor):
        assert client.put(path, json=NIGHT, headers=headers).status_code in (401, 403)
        assert client.get("/api/v1/admin/audit", headers=headers).status_code in (401, 403)


def test_every_admin_change_is_audited_with_what_was_before(client: TestClient) -> None:
    admin = admin_headers(client)
    make_agent(client, "omid@example.com")
    client.put("/api/v1/teams/nights", headers=admin,
               json={"name": "nights", "timezone": "Europe/Berlin"})
    client.put("/api/v1/teams/nights", headers=admin, json={
        "name": "nights", "timezone": "Europe/Berlin", "business_hours": {
            "fri": [["22:00", "06:00"]]}, "country": "DE"})
    client.put("/api/v1/admin/canned-responses/night_greeting", json=NIGHT, headers=admin)
    client.delete("/api/v1/admin/canned-responses/night_greeting", headers=admin)
    entries = client.get("/api/v1/admin/audit", headers=admin).json()
    actions = [(entry["action"], entry["target"]) for entry in entries]
    assert actions[:4] == [("canned.deleted", "night_greeting"), ("canned.saved", "night_greeting"),
                           ("team.saved", "nights"), ("team.saved", "nights")]
    assert ("account.created", next(a["target"] for a in entries
                                    if a["action"] == "account.created")) in actions
    deleted, saved, second_team = entries[0], entries[1], entries[2]
    assert deleted["before"] == NIGHT and deleted["after"] is None
    assert saved["before"] is None and saved["after"] == NIGHT
    assert second_team["before"]["business_hours"] is None
    assert second_team["after"]["business_hours"] == {"fri": [["22:00", "06:00"]]}
    assert second_team["after"]["country"] == "DE"
    assert all(entry["actor"].startswith("agent:") or entry["actor"] == "bootstrap"
               for entry in entries)


def test_the_file_seeds_an_empty_table_once(settings: Settings, events: RasaEvents) -> None:
    with TestClient(create_app(settings)) as client:
        admin, agent = admin_headers(client), make_agent(client)
        client.delete("/api/v1/admin/canned-responses/greeting", headers=admin)
    with TestClient(create_app(settings)) as restarted:  # the same database
        assert "greeting" not in keys(restarted, agent)
        assert "checking" in keys(restarted, agent)
