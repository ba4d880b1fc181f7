"""Risk alerts: opened by what a participant enters (or by missed check-ins), closed by their
therapist with a note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func
from sqlmodel import Session, select

from core import clinical
from core.access import Action, Actor, Category, authorize, record, record_many, require_role
from core.clinical import CheckupTrigger, UrgeTrigger
from core.db import insert_if_absent, insert_many_if_absent
from core.errors import AccessDenied, ValidationError
from core.models import Alert, AppUser, CaseloadAssignment, DiaryCard, Program, Role, utcnow
from core.program import program_today


def open_alerts(session: Session, actor: Actor, *, participant_id: int, source_key: str,
                fired: list[tuple[UrgeTrigger | CheckupTrigger, str]]) -> list[int]:
    """Open one alert per fired trigger and source; saving the same thing twice opens none more."""
    opened = []
    for trigger, detail in fired:
        alert_id = insert_if_absent(session, Alert, {
            "participant_id": participant_id, "trigger": trigger.key, "severity": trigger.severity.value,
            "source_key": source_key, "detail": detail[:300], "opened_at": utcnow(),
        }, conflict=["participant_id", "trigger", "source_key"])
        if alert_id is not None:
            opened.append(alert_id)
            record(session, actor, category=Category.ALERTS, action="open",
                   participant_id=participant_id, ref=f"alert:{alert_id}")
    return opened


# --- the therapist's side: missed check-ins, the inbox, acknowledging and resolving ----------

ACK_NOTE_MAX = 1000
MISSED_CHECKIN = "missed_checkin"


def raise_missed_checkins(session: Session, actor: Actor | None, today: date,
                          therapist_id: int | None = None, program_id: int | None = None) -> int:
    """Open a 'no card for 3 days' alert for each participant whose last card (or start) is that
    old; one alert per gap, whatever the number of page loads. Two statements for any caseload.

    Runs when the caseload or the inbox loads, and from `python -m core.alerts` (for a schedule).
    """
    last_card = (select(DiaryCard.participant_id, func.max(DiaryCard.day).label("last"))
                 .group_by(DiaryCard.participant_id).subquery())
    query = (select(AppUser.id, AppUser.started_on, last_card.c.last)
             .join(CaseloadAssignment, CaseloadAssignment.participant_id == AppUser.id)
             .join(last_card, last_card.c.participant_id == AppUser.id, isouter=True)
             .where(AppUser.is_active == True, AppUser.role == Role.PARTICIPANT.value))  # noqa: E712
    if therapist_id is not None:
        query = query.where(CaseloadAssignment.therapist_id == therapist_id)
    if program_id is not None:
        query = query.where(AppUser.program_id == program_id)
    rows = []
    for participant_id, started_on, last in session.exec(query):
        since = last or started_on
        if since is not None and (today - since).days >= clinical.MISSED_CARD_DAYS:
            rows.append({"participant_id": participant_id, "trigger": MISSED_CHECKIN,
                         "severity": clinical.Severity.REVIEW.value, "source_key": f"missed:{since}",
                         "detail": (f"No diary card since {since:%b} {since.day}" if last
                                    else f"No diary card yet (started {since:%b} {since.day})"),
                         "opened_at": utcnow()})
    if rows:
        insert_many_if_absent(session, Alert, rows, conflict=["participant_id", "trigger", "source_key"])
        session.commit()
    return len(rows)


@dataclass(frozen=True)
class InboxItem:
    id: int
    participant_id: int
    participant: str
    trigger: str
    severity: clinical.Severity
    detail: str
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledgement: str


def inbox(session: Session, actor: Actor, *, today: date) -> list[InboxItem]:
    """Open alerts across the therapist's caseload: most urgent first, then newest."""
    require_role(session, actor, Role.THERAPIST, what="alerts")
    raise_missed_checkins(session, actor, today, therapist_id=actor.id)
    who, acker = AppUser.__table__.alias("who"), AppUser.__table__.alias("acker")
    rank = case({s.value: s.rank for s in clinical.Severity}, value=Alert.severity, else_=9)
    rows = session.exec(
        select(Alert, who.c.name, acker.c.name)
        .join(who, who.c.id == Alert.participant_id)
        .join(CaseloadAssignment, CaseloadAssignment.participant_id == Alert.participant_id)
        .join(acker, acker.c.id == Alert.acknowledged_by_id, isouter=True)
        .where(CaseloadAssignment.therapist_id == actor.id, Alert.resolved_at == None)  # noqa: E711
        .order_by(rank, Alert.opened_at.desc(), Alert.id.desc())).all()
    record_many(session, actor, sorted({a.participant_id for a, _, _ in rows}), category=Category.ALERTS,
                action="read")
    return [InboxItem(a.id, a.participant_id, name, a.trigger, clinical.Severity(a.severity), a.detail,
                      a.opened_at, a.acknowledged_at, acked_by, a.acknowledgement) for a, name, acked_by in rows]


