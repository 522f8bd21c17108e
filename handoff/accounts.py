"""Accounts: signing in and out, revocable sign-ins, passwords, roles and deactivation.

A token names one `SignIn` row; every request checks that row and the account, so revoking a
sign-in or deactivating an account ends its tokens at once, not when they expire.
"""

from __future__ import annotations

import time

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, joinedload

from handoff import queue
from handoff.events import Dispatcher, Event, Kind
from handoff.models import AccountAudit, Agent, SignIn, Team
from handoff.roles import Role
from handoff.schemas import AgentCreate
from handoff.security import (
    claims_of,
    hash_password,
    issue_token,
    new_reset_token,
    new_sign_in_id,
    reset_token_hash,
    verify_password,
)
from handoff.settings import Settings

SEEN_RESOLUTION_SECONDS = 10.0
# Expired sign-ins are kept this long (who signed in from where), then deleted at a sign-in.
KEEP_EXPIRED_SECONDS = 30 * 24 * 3600
# Checked against when no account has the email, so that the answer takes as long either way.
_DUMMY_HASH = hash_password("no account has this password")


class AccountError(Exception):
    """An account operation that cannot be done (the message says why, for the caller)."""


def authenticated(session: Session, token: str, settings: Settings) -> Agent | None:
    """The active account a valid, unrevoked token belongs to; being seen keeps an online agent
    online."""
    claims = claims_of(token, settings.jwt_secret)
    agent = None
    if claims is not None:
        # One statement, with the agent's teams: every agent request checks them.
        agent = session.scalars(
            select(Agent).join(SignIn, SignIn.agent_id == Agent.id)
            .where(SignIn.id == claims.sign_in_id, Agent.id == claims.agent_id, Agent.active,
                   SignIn.revoked_at.is_(None), SignIn.expires_at > time.time())
            .options(joinedload(Agent.teams))).unique().first()
    if agent is not None and time.time() - agent.last_seen_at > SEEN_RESOLUTION_SECONDS:
        agent.last_seen_at = time.time()
    # Ends the transaction: the connection goes back to the pool instead of being held while an
    # async endpoint awaits Rasa (under load that exhausted the pool).
    session.commit()
    return agent


def teams_named(session: Session, names: list[str]) -> list[Team]:
    return [queue.team_named(session, name) for name in dict.fromkeys(names)]


def new_account(session: Session, body: AgentCreate, actor: str) -> Agent:
    """An account as `body` describes it, added to the session with its audit entry."""
    agent = Agent(email=body.email.lower(), name=body.name, capacity=body.capacity,
                  password_hash=hash_password(body.password), languages=list(body.languages),
                  teams=teams_named(session, body.teams), presence="offline", last_seen_at=0.0,
                  role=body.role, active=True)
    session.add(agent)
    session.flush()
    audit(session, agent.id, actor, "created", f"role {body.role}")
    return agent


def find(session: Session, email: str) -> Agent | None:
    return session.scalars(select(Agent).where(Agent.email == email.strip().lower())).first()


def check_password(agent: Agent | None, password: str) -> bool:
    """Whether the password is the account's; without an account, as slow as with one."""
    if agent is None:
        verify_password(_DUMMY_HASH, password)
        return False
    return verify_password(agent.password_hash, password)


def sign_in(session: Session, agent: Agent, settings: Settings,
            address: str | None) -> tuple[str, float]:
    """A new sign-in of the account: its token and expiry."""
    now = time.time()
    session.execute(delete(SignIn).where(SignIn.expires_at < now - KEEP_EXPIRED_SECONDS))
    sign_in_id = new_sign_in_id()
    token, expires = issue_token(agent.id, sign_in_id, settings.jwt_secret,
                                 settings.token_ttl_minutes)
    session.add(SignIn(id=sign_in_id, agent_id=agent.id, created_at=now, expires_at=expires,
                       address=(address or "")[:64] or None))
    session.commit()
    return token, expires


def revoke(session: Session, agent_id: int, *, only: str | None = None,
           keep: str | None = None) -> list[str]:
    """Revoke the account's live sign-ins (`only` one, or all but `keep`); returns their ids.
    The caller commits."""
    query = select(SignIn.id).where(SignIn.agent_id == agent_id, SignIn.revoked_at.is_(None),
                                    SignIn.expires_at > time.time())
    if only is not None:
        query = query.where(SignIn.id == only)
    if keep is not None:
        query = query.where(SignIn.id != keep)
    ids = list(session.scalars(query))
    if ids:
        session.execute(update(SignIn).where(SignIn.id.in_(ids)).values(revoked_at=time.time()))
    return ids


def announce_revoked(events: Dispatcher, agent_id: int, sign_ins: list[str]) -> None:
    """The live feeds of revoked sign-ins close (api/live.py)."""
    if sign_ins:
        events.emit(Event(Kind.SIGN_INS_REVOKED, agent_id=agent_id, data={"sign_ins": sign_ins}))


def current_sign_in(token: str, settings: Settings) -> str:
    """The sign-in id of a token that `authenticated` accepted."""
    claims = claims_of(token, settings.jwt_secret)
    assert claims is not None
    return claims.sign_in_id


def audit(session: Session, agent_id: int, actor: str, action: str, detail: str = "") -> None:
    session.add(AccountAudit(agent_id=agent_id, actor=actor, action=action, detail=detail[:500],
                             created_at=time.time()))


def admins_left(session: Session, besides: int) -> int:
    """How many active admins there are other than `besides`."""
    return session.scalar(select(func.count()).select_from(Agent).where(
        Agent.role == Role.ADMIN, Agent.active, Agent.id != besides)) or 0


def any_admin(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(Agent).where(
        Agent.role == Role.ADMIN)) > 0


def change_password(session: Session, agent: Agent, current: str, new: str,
                    keep: str) -> list[str]:
    """The account's own password change: every other sign-in is revoked."""
    if not verify_password(agent.password_hash, current):
        raise AccountError("the current password is wrong")
    agent.password_hash = hash_password(new)
    revoked = revoke(session, agent.id, keep=keep)
    audit(session, agent.id, f"agent:{agent.id}", "password_changed")
    session.commit()
    return revoked


def start_reset(session: Session, agent: Agent, actor: Agent,
                settings: Settings) -> tuple[str, float, list[str]]:
    """An admin's password reset: a one-time token for the account's owner, and every sign-in
    of the account revoked (a reset is often because it was taken over)."""
    token, digest = new_reset_token()
    agent.reset_token_hash = digest
    agent.reset_expires_at = time.time() + settings.reset_ttl_minutes * 60
    revoked = revoke(session, agent.id)
    audit(session, agent.id, f"agent:{actor.id}", "password_reset_started")
    session.commit()
    return token, agent.reset_expires_at, revoked


def finish_reset(session: Session, token: str, new: str) -> Agent:
    """Set a new password with a reset token, which then no longer works."""
    agent = session.scalars(select(Agent).where(
        Agent.reset_token_hash == reset_token_hash(token))).first()
    if agent is None or not agent.active or (agent.reset_expires_at or 0) < time.time():
        raise AccountError("this reset token is invalid or has expired; ask an admin for a new one")
    agent.password_hash = hash_password(new)
    agent.reset_token_hash = agent.reset_expires_at = None
    revoke(session, agent.id)
    audit(session, agent.id, f"agent:{agent.id}", "password_reset")
    session.commit()
    return agent
