"""Weekly check-ups (PHQ-9, GAD-7, and a craving scale where the program tracks substance use).

Due at intake, then every `checkup_interval_days` from the intake day; each can be taken up to
CHECKUP_LATE_DAYS late, once per slot (enforced in the database), plus any extra one a therapist
asks for. Scoring and alert rules are in core.clinical.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, Integer, String, bindparam, cast, null, or_, union_all
from sqlmodel import Session, col, select

from core import clinical, i18n
from core.access import Action, Actor, Category, authorize
from core.alerts import NO_RISK, IncompleteWithRisk, RiskOutcome, route
from core.content import CONTENT, CatalogueError, read_questionnaires
from core.db import hold_rows, insert_if_absent
from core.errors import AccessDenied, ValidationError
from core.i18n import _
from core.models import AppUser, Checkup, CheckupRequest, Program, Role, utcnow
from core.program import CHECKUP_INTERVAL_RANGE, ProgramSettings, program_for, user_today

INTAKE_SLOT = "p0"  # the first check-up of each kind: the baseline every change is measured from

QUESTIONNAIRE_FILE = CONTENT / "questionnaires.yaml"
KINDS = ("phq9", "gad7", "pacs")
# Shown in English whatever the viewer's language, with a note, until a reviewed translation exists.
ENGLISH_ONLY = frozenset({"pacs"})


@dataclass(frozen=True)
class Item:
    text: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Questionnaire:
    kind: str
    name: str
    title: str
    about: str
    attribution: str
    stem: str
    items: tuple[Item, ...]
    function_item: str | None
    function_choices: tuple[str, ...]


def load_questionnaires(path=QUESTIONNAIRE_FILE, kinds: tuple[str, ...] = KINDS) -> dict[str, Questionnaire]:
    """The questionnaires in `path`, checked by core.content (a CatalogueError names the file). A
    translation holds only the kinds that have one (not the English-only craving scale)."""
    entries = read_questionnaires(path, {kind: clinical.MAX_TOTAL[kind] for kind in kinds})
    return {
        kind: Questionnaire(
            kind,
            q.name,
            q.title,
            q.about,
            q.attribution,
            q.stem,
            tuple(Item(text, choices) for text, choices in q.item_choices()),
            q.function_item,
            tuple(q.function_choices or ()),
        )
        for kind, q in entries.items()
    }


@lru_cache(maxsize=4)
def questionnaires(language: str = "en") -> dict[str, Questionnaire]:
    """The questionnaires in `language`: core/content/es/questionnaires.yaml for Spanish when it
    exists (the official Spanish versions, checked to have the English items and choices one for
    one, so a score means the same), else the English. `is_translated` says which."""
    english = load_questionnaires(QUESTIONNAIRE_FILE)
    path = i18n.content_file("questionnaires.yaml", language)
    if path == QUESTIONNAIRE_FILE:
        return english
    translated = load_questionnaires(path, kinds=tuple(k for k in KINDS if k not in ENGLISH_ONLY))
    for kind in translated:
        mine, theirs = english[kind], translated[kind]
        if [len(i.choices) for i in mine.items] != [len(i.choices) for i in theirs.items] or len(
            mine.function_choices
        ) != len(theirs.function_choices):
            raise CatalogueError(f"es/{path.name}: {kind} has other items or choices than the English file")
    # The adapted craving scale has no reviewed translation: it stays in English (and says so).
    return {kind: english[kind] if kind in ENGLISH_ONLY else translated[kind] for kind in KINDS}


def is_translated(kind: str, language: str) -> bool:
    """True when `kind` is shown in `language` (English, or a translation file exists). The
    adapted craving scale (pacs) is English-only until a reviewed translation is added."""
    if i18n.normalise(language) == i18n.ENGLISH:
        return True
    return kind in KINDS and kind not in ENGLISH_ONLY and i18n.has_content("questionnaires.yaml", language)


def kinds_for(program: Program | ProgramSettings | None) -> list[str]:
    return ["phq9", "gad7", *(["pacs"] if program and program.substance_use_tracking else [])]


# --- schedule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    kind: str
    due_slot: str | None  # the slot to fill now, or None when nothing is due
    due_day: date | None
    late: bool
    next_day: date | None  # when the next one falls due (when nothing is due now)
    extra_request_id: int | None = None

    @property
    def is_due(self) -> bool:
        return self.due_slot is not None


def _status(kind: str, regular: list[Any], open_request: int | None, today: date, interval: int) -> Status:
    if open_request is not None:
        return Status(kind, f"extra-{open_request}", today, False, None, open_request)
    if not regular:
        return Status(kind, INTAKE_SLOT, today, False, None)
    intake_day = min(c.day for c in regular)
    taken = {c.slot_key for c in regular}
    # (within the range the admin's form allows: an interval of 0 written straight into the table
    # divided by zero on Today, Check-ups, the calendar feed and in the reminder worker's tick)
    interval = min(max(interval, CHECKUP_INTERVAL_RANGE[0]), CHECKUP_INTERVAL_RANGE[1])
    k = max((today - intake_day).days // interval, 0)
    slot_day = intake_day + timedelta(days=k * interval)
    if f"p{k}" not in taken and k > 0 and (today - slot_day).days <= clinical.CHECKUP_LATE_DAYS:
        return Status(kind, f"p{k}", slot_day, today > slot_day, None)
    return Status(kind, None, None, False, slot_day + timedelta(days=interval))


def statuses(session: Session, actor: Actor, participant_id: int, today: date | None = None) -> list[Status]:
    """What is due now for each of the program's questionnaires; one query."""
    authorize(session, actor, participant_id, Category.CHECKUPS, Action.READ)
    program = program_for(session, participant_id)
    today = today or user_today(session, participant_id)
    return statuses_from(program, *read_schedule(session, participant_id), today)


