"""Reading the audit log (HIPAA 164.312(b) asks that activity is both recorded and examined).

One query answers "who looked at Dana's diary last week": filters on person, participant,
category, refusals and dates, newest first, a page at a time, with names joined in. The rows
carry no clinical content (see core.access), so the program admin may read all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated

from sqlmodel import Session, col, select

from core import inputs
from core.access import AREAS, REFUSAL_WORDS, Actor, Category, Refusal, record, require_role
from core.models import AppUser, AuditEvent, Role, id_of, saved_id, table_of
from core.program import user_zone

AUDIT_PAGE_SIZE = 200
# Each admin's reads of the log are recorded once per window, not once per filter change.
AUDIT_READ_WINDOW = timedelta(hours=1)

CATEGORY_WORDS = {
    Category.PROFILE.value: "Profile and caseload",
    Category.DIARY.value: "Diary cards",
    Category.NOTES.value: "Notes",
    Category.SKILLS.value: "Skills practice",
    Category.HOMEWORK.value: "Homework",
    Category.CHECKUPS.value: "Check-ups",
    Category.SAFETY_PLAN.value: "Safety plan",
    Category.ALERTS.value: "Alerts",
    Category.SHARING.value: "Family sharing",
    Category.ATTENDANCE.value: "Attendance",
    Category.MOOD_TREND.value: "Mood trend (family view)",
    Category.PRACTICE_COUNTS.value: "Practice counts (family view)",
    Category.CHECKUP_TOTALS.value: "Check-up totals (family view)",
    Category.SUBSTANCE_USE.value: "Substance use (family view)",
    Category.GOALS.value: "Treatment-plan goals",
    Category.GOAL_RATINGS.value: "Goal ratings",
    Category.AFTERCARE.value: "Aftercare plan",
    Category.ENROLMENT.value: "Enrolment and discharge",
    **{area: area.capitalize() for area in AREAS if area not in Category._value2member_map_},
}
ACTION_WORDS = {
    "read": "looked",
    "read_summary": "looked (summary)",
    "write": "changed",
    "denied": "tried",
    "create": "created",
    "open": "opened",
    "join": "joined",
    "activate": "reactivated",
    "deactivate": "deactivated",
    "retire": "retired",
    "restore": "restored",
}
_PERSON_REFS = ("user", "participant")


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    actor_role: str
    participant: str
    category: str
    action: str
    allowed: bool
    reason: str
    ref: str


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    page: int
    has_more: bool


def _bounds(start: date | None, end: date | None, zone) -> tuple[datetime | None, datetime | None]:
    """Calendar days in the viewer's zone, as UTC instants: [start 00:00, the day after end 00:00)."""
    low = datetime.combine(start, time.min, tzinfo=zone) if start else None
    high = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone) if end else None
    return low, high


class AuditFilter(inputs.Form):
    """The admin's filters (a reader, but its values reach SQL: checked like any input)."""

    participant_id: Annotated[int | None, inputs.RecordId("Choose a person from the list.", optional=True)]
    actor_id: Annotated[int | None, inputs.RecordId("Choose a person from the list.", optional=True)]
    category: Annotated[
        str | None, inputs.OneOf(CATEGORY_WORDS, "Choose a kind of record from the list.", optional=True)
    ]
    refused_only: Annotated[bool, inputs.Flag("Choose whether to show refusals only.")]
    start: Annotated[date | None, inputs.Day("Choose the first day.", optional=True)]
    end: Annotated[date | None, inputs.Day("Choose the last day.", optional=True)]
    page: Annotated[int, inputs.Whole(0, 1_000_000, "That page doesn't exist.", optional=False)]
    limit: Annotated[int, inputs.Whole(1, 10_000, "Show up to 10,000 events a page.", optional=False)]


def audit_log(
    session: Session,
    actor: Actor,
    *,
    participant_id: int | None = None,
    actor_id: int | None = None,
    category: str | None = None,
    refused_only: bool = False,
    start: date | None = None,
    end: date | None = None,
    page: int = 0,
    limit: int = AUDIT_PAGE_SIZE,
) -> AuditPage:
    """Newest first; `page` 0 is the latest `limit` events. Dates are days in the admin's zone."""
    require_role(session, actor, Role.ADMIN, what="audit log")
    AuditFilter.check(
        participant_id=participant_id,
        actor_id=actor_id,
        category=category,
        refused_only=refused_only,
        start=start,
        end=end,
        page=page,
        limit=limit,
    )
    who = table_of(AppUser).alias("who")
    whose = table_of(AppUser).alias("whose")
    query = (
        select(AuditEvent, who.c.name, whose.c.name)
        .join(who, who.c.id == AuditEvent.actor_id, isouter=True)
        # (a name only of this program's people: a refused try at another program's participant names nobody)
        .join(whose, (whose.c.id == AuditEvent.participant_id) & (whose.c.program_id == actor.program_id), isouter=True)
        .where((who.c.program_id == actor.program_id) | col(AuditEvent.actor_id).is_(None))
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .offset(page * limit)
        .limit(limit + 1)
    )
    if participant_id is not None:
        query = query.where(AuditEvent.participant_id == participant_id)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if category:
        query = query.where(AuditEvent.category == str(category))
    if refused_only:
        query = query.where(col(AuditEvent.allowed).is_(False))
    low, high = _bounds(start, end, user_zone(session, actor.id))
    if low is not None:
        query = query.where(AuditEvent.at >= low)
    if high is not None:
        query = query.where(AuditEvent.at < high)
    found = session.exec(query).all()
    events = found[:limit]
    names = _people_named(session, actor, [e.ref for e, _, _ in events])
    rows = [
        AuditRow(
            id=id_of(e),
            at=e.at,
            actor=a or "—",
            actor_role=Role(e.actor_role).label if e.actor_role in Role._value2member_map_ else e.actor_role,
            participant=p or (f"not in this program (#{e.participant_id})" if e.participant_id is not None else ""),
            category=CATEGORY_WORDS.get(e.category, e.category),
            action=ACTION_WORDS.get(e.action, e.action),
            allowed=e.allowed,
            reason=REFUSAL_WORDS.get(Refusal(e.reason), e.reason)
            if e.reason in Refusal._value2member_map_
            else e.reason,
            ref=_show_ref(e.ref, names),
        )
        for e, a, p in events
    ]
    record(session, actor, category="audit log", action="read", collapse=AUDIT_READ_WINDOW)
    return AuditPage(rows, page, has_more=len(found) > limit)


def _person_id(ref: str) -> int | None:
    kind, _, value = ref.partition(":")
    return int(value) if kind in _PERSON_REFS and value.isdigit() else None


def _people_named(session: Session, actor: Actor, refs: list[str]) -> dict[int, str]:
    """Names for the people the references point at (one query for the whole page)."""
    ids = {i for i in map(_person_id, refs) if i is not None}
    if not ids:
        return {}
    found = session.exec(
        select(AppUser.id, AppUser.name).where(col(AppUser.id).in_(ids), AppUser.program_id == actor.program_id)
    )
    return {saved_id(person): name for person, name in found}


def _show_ref(ref: str, names: dict[int, str]) -> str:
    person = _person_id(ref)
    if person is None:
        return ref.replace(":", " ").replace("_", " ")
    return names.get(person, f"no such person (#{person})" if ref.startswith("participant:") else f"#{person}")


def categories() -> dict[str, str]:
    """Every category the log can hold, with the words the admin's filter shows."""
    return dict(sorted(CATEGORY_WORDS.items(), key=lambda kv: kv[1]))
