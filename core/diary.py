"""The daily diary card: one per participant per day, in their own time zone.

Today's card can be edited and the previous LATE_WINDOW_DAYS days filled in late; older days are
read-only. Saving is one upsert, so a double tap or two devices never make two cards. Urges that
cross the thresholds in core.clinical open alerts for the therapist.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any

from sqlalchemy import bindparam
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select, update

from core import clinical, i18n, inputs, recovery, screening
from core.access import REFUSED_MESSAGE, Action, Actor, Category, authorize, known_person, record, require_role
from core.alerts import NO_RISK, IncompleteWithRisk, RiskOutcome, route
from core.db import hold_rows, insert_statement, rerun_memo
from core.errors import AccessDenied, ValidationError
from core.i18n import F_, N_, _
from core.models import AppUser, DiaryCard, DiaryTarget, DiaryUrge, Program, Role, id_of, table_of, utcnow
from core.program import ProgramSettings, program_settings, user_today
from core.skills import skills_by_id


@dataclass(frozen=True)
class Target:
    id: int
    key: str
    label: str
    active: bool
    rule: clinical.TargetRule = clinical.NO_RULE

    @property
    def rule_is_fixed(self) -> bool:
        """The safety targets' rules are clinical rules; a program cannot change them."""
        return self.key in clinical.SAFETY_TARGETS


@dataclass
class CardInput:
    """What the form sends. Ranges are checked by `validate`, not trusted from the widgets."""

    mood: int | None
    emotions: dict[str, int | None] = field(default_factory=dict)
    urges: dict[str, tuple[int | None, bool]] = field(default_factory=dict)  # target key -> (urge, acted)
    craving: int | None = None
    skills: list[str] = field(default_factory=list)
    sleep_hours: float | None = None
    medication: str | None = None
    note: str = ""
    # Substance-use programs (core/recovery.py): what was used, roughly how much, what was going on,
    # medication for addiction treatment.
    use: dict[str, tuple[int | None, str | None]] = field(default_factory=dict)  # substance -> (amount, unit)
    triggers: list[str] = field(default_factory=list)
    mat: dict[str, str | None] = field(default_factory=dict)  # medication -> yes | no | not_prescribed


@dataclass(frozen=True)
class CardView:
    day: date
    mood: int
    emotions: dict[str, int | None]
    urges: dict[str, tuple[int | None, bool]]
    craving: int | None
    skills: list[str]
    sleep_hours: float | None
    medication: str | None
    note: str
    late: bool
    updated_at: datetime
    language: str = "en"  # the language the card was filled in (Review says "answered in Spanish")
    use: dict = field(default_factory=dict)  # filled in by core.recovery.with_details where it is read
    triggers: list = field(default_factory=list)
    mat: dict = field(default_factory=dict)

    def as_input(self) -> CardInput:
        return CardInput(
            mood=self.mood,
            emotions=dict(self.emotions),
            urges=dict(self.urges),
            craving=self.craving,
            skills=list(self.skills),
            sleep_hours=self.sleep_hours,
            medication=self.medication,
            note=self.note,
            use=dict(self.use),
            triggers=list(self.triggers),
            mat=dict(self.mat),
        )


@dataclass(frozen=True)
class SaveResult:
    created: bool
    late: bool
    risk: RiskOutcome = NO_RISK  # what the card's answers routed to the therapist
    # The card as it was written: what reading it back would give (the card's form draws from it),
    # without the round trips. Its urges are the ones this save wrote: the card's form sends every
    # behaviour on the card; an answer for a behaviour no longer on it (retired) stays in the database
    # and a read would give it too, but the form neither draws nor sends it.
    stored: CardView | None = None
    today: date | None = None  # the participant's today as the save saw it (a rollover is the caller's)
    # The days with a card in the `recent_days` before `today`, the saved one included, read in the
    # save's own transaction when asked for (the streak said beside "Saved"), else empty.
    days_with_cards: frozenset[date] = frozenset()

    @property
    def risks(self) -> list[str]:
        """What fired, in plain words (empty: no risk)."""
        return self.risk.reasons


# --- time ----------------------------------------------------------------------------------


LINK_YEARS_BACK = 10  # a day from a link further back than this is not one the app made


