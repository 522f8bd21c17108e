"""Teams: skill groups, each with its own time zone, business hours, holidays and closed dates."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import select

from handoff import queue
from handoff.dependencies import CurrentAgent, DbSession, admin
from handoff.models import Team
from handoff.schemas import TeamIn, TeamOut

routes = APIRouter(prefix="/api/v1/teams", tags=["teams"])


@routes.put("/{name}", response_model=TeamOut, dependencies=[Depends(admin)])
def put_team(name: str, body: TeamIn, session: DbSession) -> Team:
    """Create or update a team. The path's name wins over the body's."""
    team = queue.team_named(session, name)
    team.timezone = body.timezone
    team.business_hours = body.business_hours
    team.country, team.subdivision = body.country, body.subdivision
    team.closed_dates = sorted({day.isoformat() for day in body.closed_dates})
    session.commit()
    return team


@routes.get("", response_model=list[TeamOut])
def list_teams(session: DbSession, agent: CurrentAgent) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))
