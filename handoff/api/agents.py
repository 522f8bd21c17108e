"""Agent accounts, login and presence."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff import queue
from handoff.dependencies import AppSettings, AssignerDep, CurrentAgent, DbSession, Events, admin
from handoff.events import Event, Kind
from handoff.models import Agent, Team
from handoff.schemas import AgentCreate, AgentOut, AgentUpdate, Login, PresenceIn, TokenOut
from handoff.security import hash_password, issue_token, verify_password

routes = APIRouter(prefix="/api/v1", tags=["agents"])


def _teams(session: Session, names: list[str]) -> list[Team]:
    return [queue.team_named(session, name) for name in dict.fromkeys(names)]


@routes.post("/agents", response_model=AgentOut, status_code=201, dependencies=[Depends(admin)])
def create_agent(body: AgentCreate, session: DbSession) -> Agent:
    agent = Agent(email=body.email.lower(), name=body.name, capacity=body.capacity,
                  password_hash=hash_password(body.password), languages=list(body.languages),
                  teams=_teams(session, body.teams), presence="offline", last_seen_at=0.0)
    session.add(agent)
    try:
        session.commit()
    except IntegrityError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, "an agent with this email exists") from error
    return agent


@routes.patch("/agents/{agent_id}", response_model=AgentOut, dependencies=[Depends(admin)])
def update_agent(agent_id: int, body: AgentUpdate, session: DbSession) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no agent {agent_id}")
    if body.languages is not None:
        agent.languages = list(body.languages)
    if body.teams is not None:
        agent.teams = _teams(session, body.teams)
    if body.capacity is not None:
        agent.capacity = body.capacity
    session.commit()
    return agent


@routes.post("/auth/login", response_model=TokenOut)
def login(body: Login, session: DbSession, settings: AppSettings) -> TokenOut:
    agent = session.scalars(select(Agent).where(Agent.email == body.email.lower())).first()
    if agent is None or not verify_password(agent.password_hash, body.password):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
    token, expires = issue_token(agent.id, settings.jwt_secret, settings.token_ttl_minutes)
    return TokenOut(access_token=token, expires_at=expires)


@routes.get("/agents/me", response_model=AgentOut)
def me(agent: CurrentAgent) -> Agent:
    return agent


@routes.put("/agents/me/presence", response_model=AgentOut)
async def set_presence(body: PresenceIn, session: DbSession, agent: CurrentAgent,
                       events: Events, assigner: AssignerDep) -> Agent:
    """Online agents get handoffs assigned; going offline hands their chats back to the queue."""
    agent.presence = body.presence
    agent.last_seen_at = time.time()
    await run_in_threadpool(session.commit)
    if body.presence == "offline":
        await assigner.release(agent.id, "agent went offline")
    events.emit(Event(Kind.AGENT_PRESENCE, agent_id=agent.id, data={"presence": body.presence}))
    return agent
