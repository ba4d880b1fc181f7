"""Family sharing: invitations, consent per family member and category, and what family may see.

Off by default. Each consent has an end date and can be revoked at once; substance-use data needs
the 42 CFR Part 2 elements (purpose and the participant's typed signature). Family members only
ever get aggregates — weekly averages, counts, totals — never notes, item answers or daily values.
The gate in core.access enforces all of this on every read.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from core import accounts, auth, clinical
from core.access import Action, Actor, Category, authorize, record, require_role
from core.errors import ValidationError
from core.program import user_zone
from core.models import (AppUser, Attendance, AuditEvent, Checkup, ConsentGrant, DiaryCard, DiaryTarget, DiaryUrge,
                         FamilyInvitation, FamilyLink, PracticeEntry, Role, ThoughtRecord, utcnow)

CATEGORY_LABELS = {
    Category.ATTENDANCE: "Attendance",
    Category.MOOD_TREND: "Mood trend (weekly averages)",
    Category.PRACTICE_COUNTS: "Skills practice counts",
    Category.CHECKUP_TOTALS: "Check-up totals and bands",
    Category.SAFETY_PLAN: "Safety plan (shared parts)",
    Category.SUBSTANCE_USE: "Substance use (cravings, use urges)",
}
# What a participant can choose to share, in the order the Sharing page lists it.
OFFERED = (Category.ATTENDANCE, Category.MOOD_TREND, Category.PRACTICE_COUNTS, Category.CHECKUP_TOTALS,
           Category.SAFETY_PLAN, Category.SUBSTANCE_USE)
DEFAULT_CONSENT_DAYS = 90
INVITATION_DAYS = 7
FAMILY_WEEKS = 8
REDISCLOSURE_NOTICE = (
    "This information has been disclosed to you from records protected by federal confidentiality "
    "rules (42 CFR part 2). These rules prohibit you from using or disclosing it further unless "
    "the person it is about agrees in writing or the rules otherwise allow it.")


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


# --- invitations ------------------------------------------------------------------------------

def create_invitation(session: Session, actor: Actor, *, name: str, relationship: str = "",
                      email: str = "", now: datetime | None = None) -> tuple[str, datetime]:
    """A one-time code for a family member, valid INVITATION_DAYS days. Returns (code, expiry)."""
    authorize(session, actor, actor.id, Category.SHARING, Action.WRITE, detail="invite")
    if actor.role is not Role.PARTICIPANT:
        raise ValidationError.one("name", "Only the participant can invite their family.")
    name, relationship, email = name.strip(), relationship.strip(), email.strip().lower()
    errors = {}
    if not name or len(name) > accounts.NAME_MAX:
        errors["name"] = "Enter their name (up to 80 characters)."
    if len(relationship) > 40:
        errors["relationship"] = "Keep it short, e.g. Parent, Partner, Sibling."
    if email and not accounts.EMAIL_RE.match(email):
        errors["email"] = "That doesn't look like an email address."
    if errors:
        raise ValidationError(errors)
    code = "-".join(secrets.token_hex(2).upper() for _ in range(3))   # e.g. 4F2A-09BC-77D1
    expires = (now or utcnow()) + timedelta(days=INVITATION_DAYS)
    session.add(FamilyInvitation(participant_id=actor.id, code_hash=_hash(code), name=name,
                                 relationship=relationship, email=email, expires_at=expires))
    session.commit()
    return code, expires


def redeem_invitation(session: Session, *, code: str, username: str, password: str, rounds: int,
                      now: datetime | None = None) -> AppUser:
    """A family member creates their own account with a code; each code works once."""
    now = now or utcnow()
    invitation = session.exec(select(FamilyInvitation).where(FamilyInvitation.code_hash == _hash(code))).first()
    if invitation is None:
        raise ValidationError.one("code", "That code isn't right. Check it with the person who invited you.")
    if invitation.used_at is not None:
        raise ValidationError.one("code", "That code has already been used. Ask for a new one.")
    if invitation.expires_at <= now:
        raise ValidationError.one("code", "That code has expired (codes last 7 days). Ask for a new one.")
    participant = session.get(AppUser, invitation.participant_id)
    username = username.strip().lower()
    errors = accounts.validate_new_account(session, username=username, name=invitation.name,
                                           email=invitation.email, role=Role.FAMILY.value, password=password)
    if errors:
        raise ValidationError(errors)
    user = AppUser(username=username, name=invitation.name, email=invitation.email or None, role=Role.FAMILY.value,
                   password_hash=auth.hash_password(password, rounds=rounds), program_id=participant.program_id)
    session.add(user)
    session.flush()
    session.add(FamilyLink(family_id=user.id, participant_id=participant.id, relationship=invitation.relationship))
    invitation.used_at, invitation.family_id = now, user.id
    session.add(invitation)
    record(session, Actor.of(user), category=Category.SHARING, action="join", participant_id=participant.id,
           detail=f"family account {username} created from an invitation")
    return user


# --- consent ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class FamilyMember:
    id: int
    name: str
    relationship: str
    active: dict[Category, datetime]       # category -> until when


def _linked(session: Session, participant_id: int, family_id: int) -> bool:
    return session.exec(select(FamilyLink.id).where(FamilyLink.participant_id == participant_id,
                                                    FamilyLink.family_id == family_id)).first() is not None


def _end_active(session: Session, participant_id: int, family_id: int, category: Category, now: datetime) -> None:
    for grant in session.exec(select(ConsentGrant).where(
            ConsentGrant.participant_id == participant_id, ConsentGrant.family_id == family_id,
            ConsentGrant.category == category.value, ConsentGrant.revoked_at == None,  # noqa: E711
            ConsentGrant.expires_at > now)):
        grant.revoked_at = now
        session.add(grant)


def grant(session: Session, actor: Actor, *, family_id: int, category: Category, until: date,
          purpose: str = "", signature: str = "", now: datetime | None = None) -> None:
    """Share one category with one family member until a date (replacing any current consent)."""
    authorize(session, actor, actor.id, Category.SHARING, Action.WRITE, detail=f"grant {category} to {family_id}")
    now = now or utcnow()
    if category not in OFFERED:
        raise ValidationError.one("category", "This can't be shared from the app yet.")
    if not _linked(session, actor.id, family_id):
        raise ValidationError.one("family", "That person isn't connected to you.")
    zone = user_zone(session, actor.id)
    today = now.astimezone(zone).date()
    if until <= today or until > today + timedelta(days=365):
        raise ValidationError.one("until", "Choose an end date after today and within a year.")
    if category is Category.SUBSTANCE_USE:
        errors = {}
        if not purpose.strip():
            errors["purpose"] = "Say why you're sharing this (for example: so they can support my recovery)."
        if " ".join(signature.split()).lower() != " ".join(actor.name.split()).lower():
            errors["signature"] = f"Type your full name exactly as “{actor.name}” to sign."
        if errors:
            raise ValidationError(errors)
    _end_active(session, actor.id, family_id, category, now)
    session.add(ConsentGrant(participant_id=actor.id, family_id=family_id, category=category.value, granted_at=now,
                             expires_at=datetime.combine(until, datetime.max.time(), tzinfo=zone).astimezone(now.tzinfo),
                             purpose=purpose.strip()[:200], signature=signature.strip()[:120],
                             signed_at=now if signature else None))
    session.commit()


def revoke(session: Session, actor: Actor, *, family_id: int, category: Category, now: datetime | None = None) -> None:
    """Stop sharing at once (from the family member's next screen refresh)."""
    authorize(session, actor, actor.id, Category.SHARING, Action.WRITE, detail=f"revoke {category} from {family_id}")
    _end_active(session, actor.id, family_id, category, now or utcnow())
    session.commit()


def family_of(session: Session, actor: Actor, participant_id: int) -> list[FamilyMember]:
    """Who is connected and what each may see now (participant and their therapist)."""
    authorize(session, actor, participant_id, Category.SHARING, Action.READ, detail="overview")
    now = utcnow()
    links = session.exec(select(FamilyLink, AppUser.name).join(AppUser, AppUser.id == FamilyLink.family_id)
                         .where(FamilyLink.participant_id == participant_id).order_by(AppUser.name)).all()
    grants = session.exec(select(ConsentGrant).where(
        ConsentGrant.participant_id == participant_id, ConsentGrant.revoked_at == None,  # noqa: E711
        ConsentGrant.expires_at > now)).all()
    return [FamilyMember(link.family_id, name, link.relationship,
                         {Category(g.category): g.expires_at for g in grants if g.family_id == link.family_id})
            for link, name in links]


@dataclass(frozen=True)
class FamilyView:
    at: datetime
    who: str
    what: str
    allowed: bool


def family_access_log(session: Session, actor: Actor, participant_id: int, limit: int = 100) -> list[FamilyView]:
    """Every time a family member looked (or tried to look), newest first."""
    authorize(session, actor, participant_id, Category.SHARING, Action.READ, detail="family access log")
    rows = session.exec(select(AuditEvent, AppUser.name).join(AppUser, AppUser.id == AuditEvent.actor_id)
                        .where(AuditEvent.participant_id == participant_id, AuditEvent.actor_role == Role.FAMILY.value)
                        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)).all()
    return [FamilyView(e.at, name, CATEGORY_LABELS.get(Category(e.category), e.category)
                       if e.category in Category._value2member_map_ else e.category, e.allowed)
            for e, name in rows]


