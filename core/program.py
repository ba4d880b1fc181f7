"""The program: its settings and the crisis resources shown on every screen."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from core.access import Action, Actor, Category, authorize, record, require_role
from core.errors import ValidationError
from core.models import AppUser, CaseloadAssignment, Program, Role


@dataclass(frozen=True)
class CrisisResource:
    name: str
    detail: str
    call: str = ""   # number for a tel: link
    text: str = ""   # number for an sms: link
    sms_body: str = ""


# Region defaults, in our own words. A program adds its local lines on top.
REGION_CRISIS_RESOURCES: dict[str, tuple[CrisisResource, ...]] = {
    "US": (
        CrisisResource("988 Suicide & Crisis Lifeline",
                       "Call or text 988, any time, day or night.", call="988", text="988"),
        CrisisResource("Crisis Text Line", "Text HOME to 741741 to reach a trained counselor.",
                       text="741741", sms_body="HOME"),
        CrisisResource("Emergency", "If you are in immediate danger, call 911.", call="911"),
    ),
}
NOT_MONITORED = ("This app is not watched in real time. Your therapist will see what you "
                 "entered, but not right away. If you need help now, call or text a crisis line.")
MAX_LOCAL_RESOURCES = 8
_PHONE_CHARS = set("0123456789+-() ")


def week_in_program(started_on: date | None, today: date) -> int | None:
    """Week 1 is the first seven days; None when the start date is unknown."""
    if started_on is None:
        return None
    return max((today - started_on).days // 7 + 1, 1)


# --- calendar days ---------------------------------------------------------------------------
# The server's clock may be past midnight UTC while an evening group in New York is still on
# Monday: every "today" the app shows or checks is the person's (or program's) own calendar day.

def _first_zone(*names: str | None) -> ZoneInfo:
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def program_today(program: Program | None, now: datetime | None = None) -> date:
    """The program's own calendar day (for schedules that run per program)."""
    return (now or datetime.now(UTC)).astimezone(_first_zone(program.timezone if program else None)).date()


def user_zone(session: Session, user_id: int) -> ZoneInfo:
    """A person's own time zone if they set one, else their program's, else UTC."""
    row = session.exec(select(AppUser.timezone, Program.timezone)
                       .join(Program, Program.id == AppUser.program_id, isouter=True)
                       .where(AppUser.id == user_id)).first()
    return _first_zone(*(row or ()))


def user_today(session: Session, user_id: int, now: datetime | None = None) -> date:
    """Today on a person's own calendar (a diary card at 11 pm belongs to that evening)."""
    return (now or datetime.now(UTC)).astimezone(user_zone(session, user_id)).date()


def today_of(session: Session, actor: Actor, now: datetime | None = None) -> date:
    """Today on the acting user's own calendar."""
    return user_today(session, actor.id, now)


def default_program(session: Session) -> Program | None:
    return session.exec(select(Program).order_by(Program.id)).first()


def program_of(session: Session, actor: Actor) -> Program | None:
    """The acting user's program (settings, not participant data)."""
    return session.get(Program, actor.program_id) if actor.program_id else None


def crisis_resources_for(session: Session, program_id: int | None) -> list[CrisisResource]:
    """The lines to show: the program's, or the first program's before anyone logs in."""
    program = session.get(Program, program_id) if program_id else default_program(session)
    return crisis_resources(program)


def crisis_resources(program: Program | None) -> list[CrisisResource]:
    region = REGION_CRISIS_RESOURCES.get(program.crisis_region if program else "US",
                                         REGION_CRISIS_RESOURCES["US"])
    local = [CrisisResource(**{k: str(v) for k, v in item.items() if k in CrisisResource.__annotations__})
             for item in (program.local_crisis_resources if program else [])]
    return [*local, *region]


def _check_resource(index: int, item: dict) -> dict[str, str]:
    errors = {}
    name, detail = item.get("name", "").strip(), item.get("detail", "").strip()
    if not name or len(name) > 80:
        errors[f"name_{index}"] = "Give the resource a name (up to 80 characters)."
    if len(detail) > 200:
        errors[f"detail_{index}"] = "Keep the description under 200 characters."
    for key in ("call", "text"):
        number = item.get(key, "").strip()
        if number and (not set(number) <= _PHONE_CHARS or sum(c.isdigit() for c in number) < 3):
            errors[f"{key}_{index}"] = "Use digits only (spaces, +, - and brackets are fine)."
    if not item.get("call", "").strip() and not item.get("text", "").strip():
        errors[f"call_{index}"] = "Give a number to call or to text."
    return errors


def set_local_crisis_resources(session: Session, actor: Actor, resources: list[dict]) -> Program:
    """Replace the program's local crisis lines (admin only)."""
    require_role(session, actor, Role.ADMIN, what="program")
    if len(resources) > MAX_LOCAL_RESOURCES:
        raise ValidationError.one("resources", f"At most {MAX_LOCAL_RESOURCES} local resources.")
    errors: dict[str, str] = {}
    for index, item in enumerate(resources):
        errors.update(_check_resource(index, item))
    if errors:
        raise ValidationError(errors)
    program = session.get(Program, actor.program_id)
    if program is None:
        raise ValidationError.one("program", "Your account is not attached to a program.")
    program.local_crisis_resources = [
        asdict(CrisisResource(name=r["name"].strip(), detail=r.get("detail", "").strip(),
                              call=r.get("call", "").strip(), text=r.get("text", "").strip()))
        for r in resources
    ]
    session.add(program)
    record(session, actor, category="program", action="write")
    return program


@dataclass(frozen=True)
class ParticipantOverview:
    name: str
    program_name: str
    schedule: str
    length_weeks: int
    therapist_name: str | None
    started_on: date | None


def participant_overview(session: Session, actor: Actor, participant_id: int) -> ParticipantOverview:
    """Program, schedule and therapist of one participant, in one query."""
    authorize(session, actor, participant_id, Category.PROFILE, Action.READ)
    therapist = AppUser.__table__.alias("therapist")
    row = session.exec(
        select(AppUser, Program, therapist.c.name)
        .join(Program, Program.id == AppUser.program_id, isouter=True)
        .join(CaseloadAssignment, CaseloadAssignment.participant_id == AppUser.id, isouter=True)
        .join(therapist, therapist.c.id == CaseloadAssignment.therapist_id, isouter=True)
        .where(AppUser.id == participant_id)
    ).one()
    user, program, therapist_name = row
    return ParticipantOverview(
        name=user.name, program_name=program.name if program else "",
        schedule=program.schedule if program else "", length_weeks=program.length_weeks if program else 0,
        therapist_name=therapist_name, started_on=user.started_on)


CHECKUP_INTERVAL_RANGE = (3, 28)


def set_checkup_interval(session: Session, actor: Actor, days: int) -> Program:
    """How often weekly check-ups fall due (admin only); counts from each participant's intake."""
    require_role(session, actor, Role.ADMIN, what="program")
    low, high = CHECKUP_INTERVAL_RANGE
    if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
        raise ValidationError.one("interval", f"Choose between {low} and {high} days.")
    program = session.get(Program, actor.program_id)
    program.checkup_interval_days = days
    session.add(program)
    record(session, actor, category="program", action="write")
    return program
