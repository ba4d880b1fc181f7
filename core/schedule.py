"""The program's schedule: the weekly pattern the admin sets, and the sessions it makes.

The admin defines the week once — which days, from when to when (in the program's time zone),
the group's topic each day — and the program's length in weeks. Each enrolment then gets its own
group sessions, from the participant's start date for that many weeks; therapists add one-off
individual and family sessions. Attendance is taken against these sessions (core/attendance.py).

Generating is idempotent: one row per participant, kind and start is a unique constraint and the
rows go in with one `INSERT … ON CONFLICT DO UPDATE`, so generating again (or twenty times at once)
never makes a second copy; a changed topic or end time updates the future sessions, and future
group sessions the new pattern no longer has (and nobody took a roll for) are removed. Days already past
keep the sessions they had: a changed pattern adds none before now to an enrolment generated before.

Times: a slot is minutes after midnight in the program's zone; each session is stored as a UTC
instant made from that local time on its own day, so 6 pm stays 6 pm across a daylight-saving
change. A slot must end after it starts on the same day (no session crosses midnight).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import bindparam, delete, exists, func
from sqlalchemy import select as core_select  # (sqlmodel's select types four columns at most)
from sqlmodel import Session, col, select

from core import clinical, inputs
from core.access import Action, Actor, Category, authorize, record, require_role
from core.db import hold_rows, insert_statement, on_commit
from core.errors import ValidationError
from core.models import (
    AppUser,
    Attendance,
    CaseloadAssignment,
    Discharge,
    Program,
    ProgramSession,
    Role,
    ScheduleSlot,
    id_of,
    saved_id,
    utcnow,
)

TOPIC_MAX = 80
ZONE_MAX = 64


@dataclass(frozen=True)
class Slot:
    weekday: int  # 0 = Monday
    start: time
    end: time
    topic: str = ""

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        return self.end.hour * 60 + self.end.minute

    def describe(self) -> str:
        return f"{clinical.WEEKDAYS[self.weekday]} {clock(self.start)}–{clock(self.end)}"


@dataclass(frozen=True)
class Pattern:
    timezone: str
    length_weeks: int
    slots: tuple[Slot, ...]


@dataclass(frozen=True)
class SessionView:
    id: int
    participant_id: int
    kind: str
    day: date
    starts_at: datetime
    ends_at: datetime
    topic: str

    @property
    def kind_label(self) -> str:
        return clinical.SESSION_KINDS.get(self.kind, self.kind)


def clock(moment: time) -> str:
    """'6:00 PM'."""
    return f"{moment:%I:%M %p}".lstrip("0")


def _minute_time(minute: int) -> time:
    return time(minute // 60, minute % 60)


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_moment(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a day in `zone` (6 pm stays 6 pm across DST)."""
    return datetime.combine(day, moment, zone).astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _view(row: ProgramSession) -> SessionView:
    return SessionView(
        id_of(row), row.participant_id, row.kind, row.day, _aware(row.starts_at), _aware(row.ends_at), row.topic
    )


# --- the weekly pattern (admin) -------------------------------------------------------------------


def _zone_name(value) -> str:
    if not isinstance(value, str) or len(value) > ZONE_MAX or value not in available_timezones():
        raise inputs.Problem("Choose the program's time zone from the list (for example America/New_York).")
    return value


def _clock(value) -> time:
    if type(value) is not time or value.tzinfo is not None:
        raise inputs.Problem("Choose a time of day.")
    return value.replace(second=0, microsecond=0)


class SlotForm(inputs.Form):
    weekday: Annotated[int, inputs.Whole(0, 6, "Choose a day of the week.", optional=False)]
    start: Annotated[time, inputs.Custom(_clock)]
    end: Annotated[time, inputs.Custom(_clock)]
    topic: Annotated[
        str,
        inputs.Name(TOPIC_MAX, "The topic", optional=True, too_long=f"Keep the topic under {TOPIC_MAX} characters."),
    ]


