"""Substance-use screeners (AUDIT-C, DAST-10) in programs that track substance use.

Offered at intake (slot "p0") and whenever the therapist asks for one (at discharge, or any
time: slot "extra-<request id>"); never on a weekly schedule, since both ask about the past year.
They are stored as check-ups (one row per slot, enforced in the database) but read and written
under Category.SUBSTANCE_USE: substance-use data, 42 CFR Part 2. Family members never read them
(the gate gives family summaries only, and no family summary includes a screener).

Scoring, bands and words are in core.clinical; wording and sources in content/screeners.yaml.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any

from sqlalchemy import null, union_all
from sqlmodel import Session, col, select

from core import checkups, clinical, inputs
from core.access import Action, Actor, Category, authorize
from core.checkups import Item, Past, Questionnaire, Status
from core.content import CONTENT, read_questionnaires
from core.db import hold_rows, insert_if_absent
from core.errors import AccessDenied, ValidationError
from core.models import AppUser, Checkup, CheckupRequest, Program, Role, utcnow
from core.program import ProgramSettings, program_for, user_today

SCREENER_FILE = CONTENT / "screeners.yaml"
KINDS = clinical.SCREENER_KINDS


def load_screeners(path=SCREENER_FILE) -> dict[str, Questionnaire]:
    entries = read_questionnaires(path, {kind: clinical.MAX_TOTAL[kind] for kind in KINDS})
    return {
        kind: Questionnaire(
            kind,
            q.name,
            q.title,
            q.about,
            q.attribution,
            q.stem,
            tuple(Item(text, choices) for text, choices in q.item_choices()),
            None,
            (),
        )
        for kind, q in entries.items()
    }


@lru_cache(maxsize=1)
def screeners() -> dict[str, Questionnaire]:
    return load_screeners(SCREENER_FILE)


def offered(program: Program | ProgramSettings | None) -> bool:
    return bool(program and program.substance_use_tracking)


def _tracks_substance_use(session: Session, participant_id: int) -> bool:
    return offered(program_for(session, participant_id))


# --- what is due ----------------------------------------------------------------------------


def statuses(session: Session, actor: Actor, participant_id: int, today: date | None = None) -> list[Status]:
    """Each screener and whether it is due now (intake, or an open request); empty outside
    substance-use programs. Two queries."""
    authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.READ)
    if not _tracks_substance_use(session, participant_id):
        return []
    today = today or user_today(session, participant_id)
    # One read: the intakes taken (request id NULL) and the open requests, oldest first.
    taken = select(Checkup.kind, null().label("request_id")).where(
        Checkup.participant_id == participant_id, col(Checkup.kind).in_(KINDS), Checkup.slot_key == "p0"
    )
    asked = select(CheckupRequest.kind, CheckupRequest.id).where(
        CheckupRequest.participant_id == participant_id,
        col(CheckupRequest.kind).in_(KINDS),
        col(CheckupRequest.fulfilled_by_id).is_(None),
    )
    rows = session.execute(union_all(taken, asked)).all()
    intake_done = {kind for kind, request_id in rows if request_id is None}
    requests = sorted((request_id, kind) for kind, request_id in rows if request_id is not None)
    return _statuses(intake_done, requests, today)


def _statuses(intake_done: set[str], requests: list[tuple[int, str]], today: date) -> list[Status]:
    found = []
    for kind in KINDS:
        request = next((request_id for request_id, k in requests if k == kind), None)
        if kind not in intake_done:  # (a request made before intake is met by the intake itself)
            found.append(Status(kind, "p0", today, False, None, request))
        elif request is not None:
            found.append(Status(kind, f"extra-{request}", today, False, None, request))
        else:
            found.append(Status(kind, None, None, False, None))
    return found


def due_with_checkups(
    session: Session, actor: Actor, participant_id: int, today: date
) -> tuple[list[checkups.Status], list[Status]]:
    """Today's two questions in one read: each check-up's status (`checkups.statuses`) and, in
    substance-use programs, each screener's (`statuses`; empty elsewhere). Each category is authorized
    and audited as those two do it; the check-ups and open requests of every kind are one statement
    (`checkups.read_schedule`), where the two functions read them in two."""
    authorize(session, actor, participant_id, Category.CHECKUPS, Action.READ)
    program = program_for(session, participant_id)
    screening = offered(program)
    if screening:
        authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.READ)
    rows, requests = checkups.read_schedule(session, participant_id)
    due = checkups.statuses_from(program, rows, requests, today)
    if not screening:
        return due, []
    intake_done = {r.kind for r in rows if r.kind in KINDS and r.slot_key == "p0"}
    return due, _statuses(intake_done, [(i, k) for i, k in requests if k in KINDS], today)


# --- submitting -----------------------------------------------------------------------------


def _answers(kind: str) -> inputs.Check:
    def check(value: Any) -> list[int]:
        items = screeners()[kind].items
        if not isinstance(value, (list, tuple)) or len(value) != len(items):
            raise inputs.Problem(f"Expected {len(items)} answers.")
        problems = {}
        for index, (answer, item) in enumerate(zip(value, items, strict=True)):
            if answer is None:
                problems[f"item_{index}"] = "Please answer this one too."
            elif not inputs.is_whole(answer) or not 0 <= answer < len(item.choices):
                problems[f"item_{index}"] = f"Choose one of the {len(item.choices)} answers."
        if problems:
            raise inputs.Problem(problems)
        return list(value)

    return inputs.Custom(check)


class AuditcForm(inputs.Form):
    answers: Annotated[list[int], _answers("auditc")]


class Dast10Form(inputs.Form):
    answers: Annotated[list[int], _answers("dast10")]


FORMS: dict[str, type[AuditcForm] | type[Dast10Form]] = {"auditc": AuditcForm, "dast10": Dast10Form}


@dataclass(frozen=True)
class Result:
    kind: str
    total: int
    band: str
    intake_total: int | None  # None: this was the intake

    @property
    def words(self) -> str:
        return clinical.BAND_WORDS.get(self.band, "")


def submit(
    session: Session,
    actor: Actor,
    *,
    participant_id: int,
    kind: str,
    answers: list[int | None],
    now: datetime | None = None,
) -> Result:
    """Score and save a screener the participant answered; once per slot (a double tap saves once)."""
    authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.WRITE)
    if actor.role is not Role.PARTICIPANT:
        raise AccessDenied("Check-ups are answered by the participant themselves.")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValidationError.one("kind", "Unknown check-up.")
    now = now or utcnow()
    today = user_today(session, participant_id, now)
    status = next((s for s in statuses(session, actor, participant_id, today) if s.kind == kind), None)
    if status is None:
        raise ValidationError.one("kind", "This check-up is not part of your program.")
    if not status.is_due:
        raise ValidationError.one("kind", "You've already done this check-up — thank you.")
    clean = FORMS[kind].check(answers=answers).answers
    total = clinical.screener_total(kind, clean)
    band = clinical.band(kind, total)
    intake = (
        None
        if status.due_slot == "p0"
        else session.exec(
            select(Checkup.total).where(
                Checkup.participant_id == participant_id, Checkup.kind == kind, Checkup.slot_key == "p0"
            )
        ).first()
    )
    checkup_id = insert_if_absent(
        session,
        Checkup,
        {
            "participant_id": participant_id,
            "kind": kind,
            "slot_key": status.due_slot,
            "day": today,
            "answers": clean,
            "function_answer": None,
            "total": total,
            "band": band,
            "late": False,
            "taken_at": now,
        },
        conflict=["participant_id", "kind", "slot_key"],
    )
    if checkup_id is None:
        raise ValidationError.one("kind", "This check-up was already saved — thank you.")
    if status.extra_request_id:
        request = session.get(CheckupRequest, status.extra_request_id)
        assert request is not None, "statuses() just read it, in this transaction"
        request.fulfilled_by_id = checkup_id
        session.add(request)
    session.commit()
    return Result(kind, total, band, intake)


def request(session: Session, actor: Actor, *, participant_id: int, kind: str) -> None:
    """The therapist asks for a screener again (at discharge, or any time after intake)."""
    authorize(session, actor, participant_id, Category.CHECKUPS, Action.WRITE)
    if actor.role is not Role.THERAPIST:
        raise AccessDenied("Only the participant's therapist can ask for a check-up.")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValidationError.one("kind", "Unknown check-up.")
    if not _tracks_substance_use(session, participant_id):
        raise ValidationError.one("kind", "This program does not track substance use.")
    hold_rows(
        session, AppUser, col(AppUser.id) == participant_id
    )  # two taps at once: one request (checkups.request_extra)
    pending = session.exec(
        select(CheckupRequest.id).where(
            CheckupRequest.participant_id == participant_id,
            CheckupRequest.kind == kind,
            col(CheckupRequest.fulfilled_by_id).is_(None),
        )
    ).first()
    if pending is not None:
        raise ValidationError.one("kind", "This check-up is already waiting for them.")
    session.add(CheckupRequest(participant_id=participant_id, kind=kind, requested_by_id=actor.id))
    session.commit()


# --- reading --------------------------------------------------------------------------------


def histories(session: Session, actor: Actor, participant_id: int) -> dict[str, list[Past]]:
    """Every screener taken, oldest first, by kind (empty lists too); participant and therapist."""
    authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.READ)
    rows = session.exec(
        select(Checkup)
        .where(Checkup.participant_id == participant_id, col(Checkup.kind).in_(KINDS))
        .order_by(col(Checkup.day), col(Checkup.id))
    ).all()
    return pasts_of(rows)


def pasts_of(rows: Sequence[Checkup]) -> dict[str, list[Past]]:
    """{screener kind: its rows as Past, oldest first} from rows read oldest first (other kinds ignored)."""
    found: dict[str, list[Past]] = {}
    for kind in KINDS:
        mine = [r for r in rows if r.kind == kind]
        intake = next((r.total for r in mine if r.slot_key == "p0"), None)
        found[kind] = [
            Past(
                r.day,
                r.kind,
                r.total,
                r.band,
                list(r.answers),
                None,
                r.late,
                clinical.change_from_intake(kind, None if r.slot_key == "p0" else intake, r.total),
            )
            for r in mine
        ]
    return found
