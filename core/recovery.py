"""Dual diagnosis on the card: what was used and how much, what was going on, medication for addiction
treatment, days-in-recovery counters and the triggers map.

All of it is substance-use data (42 CFR Part 2): read and written under Category.SUBSTANCE_USE,
which the participant and their therapist read. Family members get summaries only, and no family
summary includes any of this (the Part 2 consent names craving and urge averages, nothing else), so
every reader here asks the gate for the record itself (Action.READ) and a family member is refused.

The card's details are saved inside `core.diary.save_card`, in the same transaction as the card
(one row per card and key, upserted: a double tap saves once). Lapses feed the card's alert through
`core.clinical.lapse_reasons`. Days in recovery are computed, never stored: a counter keeps its
start day, and a lapse recorded on a card restarts it from the next day — edit the card and the
count follows. "Today" is the participant's own day (core.program.user_today).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, NamedTuple

import plotly.graph_objects as go
from sqlalchemy import (
    Boolean,
    Integer,
    String,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    literal_column,
    null,
    union_all,
)
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from core import clinical, inputs
from core.access import Action, Actor, Category, authorize, known_person, record, require_role
from core.db import insert_if_absent, upsert
from core.errors import ValidationError
from core.i18n import _, month_day, ngettext
from core.models import (
    AppUser,
    CardTrigger,
    DiaryCard,
    DiaryTarget,
    DiaryUrge,
    MatDose,
    PracticeEntry,
    PracticeTrigger,
    Program,
    RecoveryCounter,
    Role,
    SubstanceUse,
    utcnow,
)
from core.program import program_settings, user_today

SUBSTANCE_TARGET = "substance_use"  # the card's default target whose "acted" is a lapse


# --- what a program's card offers ---------------------------------------------------------------


@dataclass(frozen=True)
class CardOptions:
    """What a substance-use program's card asks about beyond the urge (None outside such programs)."""

    substances: tuple[str, ...]  # the program's list, then the two medicine kinds
    mat: tuple[str, ...]  # medications for addiction treatment asked about ("taken as prescribed")

    @property
    def naloxone(self) -> bool:
        return bool(clinical.NALOXONE_SUBSTANCES & set(self.substances))

    @property
    def counter_kinds(self) -> dict[str, str]:
        return {k: v for k, v in clinical.COUNTER_KINDS.items() if k == clinical.COUNTER_ANY or k in self.substances}


def options_of(program: Program | Any | None) -> CardOptions | None:
    if program is None or not getattr(program, "substance_use_tracking", False):
        return None
    listed = [s for s in clinical.SUBSTANCES if s in (getattr(program, "substances", None) or ())]
    mat = [m for m in clinical.MAT_MEDICATIONS if m in (getattr(program, "mat_medications", None) or ())]
    return CardOptions((*listed, *clinical.MEDICINE_USE), tuple(mat))


def options_for(session: Session, participant_id: int) -> CardOptions | None:
    """The participant's program's options."""
    if not inputs.is_id(participant_id):
        return None
    known = known_person(session, participant_id)  # (the gate read them this rerun: their program's id)
    if known is not None:
        return options_of(program_settings(session, known[2]) if known[2] is not None else None)
    return options_of(
        session.exec(
            select(Program).join(AppUser, col(AppUser.program_id) == Program.id).where(AppUser.id == participant_id)
        ).first()
    )


# --- checking what the card sends ---------------------------------------------------------------


@dataclass(frozen=True)
class Details:
    """A card's substance-use details as stored."""

    use: dict[str, tuple[int | None, str]] = field(default_factory=dict)  # substance -> (amount, unit)
    triggers: tuple[str, ...] = ()
    mat: dict[str, str] = field(default_factory=dict)  # medication -> yes | no | not_prescribed

    @property
    def empty(self) -> bool:
        return not (self.use or self.triggers or self.mat)


def unit_words(substance: str, unit: str | None = None) -> str:
    units = [_(clinical.USE_UNITS.get(u, u)) for u in clinical.USE_AMOUNTS.get(substance, {})]
    if unit is not None:
        return _(clinical.USE_UNITS.get(unit, unit))
    return units[0] if len(units) == 1 else _("{first} or {last}").format(first=", ".join(units[:-1]), last=units[-1])