def parse_day(value, *, latest: date) -> date | None:
    """A day from a link (?day=2026-11-23), or None when it isn't one, is after `latest` or is more
    than LINK_YEARS_BACK years before it (a typed ?day=0001-01-01 left the review page no room to
    count back a week: `date` overflowed and the page showed the calm error box)."""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None
    earliest = latest - timedelta(days=366 * LINK_YEARS_BACK)
    return day if day is not None and earliest <= day <= latest else None


def fillable_days(today: date) -> list[date]:
    return [today - timedelta(days=n) for n in range(clinical.LATE_WINDOW_DAYS + 1)]


# --- targets -------------------------------------------------------------------------------


def ensure_default_targets(session: Session, program_id: int) -> None:
    existing = set(session.exec(select(DiaryTarget.key).where(DiaryTarget.program_id == program_id)))
    for position, (key, label) in enumerate(clinical.DEFAULT_TARGETS):
        if key not in existing:
            rule = clinical.DEFAULT_TARGET_RULES.get(key, clinical.NO_RULE)
            session.add(
                DiaryTarget(program_id=program_id, key=key, label=label, position=position, **_rule_columns(rule))
            )
    session.flush()


def _rule_columns(rule: clinical.TargetRule) -> dict:
    return {
        "alert_min_urge": rule.min_urge,
        "alert_urge_severity": rule.urge_severity.value if rule.urge_severity else "none",
        "alert_acted_severity": rule.acted_severity.value if rule.acted_severity else "none",
    }


def _rule_of(row: Any) -> clinical.TargetRule:  # (a DiaryTarget, or a row of its columns)
    if row.key in clinical.SAFETY_TARGETS:  # fixed clinical rules, whatever is stored
        return clinical.DEFAULT_TARGET_RULES[row.key]
    stored = clinical.rule_from_settings(row.alert_min_urge, row.alert_urge_severity, row.alert_acted_severity)
    default = clinical.DEFAULT_TARGET_RULES.get(row.key)
    if default is not None and stored.acted_severity == default.acted_severity:
        stored = clinical.TargetRule(
            stored.min_urge, stored.urge_severity, stored.acted_severity, acted_words=default.acted_words
        )
    return stored


def _target(row: Any) -> Target:  # (a DiaryTarget, or a row of its columns)
    return Target(id_of(row), row.key, row.label, row.active, _rule_of(row))


_TARGET_COLUMNS = (
    col(DiaryTarget.id),
    col(DiaryTarget.key),
    col(DiaryTarget.label),
    col(DiaryTarget.active),
    col(DiaryTarget.alert_min_urge),
    col(DiaryTarget.alert_urge_severity),
    col(DiaryTarget.alert_acted_severity),
)


def targets_for(session: Session, program_id: int | None, *, include_retired: bool = False) -> list[Target]:
    # The columns a Target is made of, as plain rows (no ORM objects to build and track: read on every
    # page run of Today and in every save).
    # Once per rerun (the program's configuration, not participant data): a save reads them to check
    # the card, after the page read them to draw it.
    return list(
        rerun_memo(
            session,
            ("targets", program_id, include_retired),
            lambda: [
                _target(t)
                for t in session.execute(
                    _targets_statement(include_retired, program_id is None), {"program_id": program_id}
                )
            ],
        )
    )


@lru_cache(maxsize=4)
def _targets_statement(include_retired: bool, no_program: bool):
    """`targets_for`'s statement, built once (the program is its parameter; no program, IS NULL)."""
    query = (
        sql_select(*_TARGET_COLUMNS)
        .where(
            col(DiaryTarget.program_id).is_(None)
            if no_program
            else col(DiaryTarget.program_id) == bindparam("program_id")
        )
        .order_by(col(DiaryTarget.position), col(DiaryTarget.id))
    )
    return query if include_retired else query.where(col(DiaryTarget.active).is_(True))


def risk_targets(targets: list[Target]) -> dict[str, tuple[str, clinical.TargetRule]]:
    return {t.key: (t.label, t.rule) for t in targets}


TARGET_LABEL_MAX = 60