class PatternForm(inputs.Form):
    timezone: Annotated[str, inputs.Custom(_zone_name, inputs.Limit(max_chars=ZONE_MAX))]
    length_weeks: Annotated[
        int,
        inputs.Whole(
            *clinical.PROGRAM_WEEKS_RANGE,
            f"Choose a length from {clinical.PROGRAM_WEEKS_RANGE[0]} to {clinical.PROGRAM_WEEKS_RANGE[1]} weeks.",
            optional=False,
        ),
    ]


def check_slots(slots) -> tuple[list[Slot], dict[str, str]]:
    """The slots as they will be stored, and messages keyed `<field>_<index>` beside each row:
    an end before its start, a session too long, two slots that overlap on the same day."""
    if not isinstance(slots, list | tuple):
        return [], {"slots": "The weekly pattern is a list of sessions."}
    if len(slots) > clinical.SLOTS_MAX:
        return [], {"slots": f"At most {clinical.SLOTS_MAX} group sessions a week."}
    errors: dict[str, str] = {}
    checked: list[tuple[int, Slot]] = []
    for index, item in enumerate(slots):
        if not isinstance(item, dict):
            errors[f"weekday_{index}"] = "Each session needs a day, a start and an end."
            continue
        form, found = SlotForm.read(**{k: item.get(k) for k in ("weekday", "start", "end", "topic")})
        errors.update({f"{key}_{index}": message for key, message in found.items()})
        if form is None:
            continue
        slot = Slot(form.weekday, form.start, form.end, form.topic or "")
        if slot.end_minute <= slot.start_minute:
            errors[f"end_{index}"] = (
                "The session ends before it starts. Sessions can't run past midnight; "
                "choose an end time later the same day."
            )
        elif slot.end_minute - slot.start_minute > clinical.SESSION_MINUTES_MAX:
            errors[f"end_{index}"] = f"A session is at most {clinical.SESSION_MINUTES_MAX // 60} hours."
        else:
            checked.append((index, slot))
    by_day: dict[int, list[tuple[int, Slot]]] = defaultdict(list)
    for index, slot in checked:
        by_day[slot.weekday].append((index, slot))
    for same_day in by_day.values():
        same_day.sort(key=lambda pair: pair[1].start_minute)
        for (_, before), (index, after) in zip(same_day, same_day[1:], strict=False):
            if after.start_minute < before.end_minute:
                errors.setdefault(f"start_{index}", f"This overlaps the {before.describe()} session.")
    return [slot for _, slot in sorted(checked)], errors


def weekly_pattern(session: Session, actor: Actor) -> Pattern:
    """The program's time zone, length and weekly group sessions (staff of the program)."""
    require_role(session, actor, Role.ADMIN, Role.THERAPIST, what="schedule")
    program = session.get(Program, actor.program_id) if actor.program_id else None
    if program is None:
        return Pattern("UTC", clinical.PROGRAM_WEEKS_RANGE[0], ())
    rows = session.exec(
        select(ScheduleSlot)
        .where(ScheduleSlot.program_id == program.id)
        .order_by(col(ScheduleSlot.weekday), col(ScheduleSlot.start_minute))
    ).all()
    slots = tuple(Slot(r.weekday, _minute_time(r.start_minute), _minute_time(r.end_minute), r.topic) for r in rows)
    return Pattern(program.timezone, program.length_weeks, slots)


@dataclass(frozen=True)
class Generated:
    sessions: int  # group sessions the program's enrolments have now
    added: int
    removed: int