def shared_with_me(session: Session, actor: Actor) -> list[tuple[int, str, str, dict[Category, datetime]]]:
    """For a family member: each linked participant and what they share now."""
    require_role(session, actor, Role.FAMILY, what="sharing")
    now = utcnow()
    links = session.exec(select(FamilyLink, AppUser.name).join(AppUser, AppUser.id == FamilyLink.participant_id)
                         .where(FamilyLink.family_id == actor.id).order_by(AppUser.name)).all()
    grants = session.exec(select(ConsentGrant).where(
        ConsentGrant.family_id == actor.id, ConsentGrant.revoked_at == None, ConsentGrant.expires_at > now)).all()  # noqa: E711
    record(session, actor, category=Category.SHARING, action="read", detail="own consents")
    return [(link.participant_id, name, link.relationship,
             {Category(g.category): g.expires_at for g in grants if g.participant_id == link.participant_id})
            for link, name in links]


# --- what family may see: aggregates only ----------------------------------------------------------

def _weeks(today: date) -> list[date]:
    this_week = today - timedelta(days=today.weekday())
    return [this_week - timedelta(weeks=n) for n in range(FAMILY_WEEKS - 1, -1, -1)]


def _weekly(points: list[tuple[date, float]], weeks: list[date], how: str) -> list[float | None]:
    buckets: dict[date, list[float]] = defaultdict(list)
    for day, value in points:
        if value is not None:
            buckets[day - timedelta(days=day.weekday())].append(value)
    if how == "sum":
        return [sum(buckets.get(w, [])) for w in weeks]
    return [round(sum(buckets[w]) / len(buckets[w]), 1) if buckets.get(w) else None for w in weeks]