def _use(value: Any, options: CardOptions | None, acted: bool) -> tuple[dict[str, tuple[int | None, str]], dict]:
    problems: dict[str, str] = {}
    if value in (None, {}):
        return {}, problems
    if not isinstance(value, dict):
        return {}, {"use": _("Choose what you used from the list.")}
    if options is None:
        return {}, {"use": _("Substance use is not tracked in your program.")}
    clean: dict[str, tuple[int | None, str]] = {}
    for key, answer in value.items():
        if not isinstance(key, str) or key not in options.substances:
            problems["use"] = _("{choice} is not on your program's list; choose from the list.").format(
                choice=repr(str(key)[:30])
            )
            continue
        name = _(clinical.USE_KINDS[key])
        units = clinical.USE_AMOUNTS[key]
        pair = tuple(answer) if isinstance(answer, (list, tuple)) and len(answer) == 2 else None
        if pair is None:
            problems[f"use_{key}"] = _("Say roughly how much {name}, or leave the amount empty.").format(
                name=name.lower()
            )
            continue
        amount, unit = pair
        unit = next(iter(units)) if unit in (None, "") else unit
        if not isinstance(unit, str) or unit not in units:
            problems[f"use_{key}"] = _("{name} is counted in {units}.").format(name=name, units=unit_words(key))
            continue
        low, high = units[unit]
        if amount is not None and (not inputs.is_whole(amount) or not low <= amount <= high):
            problems[f"use_{key}"] = _(
                "{name}: a whole number of {unit} from {low} to {high}, or leave it empty."
            ).format(name=name, unit=unit_words(key, unit), low=low, high=high)
            continue
        clean[key] = (amount, unit)
    if clean and not acted and not problems:
        problems["use"] = _("Turn on “Acted on it” for substance use to record what you used, or clear it.")
    return clean, problems


def _trigger_choices() -> str:
    return _("Choose from the list ({choices}).").format(choices=", ".join(_(t) for t in clinical.TRIGGERS.values()))


def _triggers(value: Any, options: CardOptions | None) -> tuple[tuple[str, ...], dict]:
    if value in (None, [], ()):
        return (), {}
    if options is None:
        return (), {"triggers": _("Substance use is not tracked in your program.")}
    items = value if isinstance(value, (list, tuple)) else [value]
    unknown = [t for t in items if not isinstance(t, str) or t not in clinical.TRIGGERS]
    if unknown:
        return (), {"triggers": _trigger_choices()}
    return tuple(t for t in clinical.TRIGGERS if t in items), {}


def _mat(value: Any, options: CardOptions | None) -> tuple[dict[str, str], dict]:
    if value in (None, {}):
        return {}, {}
    if not isinstance(value, dict):
        return {}, {"mat": _("Answer for each medicine, or leave it.")}
    problems, clean = {}, {}
    for key, answer in value.items():
        if options is None or not isinstance(key, str) or key not in options.mat:
            problems["mat"] = _("This medicine is not asked about in your program.")
        elif answer is None:
            continue
        elif not isinstance(answer, str) or answer not in clinical.MAT_CHOICES:
            problems[f"mat_{key}"] = _("Choose one of: {choices}.").format(
                choices=", ".join(_(c) for c in clinical.MAT_CHOICES.values())
            )
        else:
            clean[key] = answer
    return clean, problems


def check(use: Any, triggers: Any, mat: Any, *, options: CardOptions | None, acted: bool) -> tuple[Details, dict]:
    """The card's details as they will be stored, and what is wrong (field -> message)."""
    clean_use, errors = _use(use, options, acted)
    clean_triggers, found = _triggers(triggers, options)
    errors.update(found)
    clean_mat, found = _mat(mat, options)
    errors.update(found)
    return Details(clean_use, clean_triggers, clean_mat), errors


def used_for_alerts(use: Any, options: CardOptions | None) -> set[str]:
    """The substances a card's (possibly refused) answers name, for routing risk whatever else is wrong."""
    if options is None or not isinstance(use, dict):
        return set()
    return {k for k in use if isinstance(k, str) and k in options.substances}


# --- saving (inside core.diary.save_card's transaction) -------------------------------------------


def save_details(session: Session, card_id: int, details: Details, *, new_card: bool = False) -> None:
    """Replace the card's rows with `details`: upserts (a double tap saves once) and deletes of
    what was cleared (none on a card just made). The caller authorized the write and commits."""
    for model, column, keys in (
        (SubstanceUse, SubstanceUse.substance, list(details.use)),
        (CardTrigger, CardTrigger.trigger, list(details.triggers)),
        (MatDose, MatDose.medication, list(details.mat)),
    ):
        if new_card:
            break
        stale = delete(model).where(col(model.card_id) == card_id)
        if keys:
            stale = stale.where(col(column).not_in(keys))
        session.execute(stale)
    for substance, (amount, unit) in details.use.items():
        upsert(
            session,
            SubstanceUse,
            {"card_id": card_id, "substance": substance, "amount": amount, "unit": unit},
            conflict=["card_id", "substance"],
            update=["amount", "unit"],
        )
    for trigger in details.triggers:
        insert_if_absent(
            session, CardTrigger, {"card_id": card_id, "trigger": trigger}, conflict=["card_id", "trigger"]
        )
    for medication, taken in details.mat.items():
        upsert(
            session,
            MatDose,
            {"card_id": card_id, "medication": medication, "taken": taken},
            conflict=["card_id", "medication"],
            update=["taken"],
        )


