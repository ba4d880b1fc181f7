"""Skills practice: the practice log, CBT thought records, favourites and homework.

A practice entry or thought record is saved under a key made when its form opened, so a double
tap saves once; it can be changed on the participant's own day it was logged. Homework is a
skill a therapist assigns; it is done once the participant logs practice of that skill (or, for
the thought record, saves one) after the assignment.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any

from sqlalchemy import bindparam, case, delete, func, null
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from core import clinical, inputs
from core.access import Action, Actor, Category, authorize
from core.alerts import NO_RISK, IncompleteWithRisk, RiskOutcome, screen_free_text
from core.db import insert_if_absent, insert_statement, on_side, sides, upsert
from core.diary import spreadsheet_row
from core.errors import ValidationError
from core.i18n import F_, N_, _, month_day, short_day
from core.models import AppUser, FavouriteSkill, Homework, PracticeEntry, ThoughtRecord, id_of, utcnow
from core.program import user_today
from core.skills import TOOLS, skills_by_id


def new_entry_key() -> str:
    """Made when a form opens; saving twice with the same key changes one row."""
    return uuid.uuid4().hex


def _skill(value) -> str:
    if not isinstance(value, str) or value not in skills_by_id():
        raise inputs.Problem(
            {"skill": "Choose a skill from the list." if not value else f"Unknown skill {str(value)[:40]!r}."}
        )
    return value


Skill = Annotated[str, inputs.Custom(_skill)]


def _editable_day(existing_day: date | None, today: date) -> dict[str, str]:
    if existing_day is not None and existing_day < today - timedelta(days=clinical.PRACTICE_EDIT_DAYS):
        return {"day": N_("This entry is from an earlier day and is kept as it was. Log a new one instead.")}
    return {}


def _key_of(entry_key: object) -> str:
    """The entry key as an alert's source names it (a malformed one is not put into the source)."""
    return entry_key if isinstance(entry_key, str) and inputs.ENTRY_KEY.fullmatch(entry_key) else "refused"


def _thought_texts(record: object) -> list[str]:
    """Everything written on a thought record, as typed (anything not text is left out)."""
    fields = ("situation", "automatic_thought", "evidence_for", "evidence_against", "balanced_thought")
    emotions = getattr(record, "emotions", None)
    names = (
        [row[0] for row in emotions if isinstance(row, (list, tuple)) and row]
        if isinstance(emotions, (list, tuple))
        else []
    )
    return [t for t in [*(getattr(record, f, "") for f in fields), *names] if isinstance(t, str)]


def _refused(
    session: Session,
    actor: Actor,
    participant_id: int,
    source: str,
    where: str,
    texts: list,
    errors: dict[str, str],
    now: datetime,
) -> ValidationError:
    """A log entry that cannot be saved as sent: what was written in it is screened all the same, as
    on the diary card, so crisis words reach the therapist and bring the crisis lines now (the
    entry itself is not saved; the form keeps it)."""
    today = user_today(session, participant_id, now)
    risk = screen_free_text(
        session, actor, participant_id=participant_id, source_key=source, day=today, where=where, texts=texts
    )
    if not risk.risky:
        return ValidationError(errors)
    session.commit()
    return IncompleteWithRisk(errors, risk)


# --- practice log ----------------------------------------------------------------------------


@dataclass
class PracticeInput:
    skill_id: str
    distress_before: int | None
    distress_after: int | None = None
    helped: str | None = None
    situation: str = ""
    note: str = ""
    tool: str = ""


@dataclass(frozen=True)
class PracticeView:
    id: int
    entry_key: str
    skill_id: str
    skill_name: str
    module_name: str
    day: date
    situation: str
    distress_before: int
    distress_after: int | None
    helped: str | None
    note: str
    tool: str
    created_at: datetime
    risk: RiskOutcome = NO_RISK  # set on save: crisis words in what was written

    @property
    def drop(self) -> int | None:
        return None if self.distress_after is None else self.distress_before - self.distress_after

    def as_input(self) -> PracticeInput:
        return PracticeInput(
            self.skill_id, self.distress_before, self.distress_after, self.helped, self.situation, self.note, self.tool
        )


