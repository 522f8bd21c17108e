"""FastAPI dependencies: the service's parts, the database session, and the three kinds of
callers. HTTP endpoints and WebSockets alike get them from the connection's app."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, joinedload, sessionmaker
from starlette.requests import HTTPConnection

from handoff.assigner import Assigner
from handoff.delivery import Outbox
from handoff.events import Dispatcher
from handoff.hub import Hub
from handoff.models import Agent
from handoff.rasa_client import RasaClient
from handoff.security import agent_id_from_token, secret_matches
from handoff.services import Services
from handoff.settings import Settings

SEEN_RESOLUTION_SECONDS = 10.0
_bearer = HTTPBearer(auto_error=False)
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail,
                         headers={"WWW-Authenticate": "Bearer"})


async def get_services(connection: HTTPConnection) -> Services:
    """The app's parts. This getter and those below are `async` only so that FastAPI calls them
    on the event loop: a plain `def` dependency costs a worker-thread hop per request."""
    return connection.app.state.services


AppServices = Annotated[Services, Depends(get_services)]


async def get_settings(services: AppServices) -> Settings:
    return services.settings


async def get_sessions(services: AppServices) -> sessionmaker:
    return services.sessions


def get_session(services: AppServices) -> Iterator[Session]:
    with services.sessions() as session:
        yield session


async def get_events(services: AppServices) -> Dispatcher:
    return services.events


async def get_hub(services: AppServices) -> Hub:
    return services.hub


async def get_assigner(services: AppServices) -> Assigner:
    return services.assigner


async def get_outbox(services: AppServices) -> Outbox:
    return services.outbox


async def get_rasa(services: AppServices) -> RasaClient:
    return services.rasa


AppSettings = Annotated[Settings, Depends(get_settings)]
Sessions = Annotated[sessionmaker, Depends(get_sessions)]
DbSession = Annotated[Session, Depends(get_session)]
Events = Annotated[Dispatcher, Depends(get_events)]
LiveHub = Annotated[Hub, Depends(get_hub)]
AssignerDep = Annotated[Assigner, Depends(get_assigner)]
OutboxDep = Annotated[Outbox, Depends(get_outbox)]
Rasa = Annotated[RasaClient, Depends(get_rasa)]


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


async def action_server(credentials: Bearer, settings: AppSettings) -> None:
    if credentials is None or not secret_matches(credentials.credentials, settings.action_secret):
        raise _unauthorized("action server secret required")


async def admin(credentials: Bearer, settings: AppSettings) -> None:
    if credentials is None or not secret_matches(credentials.credentials, settings.admin_token):
        raise _unauthorized("admin token required")


CurrentAgent = Annotated[Agent, Depends(current_agent)]