def read_schedule(session: Session, participant_id: int) -> tuple[list[Any], list[tuple[int, str]]]:
    """What the schedules are worked out from, in one statement (no access check: for the callers
    here and in core.screeners, after theirs): every check-up of the participant, the three columns
    the schedule needs (Today runs this on every rerun, and a row's answers and timestamps cost more
    to load than the schedule does to work out), and the open requests as (id, kind), oldest first."""
    rows = session.execute(_schedule_statement(), {"participant_id": participant_id}).all()
    return [r for r in rows if r.request_id is None], sorted(
        (r.request_id, r.kind) for r in rows if r.request_id is not None
    )


@lru_cache(maxsize=1)
def _schedule_statement() -> Any:
    """`read_schedule`'s statement, built once (the participant is its parameter)."""
    taken = select(
        col(Checkup.kind), col(Checkup.slot_key), col(Checkup.day), cast(null(), Integer).label("request_id")
    ).where(Checkup.participant_id == bindparam("participant_id"))
    asked = select(col(CheckupRequest.kind), cast(null(), String), cast(null(), Date), col(CheckupRequest.id)).where(
        CheckupRequest.participant_id == bindparam("participant_id"), col(CheckupRequest.fulfilled_by_id).is_(None)
    )
    return union_all(taken, asked)


def statuses_from(
    program: Program | ProgramSettings | None, rows: list[Any], requests: list[tuple[int, str]], today: date
) -> list[Status]:
    """Each of the program's questionnaires' status, from `read_schedule`'s rows and requests."""
    interval = program.checkup_interval_days if program else clinical.CHECKUP_INTERVAL_DAYS
    return [
        _status(
            kind,
            [r for r in rows if r.kind == kind and r.slot_key.startswith("p")],
            next((request_id for request_id, k in requests if k == kind), None),
            today,
            interval,
        )
        for kind in kinds_for(program)
    ]


# --- submitting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    kind: str
    total: int
    band: str
    change: clinical.Change
    risk: RiskOutcome = NO_RISK  # item 9: the crisis response, at once
    worsening: RiskOutcome = NO_RISK  # for the therapist only; no crisis screen

    @property
    def risks(self) -> list[str]:
        return self.risk.reasons

    @property
    def words(self) -> str:
        """The band in plain words; beside a positive item 9, the total is not what matters."""
        if self.risk.risky:
            return clinical.ITEM9_WORDS
        return clinical.BAND_WORDS.get(self.band, "")


def _intake_total(session: Session, participant_id: int, kind: str) -> int | None:
    return session.exec(
        select(Checkup.total).where(
            Checkup.participant_id == participant_id, Checkup.kind == kind, Checkup.slot_key == INTAKE_SLOT
        )
    ).first()


