"""The therapist's caseload, ordered by what needs attention, in a fixed number of queries.

Each part of a row comes from one aggregate statement (people, cards, check-ups, alerts), so the
page costs the same whether a therapist has five participants or fifty.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Float, bindparam, case, cast, exists, func, true
from sqlalchemy import select as core_select  # (sqlmodel's select types four columns at most)
from sqlmodel import Session

from core import clinical
from core.access import Actor, Category, record_many, require_role
from core.checkups import INTAKE_SLOT
from core.models import Alert, AppUser, CaseloadAssignment, Checkup, DiaryCard, Discharge, Role, saved_id, table_of
from core.program import user_today


@dataclass(frozen=True)
class Row:
    participant_id: int
    name: str
    started_on: date | None
    last_card: date | None
    mood_7d: float | None
    mood_prev_7d: float | None
    cards_14d: int
    phq9: int | None
    phq9_band: str | None
    phq9_change: int | None  # latest minus intake (positive = worse)
    gad7: int | None
    gad7_band: str | None
    open_alerts: int
    urgent_alerts: int
    top_alert: str = ""  # the most severe open alert's main reason, in a few words
    top_alert_day: date | None = None  # the day it is about
    top_alert_severity: str = ""

    def missed(self, today: date) -> bool:
        last = self.last_card or self.started_on
        return last is not None and (today - last).days >= clinical.MISSED_CARD_DAYS

    @property
    def worsening(self) -> bool:
        phq_worse = self.phq9_change is not None and self.phq9_change >= clinical.PHQ9_RELIABLE_CHANGE
        mood_down = (
            self.mood_7d is not None
            and self.mood_prev_7d is not None
            and self.mood_prev_7d - self.mood_7d >= clinical.MOOD_DROP_FLAG
        )
        return phq_worse or mood_down

    @property
    def mood_direction(self) -> str:
        if self.mood_7d is None or self.mood_prev_7d is None:
            return ""
        diff = self.mood_7d - self.mood_prev_7d
        return "↑" if diff >= clinical.MEANINGFUL_CHANGE else "↓" if diff <= -clinical.MEANINGFUL_CHANGE else "→"

    def adherence(self, today: date) -> int:
        """% of the last ADHERENCE_DAYS days (fewer, for someone newer) with a card."""
        window = clinical.ADHERENCE_DAYS
        days = window if self.started_on is None else max(min(window, (today - self.started_on).days), 1)
        return round(100 * min(self.cards_14d, days) / days)

    def needs(self, today: date) -> str:
        """What is needed, in words a therapist can act on: "Urgent: suicidal thoughts urge 5, Tue"."""
        if self.open_alerts:
            what = self.top_alert or "open alert"
            when = ""
            if self.top_alert_day is not None:
                recent = 0 <= (today - self.top_alert_day).days < 7
                when = f", {self.top_alert_day:%a}" if recent else f", {self.top_alert_day:%b} {self.top_alert_day.day}"
            if " since " in what:
                when = ""  # "no diary card since Nov 20" already says when
            more = f" (+{self.open_alerts - 1} more)" if self.open_alerts > 1 else ""
            return f"{_severity_labels().get(self.top_alert_severity, 'Alert')}: {what}{when}{more}"
        since = self.last_card or self.started_on
        if self.missed(today) and since is not None:
            return (
                f"No card for {(today - since).days} days"
                if self.last_card
                else f"No card since starting {(today - since).days} days ago"
            )
        if self.worsening:
            if self.phq9_change is not None and self.phq9_change >= clinical.PHQ9_RELIABLE_CHANGE:
                return f"Worsening: {clinical.CHECKUP_NAMES['phq9']} up {self.phq9_change} from intake"
            if self.mood_prev_7d is not None and self.mood_7d is not None:
                return f"Worsening: mood down {self.mood_prev_7d - self.mood_7d:.1f} on the week before"
        return ""


def order_in_words() -> str:
    """How the caseload is ordered, for the therapist, from the constants the order itself uses."""
    c = clinical
    return (
        f"Order: urgent alerts, other open alerts, no card for {c.MISSED_CARD_DAYS}+ days, worsening "
        f"({c.CHECKUP_NAMES['phq9']} up {c.PHQ9_RELIABLE_CHANGE}+ from intake, or the {c.MOOD_WINDOW_DAYS}-day "
        f"mood average down {c.MOOD_DROP_FLAG:g}+), then by name."
    )


def short_reason(reason: dict) -> str:
    """An alert reason in a few words for a list ("suicidal thoughts urge 5"); its text otherwise."""
    key, text, level = str(reason.get("key", "")), str(reason.get("text", "")), reason.get("level")
    label = text.split(":", 1)[0].strip() if ":" in text else text
    if key.startswith("urge:"):
        return f"{label.lower()} urge {level}"
    if key.startswith("acted:"):
        return f"{label.lower()} acted on"
    if key == "phq9_item9" and "'" in text:
        return f"PHQ-9 item 9 '{text.split(chr(39))[1]}'"
    if key.startswith("crisis_words"):
        return "crisis words in a note"
    if key.endswith("_worsening"):
        return text.split(" than at intake")[0]
    if key.startswith("missed"):
        return text[:1].lower() + text[1:].split(" (")[0]  # "no diary card since Nov 20"
    return text.split(" (")[0]


@functools.cache
def _severity_labels() -> dict[str, str]:
    return {s.value: s.label for s in clinical.Severity}


@functools.cache
def _severity_ranks() -> dict[str, int]:
    return {s.value: s.rank for s in clinical.Severity}


def _top_reason(reasons) -> str:
    found = [r for r in (reasons or []) if isinstance(r, dict)]
    if not found:
        return ""
    ranks = _severity_ranks()
    return short_reason(min(found, key=lambda r: ranks.get(str(r.get("severity")), 9)))


def needs_order(today: date):
    """Open alerts first (urgent before others), then missed check-ins, then worsening, then name."""

    def key(row: Row):
        return (
            0 if row.urgent_alerts else 1 if row.open_alerts else 2,
            0 if row.missed(today) else 1,
            0 if row.worsening else 1,
            row.name,
        )

    return key


def _statement(dialect: str = "sqlite"):
    """The caseload in one statement, built once per process with bound parameters (a therapist, the
    days the windows start): each person's row with what the screen shows of them, each part read
    from an index for that person alone (their last card, the cards of the last two weeks, their
    latest PHQ-9 and GAD-7 and the PHQ-9 intake, their open alerts and the most severe of them). It
    was four statements whose aggregates read every card and every check-up of the caseload (about
    40 check-ups and 80 cards a person after 12 weeks, each row fetched) to keep a handful: on the
    clinic of 2,000, 3-5 ms of a rerun went to the check-ups' window alone. One statement is also one
    round trip instead of four (about 1.3 ms each on PostgreSQL).

    PostgreSQL reads each table's part of a person once (`_lateral`); SQLite, which has no LATERAL,
    a correlated subquery per value (`_correlated`). Both give the same rows, columns in one order."""
    return _lateral() if dialect == "postgresql" else _correlated()


def _person():
    """The first columns of both statements: who, and whether discharged, and their last card's day."""
    user, card, discharge = table_of(AppUser), table_of(DiaryCard), table_of(Discharge)
    pid = user.c.id
    return (
        pid,
        user.c.name,
        user.c.started_on,
        # The discharged leave the list and are counted for the "Discharged (n)" list, which reads
        # their names and dates only when opened (core.enrolment.discharged_caseload).
        exists().where(discharge.c.participant_id == pid).label("discharged"),
        core_select(func.max(card.c.day)).where(card.c.participant_id == pid).scalar_subquery().label("last_card"),
    )


