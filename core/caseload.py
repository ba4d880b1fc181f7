"""The therapist's caseload, ordered by what needs attention, in a fixed number of queries.

Each part of a row comes from one aggregate statement (people, cards, check-ups, alerts), so the
page costs the same whether a therapist has five participants or fifty.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, bindparam, case, func
from sqlalchemy import select as core_select  # (sqlmodel's select types four columns at most)
from sqlmodel import Session

from core import clinical
from core.access import Actor, Category, record_many, require_role
from core.checkups import INTAKE_SLOT
from core.enrolment import not_discharged
from core.models import Alert, AppUser, CaseloadAssignment, Checkup, DiaryCard, Role, saved_id, table_of


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
def _statements():
    """The caseload's four statements, built once per process with bound parameters (a therapist,
    their participants, the days the windows start): building SQLAlchemy expressions took a third
    of a caseload rerun's time, rebuilt on every rerun to the same shape."""
    user, card, checkup, alert = (table_of(m) for m in (AppUser, DiaryCard, Checkup, Alert))
    assignment = table_of(CaseloadAssignment)
    ids = bindparam("ids", expanding=True)
    week_ago, fortnight_ago, adherence_from = bindparam("week_ago"), bindparam("fortnight_ago"), bindparam("adherence")
    people = (
        core_select(user.c.id, user.c.name, user.c.started_on)
        .join(assignment, assignment.c.participant_id == user.c.id)
        .where(assignment.c.therapist_id == bindparam("therapist"), user.c.is_active.is_(True))
        .where(not_discharged(user.c.id))  # discharged: the "discharged" filter (core/enrolment.py)
    )
    cards = (
        core_select(
            card.c.participant_id,
            func.max(card.c.day),
            func.avg(case((card.c.day > week_ago, card.c.mood))),
            func.avg(case((and_(card.c.day <= week_ago, card.c.day > fortnight_ago), card.c.mood))),
            func.count(case((card.c.day > adherence_from, 1))),
        )
        .where(card.c.participant_id.in_(ids))
        .group_by(card.c.participant_id)
    )
    ranked = (
        core_select(
            checkup.c.participant_id,
            checkup.c.kind,
            checkup.c.total,
            checkup.c.band,
            func.row_number()
            .over(
                partition_by=(checkup.c.participant_id, checkup.c.kind),
                order_by=(checkup.c.day.desc(), checkup.c.id.desc()),
            )
            .label("rn"),
            func.max(case((checkup.c.slot_key == INTAKE_SLOT, checkup.c.total)))
            .over(partition_by=(checkup.c.participant_id, checkup.c.kind))
            .label("intake"),
        )
        .where(checkup.c.participant_id.in_(ids), checkup.c.kind.in_(("phq9", "gad7")))
        .subquery()
    )
    latest = core_select(ranked).where(ranked.c.rn == 1)
    # Per participant, the open alerts counted and the most severe (then newest) one.
    rank = case({s.value: s.rank for s in clinical.Severity}, value=alert.c.severity, else_=9)
    open_alerts = (
        core_select(
            alert.c.participant_id,
            alert.c.day,
            alert.c.reasons,
            alert.c.severity,
            func.count().over(partition_by=alert.c.participant_id).label("n"),
            func.count(case((alert.c.severity == clinical.Severity.URGENT.value, 1)))
            .over(partition_by=alert.c.participant_id)
            .label("urgent"),
            func.row_number()
            .over(partition_by=alert.c.participant_id, order_by=(rank, alert.c.opened_at.desc(), alert.c.id.desc()))
            .label("rn"),
        )
        .where(alert.c.participant_id.in_(ids), alert.c.resolved_at.is_(None))
        .subquery()
    )
    return people, cards, latest, core_select(open_alerts).where(open_alerts.c.rn == 1)


def caseload_rows(session: Session, actor: Actor, today: date) -> list[Row]:
    require_role(session, actor, Role.THERAPIST, what="caseload")
    people_of, cards_of, latest_of, alerts_of = _statements()
    run = session.connection().execute  # plain rows: nothing here is an ORM object
    people = run(people_of, {"therapist": actor.id}).all()
    ids = [saved_id(pid) for pid, _, _ in people]
    if not ids:
        return []
    week_ago, fortnight_ago = (today - timedelta(days=n * clinical.MOOD_WINDOW_DAYS) for n in (1, 2))
    windows = {
        "ids": ids,
        "week_ago": week_ago,
        "fortnight_ago": fortnight_ago,
        "adherence": today - timedelta(days=clinical.ADHERENCE_DAYS),
    }
    cards = {r[0]: r for r in run(cards_of, windows)}
    latest = {(r.participant_id, r.kind): r for r in run(latest_of, {"ids": ids})}
    alerts = {r.participant_id: r for r in run(alerts_of, {"ids": ids})}
    record_many(session, actor, ids, category=Category.PROFILE, action="read")

    rows = []
    for pid, name, started_on in people:
        c, a = cards.get(pid), alerts.get(pid)
        phq, gad = latest.get((pid, "phq9")), latest.get((pid, "gad7"))
        rows.append(
            Row(
                participant_id=saved_id(pid),
                name=name,
                started_on=_day(started_on),
                last_card=_day(c[1]) if c else None,
                mood_7d=float(c[2]) if c and c[2] is not None else None,
                mood_prev_7d=float(c[3]) if c and c[3] is not None else None,
                cards_14d=c[4] if c else 0,
                phq9=phq.total if phq else None,
                phq9_band=phq.band if phq else None,
                phq9_change=phq.total - phq.intake if phq and phq.intake is not None else None,
                gad7=gad.total if gad else None,
                gad7_band=gad.band if gad else None,
                open_alerts=a.n if a else 0,
                urgent_alerts=a.urgent if a else 0,
                top_alert=_top_reason(a.reasons) if a else "",
                top_alert_day=_day(a.day) if a else None,
                top_alert_severity=a.severity if a else "",
            )
        )
    return sorted(rows, key=needs_order(today))


def _day(value) -> date | None:
    """A date column's value (typed by the table, so a date on both databases; a string only from
    an aggregate SQLite cannot type, such as max(day))."""
    return date.fromisoformat(value) if isinstance(value, str) else value