class TargetForm(inputs.Form):
    label: Annotated[
        str,
        inputs.Name(
            TARGET_LABEL_MAX,
            "The behaviour's name",
            required=f"Name the behaviour in 1–{TARGET_LABEL_MAX} characters.",
            too_long=f"Name the behaviour in 1–{TARGET_LABEL_MAX} characters.",
        ),
    ]


def add_target(session: Session, actor: Actor, *, label: str) -> Target:
    """A program-specific behaviour to track urges for (e.g. gambling, restricting food)."""
    require_role(session, actor, Role.ADMIN, what="diary targets")
    label = TargetForm.check(label=label).label
    key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40] or "target"
    if actor.program_id is None:  # (an account outside any program: the column would refuse it)
        raise ValidationError.one("label", "Your account is not part of a program, so it has no card to add to.")
    hold_rows(session, Program, col(Program.id) == actor.program_id)  # (two tabs adding at once: one at a time)
    # (read afresh, not this rerun's copy of the card: a target the other tab added is seen)
    existing = [_target(t) for t in session.execute(_targets_statement(True, False), {"program_id": actor.program_id})]
    if any(t.key == key or t.label.lower() == label.lower() for t in existing):
        raise ValidationError.one("label", "The card already has this behaviour (perhaps retired: restore it).")
    target = DiaryTarget(program_id=actor.program_id, key=key, label=label, position=len(existing))
    session.add(target)
    record(session, actor, category="diary targets", action="create")
    return _target(target)


class TargetRuleForm(inputs.Form):
    """A program's alert rule for a target it added (whether the three agree: clinical.check_rule_settings)."""

    min_urge: Annotated[
        int | None,
        inputs.Whole(1, clinical.URGE_MAX, f"The urge level is a whole number from 1 to {clinical.URGE_MAX}."),
    ]
    urge_severity: Annotated[
        str, inputs.OneOf(clinical.RULE_SEVERITIES, f"Choose one of: {', '.join(clinical.RULE_SEVERITIES.values())}.")
    ]
    acted_severity: Annotated[
        str, inputs.OneOf(clinical.RULE_SEVERITIES, f"Choose one of: {', '.join(clinical.RULE_SEVERITIES.values())}.")
    ]


def set_target_rule(
    session: Session, actor: Actor, *, target_id: int, min_urge: int | None, urge_severity: str, acted_severity: str
) -> Target:
    """What a program-added target's answers open: an urge at or above `min_urge` and/or acting
    on it -> none / review / urgent. The suicide and self-harm rules are clinical and fixed."""
    require_role(session, actor, Role.ADMIN, what="diary targets")
    target = session.get(DiaryTarget, target_id) if inputs.is_id(target_id) else None
    if target is None or target.program_id != actor.program_id:
        raise ValidationError.one("target", "No such behaviour on your program's card.")
    if target.key in clinical.SAFETY_TARGETS:
        raise ValidationError.one(
            "target", "The suicide and self-harm alerts are fixed clinical rules; they can't be changed here."
        )
    errors = TargetRuleForm.errors(min_urge=min_urge, urge_severity=urge_severity, acted_severity=acted_severity)
    errors = errors or clinical.check_rule_settings(min_urge, urge_severity, acted_severity)
    if errors:
        raise ValidationError(errors)
    rule = clinical.rule_from_settings(min_urge if urge_severity != "none" else None, urge_severity, acted_severity)
    for name, value in _rule_columns(rule).items():
        setattr(target, name, value)
    session.add(target)
    record(session, actor, category="diary targets", action="rule", ref=f"target:{target.id}")
    return _target(target)


def set_target_active(session: Session, actor: Actor, *, target_id: int, active: bool) -> None:
    """Retire a target from the card (its history stays) or bring it back."""
    require_role(session, actor, Role.ADMIN, what="diary targets")
    target = session.get(DiaryTarget, target_id) if inputs.is_id(target_id) else None
    if target is None or target.program_id != actor.program_id:
        raise ValidationError.one("target", "No such behaviour on your program's card.")
    if not isinstance(active, bool):
        raise ValidationError.one("active", "Choose whether the behaviour is on the card.")
    target.active = active
    session.add(target)
    record(
        session, actor, category="diary targets", action="restore" if active else "retire", ref=f"target:{target.id}"
    )


