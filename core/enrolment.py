"""A participant's arc through the program: enrolled (before their start date), active, then
discharged with a status and a date.

Discharge is set by their therapist or the program admin, through the gate (audited), and changes
what the gate allows (core/access.py): the participant keeps reading their own record and safety
plan for the program's access period (`Program.discharge_access_days`), then only their status and
the crisis lines (which are never gated); their therapist still reads the record and closes its
alerts, but adds nothing; they leave the active caseload (a "discharged" list keeps them
findable), get no reminders and no missed-check-in alerts. Family consent ends at discharge, in
the same transaction, unless the participant asked to keep it (`keep_family_consent`). Future
sessions without a roll are removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from sqlalchemy import delete, exists, update
from sqlalchemy import select as core_select  # (sqlmodel's select types four columns at most)
from sqlmodel import Session, col, select

from core import clinical, inputs
from core.access import Action, Actor, Category, authorize, own_discharge, record_many, require_role
from core.db import hold_rows, upsert
from core.errors import ValidationError
from core.models import (
    AppUser,
    Attendance,
    CaseloadAssignment,
    ConsentGrant,
    Discharge,
    Program,
    ProgramSession,
    Role,
    saved_id,
    table_of,
    utcnow,
)
from core.program import user_zone


def not_discharged(user_id_column):
    """A SQL condition: this participant has not been discharged (for caseload, reminder and
    missed-check-in queries)."""
    return ~exists().where(Discharge.participant_id == user_id_column)


class Use(StrEnum):
    """What a participant does with the app, as far as the end of the program changes it."""

    HOME = "home"  # Today: the day's card in the program; after it, a closing word and who to contact
    ACCOUNT = "account"  # My account: name, password, language, log out
    TOOLS = "tools"  # the coping tools themselves (breathing, grounding, urge surfing): no record read
    READ = "read"  # their own record: cards, progress, safety plan, aftercare plan (and keeping copies)
    WRITE = "write"  # adding to it: cards, check-ups, practice, goal ratings, plans, new sharing, reminders
    PRIVACY = "privacy"  # who in their family sees what, and stopping it (never taken away)


class Phase(StrEnum):
    IN_PROGRAM = "in_program"  # enrolled or active (and every role but a participant's)
    READING = "reading"  # discharged, within the program's access period: reads, adds nothing
    CLOSED = "closed"  # discharged, after the access period: home, account, coping tools, crisis lines


USES = {
    Phase.IN_PROGRAM: frozenset(Use),
    Phase.READING: frozenset({Use.HOME, Use.ACCOUNT, Use.TOOLS, Use.READ, Use.PRIVACY}),
    Phase.CLOSED: frozenset({Use.HOME, Use.ACCOUNT, Use.TOOLS, Use.PRIVACY}),
}


@dataclass(frozen=True)
class Remaining:
    """What a (discharged) participant may still do: the menu, the page guards and the screens that
    write all ask this, and it follows the gate's own rule (`access.own_discharge`), so nothing on
    offer is refused when used. The crisis lines are never gated and are on every screen."""

    phase: Phase

    def may(self, use: Use) -> bool:
        return use in USES[self.phase]


def remaining(session: Session, actor: Actor) -> Remaining:
    """What this person may still use of the app (everything, unless they are a discharged participant)."""
    if actor.role is not Role.PARTICIPANT:
        return Remaining(Phase.IN_PROGRAM)
    return Remaining(
        {"none": Phase.IN_PROGRAM, "reading": Phase.READING}.get(own_discharge(session, actor), Phase.CLOSED)
    )


@dataclass(frozen=True)
class Standing:
    state: str  # enrolled | active | discharged
    started_on: date | None
    discharged_on: date | None = None
    status: str | None = None
    reads_until: date | None = None  # a discharged participant reads their record until this day
    program_name: str = ""  # who to contact after the program: the program, and their therapist
    therapist_name: str | None = None

    @property
    def label(self) -> str:
        if self.state == "discharged" and self.status:
            return f"Discharged · {clinical.DISCHARGE_STATUSES.get(self.status, self.status)}"
        return clinical.ENROLMENT_STATES[self.state]

    def can_read(self, today: date) -> bool:
        return self.state != "discharged" or (self.reads_until is not None and today <= self.reads_until)


def state_of(started_on: date | None, discharged_on: date | None, today: date) -> str:
    if discharged_on is not None:
        return "discharged"
    if started_on is not None and today < started_on:
        return "enrolled"
    return "active"


def standing(session: Session, actor: Actor, participant_id: int, today: date) -> Standing:
    """Where a participant is in the program (they always see their own, even after their access
    period: it is what tells them why the rest is closed)."""
    authorize(session, actor, participant_id, Category.ENROLMENT, Action.READ)
    therapist = table_of(AppUser).alias("therapist")
    started_on, day, status, access_days, program_name, therapist_name = session.execute(
        core_select(
            col(AppUser.started_on),
            col(Discharge.day),
            col(Discharge.status),
            col(Program.discharge_access_days),
            col(Program.name),
            therapist.c.name,
        )
        .outerjoin(Discharge, col(Discharge.participant_id) == col(AppUser.id))
        .outerjoin(Program, col(Program.id) == col(AppUser.program_id))
        .outerjoin(CaseloadAssignment, col(CaseloadAssignment.participant_id) == col(AppUser.id))
        .outerjoin(therapist, therapist.c.id == col(CaseloadAssignment.therapist_id))
        .where(col(AppUser.id) == participant_id)
        .order_by(col(CaseloadAssignment.id))
        .limit(1)
    ).one()
    days = access_days if access_days is not None else clinical.DISCHARGE_ACCESS_DAYS
    return Standing(
        state_of(started_on, day, today),
        started_on,
        day,
        status,
        day + timedelta(days=days) if day is not None else None,
        program_name or "",
        therapist_name,
    )


class DischargeForm(inputs.Form):
    participant_id: Annotated[int, inputs.RecordId("Choose someone on your caseload.")]
    day: Annotated[date, inputs.Day("Choose the discharge date.")]
    status: Annotated[
        str,
        inputs.OneOf(
            clinical.DISCHARGE_STATUSES,
            "Choose how they left the program: "
            + ", ".join(s.lower() for s in clinical.DISCHARGE_STATUSES.values())
            + ".",
        ),
    ]
    keep_family_consent: Annotated[bool, inputs.Flag("Say whether family sharing continues.")]
    today: Annotated[date, inputs.Day("The date has changed since this page opened; reload it.")]


def discharge(
    session: Session,
    actor: Actor,
    *,
    participant_id: int,
    day: date,
    status: str,
    today: date,
    keep_family_consent: bool = False,
    now: datetime | None = None,
) -> Standing:
    """Discharge a participant (their therapist, or the program admin), or correct a discharge.
    In one transaction: the discharge row, the end of every current family consent (unless the
    participant renewed it: `keep_family_consent`), and the removal of their future sessions that
    have no roll. A date in the future or before their start date is refused beside the field."""
    form = DischargeForm.check(
        participant_id=participant_id, day=day, status=status, keep_family_consent=keep_family_consent, today=today
    )
    if form.day > form.today:
        raise ValidationError.one("day", "A discharge date can't be in the future.")
    authorize(
        session, actor, form.participant_id, Category.ENROLMENT, Action.WRITE, ref=f"participant:{form.participant_id}"
    )
    # A consent granted or sessions generated at this moment wait for the discharge, or are ended by it.
    hold_rows(session, AppUser, col(AppUser.id) == form.participant_id)
    started_on, created_at = session.exec(
        select(col(AppUser.started_on), col(AppUser.created_at)).where(AppUser.id == form.participant_id)
    ).one()
    if started_on is not None and form.day < started_on:
        raise ValidationError.one(
            "day",
            f"That is before they enrolled (their start date is {started_on:%b} {started_on.day}, {started_on.year}).",
        )
    kept = session.exec(select(col(Discharge.day)).where(Discharge.participant_id == form.participant_id)).first()
    if started_on is None and form.day != kept:  # (a correction keeping the recorded day stands)
        # No start date to bound it: their account's first day, and no longer ago than a program.
        made = created_at.replace(tzinfo=created_at.tzinfo or UTC).astimezone(user_zone(session, form.participant_id))
        earliest = max(made.date(), form.today - timedelta(days=clinical.DISCHARGE_LOOKBACK_DAYS))
        if form.day < earliest:
            raise ValidationError.one(
                "day",
                f"That is before they could have been in the program (the earliest is {earliest:%b} "
                f"{earliest.day}, {earliest.year}): check the year.",
            )
    now = now or utcnow()
    upsert(
        session,
        Discharge,
        {
            "participant_id": form.participant_id,
            "day": form.day,
            "status": form.status,
            "family_consent_kept": form.keep_family_consent,
            "recorded_by_id": actor.id,
            "recorded_at": now,
        },
        conflict=["participant_id"],
        update=["day", "status", "family_consent_kept", "recorded_by_id", "recorded_at"],
    )
    if not form.keep_family_consent:
        session.execute(
            update(ConsentGrant)
            .where(col(ConsentGrant.participant_id) == form.participant_id, col(ConsentGrant.revoked_at).is_(None))
            .values(revoked_at=now)
        )
    session.execute(
        delete(ProgramSession).where(
            col(ProgramSession.participant_id) == form.participant_id,
            col(ProgramSession.day) > form.day,
            ~exists().where(col(Attendance.session_id) == col(ProgramSession.id)),
        )
    )
    session.commit()
    return Standing("discharged", started_on, form.day, form.status, None)


@dataclass(frozen=True)
class DischargedRow:
    id: int
    name: str
    discharged_on: date
    status: str


def discharged_caseload(session: Session, actor: Actor) -> list[DischargedRow]:
    """The therapist's discharged participants (the "discharged" filter of the caseload): one query
    joined on their own assignments, newest discharge first; each person shown is audited."""
    require_role(session, actor, Role.THERAPIST, what="caseload")
    rows = [
        DischargedRow(saved_id(pid), name, discharged_on, status)
        for pid, name, discharged_on, status in session.exec(
            select(col(AppUser.id), col(AppUser.name), col(Discharge.day), col(Discharge.status))
            .join(CaseloadAssignment, col(CaseloadAssignment.participant_id) == col(AppUser.id))
            .join(Discharge, col(Discharge.participant_id) == col(AppUser.id))
            .where(CaseloadAssignment.therapist_id == actor.id, col(AppUser.is_active).is_(True))
            .order_by(col(Discharge.day).desc(), col(AppUser.name))
        )
    ]
    record_many(session, actor, [r.id for r in rows], category=Category.ENROLMENT, action="read")
    return rows


@dataclass(frozen=True)
class RosterRow:
    id: int
    name: str
    started_on: date | None
    discharged_on: date | None
    status: str | None

    def state(self, today: date) -> str:
        return state_of(self.started_on, self.discharged_on, today)


def roster(session: Session, actor: Actor) -> list[RosterRow]:
    """Whom this person may enrol or discharge: a therapist's caseload, or every participant of the
    admin's program; with start and discharge. One query; each person listed is audited."""
    require_role(session, actor, Role.THERAPIST, Role.ADMIN, what="caseload")
    query = (
        core_select(
            col(AppUser.id), col(AppUser.name), col(AppUser.started_on), col(Discharge.day), col(Discharge.status)
        )
        .outerjoin(Discharge, col(Discharge.participant_id) == col(AppUser.id))
        .where(col(AppUser.role) == Role.PARTICIPANT.value, col(AppUser.is_active).is_(True))
        .order_by(col(AppUser.name))
    )
    if actor.role is Role.THERAPIST:
        query = query.join(CaseloadAssignment, col(CaseloadAssignment.participant_id) == col(AppUser.id)).where(
            col(CaseloadAssignment.therapist_id) == actor.id
        )
    else:
        query = query.where(col(AppUser.program_id) == actor.program_id)
    rows = [
        RosterRow(saved_id(pid), name, started_on, discharged_on, status)
        for pid, name, started_on, discharged_on, status in session.execute(query).all()
    ]
    record_many(session, actor, [r.id for r in rows], category=Category.ENROLMENT, action="read")
    return rows