# The interactive tools that log practice (the thought record saves a ThoughtRecord instead).
PRACTICE_TOOLS = ("", *(t for t in TOOLS if t != "thought_record"))
_DISTRESS = f"from {clinical.DISTRESS_MIN} to {clinical.DISTRESS_MAX}"


class PracticeForm(inputs.Form):
    """What the practice log's form sends."""

    skill_id: Skill
    distress_before: Annotated[
        int,
        inputs.Whole(
            clinical.DISTRESS_MIN,
            clinical.DISTRESS_MAX,
            f"How strong it was before is a whole number {_DISTRESS}.",
            required=f"Choose how strong it was before ({_DISTRESS.removeprefix('from ')}).",
        ),
    ]
    distress_after: Annotated[
        int | None,
        inputs.Whole(
            clinical.DISTRESS_MIN, clinical.DISTRESS_MAX, f"How strong it was after is a whole number {_DISTRESS}."
        ),
    ]
    helped: Annotated[str | None, inputs.OneOf(clinical.HELPED_CHOICES, N_("Choose yes, a bit or no."), optional=True)]
    situation: Annotated[str, inputs.LineText(clinical.PRACTICE_SITUATION_MAX, N_("The situation"))]
    note: Annotated[str, inputs.FreeText(clinical.PRACTICE_NOTE_MAX, N_("Your note"))]
    tool: Annotated[str, inputs.OneOf(PRACTICE_TOOLS, "Log practice from the tool's own screen.")]


def validate_practice(entry: PracticeInput) -> dict[str, str]:
    return PracticeForm.errors(**inputs.attributes(entry, PracticeInput))


def _view(row: PracticeEntry) -> PracticeView:
    skill = skills_by_id().get(row.skill_id)
    return PracticeView(
        id_of(row),
        row.entry_key,
        row.skill_id,
        skill.name if skill else row.skill_id,
        skill.module_name if skill else "",
        row.day,
        row.situation,
        row.distress_before,
        row.distress_after,
        row.helped,
        row.note,
        row.tool,
        row.created_at,
    )


def save_practice(
    session: Session,
    actor: Actor,
    *,
    participant_id: int,
    entry_key: str,
    entry: PracticeInput,
    now: datetime | None = None,
) -> PracticeView:
    """Log a practice, or change the one saved under `entry_key` today."""
    authorize(session, actor, participant_id, Category.SKILLS, Action.WRITE)
    now = now or utcnow()
    source, texts = f"practice:{_key_of(entry_key)}", [getattr(entry, "situation", ""), getattr(entry, "note", "")]
    errors = validate_practice(entry)
    if not isinstance(entry_key, str) or not inputs.ENTRY_KEY.fullmatch(entry_key):
        errors["form"] = "This form has expired; open it again."
    if errors:
        raise _refused(session, actor, participant_id, source, "practice log", texts, errors, now)
    entry = PracticeInput(**PracticeForm.check(**inputs.attributes(entry, PracticeInput)).values())
    today = user_today(session, participant_id, now)
    existing = session.exec(
        select(PracticeEntry).where(
            PracticeEntry.participant_id == participant_id, PracticeEntry.entry_key == entry_key
        )
    ).first()
    if problem := _editable_day(existing.day if existing else None, today):
        raise _refused(session, actor, participant_id, source, "practice log", texts, problem, now)
    values = dict(
        participant_id=participant_id,
        entry_key=entry_key,
        skill_id=entry.skill_id,
        day=today,
        situation=entry.situation.strip(),
        distress_before=entry.distress_before,
        distress_after=entry.distress_after,
        helped=entry.helped,
        note=entry.note.strip(),
        tool=entry.tool,
        created_at=now,
        updated_at=now,
    )
    entry_id = upsert(
        session,
        PracticeEntry,
        values,
        conflict=["participant_id", "entry_key"],
        update=["skill_id", "situation", "distress_before", "distress_after", "helped", "note", "updated_at"],
    )
    risk = screen_free_text(
        session,
        actor,
        participant_id=participant_id,
        source_key=f"practice:{entry_key}",
        day=today,
        where="practice log",
        texts=[entry.situation, entry.note],
    )
    session.commit()
    return replace(_view(session.get_one(PracticeEntry, entry_id, populate_existing=True)), risk=risk)