def _alert_for_write(session: Session, actor: Actor, alert_id: int, what: str) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise ValidationError.one("alert", "That alert no longer exists.")
    authorize(session, actor, alert.participant_id, Category.ALERTS, Action.WRITE, ref=f"alert:{alert_id}")
    if actor.role is not Role.THERAPIST:
        raise AccessDenied("Only the participant's therapist closes the loop on an alert.")
    return alert


def acknowledge(session: Session, actor: Actor, *, alert_id: int, note: str) -> None:
    """Say what was done (called them, safety plan reviewed...). A note is required."""
    note = note.strip()
    if not note:
        raise ValidationError.one("note", "Write what you did or plan to do — it goes in the record.")
    if len(note) > ACK_NOTE_MAX:
        raise ValidationError.one("note", f"Keep the note under {ACK_NOTE_MAX} characters.")
    alert = _alert_for_write(session, actor, alert_id, "acknowledge")
    alert.acknowledged_at, alert.acknowledged_by_id, alert.acknowledgement = utcnow(), actor.id, note
    session.add(alert)
    session.commit()


def resolve(session: Session, actor: Actor, *, alert_id: int) -> None:
    """Close an acknowledged alert; it leaves the inbox but stays in the participant's history."""
    alert = _alert_for_write(session, actor, alert_id, "resolve")
    if alert.acknowledged_at is None:
        raise ValidationError.one("note", "Acknowledge the alert with a note before resolving it.")
    alert.resolved_at = utcnow()
    session.add(alert)
    session.commit()


def main() -> int:
    """Raise missed-check-in alerts for every caseload (run daily, e.g. from cron)."""
    from core.db import session_scope

    count = 0
    with session_scope() as session:
        for program in session.exec(select(Program)).all():  # each program on its own calendar day
            count += raise_missed_checkins(session, None, program_today(program), program_id=program.id)
    print(f"{count} participant(s) without a diary card for {clinical.MISSED_CARD_DAYS}+ days.")
    return 0



@dataclass(frozen=True)
class PastAlert:
    opened_at: datetime
    severity: str
    detail: str
    acknowledgement: str
    acknowledged_by: str | None
    resolved_at: datetime | None


def history(session: Session, actor: Actor, participant_id: int) -> list[PastAlert]:
    """Every alert for one participant, newest first (open and resolved)."""
    authorize(session, actor, participant_id, Category.ALERTS, Action.READ)
    acker = AppUser.__table__.alias("acker")
    rows = session.exec(select(Alert, acker.c.name)
                        .join(acker, acker.c.id == Alert.acknowledged_by_id, isouter=True)
                        .where(Alert.participant_id == participant_id)
                        .order_by(Alert.opened_at.desc(), Alert.id.desc())).all()
    return [PastAlert(a.opened_at, a.severity, a.detail, a.acknowledgement, by, a.resolved_at) for a, by in rows]


if __name__ == "__main__":
    raise SystemExit(main())