# --- validation ----------------------------------------------------------------------------


def _emotions(value) -> dict[str, int | None]:
    if not isinstance(value, dict):
        raise inputs.Problem({"emotions": _("Rate each emotion from 0 to 5.")})
    problems, clean = {}, {}
    for key, rating in value.items():
        if not isinstance(key, str) or key not in clinical.EMOTIONS:
            problems[str(key)[:40]] = f"Unknown emotion {str(key)[:20]!r}."
        elif rating is not None and (
            not inputs.is_whole(rating) or not clinical.EMOTION_MIN <= rating <= clinical.EMOTION_MAX
        ):
            problems[key] = _("{emotion} is a whole number from {low} to {high}.").format(
                emotion=_(clinical.EMOTIONS[key]), low=clinical.EMOTION_MIN, high=clinical.EMOTION_MAX
            )
        else:
            clean[key] = rating
    if problems:
        raise inputs.Problem(problems)
    return clean


def _urges(value) -> dict[str, tuple[int | None, bool]]:
    """target key -> (urge 0-5 or None, acted). Whether each target is on the card is checked
    by `validate`, which knows the program's targets."""
    if not isinstance(value, dict):
        raise inputs.Problem({"urges": _("Rate each urge and say whether you acted on it.")})
    problems, clean = {}, {}
    for key, answer in value.items():
        field = f"urge_{str(key)[:40]}"
        pair = _pair(answer)
        if not isinstance(key, str) or pair is None:
            problems[field] = _("Rate the urge and say whether you acted on it.")
            continue
        urge, acted = pair
        if urge is not None and (not inputs.is_whole(urge) or not clinical.URGE_MIN <= urge <= clinical.URGE_MAX):
            problems[field] = _("An urge is a whole number from {low} to {high}.").format(
                low=clinical.URGE_MIN, high=clinical.URGE_MAX
            )
        elif not isinstance(acted, bool):
            problems[field] = _("Say yes or no for 'acted on it'.")
        else:
            clean[key] = (urge, acted)
    if problems:
        raise inputs.Problem(problems)
    return clean


def _skills(value) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else [value]
    unknown = [s for s in items if not isinstance(s, str) or s not in skills_by_id()]
    if unknown:
        raise inputs.Problem({"skills": f"Unknown skill: {', '.join(str(s)[:40] for s in unknown[:3])}."})
    return list(dict.fromkeys(items))  # ticked once each, in the order ticked


class CardForm(inputs.Form):
    """What the diary card's form sends (ranges from core.clinical)."""

    mood: Annotated[
        int,
        inputs.Whole(
            clinical.MOOD_MIN,
            clinical.MOOD_MAX,
            F_("Mood is a whole number from {low} to {high}.", low=clinical.MOOD_MIN, high=clinical.MOOD_MAX),
            required=F_("Choose your mood ({low}–{high}).", low=clinical.MOOD_MIN, high=clinical.MOOD_MAX),
        ),
    ]
    emotions: Annotated[
        dict[str, int | None],
        inputs.Custom(_emotions, inputs.Limit(low=clinical.EMOTION_MIN, high=clinical.EMOTION_MAX)),
    ]
    urges: Annotated[
        dict[str, tuple[int | None, bool]],
        inputs.Custom(_urges, inputs.Limit(low=clinical.URGE_MIN, high=clinical.URGE_MAX)),
    ]
    craving: Annotated[
        int | None,
        inputs.Whole(
            clinical.CRAVING_MIN,
            clinical.CRAVING_MAX,
            F_("Craving is a whole number from {low} to {high}.", low=clinical.CRAVING_MIN, high=clinical.CRAVING_MAX),
        ),
    ]
    skills: Annotated[list[str], inputs.Custom(_skills)]
    sleep_hours: Annotated[
        float | None,
        inputs.Number(
            clinical.SLEEP_MIN_HOURS,
            clinical.SLEEP_MAX_HOURS,
            F_(
                "Hours of sleep go from {low:g} to {high:g}.",
                low=clinical.SLEEP_MIN_HOURS,
                high=clinical.SLEEP_MAX_HOURS,
            ),
        ),
    ]
    medication: Annotated[
        str | None, inputs.OneOf(clinical.MEDICATION_CHOICES, N_("Choose yes, no or not prescribed."), optional=True)
    ]
    note: Annotated[
        str,
        inputs.FreeText(
            clinical.NOTE_MAX_CHARS,
            N_("Your note"),
            too_long=N_(
                "Your note is {n:,} characters; the limit is {limit:,}. Shorten it a little — nothing is lost yet."
            ),
        ),
    ]


