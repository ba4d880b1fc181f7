"""Program attendance: the therapist takes the roll against the sessions of the schedule
(core/schedule.py: generated group sessions, one-off individual and family sessions). One row per
session (each participant has their own session row), so recording twice updates it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from core import clinical, inputs
from core.access import Action, Actor, Category, authorize, record_many, require_role
from core.db import upsert
from core.errors import ValidationError
from core.i18n import _, ngettext
from core.models import Attendance, CaseloadAssignment, Discharge, ProgramSession, Role, saved_id, utcnow


@dataclass(frozen=True)
class SessionRecord:
    day: date
    session_kind: str
    status: str

    @property
    def attended(self) -> bool:
        return self.status in clinical.ATTENDED

    def describe(self) -> str:
        return (
            f"{self.day:%a %b} {self.day.day} · {clinical.SESSION_KINDS.get(self.session_kind, self.session_kind)}"
            f" · {clinical.ATTENDANCE_STATUSES.get(self.status, self.status)}"
        )


ROLL_MAX = 500  # people on one roll call (a caseload)


def _statuses(value) -> dict[int, str]:
    if not isinstance(value, dict) or not value or len(value) > ROLL_MAX or not all(inputs.is_id(k) for k in value):
        raise inputs.Problem({"status": "Choose a status for at least one person at this session."})
    unknown = [s for s in value.values() if not isinstance(s, str) or s not in clinical.ATTENDANCE_STATUSES]
    if unknown:
        raise inputs.Problem({"status": f"Unknown attendance status {str(unknown[0])[:20]!r}."})
    return dict(value)


class RollForm(inputs.Form):
    """What the roll call sends: a status per session (each participant's own session row)."""

    statuses: Annotated[dict[int, str], inputs.Custom(_statuses)]
    today: Annotated[date, inputs.Day("The date has changed since this page opened; reload it.")]


def record_session(session: Session, actor: Actor, *, statuses: dict[int, str], today: date) -> int:
    """Save who came to a session: `statuses` maps each participant's session id (core/schedule.py)
    to present / late / absent / excused. Each participant is checked at the gate; one roll is one
    row per session (a double tap updates it). Returns rows saved.

    `today` is the therapist's own calendar day as the page saw it (core.program.user_today): the
    caller's clock, like `now` elsewhere, so only its type is checked."""
    form = RollForm.check(statuses=statuses, today=today)
    rows = {
        row.id: row
        for row in session.exec(select(ProgramSession).where(col(ProgramSession.id).in_(list(form.statuses)))).all()
    }
    missing = [sid for sid in form.statuses if sid not in rows]
    if missing:
        raise ValidationError.one("status", "That session is no longer on the schedule; reload the page.")
    for row in rows.values():
        if row.day > form.today:
            raise ValidationError.one("day", "That session hasn't happened yet.")
        if row.day < form.today - timedelta(days=clinical.ATTENDANCE_BACKFILL_DAYS):
            raise ValidationError.one(
                "day", f"Sessions can be recorded up to {clinical.ATTENDANCE_BACKFILL_DAYS} days later."
            )
    left = session.exec(  # (only the actor's own caseload: anyone else's is refused at the gate below)
        select(Discharge.participant_id)
        .join(CaseloadAssignment, col(CaseloadAssignment.participant_id) == col(Discharge.participant_id))
        .where(
            col(Discharge.participant_id).in_({row.participant_id for row in rows.values()}),
            col(CaseloadAssignment.therapist_id) == actor.id,
        )
    ).first()
    if left is not None:  # discharged since the page opened: off the roll now, and the gate would refuse
        raise ValidationError.one(
            "status", "Someone on this roll has left the program since the page opened; reload the page."
        )
    for row in sorted(rows.values(), key=lambda r: r.participant_id):
        authorize(session, actor, row.participant_id, Category.ATTENDANCE, Action.WRITE, ref=f"session:{row.id}")
    now = utcnow()
    for sid, status in form.statuses.items():
        row = rows[sid]
        upsert(
            session,
            Attendance,
            dict(
                session_id=sid,
                participant_id=row.participant_id,
                day=row.day,
                session_kind=row.kind,
                status=status,
                recorded_by_id=actor.id,
                recorded_at=now,
            ),
            conflict=["session_id"],
            update=["status", "recorded_by_id", "recorded_at"],
        )
    session.commit()
    return len(form.statuses)


def recorded(session: Session, actor: Actor, session_ids: list[int]) -> dict[int, str]:
    """What is already recorded for these sessions, {session id: status} (one query each way)."""
    if not isinstance(session_ids, list | tuple) or not all(inputs.is_id(s) for s in session_ids):
        raise ValidationError.one("status", "That session is no longer on the schedule; reload the page.")
    if not session_ids:
        return {}
    rows = session.exec(
        select(ProgramSession.id, ProgramSession.participant_id, Attendance.status)
        .outerjoin(Attendance, col(Attendance.session_id) == col(ProgramSession.id))
        .where(col(ProgramSession.id).in_(list(session_ids)))
    ).all()
    for participant_id in sorted({pid for _sid, pid, _status in rows}):
        authorize(session, actor, participant_id, Category.ATTENDANCE, Action.READ)
    return {saved_id(sid): status for sid, _pid, status in rows if status is not None}


def history(
    session: Session, actor: Actor, participant_id: int, start: date = date.min, end: date = date.max
) -> list[SessionRecord]:
    """One participant's sessions, newest first (the record itself: never for family, who get
    weekly counts from `sharing.attendance_weekly`)."""
    authorize(session, actor, participant_id, Category.ATTENDANCE, Action.READ, ref=f"{start}..{end}")
    rows = session.exec(
        select(col(Attendance.day), Attendance.session_kind, Attendance.status)
        .where(Attendance.participant_id == participant_id, Attendance.day >= start, Attendance.day <= end)
        .order_by(col(Attendance.day).desc(), Attendance.session_kind)
    ).all()
    return [SessionRecord(*row) for row in rows]


def summary(records: list[SessionRecord], *, you: bool = False, period: str = "") -> str:
    """'Came to 9 of 10 sessions (1 excused).' Excused absences don't count against anyone."""
    if not records:
        return _("No program sessions recorded yet.") if you else "No sessions recorded yet."
    came = sum(1 for r in records if r.attended)
    excused = sum(1 for r in records if r.status == "excused")
    held = len(records) - excused
    if you:  # the participant's own My progress: in their language
        if excused:
            return ngettext(
                "You came to {came} of {held} program session ({excused} excused).",
                "You came to {came} of {held} program sessions ({excused} excused).",
                held,
            ).format(came=came, held=held, excused=excused)
        return ngettext(
            "You came to {came} of {held} program session.", "You came to {came} of {held} program sessions.", held
        ).format(came=came, held=held)
    text = (
        f"{'You came' if you else 'Came'} to {came} of {held} {'program ' if you else ''}"
        f"session{'s' if held != 1 else ''}{' ' + period if period else ''}"
    )
    return text + (f" ({excused} excused)." if excused else ".")


def caseload_rates(session: Session, actor: Actor, start: date) -> dict[int, tuple[int, int]]:
    """(sessions attended, sessions held) since `start` for everyone on the therapist's caseload.

    One aggregate query joined on the therapist's own assignments, so nobody else's rows can
    appear; every participant shown is recorded in the audit log.
    """
    require_role(session, actor, Role.THERAPIST, what="attendance")
    came = func.sum(case((col(Attendance.status).in_(tuple(clinical.ATTENDED)), 1), else_=0))
    held = func.sum(case((col(Attendance.status) != "excused", 1), else_=0))
    rows = session.execute(
        select(Attendance.participant_id, came, held)
        .join(CaseloadAssignment, col(CaseloadAssignment.participant_id) == Attendance.participant_id)
        .where(CaseloadAssignment.therapist_id == actor.id, Attendance.day >= start)
        .group_by(col(Attendance.participant_id))
    ).all()
    rates = {pid: (int(c or 0), int(h or 0)) for pid, c, h in rows}
    record_many(session, actor, list(rates), category=Category.ATTENDANCE, action="read", ref=f"{start}")
    return rates