# --- reading a card's details -----------------------------------------------------------------------


def details_between(session: Session, actor: Actor, participant_id: int, start: date, end: date) -> dict[date, Details]:
    """Each card's details from `start` to `end`, by day (days without any left out). One query."""
    authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.READ, ref=f"{start}..{end}")
    return _details_from(
        session.execute(_details_statement(), {"participant_id": participant_id, "start": start, "end": end})
    )


# counters() and details_between() read rows of one layout, so a screen showing both (Review, My
# progress: `panel`) reads them in one statement: (kind, counter id, substance or key, day, amount,
# text, shown). The NULLs are typed: PostgreSQL resolves a UNION's column types branch by branch.
_NO_ID, _NO_AMOUNT = cast(null(), Integer), cast(null(), Integer)
_NO_TEXT, _NO_SHOWN = cast(null(), String), cast(null(), Boolean)


# The statements below are built once, their participant and days given as parameters when they run
# ("participant_id", "start", "end"): Today, My progress and Review read them on every run, and building
# their UNION ALL afresh cost more than running it.
@lru_cache(maxsize=1)
def _details_statement() -> Any:
    return union_all(*_detail_parts())


@lru_cache(maxsize=1)
def _counters_statement() -> Any:
    return union_all(*_counter_parts())


@lru_cache(maxsize=1)
def _panel_statement() -> Any:
    return union_all(*_counter_parts(), *_detail_parts())


def _detail_parts() -> list:
    day = col(DiaryCard.day)
    days = (
        col(DiaryCard.participant_id) == bindparam("participant_id"),
        day >= bindparam("start"),
        day <= bindparam("end"),
    )
    return [
        sql_select(
            literal("use"),
            _NO_ID,
            col(SubstanceUse.substance),
            day,
            col(SubstanceUse.amount),
            col(SubstanceUse.unit),
            _NO_SHOWN,
        )
        .join(DiaryCard, col(DiaryCard.id) == SubstanceUse.card_id)
        .where(*days),
        sql_select(literal("trigger"), _NO_ID, col(CardTrigger.trigger), day, _NO_AMOUNT, literal(""), _NO_SHOWN)
        .join(DiaryCard, col(DiaryCard.id) == CardTrigger.card_id)
        .where(*days),
        sql_select(literal("mat"), _NO_ID, col(MatDose.medication), day, _NO_AMOUNT, col(MatDose.taken), _NO_SHOWN)
        .join(DiaryCard, col(DiaryCard.id) == MatDose.card_id)
        .where(*days),
    ]


def _details_from(rows) -> dict[date, Details]:
    use: dict[date, dict] = defaultdict(dict)
    triggers: dict[date, list[str]] = defaultdict(list)
    mat: dict[date, dict] = defaultdict(dict)
    for kind, _id, key, when, amount, text, _shown in rows:
        when = when if isinstance(when, date) else date.fromisoformat(when)
        if kind == "use":
            use[when][key] = (amount, text)
        elif kind == "trigger":
            triggers[when].append(key)
        elif kind == "mat":
            mat[when][key] = text
    found = {}
    for when in set(use) | set(triggers) | set(mat):
        ordered = tuple(t for t in clinical.TRIGGERS if t in triggers.get(when, ()))
        found[when] = Details(
            {k: use[when][k] for k in clinical.USE_KINDS if k in use.get(when, {})}, ordered, dict(mat.get(when, {}))
        )
    return found


def with_details(cards: list, details: dict[date, Details]) -> list:
    """Cards (core.diary.CardView) carrying their details, so a saved card's form starts from them."""
    from dataclasses import replace

    return [
        replace(c, use=dict(d.use), triggers=list(d.triggers), mat=dict(d.mat)) if (d := details.get(c.day)) else c
        for c in cards
    ]


# --- days in recovery -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    days: int  # full days since the last use (the start day counts as day 1)
    last_use: date  # the last day used (the day before the start, when nothing was recorded since)
    longest: int  # the longest stretch since the start, this one included
    lapses: int  # days with use recorded since the start
    milestone: int | None  # the last milestone reached
    next_milestone: int


def count(start_on: date, use_days: list[date] | set[date], today: date) -> Count:
    """Days since last use, from a counter's start (its first day without) and the days with use
    recorded on cards. A lapse on day L starts the count again: day L is day 0, L + 1 is day 1.
    Use recorded after `today` (a clock skew) or before the start does not count."""
    since = sorted(d for d in set(use_days) if start_on <= d <= today)
    last = since[-1] if since else start_on - timedelta(days=1)
    days = (today - last).days
    edges = [start_on - timedelta(days=1), *since]
    stretches = [(b - a).days - 1 for a, b in zip(edges, edges[1:], strict=False)] + [days]
    reached, following = clinical.milestones_up_to(days)
    return Count(days, last, max(stretches), len(since), reached, following)