def _pair(value) -> tuple | None:
    """An urge answer as (urge, acted), or None when it isn't one."""
    return tuple(value) if isinstance(value, (tuple, list)) and len(value) == 2 else None


def checked(
    card: CardInput, *, targets: list[Target], craving_on: bool, options: recovery.CardOptions | None = None
) -> tuple[CardInput | None, dict[str, str]]:
    """The card as it will be stored (note cleaned, skills once each), or None and what is wrong."""
    try:
        values = inputs.attributes(card, CardInput)
    except ValidationError as exc:
        return None, dict(exc.fields)
    details, errors = _details(values, options)
    clean, found = CardForm.read(**values)
    errors = {**found, **errors}
    known = {t.key for t in targets}
    for key in card.urges if isinstance(card.urges, dict) else {}:
        if key not in known:
            errors[f"urge_{str(key)[:40]}"] = _("This urge is not on your program's card.")
    if card.craving is not None and not craving_on:
        errors["craving"] = _("Craving is not tracked in your program.")
    if errors or clean is None:
        return None, errors
    return CardInput(
        **clean.values(), use=dict(details.use), triggers=list(details.triggers), mat=dict(details.mat)
    ), {}


def _details(values: dict, options: recovery.CardOptions | None) -> tuple[recovery.Details, dict[str, str]]:
    """Take the substance-use details out of the card's values (CardForm knows nothing of them)."""
    use, triggers, mat = values.pop("use", None), values.pop("triggers", None), values.pop("mat", None)
    pair = _pair(values["urges"].get(recovery.SUBSTANCE_TARGET)) if isinstance(values.get("urges"), dict) else None
    return recovery.check(use, triggers, mat, options=options, acted=bool(pair and pair[1] is True))


def validate(
    card: CardInput, *, targets: list[Target], craving_on: bool, options: recovery.CardOptions | None = None
) -> dict[str, str]:
    return checked(card, targets=targets, craving_on=craving_on, options=options)[1]


# --- writing -------------------------------------------------------------------------------


# What a later save of a day's card changes (its day, `late` and creation stay the first save's).
_CHANGED = (*clinical.EMOTIONS, "mood", "craving", "sleep_hours", "medication", "skills", "note", "language")
_CHANGED += ("updated_at",)


@lru_cache(maxsize=2)
def _card_statements(insert):
    """The save's statements, built once per database dialect (`insert`: core.db.insert_statement's, the
    dialect's INSERT with ON CONFLICT; every save sends the same statements with its
    own values: building a statement's values and its ON CONFLICT clause anew was a good part of a
    save's CPU). The card's INSERT takes the card's values as parameters; its UPDATE `new_<column>`
    and the card's participant and day; the urges' upsert its rows as one executemany's parameters."""
    made_new = (
        insert(DiaryCard)
        .on_conflict_do_nothing(index_elements=["participant_id", "day"])
        .returning(col(DiaryCard.id), col(DiaryCard.late))
    )
    made_changed = (
        update(DiaryCard)
        .where(
            col(DiaryCard.participant_id) == bindparam("card_participant"),
            col(DiaryCard.day) == bindparam("card_day"),
        )
        .values({c: bindparam(f"new_{c}") for c in _CHANGED})
        .returning(col(DiaryCard.id), col(DiaryCard.late))
    )
    urges = insert(DiaryUrge)
    urges = urges.on_conflict_do_update(
        index_elements=["card_id", "target_id"], set_={"urge": urges.excluded.urge, "acted": urges.excluded.acted}
    )
    return made_new, made_changed, urges


