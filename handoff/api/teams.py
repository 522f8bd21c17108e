"""Teams: skill groups, each with its own time zone, business hours, holidays and closed dates."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from handoff import admin_audit, queue
from handoff.dependencies import Admin, CurrentAgent, DbSession
from handoff.models import Team
from handoff.schemas import TeamIn, TeamOut

routes = APIRouter(prefix="/api/v1/teams", tags=["teams"])


@routes.put("/{name}", response_model=TeamOut)
def put_team(name: str, body: TeamIn, session: DbSession, admin: Admin) -> Team:
    """Create or update a team. The path's name wins over the body's."""
    team = queue.team_named(session, name)
    before = TeamOut.model_validate(team).model_dump(exclude={"id"})
    team.timezone = body.timezone
    team.business_hours = body.business_hours
    team.country, team.subdivision = body.country, body.subdivision
    team.closed_dates = sorted({day.isoformat() for day in body.closed_dates})
    session.flush()
    admin_audit.record(session, admin, "team.saved", team.name, before,
                       TeamOut.model_validate(team).model_dump(exclude={"id"}))
    session.commit()
    return team


@routes.get("", response_model=list[TeamOut])
def list_teams(session: DbSession, agent: CurrentAgent) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))
