"""FastAPI dependencies: the service's parts, the database session, and who is calling: a
signed-in account and its role, the action server, or the holder of the bootstrap token. HTTP
endpoints and WebSockets alike get them from the connection's app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from handoff.accounts import authenticated
from handoff.assigner import Assigner
from handoff.delivery import Outbox
from handoff.event_consumer import EventConsumer
from handoff.events import Dispatcher
from handoff.hub import Hub
from handoff.models import Agent
from handoff.nlu_data import NluData
from handoff.rasa_client import RasaClient
from handoff.roles import HANDLES_CHATS, Role
from handoff.security import secret_matches
from handoff.services import Services
from handoff.settings import Settings
from handoff.sign_in_limits import SignInLimiter
from handoff.training import ModelTraining

# A row id in a path: what the databases' INTEGER holds (PostgreSQL's is 32 bits), so a larger
# number is a 422, not an overflow inside the driver.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
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


async def get_consumer(services: AppServices) -> EventConsumer:
    return services.consumer


async def get_nlu_data(services: AppServices) -> NluData:
    return services.nlu_data


async def get_training(services: AppServices) -> ModelTraining:
    return services.training


async def get_sign_in_limits(services: AppServices) -> SignInLimiter:
    return services.sign_in_limits


AppSettings = Annotated[Settings, Depends(get_settings)]
Sessions = Annotated[sessionmaker, Depends(get_sessions)]
DbSession = Annotated[Session, Depends(get_session)]
Events = Annotated[Dispatcher, Depends(get_events)]
LiveHub = Annotated[Hub, Depends(get_hub)]
AssignerDep = Annotated[Assigner, Depends(get_assigner)]
OutboxDep = Annotated[Outbox, Depends(get_outbox)]
Rasa = Annotated[RasaClient, Depends(get_rasa)]
SignInLimits = Annotated[SignInLimiter, Depends(get_sign_in_limits)]
Consumer = Annotated[EventConsumer, Depends(get_consumer)]
TrainingData = Annotated[NluData, Depends(get_nlu_data)]
Training = Annotated[ModelTraining, Depends(get_training)]


def signed_in(credentials: Bearer, session: DbSession, settings: AppSettings) -> Agent:
    """The active account of the bearer token, whatever its role."""
    if credentials is None:
        raise _unauthorized("sign-in token required")
    agent = authenticated(session, credentials.credentials, settings)
    if agent is None:
        raise _unauthorized("invalid, expired or revoked token")
    return agent


SignedIn = Annotated[Agent, Depends(signed_in)]


def _forbidden(agent: Agent, needed: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, f"{needed}; this account is a {agent.role}")


async def current_agent(agent: SignedIn) -> Agent:
    """An account that handles chats: an agent, a supervisor or an admin (not a trainer)."""
    if agent.role not in HANDLES_CHATS:
        raise _forbidden(agent, "only agents, supervisors and admins handle chats")
    return agent


async def trainer(agent: SignedIn) -> Agent:
    """An account that edits the bot's NLU data: a trainer, or an admin."""
    if agent.role not in (Role.TRAINER, Role.ADMIN):
        raise _forbidden(agent, "only trainers and admins work on the bot's training data")
    return agent


async def supervisor(agent: SignedIn) -> Agent:
    """An account that runs the team: a supervisor, or an admin."""
    if agent.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise _forbidden(agent, "only supervisors and admins see the reports")
    return agent


async def admin(agent: SignedIn) -> Agent:
    if agent.role != Role.ADMIN:
        raise _forbidden(agent, "only admins may do this")
    return agent


async def action_server(credentials: Bearer, settings: AppSettings) -> None:
    if credentials is None or not secret_matches(credentials.credentials, settings.action_secret):
        raise _unauthorized("action server secret required")


async def bootstrap_token(credentials: Bearer, settings: AppSettings) -> None:
    """The shared admin token (HANDOFF_ADMIN_TOKEN): it only makes the first admin account."""
    if credentials is None or not secret_matches(credentials.credentials, settings.admin_token):
        raise _unauthorized("the bootstrap admin token is required")


CurrentAgent = Annotated[Agent, Depends(current_agent)]
Trainer = Annotated[Agent, Depends(trainer)]
Supervisor = Annotated[Agent, Depends(supervisor)]
Admin = Annotated[Agent, Depends(admin)]
