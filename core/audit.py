"""Reading the audit log (HIPAA asks that activity is both recorded and examined)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from core.access import Actor, record, require_role
from core.models import AppUser, AuditEvent, Role

AUDIT_PAGE_SIZE = 200


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor: str
    actor_role: str
    participant: str
    category: str
    action: str
    allowed: bool
    detail: str


def audit_log(session: Session, actor: Actor, *, participant_id: int | None = None,
              actor_id: int | None = None, limit: int = AUDIT_PAGE_SIZE) -> list[AuditRow]:
    """Newest first, filtered by participant and/or actor; names joined in the same query."""
    require_role(session, actor, Role.ADMIN, what="audit log")
    who = AppUser.__table__.alias("who")
    whose = AppUser.__table__.alias("whose")
    query = (select(AuditEvent, who.c.username, whose.c.username)
             .join(who, who.c.id == AuditEvent.actor_id, isouter=True)
             .join(whose, whose.c.id == AuditEvent.participant_id, isouter=True)
             .where((who.c.program_id == actor.program_id) | (AuditEvent.actor_id == None))  # noqa: E711
             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
    if participant_id is not None:
        query = query.where(AuditEvent.participant_id == participant_id)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    rows = [AuditRow(at=e.at, actor=a or "—", actor_role=e.actor_role, participant=p or "",
                     category=e.category, action=e.action, allowed=e.allowed, detail=e.detail)
            for e, a, p in session.exec(query)]
    record(session, actor, category="audit log", action="read",
           detail=f"participant={participant_id} actor={actor_id}")
    return rows
