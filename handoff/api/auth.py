"""Signing in and out, the first admin account, and passwords: the account's own change, and
finishing a reset an admin started."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import IntegrityError

from handoff import accounts
from handoff.dependencies import (
    AppSettings,
    Bearer,
    DbSession,
    Events,
    SignedIn,
    SignInLimits,
    bootstrap_token,
)
from handoff.models import Agent
from handoff.roles import Role
from handoff.schemas import AgentCreate, AgentOut, Login, PasswordChange, PasswordReset, TokenOut

routes = APIRouter(prefix="/api/v1", tags=["accounts"])


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _limited(retry_after: int) -> HTTPException:
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                         f"too many failed attempts; try again in {retry_after} s",
                         headers={"Retry-After": str(retry_after)})


@routes.post("/auth/bootstrap", response_model=AgentOut, status_code=201,
             dependencies=[Depends(bootstrap_token)])
def bootstrap(body: AgentCreate, session: DbSession) -> Agent:
    """Make the first admin account with the shared admin token; refused once one exists. Every
    other account is made by an admin."""
    if accounts.any_admin(session):
        raise HTTPException(status.HTTP_409_CONFLICT,
                            "an admin account exists; sign in as an admin to add accounts")
    try:
        agent = accounts.new_account(session, body.model_copy(update={"role": Role.ADMIN}),
                                     "bootstrap")
        session.commit()
    except IntegrityError as error:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            "an account with this email exists") from error
    return agent


@routes.post("/auth/login", response_model=TokenOut,
             responses={429: {"description": "too many failed attempts (Retry-After)"}})
def login(body: Login, request: Request, session: DbSession, settings: AppSettings,
          limits: SignInLimits) -> TokenOut:
    """Failed attempts are limited per account and per address, with growing waits (429)."""
    address = _address(request)
    if (wait := limits.attempt(body.email, address)) is not None:
        raise _limited(wait)
    agent = accounts.find(session, body.email)
    if not accounts.check_password(agent, body.password):
        limits.failed(address)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
    if not agent.active:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this account is deactivated")
    limits.succeeded(body.email)
    token, expires = accounts.sign_in(session, agent, settings, address)
    return TokenOut(access_token=token, expires_at=expires, role=agent.role)


@routes.post("/auth/logout", status_code=204)
def logout(credentials: Bearer, agent: SignedIn, session: DbSession, settings: AppSettings,
           events: Events) -> Response:
    """Revoke this sign-in's token (the account's other sign-ins stay)."""
    sign_in = accounts.current_sign_in(credentials.credentials, settings)
    ids = accounts.revoke(session, agent.id, only=sign_in)
    session.commit()
    accounts.announce_revoked(events, agent.id, ids)
    return Response(status_code=204)


@routes.put("/agents/me/password", status_code=204)
async def change_password(body: PasswordChange, request: Request, credentials: Bearer,
                          agent: SignedIn, session: DbSession, settings: AppSettings,
                          events: Events, limits: SignInLimits) -> Response:
    """Change your own password; your other sign-ins are signed out. A wrong current password
    counts as a failed sign-in."""
    address = _address(request)
    if (wait := limits.attempt(agent.email, address)) is not None:
        raise _limited(wait)
    keep = accounts.current_sign_in(credentials.credentials, settings)
    try:
        ids = await run_in_threadpool(accounts.change_password, session, agent,
                                      body.current_password, body.new_password, keep)
    except accounts.AccountError as error:
        limits.failed(address)
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from error
    limits.succeeded(agent.email)
    accounts.announce_revoked(events, agent.id, ids)
    return Response(status_code=204)


@routes.post("/auth/reset", status_code=204)
def finish_reset(body: PasswordReset, request: Request, session: DbSession,
                 limits: SignInLimits) -> Response:
    """Set a new password with the one-time token of an admin's reset; then sign in with it."""
    address = _address(request)
    if (wait := limits.attempt(None, address)) is not None:
        raise _limited(wait)
    try:
        accounts.finish_reset(session, body.token, body.new_password)
    except accounts.AccountError as error:
        limits.failed(address)
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    return Response(status_code=204)