def practice_between(session: Session, actor: Actor, participant_id: int, start: date, end: date) -> list[PracticeView]:
    """Entries logged from `start` to `end` inclusive, newest first; one query."""
    authorize(session, actor, participant_id, Category.SKILLS, Action.READ, ref=f"{start}..{end}")
    rows = session.exec(
        select(PracticeEntry)
        .where(PracticeEntry.participant_id == participant_id, PracticeEntry.day >= start, PracticeEntry.day <= end)
        .order_by(col(PracticeEntry.day).desc(), col(PracticeEntry.created_at).desc(), col(PracticeEntry.id).desc())
    ).all()
    return [_view(r) for r in rows]


def practice_csv(session: Session, actor: Actor, participant_id: int) -> str:
    entries = practice_between(session, actor, participant_id, date.min, date.max)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["date", "skill", "module", "situation", "distress_before", "distress_after", "helped", "tool", "note"]
    )
    for e in reversed(entries):
        writer.writerow(
            spreadsheet_row(
                [
                    e.day.isoformat(),
                    e.skill_name,
                    e.module_name,
                    e.situation,
                    e.distress_before,
                    "" if e.distress_after is None else e.distress_after,
                    clinical.HELPED_CHOICES.get(e.helped or "", ""),
                    e.tool,
                    e.note,
                ]
            )
        )
    return out.getvalue()


# --- thought records -------------------------------------------------------------------------


@dataclass
class ThoughtInput:
    situation: str
    emotions: list[tuple[str, int | None, int | None]] = field(default_factory=list)  # name, before, after
    automatic_thought: str = ""
    evidence_for: str = ""
    evidence_against: str = ""
    balanced_thought: str = ""
    balanced_belief: int | None = None


@dataclass(frozen=True)
class ThoughtView:
    id: int
    entry_key: str
    day: date
    situation: str
    emotions: list[dict]
    automatic_thought: str
    evidence_for: str
    evidence_against: str
    balanced_thought: str
    balanced_belief: int | None
    created_at: datetime
    risk: RiskOutcome = NO_RISK  # set on save: crisis words in what was written

    def as_input(self) -> ThoughtInput:
        return ThoughtInput(
            self.situation,
            [(e["name"], e.get("before"), e.get("after")) for e in self.emotions],
            self.automatic_thought,
            self.evidence_for,
            self.evidence_against,
            self.balanced_thought,
            self.balanced_belief,
        )


_LOW, _HIGH = clinical.THOUGHT_INTENSITY_MIN, clinical.THOUGHT_INTENSITY_MAX
EMOTION_ROWS_MAX = 10  # the form sends THOUGHT_EMOTIONS_MAX rows, some of them blank


def _rating_of(value, what: str, *, required: bool) -> str | None:
    """The problem with one 0–100 rating, or None."""
    if value is None:
        return f"Choose how strong {what} ({_LOW}–{_HIGH})." if required else None
    if not inputs.is_whole(value) or not _LOW <= value <= _HIGH:
        return f"How strong {what} goes from {_LOW} to {_HIGH}, in whole numbers."
    return None