@dataclass(frozen=True)
class Counter:
    substance: str
    label: str
    start_on: date
    shown: bool
    count: Count

    @property
    def restarted(self) -> bool:
        return self.count.lapses > 0


class _CounterRow(NamedTuple):
    substance: str
    start_on: date
    shown: bool


def counters(session: Session, actor: Actor, participant_id: int, *, now: datetime | None = None) -> list[Counter]:
    """The participant's counters (shown and hidden), counted to *their* today. One query: the
    counters, and the days of use since the earliest of them, as one UNION ALL (the same statement
    whether they have counters or not: a screen's cost must not depend on the data)."""
    authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.READ)
    today = user_today(session, participant_id, now)
    return _counters_from(session.execute(_counters_statement(), {"participant_id": participant_id}), today)


def _counter_parts() -> list:
    """The counters (kind "counter": a counter's day is its start) and the days of use since the
    earliest of them (kind "used": a use row's day is its card's), in `_detail_parts`' layout."""
    earliest = (
        sql_select(func.min(col(RecoveryCounter.start_on)))
        .where(col(RecoveryCounter.participant_id) == bindparam("participant_id"))
        .scalar_subquery()
    )
    listed = sql_select(
        literal("counter"),
        col(RecoveryCounter.id),
        col(RecoveryCounter.substance),
        col(RecoveryCounter.start_on),
        _NO_AMOUNT,
        _NO_TEXT,
        col(RecoveryCounter.shown),
    ).where(col(RecoveryCounter.participant_id) == bindparam("participant_id"))
    # Whether the card's substance urge was acted on: a scalar subquery on the card's own urge rows, so
    # every database searches the (card, target) index once per card. As a join (or an EXISTS, which
    # PostgreSQL turns into one) PostgreSQL misjudged how many urges are acted on and read the whole
    # diary_urge table of the clinic instead: 23-51 ms per Review, Today and My progress on the clinic
    # of 2,000 (0.4 ms now), and ten times that at 20,000.
    acted_on = (
        sql_select(literal_column("1"))
        .select_from(DiaryUrge)
        .join(DiaryTarget, col(DiaryTarget.id) == DiaryUrge.target_id)
        .where(
            col(DiaryUrge.card_id) == col(DiaryCard.id),
            col(DiaryTarget.key) == SUBSTANCE_TARGET,
            col(DiaryUrge.acted).is_(True),
        )
        .correlate(DiaryCard)
        .limit(1)
        .scalar_subquery()
    )
    acted = sql_select(
        literal("used"), _NO_ID, literal(clinical.COUNTER_ANY), col(DiaryCard.day), _NO_AMOUNT, _NO_TEXT, _NO_SHOWN
    ).where(
        col(DiaryCard.participant_id) == bindparam("participant_id"),
        col(DiaryCard.day) >= earliest,
        acted_on.is_not(None),
    )
    named = (
        sql_select(
            literal("used"), _NO_ID, col(SubstanceUse.substance), col(DiaryCard.day), _NO_AMOUNT, _NO_TEXT, _NO_SHOWN
        )
        .join(DiaryCard, col(DiaryCard.id) == SubstanceUse.card_id)
        .where(col(DiaryCard.participant_id) == bindparam("participant_id"), col(DiaryCard.day) >= earliest)
    )
    return [listed, named, acted]


def _counters_from(rows, today: date) -> list[Counter]:
    used: dict[str, set[date]] = defaultdict(set)
    found: list[tuple[int, str, date, bool]] = []
    for kind, counter_id, substance, day, _amount, _text, shown in rows:
        if kind not in ("counter", "used"):
            continue  # (a detail row, read in the same statement by `panel`)
        day = day if isinstance(day, date) else date.fromisoformat(day)
        if kind == "counter":
            found.append((counter_id, substance, day, bool(shown)))
        else:
            used[substance].add(day)
            used[clinical.COUNTER_ANY].add(day)
    rows = [_CounterRow(substance, start_on, shown) for _, substance, start_on, shown in sorted(found)]
    return [
        Counter(
            r.substance,
            clinical.COUNTER_KINDS.get(r.substance, r.substance),
            r.start_on,
            r.shown,
            count(r.start_on, used.get(r.substance, set()), today),
        )
        for r in rows
    ]


def _counter_kind(value: Any) -> str:
    if not isinstance(value, str) or value not in clinical.COUNTER_KINDS:
        raise inputs.Problem("Choose what to count from the list.")
    return value


