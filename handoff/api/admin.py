"""What admins change from the console besides accounts and teams: the canned responses, and
the audit of every admin change (accounts' included)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from sqlalchemy import select

from handoff import admin_audit, canned
from handoff.dependencies import Admin, DbSession
from handoff.models import AccountAudit, AdminAudit, CannedResponse
from handoff.schemas import AuditEntry, CannedEntry, CannedTexts

routes = APIRouter(prefix="/api/v1/admin", tags=["admin"])
Key = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[\w-]+$")]


@routes.get("/canned-responses", response_model=list[CannedEntry])
def list_canned(session: DbSession, _: Admin) -> list[CannedResponse]:
    return canned.all_responses(session)


@routes.put("/canned-responses/{key}", response_model=CannedEntry)
def save_canned(key: Key, body: CannedTexts, session: DbSession, admin: Admin) -> CannedResponse:
    """Create or replace a canned response; the next chat an agent opens offers it."""
    entry = session.scalar(select(CannedResponse).where(CannedResponse.key == key))
    before = dict(entry.texts) if entry else None
    if entry is None:
        entry = CannedResponse(key=key, texts={})
        session.add(entry)
    entry.texts, entry.updated_by = body.texts(), admin.id
    entry.updated_at = time.time()
    admin_audit.record(session, admin, "canned.saved", key, before, entry.texts)
    session.commit()
    return entry


@routes.delete("/canned-responses/{key}", status_code=204)
def delete_canned(key: Key, session: DbSession, admin: Admin) -> None:
    entry = session.scalar(select(CannedResponse).where(CannedResponse.key == key))
    if entry is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no canned response {key!r}")
    admin_audit.record(session, admin, "canned.deleted", key, dict(entry.texts), None)
    session.delete(entry)
    session.commit()


@routes.get("/audit", response_model=list[AuditEntry])
def audit(session: DbSession, _: Admin,
          limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[AuditEntry]:
    """Every admin change, newest first: teams, canned responses and accounts."""
    changes = [AuditEntry(at=row.created_at, actor=row.actor, action=row.action,
                          target=row.target, before=row.before, after=row.after)
               for row in session.scalars(select(AdminAudit)
                                          .order_by(AdminAudit.created_at.desc()).limit(limit))]
    changes += [AuditEntry(at=row.created_at, actor=row.actor, action=f"account.{row.action}",
                           target=f"agent:{row.agent_id}", after={"detail": row.detail})
                for row in session.scalars(select(AccountAudit)
                                           .order_by(AccountAudit.created_at.desc()).limit(limit))]
    return sorted(changes, key=lambda change: change.at, reverse=True)[:limit]
