"""The therapist's caseload, ordered by what needs attention, in a fixed number of queries.

Each part of a row comes from one aggregate statement (people, cards, check-ups, alerts), so the
page costs the same whether a therapist has five participants or fifty.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam, case, exists, func
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
            severity = (
                clinical.Severity(self.top_alert_severity).label
                if self.top_alert_severity in set(clinical.Severity)
                else "Alert"
            )
            return f"{severity}: {what}{when}{more}"
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


def _top_reason(reasons) -> str:
    found = [r for r in (reasons or []) if isinstance(r, dict)]
    if not found:
        return ""
    ranks = {s.value: s.rank for s in clinical.Severity}
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


@functools.cache
def _statement():
    """The caseload in one statement, built once per process with bound parameters (a therapist, the
    days the windows start): each person's row with what the screen shows of them, each part a
    correlated subquery that searches an index for that person alone (their last card, the cards of
    the last two weeks, their latest PHQ-9 and GAD-7 and the PHQ-9 intake, their open alerts and the
    most severe of them). It was four statements whose aggregates read every card and every check-up
    of the caseload (about 40 check-ups and 80 cards a person after 12 weeks, each row fetched) to
    keep a handful: on the clinic of 2,000, 3-5 ms of a rerun went to the check-ups' window alone.
    One statement is also one round trip instead of four (about 1.3 ms each on PostgreSQL)."""
    user, card, checkup, alert = (table_of(m) for m in (AppUser, DiaryCard, Checkup, Alert))
    assignment, discharge = table_of(CaseloadAssignment), table_of(Discharge)
    week_ago, fortnight_ago, adherence_from = bindparam("week_ago"), bindparam("fortnight_ago"), bindparam("adherence")
    pid = user.c.id
    cards = card.c.participant_id == pid

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
            pid,
            user.c.name,
            user.c.started_on,
            # The discharged leave the list and are counted for the "Discharged (n)" list, which reads
            # their names and dates only when opened (core.enrolment.discharged_caseload).
            exists().where(discharge.c.participant_id == pid).label("discharged"),
            value(func.max(card.c.day), cards).label("last_card"),
            value(func.avg(card.c.mood), cards, card.c.day > week_ago).label("mood_7d"),
            value(func.avg(card.c.mood), cards, card.c.day <= week_ago, card.c.day > fortnight_ago).label("mood_prev"),
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
    found = session.connection().execute(
        _statement(),
        {
            "therapist": actor.id,
            "week_ago": week_ago,
            "fortnight_ago": fortnight_ago,
            "adherence": today - timedelta(days=clinical.ADHERENCE_DAYS),
        },
    )
    rows, gone = [], []
    for r in found:
        if r.discharged:
            gone.append(saved_id(r.id))
            continue
        rows.append(
            Row(
                participant_id=saved_id(r.id),
                name=r.name,
                started_on=_day(r.started_on),
                last_card=_day(r.last_card),
                mood_7d=float(r.mood_7d) if r.mood_7d is not None else None,
                mood_prev_7d=float(r.mood_prev) if r.mood_prev is not None else None,
                cards_14d=r.cards_14d,
                phq9=r.phq9,
                phq9_band=r.phq9_band,
                phq9_change=r.phq9 - r.phq9_intake if r.phq9 is not None and r.phq9_intake is not None else None,
                gad7=r.gad7,
                gad7_band=r.gad7_band,
                open_alerts=r.open_alerts,
                urgent_alerts=r.urgent,
                top_alert=_top_reason(r.reasons) if r.open_alerts else "",
                top_alert_day=_day(r.day) if r.open_alerts else None,
                top_alert_severity=(r.severity or "") if r.open_alerts else "",
            )
        )
    record_many(session, actor, [row.participant_id for row in rows], category=Category.PROFILE, action="read")
    record_many(session, actor, gone, category=Category.ENROLMENT, action="read")
    return Caseload(sorted(rows, key=needs_order(today)), len(gone), today)


def _day(value) -> date | None:
    """A date column's value (typed by the table, so a date on both databases; a string only from
    an aggregate SQLite cannot type, such as max(day))."""
    return date.fromisoformat(value) if isinstance(value, str) else value