def mood_trend(session: Session, actor: Actor, participant_id: int, today: date) -> tuple[list[date], list]:
    authorize(session, actor, participant_id, Category.MOOD_TREND, Action.READ)
    weeks = _weeks(today)
    rows = session.exec(select(DiaryCard.day, DiaryCard.mood).where(
        DiaryCard.participant_id == participant_id, DiaryCard.day >= weeks[0])).all()
    return weeks, _weekly(list(rows), weeks, "avg")


def practice_counts(session: Session, actor: Actor, participant_id: int, today: date) -> tuple[list[date], list, list]:
    """Per week: skills ticked on diary cards, and practice sessions logged (counts only, no text)."""
    authorize(session, actor, participant_id, Category.PRACTICE_COUNTS, Action.READ)
    weeks = _weeks(today)
    rows = session.exec(select(DiaryCard.day, DiaryCard.skills).where(
        DiaryCard.participant_id == participant_id, DiaryCard.day >= weeks[0])).all()
    logged = [*session.exec(select(PracticeEntry.day).where(PracticeEntry.participant_id == participant_id,
                                                            PracticeEntry.day >= weeks[0])),
              *session.exec(select(ThoughtRecord.day).where(ThoughtRecord.participant_id == participant_id,
                                                            ThoughtRecord.day >= weeks[0]))]
    return (weeks, _weekly([(day, len(skills or [])) for day, skills in rows], weeks, "sum"),
            _weekly([(day, 1) for day in logged], weeks, "sum"))


def attendance_weekly(session: Session, actor: Actor, participant_id: int, today: date) -> tuple[list[date], list, list]:
    """Per week: program sessions attended, and sessions held (excused absences left out)."""
    authorize(session, actor, participant_id, Category.ATTENDANCE, Action.READ)
    weeks = _weeks(today)
    rows = session.exec(select(Attendance.day, Attendance.status).where(
        Attendance.participant_id == participant_id, Attendance.day >= weeks[0])).all()
    return (weeks, _weekly([(day, 1) for day, status in rows if status in clinical.ATTENDED], weeks, "sum"),
            _weekly([(day, 1) for day, status in rows if status != "excused"], weeks, "sum"))


def checkup_totals(session: Session, actor: Actor, participant_id: int) -> list[tuple[date, str, int, str]]:
    """Totals and bands only — never the answers to single questions."""
    authorize(session, actor, participant_id, Category.CHECKUP_TOTALS, Action.READ)
    return [tuple(r) for r in session.exec(
        select(Checkup.day, Checkup.kind, Checkup.total, Checkup.band)
        .where(Checkup.participant_id == participant_id, Checkup.kind.in_(("phq9", "gad7")))
        .order_by(Checkup.day))]


def substance_use(session: Session, actor: Actor, participant_id: int, today: date) -> tuple[list[date], list, list]:
    """Weekly average craving and substance-use urge (Part 2 data: shown with the notice)."""
    authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.READ)
    weeks = _weeks(today)
    cravings = session.exec(select(DiaryCard.day, DiaryCard.craving).where(
        DiaryCard.participant_id == participant_id, DiaryCard.day >= weeks[0])).all()
    urges = session.exec(select(DiaryCard.day, DiaryUrge.urge)
                         .join(DiaryUrge, DiaryUrge.card_id == DiaryCard.id)
                         .join(DiaryTarget, DiaryTarget.id == DiaryUrge.target_id)
                         .where(DiaryCard.participant_id == participant_id, DiaryCard.day >= weeks[0],
                                DiaryTarget.key == "substance_use")).all()
    return weeks, _weekly(list(cravings), weeks, "avg"), _weekly(list(urges), weeks, "avg")