def set_pattern(
    session: Session, actor: Actor, *, timezone: str, length_weeks: int, slots: list[dict], now: datetime | None = None
) -> Generated:
    """Replace the program's weekly pattern (admin only) and generate everyone's group sessions
    from it. Bad rows are all named at once (`end_2`, `start_1` …) and nothing is saved."""
    require_role(session, actor, Role.ADMIN, what="schedule")
    form, errors = PatternForm.read(timezone=timezone, length_weeks=length_weeks)
    checked, slot_errors = check_slots(slots)
    errors = {**errors, **slot_errors}
    if errors:
        raise ValidationError(errors)
    program = session.get(Program, actor.program_id) if actor.program_id else None
    if program is None:
        raise ValidationError.one("slots", "Your account is not attached to a program.")
    # Two saves at once (two tabs, two admins) one after the other: else each deleted only the slots it
    # could see, and both new patterns stayed on PostgreSQL.
    hold_rows(session, Program, col(Program.id) == program.id)
    program.timezone, program.length_weeks = form.timezone, form.length_weeks
    session.add(program)
    session.execute(delete(ScheduleSlot).where(col(ScheduleSlot.program_id) == program.id))
    session.flush()
    for slot in checked:
        session.add(
            ScheduleSlot(
                program_id=id_of(program),
                weekday=slot.weekday,
                start_minute=slot.start_minute,
                end_minute=slot.end_minute,
                topic=slot.topic,
            )
        )
    session.flush()
    from core.program import forget_programs

    on_commit(session, forget_programs)
    record(session, actor, category="schedule", action="write")
    return _generate(session, actor, program, None, now or utcnow())


def generate_sessions(
    session: Session, actor: Actor, *, participant_ids: list[int] | None = None, now: datetime | None = None
) -> Generated:
    """Make (or bring up to date) the group sessions of the program's enrolments (admin only):
    everyone active with a start date, or only `participant_ids`. Safe to run any number of
    times, at once too: a session is one row whatever happens."""
    require_role(session, actor, Role.ADMIN, what="schedule")
    if participant_ids is not None and (
        not isinstance(participant_ids, list | tuple)
        or len(participant_ids) > 10_000
        or not all(inputs.is_id(p) for p in participant_ids)
    ):
        raise ValidationError.one("participant_ids", "Choose participants from the list.")
    program = session.get(Program, actor.program_id) if actor.program_id else None
    if program is None:
        raise ValidationError.one("participant_ids", "Your account is not attached to a program.")
    return _generate(session, actor, program, participant_ids, now or utcnow())


def _generate(session: Session, actor: Actor, program: Program, only: list[int] | None, now: datetime) -> Generated:
    done = _sync(session, program, only, now)
    session.commit()
    record(session, actor, category="schedule", action="generate")
    return done