class CounterForm(inputs.Form):
    substance: Annotated[str, inputs.Custom(_counter_kind)]
    start_on: Annotated[date, inputs.Day("Choose the first day without it.")]
    shown: Annotated[bool, inputs.Flag("Choose whether to show the counter on Today.")]


def set_counter(
    session: Session,
    actor: Actor,
    *,
    participant_id: int,
    substance: str,
    start_on: date,
    shown: bool,
    now: datetime | None = None,
) -> Counter:
    """Start (or change) a counter: what it counts, its first day without, shown on Today or not.
    One per participant and substance (an upsert: a double tap saves once)."""
    authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.WRITE)
    form = CounterForm.check(substance=substance, start_on=start_on, shown=shown)
    options = options_for(session, participant_id)
    if options is None:
        raise ValidationError.one("substance", _("Substance use is not tracked in your program."))
    if form.substance not in options.counter_kinds and not _kept_counter(session, participant_id, form.substance):
        # (a counter kept from before the program stopped listing it may still be changed, hidden or stopped)
        raise ValidationError.one("substance", _("That is not on your program's list; choose from the list."))
    now = now or utcnow()
    today = user_today(session, participant_id, now)
    if form.start_on > today:
        raise ValidationError.one("start_on", _("That day hasn't come yet — choose today or a day before it."))
    if form.start_on < today - timedelta(days=365 * clinical.COUNTER_START_MAX_YEARS):
        raise ValidationError.one(
            "start_on",
            _("Choose a day within the last {years} years.").format(years=clinical.COUNTER_START_MAX_YEARS),
        )
    counter_id = upsert(
        session,
        RecoveryCounter,
        {
            "participant_id": participant_id,
            "substance": form.substance,
            "start_on": form.start_on,
            "shown": form.shown,
            "updated_at": now,
        },
        conflict=["participant_id", "substance"],
        update=["start_on", "shown", "updated_at"],
    )
    record(
        session,
        actor,
        category=Category.SUBSTANCE_USE,
        action="counter",
        participant_id=participant_id,
        ref=f"recovery_counter:{counter_id}",
    )
    session.commit()
    found = next(c for c in counters(session, actor, participant_id, now=now) if c.substance == form.substance)
    return found


def _kept_counter(session: Session, participant_id: int, substance: str) -> bool:
    return (
        session.exec(
            select(RecoveryCounter.id).where(
                RecoveryCounter.participant_id == participant_id, RecoveryCounter.substance == substance
            )
        ).first()
        is not None
    )


class CounterChoiceForm(inputs.Form):
    substance: Annotated[str, inputs.Custom(_counter_kind)]


def remove_counter(session: Session, actor: Actor, *, participant_id: int, substance: str) -> bool:
    """Stop keeping a counter (the cards themselves are untouched). Whether there was one."""
    authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.WRITE)
    form = CounterChoiceForm.check(substance=substance)
    gone: Any = session.execute(
        delete(RecoveryCounter).where(
            col(RecoveryCounter.participant_id) == participant_id, col(RecoveryCounter.substance) == form.substance
        )
    )
    session.commit()
    return bool(gone.rowcount)


def counter_words(counter: Counter) -> str:
    """The counter in plain, kind words (no verdicts)."""
    c = counter.count
    if c.days == 0:
        parts = [_("Today is a fresh start: tomorrow is day 1.")]
    else:
        parts = [ngettext("{n} day since you last used.", "{n} days since you last used.", c.days).format(n=c.days)]
    if c.milestone and c.days == c.milestone:
        parts.append(_("Today is a milestone — {n} days.").format(n=c.milestone))
    elif c.days:
        parts.append(_("Next milestone: {n} days.").format(n=c.next_milestone))
    if counter.restarted:
        parts.append(
            _(
                "A lapse is information, not failure: what led up to it helps you and your therapist. "
                "Your longest stretch since {day} is {n} days."
            ).format(day=month_day(counter.start_on), n=c.longest)
        )
    return " ".join(parts)


# --- medication for addiction treatment ------------------------------------------------------------------


def mat_adherence(details: dict[date, Details]) -> dict[str, tuple[int, int]]:
    """Per medication: (days taken as prescribed, days answered yes or no)."""
    found: dict[str, list[int]] = {}
    for d in details.values():
        for medication, taken in d.mat.items():
            if taken in ("yes", "no"):
                tally = found.setdefault(medication, [0, 0])
                tally[0] += taken == "yes"
                tally[1] += 1
    return {m: (t[0], t[1]) for m, t in found.items()}


def mat_words(adherence: dict[str, tuple[int, int]]) -> list[str]:
    return [
        f"{clinical.MAT_MEDICATIONS.get(m, m)}: taken as prescribed on {yes} of {answered} days answered."
        for m, (yes, answered) in sorted(adherence.items())
    ]


