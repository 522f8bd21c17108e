"""The record of admins' changes to teams and canned responses, with what was there before."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from handoff.models import AdminAudit, Agent


def record(session: Session, admin: Agent, action: str, target: str,
           before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    """Added to the session; committed with the change itself."""
    session.add(AdminAudit(actor=f"agent:{admin.id}", action=action, target=target[:120],
                           before=before, after=after))