def save_card(
    session: Session,
    actor: Actor,
    *,
    participant_id: int,
    day: date,
    card: CardInput,
    now: datetime | None = None,
    language: str = i18n.ENGLISH,
    recent_days: int = 0,
) -> SaveResult:
    """Create or update the card for `day`, and route its risk answers to the therapist.

    Risk is routed whatever else is wrong with the form: a card refused for a missing mood still
    opens (or updates) the alert from its urges and note, and the refusal carries what was routed
    (IncompleteWithRisk), so the participant sees the crisis lines while they finish the card.

    One transaction and one commit: the card, its urges and details, the alert, and (`recent_days`
    > 0) the days with a card in that many days before today, for the streak (an indexed read of at
    most that many dates, audited as a read, made before the commit so that the save's events are
    one INSERT in that commit). The card as written comes back in the result (`stored`): nothing is
    read back.
    """
    authorize(
        session, actor, participant_id, Category.DIARY, Action.WRITE, ref=day.isoformat() if inputs.is_day(day) else ""
    )
    inputs.attributes(card, CardInput, field="form")
    now = now or utcnow()
    today = user_today(session, participant_id, now)
    # Their program as the gate read it just now (authorize above), and its settings from the
    # process's cache, as the card they filled in was drawn from: no round trip of its own.
    known = known_person(session, participant_id)
    program: Program | ProgramSettings | None
    if known is None:  # (authorize refused anyone unknown; outside a rerun, ask the database)
        participant = session.get(AppUser, participant_id)
        if participant is None:
            raise AccessDenied(REFUSED_MESSAGE)
        program_id = participant.program_id
        program = session.get(Program, program_id) if program_id else None
    else:
        program_id = known[2]
        program = program_settings(session, program_id) if program_id else None
    craving_on = bool(program and program.substance_use_tracking)
    targets = targets_for(session, program_id)
    errors = {}
    if not inputs.is_day(day) or day > today:
        errors["day"] = _("That day hasn't happened yet.") if inputs.is_day(day) else _("Choose a day.")
    elif day not in fillable_days(today):
        errors["day"] = _("Cards can be filled in up to {n} days late; older days are kept as they are.").format(
            n=clinical.LATE_WINDOW_DAYS
        )
    options = recovery.options_of(program)
    clean, found = checked(card, targets=targets, craving_on=craving_on, options=options)
    errors.update(found)
    routed_day = day if "day" not in errors else today
    urges = {k: p for k, v in (card.urges.items() if isinstance(card.urges, dict) else []) if (p := _pair(v))}
    reasons = clinical.diary_reasons(urges, risk_targets(targets))
    reasons += clinical.lapse_reasons(recovery.used_for_alerts(card.use, options))
    if isinstance(card.note, str) and screening.suggests_crisis(card.note):
        reasons.append(clinical.crisis_words_reason("diary note"))
    latest = clinical.card_latest(urges, risk_targets(targets))
    if errors:
        risk = NO_RISK
        if reasons:
            risk = route(
                session,
                actor,
                participant_id=participant_id,
                source_key=f"diary:{routed_day}",
                day=routed_day,
                reasons=reasons,
                latest=latest,
                now=now,
            )
            session.commit()
            raise IncompleteWithRisk(errors, risk)
        raise ValidationError(errors)
    if clean is None:  # (checked() gives the card back whenever it finds nothing wrong)
        raise ValidationError.one("form", "This form is out of date; open it again.")
    card = clean

    emotions = {key: card.emotions.get(key) for key in clinical.EMOTIONS}
    skills = list(dict.fromkeys(card.skills))
    note, language = card.note.strip(), i18n.normalise(language)
    values = dict(
        participant_id=participant_id,
        day=day,
        mood=card.mood,
        **emotions,
        craving=card.craving,
        sleep_hours=card.sleep_hours,
        medication=card.medication,
        skills=skills,
        note=note,
        late=day < today,
        language=language,
        created_at=now,
        updated_at=now,
    )
    # A new card is one statement (most saves are a day's first); a card already there, a second one
    # that updates it. A double tap or two devices make one card all the same: the insert does
    # nothing where the card exists (it waits for another transaction's insert of it to commit).
    # (Sent as Core statements on the session's connection, in its transaction: every column written as
    # given, None as NULL, and one compiled statement whatever is left unanswered; the ORM's bulk INSERT
    # would leave out the None columns, a different statement for each pattern of blanks.)
    made_new, made_changed, urge_rows = _card_statements(insert_statement(session))
    connection = session.connection()
    made = connection.execute(made_new, values).first()
    created = made is not None
    if made is None:  # the card was there: its answers change, its day's `late` and creation stay
        changed = {f"new_{c}": values[c] for c in _CHANGED}
        made = connection.execute(made_changed, {**changed, "card_participant": participant_id, "card_day": day}).one()
    card_id, late = made
    by_key = {t.key: t for t in targets}
    urges = {key: (urge, bool(acted)) for key, (urge, acted) in card.urges.items()}
    if urges:  # every urge in one call (an upsert: a double tap saves once)
        # The upsert's one compiled statement given every row (the driver's executemany: one call, and on
        # PostgreSQL one round trip). A multi-row VALUES was compiled afresh for every save (SQLAlchemy keeps
        # no compiled statement for one): 0.47 -> 0.17 ms of CPU a save on PostgreSQL, 0.31 -> 0.03 on SQLite.
        connection.execute(
            urge_rows,
            [
                {"card_id": card_id, "target_id": by_key[key].id, "urge": urge, "acted": acted}
                for key, (urge, acted) in urges.items()
            ],
        )
    recovery.save_details(
        session,
        card_id,
        recovery.Details(card.use, tuple(card.triggers), card.mat),  # type: ignore[arg-type]
        new_card=created,
    )
    risk = route(
        session,
        actor,
        participant_id=participant_id,
        source_key=f"diary:{day}",
        day=day,
        reasons=reasons,
        latest=latest,
        now=now,
    )
    recent = recent_days_with_cards(session, actor, participant_id, today, recent_days) if recent_days > 0 else set()
    session.commit()
    stored = CardView(
        day=day,
        mood=card.mood,  # type: ignore[arg-type]  # (checked: a stored card has a mood)
        emotions=emotions,
        urges=urges,
        craving=card.craving,
        skills=skills,
        sleep_hours=card.sleep_hours,
        medication=card.medication,
        note=note,
        late=bool(late),
        updated_at=now,
        language=language,
        # (in the order a read gives them)
        use={k: card.use[k] for k in clinical.USE_KINDS if k in card.use},
        triggers=[t for t in clinical.TRIGGERS if t in card.triggers],
        mat=dict(card.mat),
    )
    return SaveResult(
        created=created, late=day < today, risk=risk, stored=stored, today=today, days_with_cards=frozenset(recent)
    )