# --- triggers map ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriggerCount:
    trigger: str
    label: str
    urges: int  # cards with a substance urge but no use
    lapses: int  # cards with use
    practice: int  # practice entries


def trigger_counts(session: Session, actor: Actor, participant_id: int, start: date, end: date) -> list[TriggerCount]:
    """What was going on before urges and lapses (cards) and practice, counted in SQL. One query."""
    authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.READ, ref=f"{start}..{end}")
    # Correlated with each card (EXISTS on the card's own rows, by their unique indexes): an
    # uncorrelated `card.id IN (SELECT card_id FROM diary_urge …)` had the database build the list
    # of every acted-on substance urge in the clinic (a scan of diary_urge: 26 ms in a clinic of
    # 2,000, ten times that at 20,000) whenever this participant had a trigger in the span.
    lapse = (
        select(DiaryUrge.card_id)
        .join(DiaryTarget, col(DiaryTarget.id) == DiaryUrge.target_id)
        .where(
            col(DiaryUrge.card_id) == DiaryCard.id, DiaryTarget.key == SUBSTANCE_TARGET, col(DiaryUrge.acted).is_(True)
        )
        .exists()
    )
    used = select(SubstanceUse.card_id).where(col(SubstanceUse.card_id) == DiaryCard.id).exists()
    is_lapse = case((lapse | used, 1), else_=0)
    # The cards' and the practice's counts in one statement (a source column tells them apart).
    on_cards = (
        sql_select(literal("card").label("source"), col(CardTrigger.trigger), func.count(), func.sum(is_lapse))
        .join(DiaryCard, col(DiaryCard.id) == CardTrigger.card_id)
        .where(col(DiaryCard.participant_id) == participant_id, col(DiaryCard.day) >= start, col(DiaryCard.day) <= end)
        .group_by(col(CardTrigger.trigger))
    )
    in_practice = (
        sql_select(literal("practice"), col(PracticeTrigger.trigger), func.count(), literal(0))
        .join(PracticeEntry, col(PracticeEntry.id) == PracticeTrigger.entry_id)
        .where(
            col(PracticeEntry.participant_id) == participant_id,
            col(PracticeEntry.day) >= start,
            col(PracticeEntry.day) <= end,
        )
        .group_by(col(PracticeTrigger.trigger))
    )
    cards: dict[str, tuple[int, int]] = {}
    practised: dict[str, int] = {}
    query: Any = union_all(on_cards, in_practice)
    for source, trigger, total, lapses in session.execute(query):
        if source == "card":
            cards[trigger] = (total, lapses)
        else:
            practised[trigger] = total
    found = []
    for key, label in clinical.TRIGGERS.items():
        total, lapses = cards.get(key, (0, 0))
        lapses = int(lapses or 0)
        if total or practised.get(key):
            found.append(TriggerCount(key, label, int(total) - lapses, lapses, int(practised.get(key, 0))))
    return found


def triggers_map(counts: list[TriggerCount]) -> go.Figure:
    """What preceded urges and lapses: one horizontal bar per trigger, split by what followed.
    A pure builder in core.charts' style (its table is core.charts.as_table)."""
    from core import charts

    title = _("What was going on: triggers")
    if not counts:
        return charts.empty(
            title, _("No triggers recorded yet. On the card, after a substance urge, tap what was going on.")
        )
    ordered = sorted(counts, key=lambda c: c.urges + c.lapses + c.practice)
    labels = [_(c.label) for c in ordered]
    series = [
        (_("Before a use"), [c.lapses for c in ordered], charts.VERMILION),
        (_("Before an urge (no use)"), [c.urges for c in ordered], charts.ORANGE),
        (_("When practising a skill"), [c.practice for c in ordered], charts.BLUE),
    ]
    traces = [
        go.Bar(name=name, y=labels, x=values, orientation="h", marker={"color": colour}, hovertemplate="%{x}")
        for name, values, colour in series
        if any(values)
    ]
    height = 140 + 34 * len(labels)
    return charts.Figure(
        data=traces,
        layout={
            "title": {"text": title, "x": 0, "font": {"size": 16}},
            "barmode": "stack",
            "height": height,
            "margin": {"l": 10, "r": 10, "t": 80, "b": 40},
            "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
            "xaxis": {
                "title": {"text": _("Times recorded")},
                "dtick": 1 if max(len(labels), 1) else None,
                **charts._AXIS,
            },
            "yaxis": {**charts._AXIS, "automargin": True},
            "plot_bgcolor": "white",
            "paper_bgcolor": "white",
            "font": {"size": 14},
        },
    )


