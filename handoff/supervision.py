"""What a supervisor watches live, per team: how many chats wait, since when the oldest, who is
online, and how loaded each agent is. Read from the database at each request, so every replica
of the service answers the same."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff.models import Agent, Handoff, Team, agent_teams
from handoff.roles import HANDLES_CHATS
from handoff.schemas import AgentLoad, TeamNow
from handoff.states import WAITING, Status


def teams_now(session: Session, team_ids: list[int] | None = None) -> list[TeamNow]:
    """Every team (or those of `team_ids`), in name order."""
    teams = session.scalars(select(Team).order_by(Team.name)).all()
    if team_ids is not None:
        teams = [team for team in teams if team.id in team_ids]
    waiting = {row.team_id: (row.count, row.oldest) for row in session.execute(
        select(Handoff.team_id, func.count(Handoff.id).label("count"),
               func.min(Handoff.created_at).label("oldest"))
        .where(Handoff.status.in_([str(s) for s in WAITING])).group_by(Handoff.team_id))}
    load = dict(session.execute(
        select(Handoff.agent_id, func.count(Handoff.id))
        .where(Handoff.status == Status.ASSIGNED).group_by(Handoff.agent_id)).tuples().all())
    members: dict[int, list[Agent]] = defaultdict(list)
    for team_id, agent in session.execute(
            select(agent_teams.c.team_id, Agent).join(Agent, Agent.id == agent_teams.c.agent_id)
            .where(Agent.active, Agent.role.in_([str(role) for role in HANDLES_CHATS]))
            .order_by(Agent.name)):
        members[team_id].append(agent)
    shown = []
    for team in teams:
        count, oldest = waiting.get(team.id, (0, None))
        agents = [AgentLoad(id=agent.id, name=agent.name, presence=agent.presence,
                            open=load.get(agent.id, 0), capacity=agent.capacity)
                  for agent in members[team.id]]
        shown.append(TeamNow(id=team.id, name=team.name, waiting=count, oldest_waiting_since=oldest,
                             online=sum(1 for agent in agents if agent.presence == "online"),
                             agents=agents))
    return shown