# --- reading -------------------------------------------------------------------------------


def cards_between(session: Session, actor: Actor, participant_id: int, start: date, end: date) -> list[CardView]:
    """Cards from `start` to `end` inclusive, oldest first; two queries whatever the range.

    The DIARY category includes the card's private note: only the participant and their
    therapist ever hold it (family access is never granted to DIARY).
    """
    authorize(session, actor, participant_id, Category.DIARY, Action.READ, ref=f"{start}..{end}")
    read_cards, read_urges = _reading_statements()
    cards = session.execute(read_cards, {"participant_id": participant_id, "start": start, "end": end}).all()
    urges: dict[int, dict[str, tuple[int | None, bool]]] = {c.id: {} for c in cards}
    if cards:
        for card_id, key, urge, acted in session.execute(read_urges, {"card_ids": list(urges)}):
            urges[card_id][key] = (urge, acted)
    return [
        CardView(
            day=c.day,
            mood=c.mood,
            emotions={k: getattr(c, k) for k in clinical.EMOTIONS},
            urges=urges[c.id],
            craving=c.craving,
            skills=list(c.skills or []),
            sleep_hours=c.sleep_hours,
            medication=c.medication,
            note=c.note,
            late=c.late,
            updated_at=c.updated_at,
            language=c.language,
        )
        for c in cards
    ]