def _emotion_rows(value) -> list[tuple[str, int, int | None]]:
    """(name, before, after) for each named row; rows without a name are blank rows of the form."""
    limit = clinical.THOUGHT_LIMITS["emotion"]
    if not isinstance(value, (list, tuple)) or len(value) > EMOTION_ROWS_MAX:
        raise inputs.Problem({"emotions": "Name at least one emotion and how strong it was."})
    named, problems = [], {}
    for row in value:
        if not isinstance(row, (list, tuple)) or len(row) != 3:
            raise inputs.Problem({"emotions": "Each emotion needs a name and how strong it was."})
        name, before, after = row
        if not isinstance(name, str):
            raise inputs.Problem({"emotions": "An emotion's name must be text."})
        if inputs.line_text(name):
            named.append((name, before, after))
    if not named:
        raise inputs.Problem({"emotions": "Name at least one emotion and how strong it was."})
    if len(named) > clinical.THOUGHT_EMOTIONS_MAX:
        raise inputs.Problem({"emotions": f"Up to {clinical.THOUGHT_EMOTIONS_MAX} emotions."})
    clean = []
    for i, (name, before, after) in enumerate(named):
        if len(name) > limit * 8 or len(shown := inputs.line_text(name)) > limit:
            problems[f"emotion_{i}"] = f"Keep an emotion's name under {limit} characters."
            continue
        if problem := _rating_of(before, f"{shown} was", required=True):
            problems[f"emotion_{i}"] = problem
        if problem := _rating_of(after, f"{shown} is now", required=False):
            problems[f"emotion_{i}_after"] = problem
        clean.append((shown, before, after))
    if problems:
        raise inputs.Problem(problems)
    return clean


class ThoughtForm(inputs.Form):
    """What the thought record's form sends (limits: core.clinical.THOUGHT_LIMITS)."""

    situation: Annotated[
        str,
        inputs.FreeText(
            clinical.THOUGHT_LIMITS["situation"], "This answer", required="Say in a few words what happened."
        ),
    ]
    emotions: Annotated[
        list[tuple[str, int, int | None]],
        inputs.Custom(_emotion_rows, inputs.Limit(max_chars=clinical.THOUGHT_LIMITS["emotion"], low=_LOW, high=_HIGH)),
    ]
    automatic_thought: Annotated[
        str,
        inputs.FreeText(
            clinical.THOUGHT_LIMITS["automatic_thought"],
            "This answer",
            required="Write the thought that went through your mind.",
        ),
    ]
    evidence_for: Annotated[str, inputs.FreeText(clinical.THOUGHT_LIMITS["evidence_for"], N_("This answer"))]
    evidence_against: Annotated[str, inputs.FreeText(clinical.THOUGHT_LIMITS["evidence_against"], N_("This answer"))]
    balanced_thought: Annotated[str, inputs.FreeText(clinical.THOUGHT_LIMITS["balanced_thought"], N_("This answer"))]
    balanced_belief: Annotated[
        int | None,
        inputs.Whole(_LOW, _HIGH, F_("How much you believe it goes from {low} to {high}.", low=_LOW, high=_HIGH)),
    ]


def validate_thought(record: ThoughtInput) -> dict[str, str]:
    return ThoughtForm.errors(**inputs.attributes(record, ThoughtInput))


def _thought_view(row: ThoughtRecord) -> ThoughtView:
    return ThoughtView(
        id_of(row),
        row.entry_key,
        row.day,
        row.situation,
        list(row.emotions),
        row.automatic_thought,
        row.evidence_for,
        row.evidence_against,
        row.balanced_thought,
        row.balanced_belief,
        row.created_at,
    )