def _sync(session: Session, program: Program, only: list[int] | None, now: datetime) -> Generated:
    """The group sessions the pattern makes for the program's enrolments, upserted (no commit)."""
    zone = zone_of(program.timezone)
    slots = session.exec(select(ScheduleSlot).where(ScheduleSlot.program_id == program.id)).all()
    by_weekday: dict[int, list[ScheduleSlot]] = defaultdict(list)
    for slot in slots:
        by_weekday[slot.weekday].append(slot)
    enrolled = (
        col(AppUser.program_id) == program.id,
        col(AppUser.role) == Role.PARTICIPANT.value,
        *(() if only is None else (col(AppUser.id).in_(list(only) or [0]),)),
    )
    hold_rows(session, AppUser, *enrolled)  # a discharge at this moment waits, or is seen (core/enrolment.py)
    query = (
        select(col(AppUser.id), col(AppUser.started_on))
        .outerjoin(Discharge, col(Discharge.participant_id) == col(AppUser.id))
        .where(
            AppUser.program_id == program.id,
            AppUser.role == Role.PARTICIPANT.value,
            col(AppUser.is_active).is_(True),
            col(AppUser.started_on).is_not(None),
            col(Discharge.id).is_(None),
        )
    )
    if only is not None:
        query = query.where(col(AppUser.id).in_(list(only) or [0]))
    people = [(saved_id(pid), started_on) for pid, started_on in session.exec(query) if started_on is not None]
    # The past stays as it was held: a changed pattern makes no session before now for anyone whose group
    # sessions were generated already (a first generation, a start date in the past, makes them all).
    held = {
        (pid, _aware(starts))
        for pid, starts in session.exec(
            select(ProgramSession.participant_id, ProgramSession.starts_at).where(
                col(ProgramSession.participant_id).in_([pid for pid, _ in people] or [0]),
                ProgramSession.kind == "group",
                col(ProgramSession.created_by_id).is_(None),
                ProgramSession.starts_at <= now,
            )
        ).all()
    }
    generated = {pid for pid, _ in held}
    wanted = []
    for participant_id, started_on in people:
        for offset in range(clinical.program_weeks(program.length_weeks) * 7):
            day = started_on + timedelta(days=offset)
            for slot in by_weekday.get(day.weekday(), ()):
                if local_moment(day, _minute_time(slot.end_minute), zone) <= local_moment(
                    day, _minute_time(slot.start_minute), zone
                ):
                    continue  # (a slot inside the hour the clocks skip: no session that night)
                starts = local_moment(day, _minute_time(slot.start_minute), zone)
                if starts <= now and participant_id in generated and (participant_id, starts) not in held:
                    continue  # (held already, as the pattern was then)
                wanted.append(
                    {
                        "participant_id": participant_id,
                        "program_id": program.id,
                        "kind": "group",
                        "day": day,
                        "starts_at": starts,
                        "ends_at": local_moment(day, _minute_time(slot.end_minute), zone),
                        "topic": slot.topic,
                        "created_by_id": None,
                        "created_at": now,
                    }
                )
    ids = [pid for pid, _ in people]
    before = _group_count(session, id_of(program), ids)
    # Future generated group sessions the pattern no longer makes, with no roll taken: removed.
    keep = {(w["participant_id"], w["starts_at"]) for w in wanted}
    stale = [
        sid
        for sid, pid, starts in session.exec(
            select(ProgramSession.id, ProgramSession.participant_id, ProgramSession.starts_at).where(
                col(ProgramSession.participant_id).in_(ids or [0]),
                ProgramSession.kind == "group",
                col(ProgramSession.created_by_id).is_(None),
                ProgramSession.starts_at > now,
                ~exists().where(col(Attendance.session_id) == col(ProgramSession.id)),
            )
        ).all()
        if (pid, _aware(starts)) not in keep
    ]
    if stale:
        session.execute(delete(ProgramSession).where(col(ProgramSession.id).in_(stale)))
    if wanted:
        wanted.sort(key=lambda w: (w["participant_id"], w["starts_at"]))  # one order: no deadlocks
        stmt = insert_statement(session)(ProgramSession)
        stmt = stmt.on_conflict_do_update(
            index_elements=["participant_id", "kind", "starts_at"],
            set_={"ends_at": stmt.excluded.ends_at, "topic": stmt.excluded.topic},
        )
        for chunk in range(0, len(wanted), 2000):
            session.execute(stmt, wanted[chunk : chunk + 2000])
    after = _group_count(session, id_of(program), ids)
    return Generated(after, max(0, after - before + len(stale)), len(stale))


def _group_count(session: Session, program_id: int, ids: list[int]) -> int:
    return session.exec(
        select(func.count(col(ProgramSession.id))).where(
            col(ProgramSession.participant_id).in_(ids or [0]), ProgramSession.kind == "group"
        )
    ).one()


# --- a participant's sessions -----------------------------------------------------------------------


def next_session(session: Session, actor: Actor, participant_id: int, *, now: datetime | None = None):
    """The participant's next session (one that has not ended yet), or None."""
    authorize(session, actor, participant_id, Category.ATTENDANCE, Action.READ)
    row = session.exec(_next_statement(), params={"participant_id": participant_id, "after": now or utcnow()}).first()
    return _view(row) if row is not None else None


@lru_cache(maxsize=1)
def _next_statement():
    """`next_session`'s statement, built once (Today reads it on every run): its values are parameters."""
    return (
        select(ProgramSession)
        .where(
            ProgramSession.participant_id == bindparam("participant_id"), ProgramSession.ends_at > bindparam("after")
        )
        .order_by(col(ProgramSession.starts_at))
        .limit(1)
    )