@lru_cache(maxsize=1)
def _reading_statements():
    """`cards_between`'s two statements, built once with their values as parameters, read as plain rows
    (a card as an ORM object cost Today's every run more to load than to read)."""
    card, urge, target = table_of(DiaryCard).c, table_of(DiaryUrge).c, table_of(DiaryTarget).c
    columns = ("id", "day", "mood", *clinical.EMOTIONS, "craving", "skills", "sleep_hours", "medication", "note")
    read_cards = (
        sql_select(*(card[name] for name in (*columns, "late", "updated_at", "language")))
        .where(
            card.participant_id == bindparam("participant_id"),
            card.day >= bindparam("start"),
            card.day <= bindparam("end"),
        )
        .order_by(card.day)
    )
    read_urges = (
        sql_select(urge.card_id, target.key, urge.urge, urge.acted)
        .select_from(table_of(DiaryUrge).join(table_of(DiaryTarget), target.id == urge.target_id))
        .where(urge.card_id.in_(bindparam("card_ids", expanding=True)))
    )
    return read_cards, read_urges


def card_for_day(session: Session, actor: Actor, participant_id: int, day: date) -> CardView | None:
    found = cards_between(session, actor, participant_id, day, day)
    return found[0] if found else None


def streak(days_with_cards: set[date], today: date) -> int:
    """Days in a row with a card, ending today (or yesterday, while today is still open)."""
    day = today if today in days_with_cards else today - timedelta(days=1)
    count = 0
    while day in days_with_cards:
        count += 1
        day -= timedelta(days=1)
    return count


STREAK_DAYS = 60  # how far back a streak is counted


def recent_days_with_cards(
    session: Session, actor: Actor, participant_id: int, today: date, days: int = STREAK_DAYS
) -> set[date]:
    authorize(
        session, actor, participant_id, Category.DIARY, Action.READ, ref=f"{today - timedelta(days=days - 1)}..{today}"
    )
    return set(
        session.execute(
            _recent_days_statement(), {"participant_id": participant_id, "after": today - timedelta(days=days)}
        )
        .scalars()
        .all()
    )


@lru_cache(maxsize=1)
def _recent_days_statement():
    """`recent_days_with_cards`' statement, built once (every save reads it, for the streak)."""
    card = table_of(DiaryCard).c
    return sql_select(card.day).where(card.participant_id == bindparam("participant_id"), card.day > bindparam("after"))


CSV_EMOTIONS = list(clinical.EMOTIONS)


def _blank(value):
    return "" if value is None else value


# A cell starting with one of these runs as a formula in Excel, LibreOffice or Google Sheets (OWASP
# "CSV injection"; ASVS 5.0 1.2.10 adds tab and NUL; CR starts a cell too; the full-width forms
# are read as the same signs by some spreadsheets).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(text):
    """Text that a spreadsheet would run as a formula, kept as text (a leading apostrophe); any
    other value as it is."""
    return "'" + text if isinstance(text, str) and text.startswith(FORMULA_STARTS) else text


def spreadsheet_row(values: list) -> list:
    """Every text cell of a CSV row made spreadsheet-safe (numbers and dates as they are)."""
    return [spreadsheet_safe(v) for v in values]


def cards_csv(session: Session, actor: Actor, participant_id: int, *, targets: list[Target]) -> str:
    """Every card as CSV, one row per day: what 'download my data' gives."""
    cards = cards_between(session, actor, participant_id, date.min, date.max)
    names = skills_by_id()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "date",
            "late",
            "mood",
            *CSV_EMOTIONS,
            *[f"urge_{t.key}" for t in targets],
            *[f"acted_{t.key}" for t in targets],
            "craving",
            "sleep_hours",
            "medication",
            "skills",
            "note",
        ]
    )
    for c in cards:
        urges = [c.urges.get(t.key, (None, False)) for t in targets]
        writer.writerow(
            spreadsheet_row(
                [
                    c.day.isoformat(),
                    "yes" if c.late else "no",
                    c.mood,
                    *[_blank(c.emotions.get(k)) for k in CSV_EMOTIONS],
                    *[_blank(urge) for urge, _acted in urges],
                    *["yes" if acted else "no" for _urge, acted in urges],
                    _blank(c.craving),
                    _blank(c.sleep_hours),
                    c.medication or "",
                    "; ".join(names[s].name if s in names else s for s in c.skills),
                    c.note,
                ]
            )
        )
    return out.getvalue()