def save_thought_record(
    session: Session,
    actor: Actor,
    *,
    participant_id: int,
    entry_key: str,
    record: ThoughtInput,
    now: datetime | None = None,
) -> ThoughtView:
    authorize(session, actor, participant_id, Category.SKILLS, Action.WRITE)
    now = now or utcnow()
    source, texts = f"thought:{_key_of(entry_key)}", _thought_texts(record)
    errors = validate_thought(record)
    if not isinstance(entry_key, str) or not inputs.ENTRY_KEY.fullmatch(entry_key):
        errors["form"] = "This form has expired; open it again."
    if errors:
        raise _refused(session, actor, participant_id, source, "thought record", texts, errors, now)
    record = ThoughtInput(**ThoughtForm.check(**inputs.attributes(record, ThoughtInput)).values())
    today = user_today(session, participant_id, now)
    existing = session.exec(
        select(col(ThoughtRecord.day)).where(
            ThoughtRecord.participant_id == participant_id, ThoughtRecord.entry_key == entry_key
        )
    ).first()
    if problem := _editable_day(existing, today):
        raise _refused(session, actor, participant_id, source, "thought record", texts, problem, now)
    emotions = [{"name": " ".join(n.split()), "before": b, "after": a} for n, b, a in record.emotions if n.strip()]
    values = dict(
        participant_id=participant_id,
        entry_key=entry_key,
        day=today,
        situation=record.situation.strip(),
        emotions=emotions,
        automatic_thought=record.automatic_thought.strip(),
        evidence_for=record.evidence_for.strip(),
        evidence_against=record.evidence_against.strip(),
        balanced_thought=record.balanced_thought.strip(),
        balanced_belief=record.balanced_belief,
        created_at=now,
        updated_at=now,
    )
    record_id = upsert(
        session,
        ThoughtRecord,
        values,
        conflict=["participant_id", "entry_key"],
        update=[
            "situation",
            "emotions",
            "automatic_thought",
            "evidence_for",
            "evidence_against",
            "balanced_thought",
            "balanced_belief",
            "updated_at",
        ],
    )
    risk = screen_free_text(
        session,
        actor,
        participant_id=participant_id,
        source_key=f"thought:{entry_key}",
        day=today,
        where="thought record",
        texts=_thought_texts(record),
    )
    session.commit()
    return replace(_thought_view(session.get_one(ThoughtRecord, record_id, populate_existing=True)), risk=risk)


def thought_records(
    session: Session, actor: Actor, participant_id: int, start: date = date.min, end: date = date.max
) -> list[ThoughtView]:
    """Newest first. Free text: only the participant and their therapist (never family)."""
    authorize(session, actor, participant_id, Category.SKILLS, Action.READ, ref=f"{start}..{end}")
    rows = session.exec(
        select(ThoughtRecord)
        .where(ThoughtRecord.participant_id == participant_id, ThoughtRecord.day >= start, ThoughtRecord.day <= end)
        .order_by(col(ThoughtRecord.day).desc(), col(ThoughtRecord.created_at).desc(), col(ThoughtRecord.id).desc())
    ).all()
    return [_thought_view(r) for r in rows]


def practice_and_thoughts(
    session: Session, actor: Actor, participant_id: int, start: date, end: date
) -> tuple[list[PracticeView], list[ThoughtView]]:
    """`practice_between` and `thought_records` (one category, authorized and audited as they are), read in
    one statement: two rows of a constant table, the first outer-joined to the practice entries and
    the second to the thought records (each side an index lookup on participant and day)."""
    authorize(session, actor, participant_id, Category.SKILLS, Action.READ, ref=f"{start}..{end}")  # (both: skills)
    side = sides(2)
    rows = session.execute(
        sql_select(PracticeEntry, ThoughtRecord)
        .select_from(side)
        .outerjoin(PracticeEntry, on_side(side, 1, PracticeEntry, participant_id, start, end))
        .outerjoin(ThoughtRecord, on_side(side, 2, ThoughtRecord, participant_id, start, end))
    ).all()
    newest_first = lambda row: (row.day, row.created_at, row.id)  # noqa: E731 (the two reads' ORDER BY)
    entries = sorted((e for e, _ in rows if e is not None), key=newest_first, reverse=True)
    records = sorted((r for _, r in rows if r is not None), key=newest_first, reverse=True)
    return [_view(e) for e in entries], [_thought_view(r) for r in records]


def practised_per_day(entries: list[PracticeView], records: list[ThoughtView]) -> list[tuple[date, str]]:
    """(day, skill id) for every practice, counting a thought record as practice of that skill."""
    return [(e.day, e.skill_id) for e in entries] + [(r.day, "thought_record") for r in records]


# --- favourites ------------------------------------------------------------------------------


