"""Accounts as admins manage them (roles, teams, capacity, deactivation, password resets), and
an account's own view of itself and its presence."""

from __future__ import annotations

import time

from fastapi import APIRouter, HTTPException, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff import accounts
from handoff.dependencies import (
    Admin,
    AppSettings,
    AssignerDep,
    CurrentAgent,
    DbSession,
    Events,
    RowId,
    SignedIn,
)
from handoff.events import Event, Kind
from handoff.models import Agent
from handoff.roles import HANDLES_CHATS, Role
from handoff.schemas import AgentCreate, AgentOut, AgentUpdate, PresenceIn, ResetOut

routes = APIRouter(prefix="/api/v1", tags=["agents"])


def _account(session: Session, agent_id: int) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no agent {agent_id}")
    return agent


@routes.post("/agents", response_model=AgentOut, status_code=201)
def create_agent(body: AgentCreate, session: DbSession, admin: Admin) -> Agent:
    try:
        agent = accounts.new_account(session, body, f"agent:{admin.id}")
        session.commit()
    except IntegrityError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, "an agent with this email exists") from error
    return agent


@routes.get("/accounts", response_model=list[AgentOut])
def list_accounts(session: DbSession, admin: Admin) -> list[Agent]:
    """Every account, deactivated ones included."""
    return list(session.scalars(select(Agent).order_by(Agent.name)))


def _update(session: Session, agent_id: int, body: AgentUpdate, admin: Agent) -> tuple[
        Agent, list[str]]:
    agent = _account(session, agent_id)
    actor = f"agent:{admin.id}"
    demoted = body.role is not None and body.role != Role.ADMIN
    deactivated = body.active is False and agent.active
    if agent.role == Role.ADMIN and (demoted or deactivated) and (
            accounts.admins_left(session, besides=agent.id) == 0):
        raise HTTPException(status.HTTP_409_CONFLICT, "this is the last active admin account")
    changes = []
    if body.languages is not None:
        agent.languages = list(body.languages)
        changes.append(f"languages {','.join(agent.languages)}")
    if body.teams is not None:
        agent.teams = accounts.teams_named(session, body.teams)
        changes.append(f"teams {','.join(body.teams)}")
    if body.capacity is not None:
        agent.capacity = body.capacity
        changes.append(f"capacity {body.capacity}")
    if body.role is not None and body.role != agent.role:
        changes.append(f"role {agent.role} -> {body.role}")
        agent.role = body.role
        if agent.role not in HANDLES_CHATS:
            agent.presence = "offline"
    revoked: list[str] = []
    if deactivated:
        agent.active, agent.presence = False, "offline"
        revoked = accounts.revoke(session, agent.id)
        accounts.audit(session, agent.id, actor, "deactivated")
    elif body.active and not agent.active:
        agent.active = True
        accounts.audit(session, agent.id, actor, "reactivated")
    if changes:
        accounts.audit(session, agent.id, actor, "updated", "; ".join(changes))
    session.commit()
    return agent, revoked


@routes.patch("/agents/{agent_id}", response_model=AgentOut)
async def update_agent(agent_id: RowId, body: AgentUpdate, session: DbSession, admin: Admin,
                       events: Events, assigner: AssignerDep) -> Agent:
    """Change an account. Deactivating it revokes its tokens at once, and its chats go back to
    the queue (their customers are told); the last active admin cannot be deactivated or
    demoted."""
    agent, revoked = await run_in_threadpool(_update, session, agent_id, body, admin)
    accounts.announce_revoked(events, agent.id, revoked)
    if not agent.active or agent.role not in HANDLES_CHATS:
        await assigner.release(agent.id, "agent deactivated" if not agent.active
                               else "agent no longer handles chats")
        events.emit(Event(Kind.AGENT_PRESENCE, agent_id=agent.id, data={"presence": "offline"}))
    return agent


@routes.post("/agents/{agent_id}/password-reset", response_model=ResetOut, status_code=201)
def start_reset(agent_id: RowId, session: DbSession, settings: AppSettings, admin: Admin,
                events: Events) -> ResetOut:
    """A one-time token for the account's owner to set a new password with (POST
    /api/v1/auth/reset). The account's sign-ins are revoked at once."""
    agent = _account(session, agent_id)
    token, expires, ids = accounts.start_reset(session, agent, admin, settings)
    accounts.announce_revoked(events, agent.id, ids)
    return ResetOut(reset_token=token, reset_path=f"/console/#reset={token}", expires_at=expires)


@routes.get("/agents/me", response_model=AgentOut)
def me(agent: SignedIn) -> Agent:
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
