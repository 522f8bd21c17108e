"""Agent accounts and login."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from handoff.dependencies import AppSettings, CurrentAgent, DbSession, admin
from handoff.models import Agent
from handoff.schemas import AgentCreate, AgentOut, Login, TokenOut
from handoff.security import hash_password, issue_token, verify_password

router = APIRouter(prefix="/api/v1", tags=["agents"])


@router.post("/agents", response_model=AgentOut, status_code=201, dependencies=[Depends(admin)])
def create_agent(body: AgentCreate, session: DbSession) -> Agent:
    agent = Agent(email=body.email.lower(), name=body.name,
                  password_hash=hash_password(body.password))
    session.add(agent)
    try:
        session.commit()
    except IntegrityError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, "an agent with this email exists") from error
    return agent


@router.post("/auth/login", response_model=TokenOut)
def login(body: Login, session: DbSession, settings: AppSettings) -> TokenOut:
    agent = session.scalars(select(Agent).where(Agent.email == body.email.lower())).first()
    if agent is None or not verify_password(agent.password_hash, body.password):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
    token, expires = issue_token(agent.id, settings.jwt_secret, settings.token_ttl_minutes)
    return TokenOut(access_token=token, expires_at=expires)


@router.get("/agents/me", response_model=AgentOut)
def me(agent: CurrentAgent) -> Agent:
    return agent