def favourites(session: Session, actor: Actor, participant_id: int) -> list[str]:
    authorize(session, actor, participant_id, Category.SKILLS, Action.READ)
    known = skills_by_id()
    return [
        s
        for s in session.exec(
            select(FavouriteSkill.skill_id)
            .where(FavouriteSkill.participant_id == participant_id)
            .order_by(col(FavouriteSkill.created_at), col(FavouriteSkill.id))
        )
        if s in known
    ]


class FavouriteForm(inputs.Form):
    skill_id: Skill
    on: Annotated[bool, inputs.Flag("Choose whether it is a favourite.")]


def set_favourite(session: Session, actor: Actor, participant_id: int, skill_id: str, on: bool) -> None:
    authorize(session, actor, participant_id, Category.SKILLS, Action.WRITE)
    FavouriteForm.check(skill_id=skill_id, on=on)
    if on:
        insert_if_absent(
            session,
            FavouriteSkill,
            {"participant_id": participant_id, "skill_id": skill_id, "created_at": utcnow()},
            conflict=["participant_id", "skill_id"],
        )
    else:
        session.execute(
            delete(FavouriteSkill).where(
                col(FavouriteSkill.participant_id) == participant_id, col(FavouriteSkill.skill_id) == skill_id
            )
        )
    session.commit()


# --- homework --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeworkView:
    id: int
    skill_id: str
    skill_name: str
    assigned_by: str
    assigned_on: date
    due_on: date | None
    note: str
    done_on: date | None  # the day practice was first logged after the assignment

    @property
    def done(self) -> bool:
        return self.done_on is not None

    def overdue(self, today: date) -> bool:
        return not self.done and self.due_on is not None and self.due_on < today

    def status(self, today: date) -> str:
        if self.done_on is not None:
            return _("Done {day}").format(day=month_day(self.done_on))
        if self.due_on is None:
            return _("To do")
        return (_("Was due {day}") if self.overdue(today) else _("Due {day}")).format(day=short_day(self.due_on))


class HomeworkForm(inputs.Form):
    """What the therapist's homework form sends (the due date's range depends on the participant's today)."""

    skill_id: Skill
    due_on: Annotated[date | None, inputs.Day("Choose a due date, or none.", optional=True)]
    note: Annotated[str, inputs.FreeText(clinical.HOMEWORK_NOTE_MAX, "The note")]


def assign_homework(
    session: Session,
    actor: Actor,
    *,
    participant_id: int,
    skill_id: str,
    due_on: date | None = None,
    note: str = "",
    now: datetime | None = None,
) -> HomeworkView:
    """A therapist asks a participant on their caseload to practise a skill."""
    authorize(session, actor, participant_id, Category.HOMEWORK, Action.WRITE)
    now = now or utcnow()
    today = user_today(session, participant_id, now)
    errors = HomeworkForm.errors(skill_id=skill_id, due_on=due_on, note=note)
    latest = today + timedelta(days=clinical.HOMEWORK_DUE_MAX_DAYS)
    if "due_on" not in errors and due_on is not None and not today <= due_on <= latest:
        errors["due_on"] = (
            "The due date has already passed; choose today or later."
            if due_on < today
            else f"Choose a due date within {clinical.HOMEWORK_DUE_MAX_DAYS} days."
        )
    if errors:
        raise ValidationError(errors)
    note = HomeworkForm.check(skill_id=skill_id, due_on=due_on, note=note).note
    # Assigning the same skill twice on one day (a double tap) updates the first assignment; one removed
    # and given again starts afresh (else practice from before it was given again counted as doing it).
    stmt = insert_statement(session)(Homework).values(
        participant_id=participant_id,
        skill_id=skill_id,
        assigned_by_id=actor.id,
        assigned_on=today,
        assigned_at=now,
        due_on=due_on,
        note=note.strip(),
        removed_at=None,
    )
    removed = col(Homework.removed_at).is_not(None)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["participant_id", "skill_id", "assigned_on"],
            set_={
                "due_on": stmt.excluded.due_on,
                "note": stmt.excluded.note,
                "removed_at": None,
                "assigned_at": case((removed, stmt.excluded.assigned_at), else_=col(Homework.assigned_at)),
                "assigned_by_id": case((removed, stmt.excluded.assigned_by_id), else_=col(Homework.assigned_by_id)),
            },
        )
    )
    session.commit()
    return next(
        h for h in homework_for(session, actor, participant_id) if h.skill_id == skill_id and h.assigned_on == today
    )