def triggers_sentence(counts: list[TriggerCount]) -> str:
    if not counts:
        return ""
    top = max(counts, key=lambda c: c.urges + c.lapses + c.practice)
    halt = sum(c.urges + c.lapses for c in counts if c.trigger in clinical.HALT)
    sentence = _("{trigger} came up most often ({n} times).").format(
        trigger=_(top.label), n=top.urges + top.lapses + top.practice
    )
    if halt:
        sentence += " " + _("Hungry, angry, lonely or tired was part of it {n} times.").format(n=halt)
    return sentence


# --- practice entries' triggers ---------------------------------------------------------------------------------


def _entry_key(value: Any) -> str:
    if not isinstance(value, str) or not inputs.ENTRY_KEY.fullmatch(value):
        raise inputs.Problem("Open the form again.")
    return value


class PracticeTriggersForm(inputs.Form):
    entry_key: Annotated[str, inputs.Custom(_entry_key)]
    triggers: Annotated[list[str], inputs.Custom(lambda v: _triggers_only(v))]


def _triggers_only(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, (list, tuple)) else [value]
    if any(not isinstance(t, str) or t not in clinical.TRIGGERS for t in items):
        raise inputs.Problem(_trigger_choices())
    return tuple(t for t in clinical.TRIGGERS if t in items)


def set_practice_triggers(
    session: Session, actor: Actor, *, participant_id: int, entry_key: str, triggers: list[str]
) -> None:
    """What was going on when a logged practice happened (replaces what was recorded)."""
    authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.WRITE)
    form = PracticeTriggersForm.check(entry_key=entry_key, triggers=triggers)
    entry_key, clean = form.entry_key, form.triggers
    entry_id = session.exec(
        select(PracticeEntry.id).where(
            PracticeEntry.participant_id == participant_id, PracticeEntry.entry_key == entry_key
        )
    ).first()
    if entry_id is None:
        raise ValidationError.one("entry_key", _("Save the practice first, then what was going on."))
    stale = delete(PracticeTrigger).where(col(PracticeTrigger.entry_id) == entry_id)
    if clean:
        stale = stale.where(col(PracticeTrigger.trigger).not_in(list(clean)))
    session.execute(stale)
    for trigger in clean:
        insert_if_absent(
            session, PracticeTrigger, {"entry_id": entry_id, "trigger": trigger}, conflict=["entry_id", "trigger"]
        )
    session.commit()


# --- the program's choices ---------------------------------------------------------------------------------------


def _subset(choices: dict[str, str], what: str):
    def check(value: Any) -> list[str]:
        items = value if isinstance(value, (list, tuple)) else [value]
        if any(not isinstance(v, str) or v not in choices for v in items):
            raise inputs.Problem(f"Choose {what} from the list.")
        return [k for k in choices if k in items]

    return inputs.Custom(check)


class ProgramOptionsForm(inputs.Form):
    substances: Annotated[list[str], _subset(clinical.SUBSTANCES, "substances")]
    mat_medications: Annotated[list[str], _subset(clinical.MAT_MEDICATIONS, "medicines")]


def set_program_options(session: Session, actor: Actor, *, substances: list[str], mat_medications: list[str]) -> None:
    """The admin's choice of substances on the card and the MAT medicines asked about."""
    from core import program as programs

    require_role(session, actor, Role.ADMIN, what="program")
    form = ProgramOptionsForm.check(substances=substances, mat_medications=mat_medications)
    if not form.substances:
        raise ValidationError.one("substances", "Keep at least one substance on the card.")
    programs._save_setting(session, actor, substances=list(form.substances), mat_medications=list(form.mat_medications))
    session.commit()


# --- the record: export and the printable report -----------------------------------------------------------------


def _rows_csv(header: list[str], rows: list[list]) -> str:
    from core.diary import spreadsheet_row

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([spreadsheet_row(r) for r in rows])
    return out.getvalue()


def export_files(session: Session, actor: Actor, participant_id: int) -> dict[str, str]:
    """substance_use.csv, triggers.csv, mat.csv and recovery_counters.csv for the record zip."""
    details = details_between(session, actor, participant_id, date.min, date.max)
    days = sorted(details)
    return {
        "substance_use.csv": _rows_csv(
            ["date", "substance", "amount", "unit"],
            [
                [d.isoformat(), s, "" if amount is None else amount, unit]
                for d in days
                for s, (amount, unit) in details[d].use.items()
            ],
        ),
        "triggers.csv": _rows_csv(["date", "trigger"], [[d.isoformat(), t] for d in days for t in details[d].triggers]),
        "mat.csv": _rows_csv(
            ["date", "medication", "taken_as_prescribed"],
            [[d.isoformat(), m, taken] for d in days for m, taken in details[d].mat.items()],
        ),
        "recovery_counters.csv": _rows_csv(
            ["counts", "first_day_without", "shown_on_today", "days_since_last_use", "last_use", "longest_stretch"],
            [
                [
                    c.substance,
                    c.start_on.isoformat(),
                    "yes" if c.shown else "no",
                    c.count.days,
                    c.count.last_use.isoformat(),
                    c.count.longest,
                ]
                for c in counters(session, actor, participant_id)
            ],
        ),
    }