@functools.cache
def _correlated():
    """Each value its own correlated subquery (SQLite runs in this process, its look-ups a few
    microseconds each: for a caseload of 240 the whole statement is 3-4 ms)."""
    user, card, checkup, alert = (table_of(m) for m in (AppUser, DiaryCard, Checkup, Alert))
    assignment = table_of(CaseloadAssignment)
    week_ago, fortnight_ago, adherence_from = bindparam("week_ago"), bindparam("fortnight_ago"), bindparam("adherence")
    pid = user.c.id
    cards = card.c.participant_id == pid
    mood = func.avg(card.c.mood)  # (a float on SQLite)

    def value(column, *where):
        return core_select(column).where(*where).scalar_subquery()

    def latest(kind: str):  # their newest check-up of this kind (the newest id on the same day)
        row = checkup.alias(f"latest_{kind}")
        newest = (
            core_select(checkup.c.id)
            .where(checkup.c.participant_id == pid, checkup.c.kind == kind)
            .order_by(checkup.c.day.desc(), checkup.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        return row, newest

    phq, phq_id = latest("phq9")
    gad, gad_id = latest("gad7")
    top = alert.alias("top_alert")
    is_open = (alert.c.participant_id == pid, alert.c.resolved_at.is_(None))
    rank = case({s.value: s.rank for s in clinical.Severity}, value=alert.c.severity, else_=9)
    most_severe = (  # the most severe open alert, then the newest
        core_select(alert.c.id).where(*is_open).order_by(rank, alert.c.opened_at.desc(), alert.c.id.desc()).limit(1)
    ).scalar_subquery()
    return (
        core_select(
            *_person(),
            value(mood, cards, card.c.day > week_ago).label("mood_7d"),
            value(mood, cards, card.c.day <= week_ago, card.c.day > fortnight_ago).label("mood_prev"),
            value(func.count(), cards, card.c.day > adherence_from).label("cards_14d"),
            phq.c.total.label("phq9"),
            phq.c.band.label("phq9_band"),
            value(
                checkup.c.total,
                checkup.c.participant_id == pid,
                checkup.c.kind == "phq9",
                checkup.c.slot_key == INTAKE_SLOT,
            ).label("phq9_intake"),
            gad.c.total.label("gad7"),
            gad.c.band.label("gad7_band"),
            value(func.count(), *is_open).label("open_alerts"),
            value(func.count(), *is_open, alert.c.severity == clinical.Severity.URGENT.value).label("urgent"),
            top.c.reasons,
            top.c.day,
            top.c.severity,
        )
        .join(assignment, assignment.c.participant_id == pid)
        .outerjoin(phq, phq.c.id == phq_id)
        .outerjoin(gad, gad.c.id == gad_id)
        .outerjoin(top, top.c.id == most_severe)
        .where(assignment.c.therapist_id == bindparam("therapist"), user.c.is_active.is_(True))
    )


@functools.cache
def _lateral():
    """PostgreSQL's caseload: the same row a person as `_correlated`, with each table's part read in
    one pass (LATERAL): the two mood averages and the count of the last two weeks' cards in one
    aggregate with FILTER, the latest PHQ-9 and GAD-7 each one row with its total and band, the open
    alerts' count, urgent count and most severe one in one ordered read. A dozen correlated
    subqueries a person, each planned and run on its own, cost the server 7-8 ms of CPU for a
    caseload of 240; this, 5-6 ms (the server process's CPU time, alternated, 100 runs each)."""
    user, card, checkup, alert = (table_of(m) for m in (AppUser, DiaryCard, Checkup, Alert))
    assignment = table_of(CaseloadAssignment)
    week_ago, fortnight_ago, adherence_from = bindparam("week_ago"), bindparam("fortnight_ago"), bindparam("adherence")
    pid = user.c.id
    # The cards from the earlier of the two windows' starts (bound as "window"); the averages as floats,
    # as SQLite's are (PostgreSQL's avg() is a numeric: a Decimal the driver made for every row).
    recent = (
        core_select(
            cast(func.avg(card.c.mood).filter(card.c.day > week_ago), Float).label("mood_7d"),
            cast(func.avg(card.c.mood).filter(card.c.day <= week_ago, card.c.day > fortnight_ago), Float).label(
                "mood_prev"
            ),
            func.count().filter(card.c.day > adherence_from).label("cards_14d"),
        )
        .where(card.c.participant_id == pid, card.c.day > bindparam("window"))
        .lateral("recent")
    )

    def latest(kind: str):  # their newest check-up of this kind (the newest id on the same day)
        row = checkup.alias(f"of_{kind}")
        return (
            core_select(row.c.total, row.c.band)
            .where(row.c.participant_id == pid, row.c.kind == kind)
            .order_by(row.c.day.desc(), row.c.id.desc())
            .limit(1)
            .lateral(f"latest_{kind}")
        )

    phq, gad = latest("phq9"), latest("gad7")
    rank = case({s.value: s.rank for s in clinical.Severity}, value=alert.c.severity, else_=9)
    opened = (  # the most severe open alert, then the newest, with the counts of all their open ones
        core_select(
            alert.c.reasons,
            alert.c.day,
            alert.c.severity,
            func.count().over().label("open_alerts"),
            func.count().filter(alert.c.severity == clinical.Severity.URGENT.value).over().label("urgent"),
        )
        .where(alert.c.participant_id == pid, alert.c.resolved_at.is_(None))
        .order_by(rank, alert.c.opened_at.desc(), alert.c.id.desc())
        .limit(1)
        .lateral("opened")
    )
    return (
        core_select(
            *_person(),
            recent.c.mood_7d,
            recent.c.mood_prev,
            recent.c.cards_14d,
            phq.c.total.label("phq9"),
            phq.c.band.label("phq9_band"),
            core_select(checkup.c.total)
            .where(checkup.c.participant_id == pid, checkup.c.kind == "phq9", checkup.c.slot_key == INTAKE_SLOT)
            .scalar_subquery()
            .label("phq9_intake"),
            gad.c.total.label("gad7"),
            gad.c.band.label("gad7_band"),
            func.coalesce(opened.c.open_alerts, 0).label("open_alerts"),
            func.coalesce(opened.c.urgent, 0).label("urgent"),
            opened.c.reasons,
            opened.c.day,
            opened.c.severity,
        )
        .join(assignment, assignment.c.participant_id == pid)
        .join(recent, true())  # (an aggregate: one row for everyone, a count of 0 for no cards)
        .outerjoin(phq, true())
        .outerjoin(gad, true())
        .outerjoin(opened, true())
        .where(assignment.c.therapist_id == bindparam("therapist"), user.c.is_active.is_(True))
    )


@dataclass(frozen=True)
class Caseload:
    """A therapist's caseload: the participants in the program, needs first, and how many of
    theirs have been discharged (listed apart: core.enrolment.discharged_caseload)."""

    rows: list[Row]
    discharged: int
    today: date  # the therapist's own calendar day, which the rows were read for


def caseload_rows(session: Session, actor: Actor, today: date) -> list[Row]:
    """The participants in the program on this therapist's caseload, needs first."""
    return caseload(session, actor, today).rows


def caseload(session: Session, actor: Actor, today: date | None = None) -> Caseload:
    """The caseload screen's read: one statement whatever its size (plain rows: nothing here is an
    ORM object). Each participant listed is audited (their profile), and each one counted as
    discharged (their enrolment), as the list of the discharged is when it is read. Without `today`,
    the therapist's own day (their zone comes from the gate's read of them: no statement of its own)."""
    require_role(session, actor, Role.THERAPIST, what="caseload")
    if today is None:
        today = user_today(session, actor.id)
    week_ago, fortnight_ago = (today - timedelta(days=n * clinical.MOOD_WINDOW_DAYS) for n in (1, 2))
    adherence_from = today - timedelta(days=clinical.ADHERENCE_DAYS)
    dialect = session.get_bind().dialect.name
    found = session.connection().execute(
        _statement(dialect),
        {
            "therapist": actor.id,
            "week_ago": week_ago,
            "fortnight_ago": fortnight_ago,
            "adherence": adherence_from,
            **({"window": min(fortnight_ago, adherence_from)} if dialect == "postgresql" else {}),
        },
    )
    rows, gone = [], []
    # All rows at once (the driver converts them in one call), each unpacked in the statement's order
    # of columns: reading 18 columns by name from 240 rows was 1.2 ms of a rerun's CPU, unpacking them 0.02.
    for (
        pid,
        name,
        started_on,
        discharged,
        last_card,
        mood_7d,
        mood_prev,
        cards_14d,
        phq9,
        phq9_band,
        phq9_intake,
        gad7,
        gad7_band,
        open_alerts,
        urgent,
        reasons,
        alert_day,
        severity,
    ) in found.all():
        if discharged:
            gone.append(saved_id(pid))
            continue
        alerting = open_alerts > 0
        rows.append(
            Row(
                participant_id=saved_id(pid),
                name=name,
                started_on=started_on,  # (a date column: a date on both databases)
                last_card=_day(last_card),
                mood_7d=mood_7d,
                mood_prev_7d=mood_prev,
                cards_14d=cards_14d,
                phq9=phq9,
                phq9_band=phq9_band,
                phq9_change=phq9 - phq9_intake if phq9 is not None and phq9_intake is not None else None,
                gad7=gad7,
                gad7_band=gad7_band,
                open_alerts=open_alerts,
                urgent_alerts=urgent,
                top_alert=_top_reason(reasons) if alerting else "",
                top_alert_day=alert_day if alerting else None,
                top_alert_severity=(severity or "") if alerting else "",
            )
        )
    record_many(session, actor, [row.participant_id for row in rows], category=Category.PROFILE, action="read")
    record_many(session, actor, gone, category=Category.ENROLMENT, action="read")
    return Caseload(sorted(rows, key=needs_order(today)), len(gone), today)


def _day(value) -> date | None:
    """A date column's value (typed by the table, so a date on both databases; a string only from
    an aggregate SQLite cannot type, such as max(day))."""
    return date.fromisoformat(value) if isinstance(value, str) else value