def submit(
    session: Session,
    actor: Actor,
    *,
    participant_id: int,
    kind: str,
    answers: list[int | None],
    function_answer: int | None = None,
    now: datetime | None = None,
    language: str = i18n.ENGLISH,
) -> Result:
    """Score and save a completed check-up; route PHQ-9 item 9 and worsening at once. `language`
    is the reader's: the check-up records the language its questions were shown in.

    Item 9 is routed even when other answers are missing: the refusal (IncompleteWithRisk) carries
    what was routed, so the crisis lines show while the participant finishes the rest.
    """
    authorize(session, actor, participant_id, Category.CHECKUPS, Action.WRITE)
    if actor.role is not Role.PARTICIPANT:
        raise AccessDenied("Check-ups are answered by the participant themselves.")
    now = now or utcnow()
    today = user_today(session, participant_id, now)
    status = next((s for s in statuses(session, actor, participant_id, today) if s.kind == kind), None)
    if status is None:
        raise ValidationError.one("kind", _("This check-up is not part of your program."))
    q = questionnaires()[kind]
    choices = list(q.items[clinical.PHQ9_ITEM9_INDEX].choices) if kind == "phq9" else []
    reasons = clinical.checkup_reasons(kind, answers if isinstance(answers, (list, tuple)) else [], choices)
    if not status.is_due:
        message = (
            _("You've already done this week's check-up. The next one is on {day}.").format(
                day=i18n.long_day(status.next_day)
            )
            if status.next_day
            else _("You've already done this week's check-up.")
        )
        slot = _last_slot(session, participant_id, kind)
        raise _refused(
            session, actor, participant_id, f"{kind}:{slot}", today, reasons, now, {"kind": message}, SENT_AGAIN
        )
    errors = {}
    if not isinstance(answers, (list, tuple)) or len(answers) != len(q.items):
        raise ValidationError.one("answers", f"Expected {len(q.items)} answers.")
    answers = list(answers)
    for index, (answer, item) in enumerate(zip(answers, q.items, strict=True)):
        if answer is None:
            errors[f"item_{index}"] = _("Please answer this one too.")
        elif isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(item.choices):
            errors[f"item_{index}"] = _("Choose one of the {n} answers.").format(n=len(item.choices))
    if function_answer is not None and (
        isinstance(function_answer, bool)
        or not isinstance(function_answer, int)
        or not 0 <= function_answer < len(q.function_choices)
    ):
        errors["function"] = _("Choose one of the answers.")
    source = f"{kind}:{status.due_slot}"
    if errors:
        raise _refused(session, actor, participant_id, source, today, reasons, now, errors, NOT_FINISHED)

    total = sum(a for a in answers if a is not None)  # (none is None here: the loop above refused it)
    band = clinical.band(kind, total)
    intake = None if status.due_slot == INTAKE_SLOT else _intake_total(session, participant_id, kind)
    checkup_id = insert_if_absent(
        session,
        Checkup,
        {
            "participant_id": participant_id,
            "kind": kind,
            "slot_key": status.due_slot,
            "day": today,
            "answers": answers,
            "function_answer": function_answer,
            "total": total,
            "band": band,
            "late": status.late,
            "language": i18n.normalise(language) if is_translated(kind, language) else i18n.ENGLISH,
            "taken_at": now,
        },
        conflict=["participant_id", "kind", "slot_key"],
    )
    if checkup_id is None:  # the same slot saved a moment ago, from another tap, tab or phone
        message = _("This check-up was already saved — thank you.")
        raise _refused(session, actor, participant_id, source, today, reasons, now, {"kind": message}, SENT_AGAIN)
    if status.extra_request_id:
        request = session.get(CheckupRequest, status.extra_request_id)
        assert request is not None, "statuses() just read it, in this transaction"
        request.fulfilled_by_id = checkup_id
        session.add(request)
    name = clinical.CHECKUP_NAMES[kind]
    risk = route(
        session,
        actor,
        participant_id=participant_id,
        source_key=source,
        day=today,
        reasons=reasons,
        latest=f"{name} total {total} ({band.lower()})",
        now=now,
    )
    worse = clinical.worsening_reason(kind, total, intake)
    worsening = route(
        session,
        actor,
        participant_id=participant_id,
        source_key=f"worsening:{kind}",
        day=today,
        reasons=[worse] if worse else [],
        latest=f"Latest {name} total {total} on {today:%b} {today.day} (intake {intake})" if intake is not None else "",
        now=now,
    )
    session.commit()
    return Result(kind, total, band, clinical.change_from_intake(kind, intake, total), risk, worsening)


def _last_slot(session: Session, participant_id: int, kind: str) -> str | None:
    """The slot of the participant's latest saved check-up of this kind (what a resent one was for)."""
    return session.exec(
        select(Checkup.slot_key)
        .where(Checkup.participant_id == participant_id, Checkup.kind == kind)
        .order_by(col(Checkup.taken_at).desc(), col(Checkup.id).desc())
        .limit(1)
    ).first()