def remove_homework(session: Session, actor: Actor, *, participant_id: int, homework_id: int) -> None:
    valid = inputs.is_id(homework_id)
    authorize(
        session, actor, participant_id, Category.HOMEWORK, Action.WRITE, ref=f"homework:{homework_id}" if valid else ""
    )
    row = session.get(Homework, homework_id) if valid else None
    if row is None or row.participant_id != participant_id:
        raise ValidationError.one("homework", "No such homework for this participant.")
    # Review offers Remove only while it is to do; done since the page was drawn, it stays on the record.
    row_now = session.execute(
        _homework_statement().where(col(Homework.id) == homework_id), {"participant_id": participant_id}
    ).one_or_none()
    if row_now is not None and (row_now.practised is not None or row_now.recorded is not None):
        raise ValidationError.one("homework", "They have done this homework since the page opened: it stays.")
    row.removed_at = utcnow()
    session.add(row)
    session.commit()


def _as_day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)  # (SQLite's min() of a day: text)


@lru_cache(maxsize=1)
def _homework_statement() -> Any:
    """`homework_for`'s one statement, built once (the participant is its parameter): Today reads it on every
    run, and building its two correlated subqueries afresh cost more than running them."""
    practised = (
        sql_select(func.min(col(PracticeEntry.day)))
        .where(
            col(PracticeEntry.participant_id) == col(Homework.participant_id),
            col(PracticeEntry.skill_id) == col(Homework.skill_id),
            col(PracticeEntry.created_at) >= col(Homework.assigned_at),
        )
        .scalar_subquery()
    )
    recorded = (
        sql_select(func.min(col(ThoughtRecord.day)))
        .where(
            col(ThoughtRecord.participant_id) == col(Homework.participant_id),
            col(ThoughtRecord.created_at) >= col(Homework.assigned_at),
        )
        .scalar_subquery()
    )
    return (
        sql_select(
            col(Homework.id),
            col(Homework.skill_id),
            col(AppUser.name),
            col(Homework.assigned_on),
            col(Homework.due_on),
            col(Homework.note),
            practised.label("practised"),
            case((col(Homework.skill_id) == "thought_record", recorded), else_=null()).label("recorded"),
        )
        .join(AppUser, col(AppUser.id) == col(Homework.assigned_by_id))
        .where(col(Homework.participant_id) == bindparam("participant_id"), col(Homework.removed_at).is_(None))
    )


def homework_for(
    session: Session, actor: Actor, participant_id: int, *, include_done: bool = True
) -> list[HomeworkView]:
    """Current homework, to-do first (soonest due first), then done (newest first). One query: each
    homework's first day of doing it since it was assigned (its practice entries and, for the thought
    record, the thought records too) is a correlated subquery on the homework's own row."""
    authorize(session, actor, participant_id, Category.HOMEWORK, Action.READ)
    rows = session.execute(_homework_statement(), {"participant_id": participant_id}).all()
    names = skills_by_id()
    views = []
    for homework_id, skill_id, by, assigned_on, due_on, note, *firsts in rows:
        done = [_as_day(d) for d in firsts if d is not None]
        views.append(
            HomeworkView(
                homework_id,
                skill_id,
                names[skill_id].name if skill_id in names else skill_id,
                by,
                assigned_on,
                due_on,
                note,
                min(done) if done else None,
            )
        )
    todo = sorted((v for v in views if not v.done), key=lambda v: (v.due_on or date.max, v.assigned_on))
    finished = sorted((v for v in views if v.done), key=lambda v: v.done_on or date.min, reverse=True)
    return todo + (finished if include_done else [])
