"""The one gate: may this user do this action on this participant's data? Every answer is audited.

Every read or write of participant data in core calls `authorize` first. Pages never decide
access; hiding a button is not access control.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import insert
from sqlmodel import Session, select

from core.errors import AccessDenied
from core.models import AppUser, AuditEvent, CaseloadAssignment, ConsentGrant, FamilyLink, Role, utcnow


class Category(StrEnum):
    """Kinds of participant data, as the clinic and the consent form name them."""

    PROFILE = "profile"                  # name, program, therapist assignment
    DIARY = "diary"                      # diary cards (daily values)
    NOTES = "notes"                      # free text: private to participant and therapist
    SKILLS = "skills"                    # practice log, thought records, favourites
    HOMEWORK = "homework"                # skills a therapist assigns
    CHECKUPS = "checkups"                # questionnaire answers, item by item
    SAFETY_PLAN = "safety_plan"
    ALERTS = "alerts"
    SHARING = "sharing"                  # family links, consents, family access log
    # Summaries a participant may share with family (never item answers or free text):
    ATTENDANCE = "attendance"
    MOOD_TREND = "mood_trend"
    PRACTICE_COUNTS = "practice_counts"
    CHECKUP_TOTALS = "checkup_totals"
    SUBSTANCE_USE = "substance_use"      # needs the 42 CFR Part 2 consent elements


class Action(StrEnum):
    READ = "read"
    WRITE = "write"


FAMILY_SHAREABLE = frozenset({
    Category.ATTENDANCE, Category.MOOD_TREND, Category.PRACTICE_COUNTS,
    Category.CHECKUP_TOTALS, Category.SAFETY_PLAN, Category.SUBSTANCE_USE,
})
# A therapist reads everything on their caseload and writes only what care needs them to.
THERAPIST_WRITES = frozenset({
    Category.SAFETY_PLAN, Category.ALERTS, Category.HOMEWORK, Category.ATTENDANCE, Category.CHECKUPS,
})
# What the therapist sets for a participant; the participant reads it but does not change it.
PARTICIPANT_READ_ONLY = frozenset({Category.HOMEWORK, Category.ATTENDANCE})
# A program admin manages accounts, not clinical content (minimum necessary).
ADMIN_READS = frozenset({Category.PROFILE})
ADMIN_WRITES = frozenset({Category.PROFILE})


@dataclass(frozen=True)
class Actor:
    """The logged-in person, as core needs to know them."""

    id: int
    role: Role
    username: str
    name: str
    program_id: int | None = None

    @classmethod
    def of(cls, user: AppUser) -> "Actor":
        return cls(id=user.id, role=Role(user.role), username=user.username, name=user.name,
                   program_id=user.program_id)


def _is_on_caseload(session: Session, therapist_id: int, participant_id: int) -> bool:
    return session.exec(
        select(CaseloadAssignment.id).where(CaseloadAssignment.therapist_id == therapist_id,
                                            CaseloadAssignment.participant_id == participant_id)
    ).first() is not None


def has_active_consent(session: Session, *, family_id: int, participant_id: int,
                       category: Category, now: datetime | None = None) -> bool:
    now = now or utcnow()
    linked = session.exec(select(FamilyLink.id).where(
        FamilyLink.family_id == family_id, FamilyLink.participant_id == participant_id)).first()
    if linked is None:
        return False
    grant = session.exec(select(ConsentGrant.id).where(
        ConsentGrant.participant_id == participant_id,
        ConsentGrant.family_id == family_id,
        ConsentGrant.category == category.value,
        ConsentGrant.revoked_at == None,  # noqa: E711 - SQL expression
        ConsentGrant.expires_at > now,
    )).first()
    return grant is not None


def _decide(session: Session, actor: Actor, participant_id: int, category: Category,
            action: Action) -> tuple[bool, str]:
    if actor.role is Role.PARTICIPANT:
        if actor.id != participant_id:
            return False, "own record only"
        if action is Action.WRITE and category in PARTICIPANT_READ_ONLY:
            return False, "this is set by your therapist"
        return True, ""
    if actor.role is Role.THERAPIST:
        if not _is_on_caseload(session, actor.id, participant_id):
            return False, "not on this therapist's caseload"
        if action is Action.WRITE and category not in THERAPIST_WRITES:
            return False, "therapists read this category but do not change it"
        return True, ""
    if actor.role is Role.FAMILY:
        if action is not Action.READ:
            return False, "family access is read-only"
        if category not in FAMILY_SHAREABLE:
            return False, "this category is never shared with family"
        if not has_active_consent(session, family_id=actor.id, participant_id=participant_id,
                                  category=category):
            return False, "no active consent for this category"
        return True, ""
    if actor.role is Role.ADMIN:
        allowed = ADMIN_READS if action is Action.READ else ADMIN_WRITES
        if category not in allowed:
            return False, "program admins do not see clinical content"
        participant = session.get(AppUser, participant_id)
        same_program = participant is not None and participant.program_id == actor.program_id
        return same_program, "" if same_program else "participant of another program"
    return False, "unknown role"


def record(session: Session, actor: Actor | None, *, category: str, action: str,
           participant_id: int | None = None, allowed: bool = True, detail: str = "") -> None:
    """Write an audit event and commit it, so it survives whatever the caller does next."""
    session.add(AuditEvent(
        actor_id=actor.id if actor else None, actor_role=actor.role.value if actor else "anonymous",
        participant_id=participant_id, category=str(category), action=str(action),
        allowed=allowed, detail=detail[:300],
    ))
    session.commit()


def record_many(session: Session, actor: Actor, participant_ids: list[int], *, category: str, action: str,
                detail: str = "") -> None:
    """One audit event per participant shown in a list, written in a single statement.

    For lists whose rows were already limited by the query itself (a caseload joined on the
    therapist's assignments), so access is decided there and the view is still recorded.
    """
    if participant_ids:
        now = utcnow()
        session.execute(insert(AuditEvent.__table__), [
            {"at": now, "actor_id": actor.id, "actor_role": actor.role.value, "participant_id": pid,
             "category": str(category), "action": str(action), "allowed": True, "detail": detail[:300]}
            for pid in participant_ids])
        session.commit()


def authorize(session: Session, actor: Actor, participant_id: int, category: Category,
              action: Action, *, detail: str = "") -> None:
    """Allow the action or raise AccessDenied; either way, record who, whose data, what, when."""
    allowed, reason = _decide(session, actor, participant_id, category, action)
    if not allowed:
        session.rollback()
        record(session, actor, category=category, action=action, participant_id=participant_id,
               allowed=False, detail=reason)
        raise AccessDenied(f"You don't have access to this ({reason}).")
    record(session, actor, category=category, action=action, participant_id=participant_id,
           detail=detail)


def require_role(session: Session, actor: Actor, *roles: Role, what: str) -> None:
    """For actions that are not about one participant (admin screens, caseload lists)."""
    if actor.role not in roles:
        session.rollback()
        record(session, actor, category=what, action="denied", allowed=False,
               detail=f"needs role {', '.join(r.value for r in roles)}")
        raise AccessDenied("This is not available for your role.")