NOT_FINISHED = "The rest of the check-up was not finished yet"
SENT_AGAIN = "Sent again after this check-up was saved (not saved twice)"


def _refused(
    session: Session,
    actor: Actor,
    participant_id: int,
    source: str,
    today: date,
    reasons: list,
    now: datetime,
    fields: dict[str, str],
    latest: str,
) -> ValidationError:
    """A check-up that cannot be saved — an answer missing, or this week's already saved from another
    tab or phone (`source` is then the saved one's): its item 9 answer is routed all the same, so the
    crisis lines show and the therapist hears of it; the answers themselves are not kept."""
    if not reasons:
        return ValidationError(fields)
    risk = route(
        session,
        actor,
        participant_id=participant_id,
        source_key=source,
        day=today,
        reasons=reasons,
        latest=latest,
        now=now,
    )
    session.commit()
    return IncompleteWithRisk(fields, risk)


def request_extra(session: Session, actor: Actor, *, participant_id: int, kind: str) -> None:
    """A therapist asks for one more check-up before the next weekly one."""
    authorize(session, actor, participant_id, Category.CHECKUPS, Action.WRITE)
    if actor.role is not Role.THERAPIST:
        raise AccessDenied("Only the participant's therapist can ask for an extra check-up.")
    if kind not in KINDS:
        raise ValidationError.one("kind", "Unknown check-up.")
    # One request waiting per kind: two taps at once (a slow line, two tabs) take turns, and the later reads
    # the earlier's request (both read "none waiting" and wrote two; the second asked again after the first).
    hold_rows(session, AppUser, col(AppUser.id) == participant_id)
    pending = session.exec(
        select(CheckupRequest.id).where(
            CheckupRequest.participant_id == participant_id,
            CheckupRequest.kind == kind,
            col(CheckupRequest.fulfilled_by_id).is_(None),
        )
    ).first()
    if pending is not None:
        raise ValidationError.one("kind", "An extra check-up is already waiting for them.")
    session.add(CheckupRequest(participant_id=participant_id, kind=kind, requested_by_id=actor.id))
    session.commit()


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Past:
    day: date
    kind: str
    total: int
    band: str
    answers: list[int]
    function_answer: int | None
    late: bool
    change: clinical.Change
    language: str = "en"  # the language its questions were shown in


def history(session: Session, actor: Actor, participant_id: int, kind: str) -> list[Past]:
    """Every check-up of one kind, oldest first, with item answers (participant and therapist)."""
    return histories(session, actor, participant_id, (kind,))[kind]


def histories(
    session: Session,
    actor: Actor,
    participant_id: int,
    kinds: tuple[str, ...] | list[str] = KINDS,
    *,
    since: date | None = None,
) -> dict[str, list[Past]]:
    """`history` of several kinds in one query: {kind: check-ups oldest first} (empty lists too).
    With `since`, the intake (the baseline every change is measured from) and the check-ups from
    `since` on: what a screen showing a span reads, the same few rows whatever the history's length."""
    authorize(session, actor, participant_id, Category.CHECKUPS, Action.READ)
    rows = session.exec(rows_query(participant_id, kinds, since).order_by(col(Checkup.day), col(Checkup.id))).all()
    return pasts_of(rows, kinds)


def rows_query(participant_id: int, kinds: tuple[str, ...] | list[str], since: date | None = None):
    """The check-up rows `histories` reads (a WHERE to combine with another reader's, as Review does)."""
    query = select(Checkup).where(Checkup.participant_id == participant_id, col(Checkup.kind).in_(kinds))
    if since is not None:
        query = query.where(or_(col(Checkup.day) >= since, col(Checkup.slot_key) == INTAKE_SLOT))
    return query


def pasts_of(rows: Sequence[Checkup], kinds: tuple[str, ...] | list[str]) -> dict[str, list[Past]]:
    """{kind: its rows as Past, oldest first} from rows read oldest first (other kinds ignored)."""
    found: dict[str, list[Past]] = {kind: [] for kind in kinds}
    for kind in found:
        mine = [r for r in rows if r.kind == kind]
        intake = next((r.total for r in mine if r.slot_key == INTAKE_SLOT), None)
        found[kind] = [
            Past(
                r.day,
                r.kind,
                r.total,
                r.band,
                list(r.answers),
                r.function_answer,
                r.late,
                clinical.change_from_intake(kind, None if r.slot_key == INTAKE_SLOT else intake, r.total),
                r.language,
            )
            for r in mine
        ]
    return found