def sessions_between(session: Session, actor: Actor, participant_id: int, start: date, end: date) -> list[SessionView]:
    """One participant's sessions from `start` to `end` (program days), in order."""
    authorize(session, actor, participant_id, Category.ATTENDANCE, Action.READ, ref=f"{start}..{end}")
    rows = session.exec(
        select(ProgramSession)
        .where(ProgramSession.participant_id == participant_id, ProgramSession.day >= start, ProgramSession.day <= end)
        .order_by(col(ProgramSession.starts_at))
    ).all()
    return [_view(r) for r in rows]


# --- one-off sessions (therapist) -------------------------------------------------------------------


class OneOffForm(inputs.Form):
    participant_id: Annotated[int, inputs.RecordId("Choose someone on your caseload.")]
    kind: Annotated[str, inputs.OneOf(clinical.ONE_OFF_KINDS, "Choose an individual or a family session.")]
    day: Annotated[date, inputs.Day("Choose the session's date.")]
    start: Annotated[time, inputs.Custom(_clock)]
    end: Annotated[time, inputs.Custom(_clock)]
    today: Annotated[date, inputs.Day("The date has changed since this page opened; reload it.")]


def add_session(
    session: Session,
    actor: Actor,
    *,
    participant_id: int,
    kind: str,
    day: date,
    start: time,
    end: time,
    today: date,
) -> SessionView:
    """A one-off individual or family session with someone on the therapist's caseload, in the
    program's time zone. The same session sent twice is one row; one that overlaps another of the
    participant's sessions that day is refused beside its start time."""
    form, errors = OneOffForm.read(participant_id=participant_id, kind=kind, day=day, start=start, end=end, today=today)
    if form is not None:
        if form.end <= form.start:
            errors["end"] = "The session ends before it starts. Choose an end time later the same day."
        elif (form.end.hour * 60 + form.end.minute) - (form.start.hour * 60 + form.start.minute) > (
            clinical.SESSION_MINUTES_MAX
        ):
            errors["end"] = f"A session is at most {clinical.SESSION_MINUTES_MAX // 60} hours."
        if form.day < form.today - timedelta(days=clinical.ATTENDANCE_BACKFILL_DAYS):
            errors["day"] = f"Sessions can be added up to {clinical.ATTENDANCE_BACKFILL_DAYS} days later."
        elif form.day > form.today + timedelta(days=clinical.SESSION_AHEAD_DAYS):
            errors["day"] = "Choose a date within the next year."
    if errors:
        raise ValidationError(errors)
    authorize(session, actor, form.participant_id, Category.ATTENDANCE, Action.WRITE, ref=f"{form.day}")
    hold_rows(session, AppUser, col(AppUser.id) == form.participant_id)  # the overlap check and insert: one at a time
    if session.exec(select(Discharge.id).where(Discharge.participant_id == form.participant_id)).first() is not None:
        # (discharged since the gate's look: the discharge removed their future sessions, this one too)
        raise ValidationError.one("participant_id", "They have left the program since the page opened; reload it.")
    program_id, zone_name = session.exec(
        select(AppUser.program_id, Program.timezone)
        .outerjoin(Program, col(Program.id) == col(AppUser.program_id))
        .where(AppUser.id == form.participant_id)
    ).one()
    zone = zone_of(zone_name)
    starts, ends = local_moment(form.day, form.start, zone), local_moment(form.day, form.end, zone)
    for field, typed, instant in (("start", form.start, starts), ("end", form.end, ends)):
        if instant.astimezone(zone).time() != typed:  # in the hour the clocks skip (it would move, or end first)
            raise ValidationError.one(
                field,
                f"The clocks go forward that night: {clock(typed)} doesn't exist on {form.day:%b} {form.day.day}. "
                "Choose another time.",
            )
    same_day = session.exec(
        select(ProgramSession).where(
            ProgramSession.participant_id == form.participant_id, ProgramSession.day == form.day
        )
    ).all()
    for other in same_day:
        if other.kind == form.kind and _aware(other.starts_at) == starts and _aware(other.ends_at) == ends:
            return _view(other)  # sent twice: the one already saved
        if _aware(other.starts_at) < ends and starts < _aware(other.ends_at):
            local = _aware(other.starts_at).astimezone(zone)
            raise ValidationError.one(
                "start",
                f"This overlaps their {clinical.SESSION_KINDS.get(other.kind, other.kind).lower()} session at "
                f"{clock(local.time())}. Choose another time.",
            )
    stmt = (
        insert_statement(session)(ProgramSession)
        .values(
            participant_id=form.participant_id,
            program_id=program_id,
            kind=form.kind,
            day=form.day,
            starts_at=starts,
            ends_at=ends,
            topic="",
            created_by_id=actor.id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["participant_id", "kind", "starts_at"])
    )
    session.execute(stmt)
    row = session.exec(
        select(ProgramSession).where(
            ProgramSession.participant_id == form.participant_id,
            ProgramSession.kind == form.kind,
            ProgramSession.starts_at == starts,
        )
    ).one()
    view = _view(row)
    session.commit()
    return view


