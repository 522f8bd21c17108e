"""The teams as a supervisor watches them: queue, oldest chat, who is online and their load."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.handoff.support import escalate, make_agent, wait_for


def test_each_team_shows_its_queue_and_its_agents_load(client: TestClient) -> None:
    supervisor = make_agent(client, "maryam@example.com", role="supervisor", teams=["support"])
    tickets = [escalate(client, f"conv-{n}") for n in range(3)]
    make_agent(client, "sara@example.com", teams=["support"], capacity=1, online=True)
    make_agent(client, "omid@example.com", teams=["support"])
    make_agent(client, "anna@example.com", teams=["billing"], online=True)

    def settled() -> list[dict] | None:
        found = client.get("/api/v1/reports/now", headers=supervisor).json()
        support = next(team for team in found if team["name"] == "support")
        return found if support["waiting"] == 2 else None

    teams = {team["name"]: team for team in wait_for(settled)}
    support, billing = teams["support"], teams["billing"]
    queued = [h for h in client.get("/api/v1/handoffs?status=open", headers=supervisor).json()
              if h["status"] == "queued"]
    assert len(queued) == 2 and {h["id"] for h in queued} < {t["id"] for t in tickets}
    assert support["oldest_waiting_since"] == min(h["created_at"] for h in queued)
    assert support["online"] == 1
    assert [(a["name"], a["presence"], a["open"], a["capacity"]) for a in support["agents"]] == [
        ("maryam", "offline", 0, 3), ("omid", "offline", 0, 3), ("sara", "online", 1, 1)]
    assert (billing["waiting"], billing["oldest_waiting_since"], billing["online"]) == (0, None, 1)


def test_only_supervisors_and_admins_watch_the_teams(client: TestClient) -> None:
    agent = make_agent(client)
    assert client.get("/api/v1/reports/now").status_code == 401
    assert client.get("/api/v1/reports/now", headers=agent).status_code == 403
