"""FastAPI dependencies: the database session and the three kinds of callers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, joinedload

from handoff.models import Agent
from handoff.security import agent_id_from_token, secret_matches
from handoff.settings import Settings

SEEN_RESOLUTION_SECONDS = 10.0
_bearer = HTTPBearer(auto_error=False)
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail,
                         headers={"WWW-Authenticate": "Bearer"})


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(get_session)]
AppSettings = Annotated[Settings, Depends(get_settings)]


def agent_for_token(session: Session, token: str, settings: Settings) -> Agent | None:
    """The agent a valid token belongs to; being seen keeps an online agent online."""
    agent_id = agent_id_from_token(token, settings.jwt_secret)
    # One statement with the agent's teams (every agent request checks them)
    agent = (session.get(Agent, agent_id, options=[joinedload(Agent.teams)])
             if agent_id is not None else None)
    if agent is not None and time.time() - agent.last_seen_at > SEEN_RESOLUTION_SECONDS:
        agent.last_seen_at = time.time()
    # Ends the transaction: the connection goes back to the pool instead of being held while an
    # async endpoint awaits Rasa (under load that exhausted the pool).
    session.commit()
    return agent


def current_agent(credentials: Bearer, session: DbSession, settings: AppSettings) -> Agent:
    if credentials is None:
        raise _unauthorized("agent token required")
    agent = agent_for_token(session, credentials.credentials, settings)
    if agent is None:
        raise _unauthorized("invalid or expired token")
    return agent


def action_server(credentials: Bearer, settings: AppSettings) -> None:
    if credentials is None or not secret_matches(credentials.credentials, settings.action_secret):
        raise _unauthorized("action server secret required")


def admin(credentials: Bearer, settings: AppSettings) -> None:
    if credentials is None or not secret_matches(credentials.credentials, settings.admin_token):
        raise _unauthorized("admin token required")


CurrentAgent = Annotated[Agent, Depends(current_agent)]