# --- the therapist's roll call ------------------------------------------------------------------------


@dataclass(frozen=True)
class RollSession:
    """One session on a day, as the therapist takes its roll: everyone on their caseload expected at
    it (a group session is each participant's own row at the same time)."""

    kind: str
    starts_at: datetime
    ends_at: datetime
    topic: str
    people: tuple[tuple[int, str, int, str | None], ...]  # (participant id, name, session id, status)

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.starts_at:%Y%m%d%H%M}"

    def describe(self, zone: ZoneInfo, typed: Callable[[str], str] = str) -> str:
        """'Group 6:00 PM–9:00 PM · topic'; `typed` makes the admin's topic safe where the text goes
        (ui/text.md inside Markdown)."""
        start, end = self.starts_at.astimezone(zone), self.ends_at.astimezone(zone)
        topic = f" · {typed(self.topic)}" if self.topic else ""
        return f"{clinical.SESSION_KINDS.get(self.kind, self.kind)} {clock(start.time())}–{clock(end.time())}{topic}"


def roll_for_day(session: Session, actor: Actor, day: date) -> list[RollSession]:
    """The sessions on `day` (program day) of the therapist's caseload, with any status already
    taken; never anyone discharged (their record is closed). One query joined on the therapist's own
    assignments; each person shown is audited."""
    require_role(session, actor, Role.THERAPIST, what="attendance")
    if not inputs.is_day(day):
        raise ValidationError.one("day", "Choose the session's date.")
    rows = session.execute(
        core_select(
            col(ProgramSession.id),
            col(ProgramSession.participant_id),
            col(AppUser.name),
            col(ProgramSession.kind),
            col(ProgramSession.starts_at),
            col(ProgramSession.ends_at),
            col(ProgramSession.topic),
            col(Attendance.status),
        )
        .join(CaseloadAssignment, col(CaseloadAssignment.participant_id) == col(ProgramSession.participant_id))
        .join(AppUser, col(AppUser.id) == col(ProgramSession.participant_id))
        .outerjoin(Attendance, col(Attendance.session_id) == col(ProgramSession.id))
        .where(
            col(CaseloadAssignment.therapist_id) == actor.id,
            col(ProgramSession.day) == day,
            col(AppUser.is_active).is_(True),
            col(AppUser.program_id) == actor.program_id,
            # The discharged are off the roll: the gate refuses their attendance (core/access.py).
            ~exists().where(col(Discharge.participant_id) == col(ProgramSession.participant_id)),
        )
        .order_by(col(ProgramSession.starts_at), col(ProgramSession.kind), col(AppUser.name))
    ).all()
    grouped: dict[tuple, list] = defaultdict(list)
    for sid, pid, name, kind, starts, ends, topic, status in rows:
        grouped[(kind, _aware(starts), _aware(ends), topic)].append((pid, name, sid, status))
    from core.access import record_many

    record_many(session, actor, sorted({r[1] for r in rows}), category=Category.ATTENDANCE, action="read", ref=f"{day}")
    return [RollSession(k[0], k[1], k[2], k[3], tuple(v)) for k, v in grouped.items()]