def report_html(session: Session, actor: Actor, participant_id: int, start: date, today: date) -> str:
    """The printable report's substance-use section (escaped HTML; empty outside substance-use programs)."""
    from html import escape as e

    from core import screeners

    if options_for(session, participant_id) is None:
        return ""
    details = details_between(session, actor, participant_id, start, today)
    uses = [
        f"<tr><td>{d}</td><td>{e(clinical.USE_KINDS.get(s, s))}</td>"
        f"<td>{'' if amount is None else amount} {e(unit) if amount is not None else '—'}</td>"
        f"<td>{e(', '.join(clinical.TRIGGERS[t] for t in details[d].triggers)) or '—'}</td></tr>"
        for d in sorted(details)
        for s, (amount, unit) in details[d].use.items()
    ]
    parts = ["<h2>Substance use</h2>"]
    parts.append(
        "<table><thead><tr><th>Date</th><th>Used</th><th>Roughly how much</th><th>What was going on</th></tr></thead>"
        f"<tbody>{''.join(uses) or '<tr><td colspan=4>No use recorded in this period.</td></tr>'}</tbody></table>"
    )
    shown = counters(session, actor, participant_id)
    if shown:
        parts.append(
            "<ul>"
            + "".join(
                f"<li>{e(c.label)}: {c.count.days} days since last use (counting from {c.start_on}; "
                f"{c.count.lapses} day(s) with use since; longest stretch {c.count.longest} days)</li>"
                for c in shown
            )
            + "</ul>"
        )
    adherence = mat_words(mat_adherence(details))
    if adherence:
        parts.append("<p>Medication for addiction treatment — " + e(" ".join(adherence)) + "</p>")
    counts = trigger_counts(session, actor, participant_id, start, today)
    if counts:
        parts.append(
            "<table><thead><tr><th>Trigger</th><th>Before a use</th><th>Before an urge</th><th>Practice</th></tr>"
            "</thead><tbody>"
            + "".join(
                f"<tr><td>{e(c.label)}</td><td>{c.lapses}</td><td>{c.urges}</td><td>{c.practice}</td></tr>"
                for c in counts
            )
            + "</tbody></table>"
        )
    screens = screeners.histories(session, actor, participant_id)
    rows = [
        f"<tr><td>{p.day}</td><td>{e(clinical.CHECKUP_NAMES[kind])}</td><td>{p.total} of {clinical.MAX_TOTAL[kind]}"
        f"</td><td>{e(p.band)}</td></tr>"
        for kind, past in screens.items()
        for p in past
    ]
    parts.append(
        "<h2>AUDIT-C and DAST-10</h2><table><thead><tr><th>Date</th><th>Screener</th><th>Total</th><th>Band</th></tr>"
        f"</thead><tbody>{''.join(rows) or '<tr><td colspan=4>Not taken yet.</td></tr>'}</tbody></table>"
        f"<p class='meta'>AUDIT-C cut-offs: {clinical.AUDITC_POSITIVE_MEN}+ for men, {clinical.AUDITC_POSITIVE_WOMEN}+ "
        "for women. DAST-10: 0 none, 1–2 low, 3–5 moderate, 6–8 substantial, 9–10 severe. "
        "42 CFR Part 2 records: not to be redisclosed without the patient's written consent.</p>"
    )
    return "".join(parts)


# --- the therapist's Review ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    counters: list[Counter]
    details: dict[date, Details]  # since .. today
    triggers: list[TriggerCount]
    options: CardOptions

    @property
    def uses(self) -> list[tuple[date, str, int | None, str]]:
        return [(d, s, a, u) for d in sorted(self.details, reverse=True) for s, (a, u) in self.details[d].use.items()]

    @property
    def mat(self) -> list[str]:
        return mat_words(mat_adherence(self.details))


def panel(session: Session, actor: Actor, participant_id: int, since: date, today: date) -> Panel | None:
    """What Review (and My progress) show of recovery; None outside substance-use programs."""
    options = options_for(session, participant_id)
    if options is None:
        return None
    # counters() and details_between(), each authorized (and audited) as they are, read in one statement.
    authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.READ)
    authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.READ, ref=f"{since}..{today}")
    rows = session.execute(_panel_statement(), {"participant_id": participant_id, "start": since, "end": today}).all()
    return Panel(
        _counters_from(rows, user_today(session, participant_id)),
        _details_from(rows),
        trigger_counts(session, actor, participant_id, since, today),
        options,
    )
