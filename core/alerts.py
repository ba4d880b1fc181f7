"""Risk alerts: opened by what a participant enters (or by missed check-ins), closed by their
therapist with a note.

The loop, in one place (`route`): one save opens at most one alert, listing every reason it
fired. While that alert is open and unacknowledged, later saves of the same thing update it (its
reasons keep their strongest rating, `latest` always shows the current answers). Once a therapist
has acknowledged or resolved it, any rise (a higher rating, a new "acted", a new reason) opens the
next alert for the same source; the same or lower answers do not. A check-up's worsening has one
source per measure, so it is updated week to week instead of piling up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Annotated

from sqlalchemy import bindparam, case, func, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from core import clinical, inputs, notify
from core.access import Action, Actor, Category, authorize, record, record_many, require_role
from core.clinical import Reason, RiskLevel, Severity
from core.db import hold_rows, insert_if_absent, insert_statement, rows_changed, unit_of, upsert
from core.enrolment import not_discharged
from core.errors import AccessDenied, ValidationError
from core.models import (
    Alert,
    AppUser,
    CaseloadAssignment,
    DiaryCard,
    Program,
    RiskFollowup,
    Role,
    id_of,
    table_of,
    utcnow,
)
from core.program import program_today

OPENED, UPDATED, ESCALATED, SEEN, NONE = "opened", "updated", "escalated", "seen", "none"
ROUTE_ATTEMPTS = 3
DETAIL_MAX, LATEST_MAX = 500, 300


@dataclass(frozen=True)
class RiskOutcome:
    """What routing a participant's answers did; the screen tells them exactly this."""

    reasons: list[str]  # what the answers fired now, in plain words (empty: no risk)
    alert_id: int | None = None  # the alert those answers belong to
    state: str = NONE  # opened | updated | escalated | seen (already followed up) | none
    followup: bool = False  # offer the optional structured follow-up questions

    @property
    def risky(self) -> bool:
        return bool(self.reasons)

    def __or__(self, other: RiskOutcome) -> RiskOutcome:
        """Two routings from one save (say, a PHQ-9's item 9 and its worsening): the risk one wins."""
        first, second = (self, other) if self.risky or not other.risky else (other, self)
        return RiskOutcome(
            first.reasons + [r for r in second.reasons if r not in first.reasons],
            first.alert_id or second.alert_id,
            first.state if first.risky else second.state,
            first.followup or second.followup,
        )


NO_RISK = RiskOutcome([])


class IncompleteWithRisk(ValidationError):
    """A form that can't be saved yet whose risk answers were routed all the same (`risk`)."""

    def __init__(self, fields: dict[str, str], risk: RiskOutcome):
        super().__init__(fields)
        self.risk = risk


def risk_of(exc: BaseException) -> RiskOutcome:
    """The routing that happened before a save was refused (none for an ordinary refusal)."""
    return getattr(exc, "risk", NO_RISK)


def _reasons(alert: Alert) -> list[Reason]:
    return [Reason.of(r) for r in alert.reasons or []]


def _describe(reasons: list[Reason]) -> dict:
    ordered = sorted(reasons, key=lambda r: r.severity.rank)
    return {
        "severity": ordered[0].severity.value,
        "trigger": ordered[0].key[:60],
        "detail": "; ".join(r.text for r in ordered)[:DETAIL_MAX],
        "reasons": [r.as_dict() for r in reasons],
    }


def route(
    session: Session,
    actor: Actor | None,
    *,
    participant_id: int,
    source_key: str,
    day: date | None,
    reasons: list[Reason],
    latest: str = "",
    now: datetime | None = None,
) -> RiskOutcome:
    """Open, update or escalate the alert for `source_key` from what just fired (see the module
    docstring). The caller has already authorized the write. Safe when two saves race: the alert
    sequence is unique, so the loser re-reads and updates the winner's alert."""
    if not reasons and not latest:
        return NO_RISK  # nothing fired and nothing to show on an open alert: no query at all
    now, source_key = now or utcnow(), source_key[:60]
    for _ in range(ROUTE_ATTEMPTS):
        outcome = _route_once(session, actor, participant_id, source_key, day, reasons, latest[:LATEST_MAX], now)
        if outcome is not None:
            return outcome
    raise RuntimeError(f"alert for {source_key} kept colliding with concurrent saves")


@lru_cache(maxsize=1)
def _alerts_of_source():
    """`_route_once`'s read of a source's alerts, newest first, built once (every save of a card reads it;
    the participant and the source are its parameters)."""
    return (
        select(Alert)
        .where(Alert.participant_id == bindparam("participant_id"), Alert.source_key == bindparam("source_key"))
        .order_by(col(Alert.seq).desc())
    )


@lru_cache(maxsize=1)
def _update_if_unacknowledged():
    return update(Alert).where(
        col(Alert.id) == bindparam("alert_id"),
        col(Alert.acknowledged_at).is_(None),
        col(Alert.resolved_at).is_(None),
    )


def _route_once(
    session: Session,
    actor: Actor | None,
    participant_id: int,
    source_key: str,
    day: date | None,
    reasons: list[Reason],
    latest: str,
    now: datetime,
) -> RiskOutcome | None:
    rows = session.exec(_alerts_of_source(), params={"participant_id": participant_id, "source_key": source_key}).all()
    open_rows = [a for a in rows if a.resolved_at is None]
    if latest:
        for alert in open_rows:  # an open alert always shows the current answers
            if alert.latest != latest:
                alert.latest, alert.updated_at = latest, now
                session.add(alert)
    if not reasons:
        session.flush()
        return NO_RISK
    texts, followup = [r.text for r in reasons], any(r.followup for r in reasons)
    active = next((a for a in open_rows if a.acknowledged_at is None), None)
    if active is not None:
        before = _reasons(active)
        values = {**_describe(clinical.merge(before, reasons)), "updated_at": now}
        session.flush()  # (the latest answers, above)
        # Only while it is still unacknowledged: a therapist who acknowledged it since it was read
        # closed the loop on what they saw; the rise then opens the next alert (the retry, below).
        if not rows_changed(session.execute(_update_if_unacknowledged().values(**values), {"alert_id": active.id})):
            session.expire_all()
            return None
        for name, value in values.items():
            set_committed_value(active, name, value)
        notify.alert_raised(session, active.id, now=now)  # now urgent: its email, in this transaction
        if actor is not None and clinical.rises(before, reasons):
            record(
                session,
                actor,
                category=Category.ALERTS,
                action="update",
                participant_id=participant_id,
                ref=f"alert:{active.id}",
            )
        return RiskOutcome(texts, active.id, UPDATED, followup)
    previous = rows[0] if rows else None
    if previous is not None and not clinical.rises(_reasons(previous), reasons):
        session.flush()
        return RiskOutcome(texts, previous.id, SEEN, followup)
    values = {
        "participant_id": participant_id,
        "source_key": source_key,
        "seq": previous.seq + 1 if previous else 0,
        "day": day,
        "latest": latest,
        "opened_at": now,
        "escalated_from_id": previous.id if previous else None,
        **_describe(reasons),
    }
    if previous is not None:
        values["detail"] = (
            "Rose after the earlier alert was "
            f"{'resolved' if previous.resolved_at else 'acknowledged'}: " + values["detail"]
        )[:DETAIL_MAX]
    alert_id = insert_if_absent(session, Alert, values, conflict=["participant_id", "source_key", "seq"])
    if alert_id is None:  # a save at the same moment opened it: read it again and update that one
        session.expire_all()
        return None
    notify.alert_raised(session, alert_id, now=now)  # urgent: its email, in this transaction
    if actor is not None:
        record(
            session,
            actor,
            category=Category.ALERTS,
            action="open",
            participant_id=participant_id,
            ref=f"alert:{alert_id}",
        )
    return RiskOutcome(texts, alert_id, ESCALATED if previous else OPENED, followup)


def screen_free_text(
    session: Session,
    actor: Actor,
    *,
    participant_id: int,
    source_key: str,
    day: date | None,
    where: str,
    texts: list[str],
) -> RiskOutcome:
    """Crisis words in something a participant wrote: a review alert that says only that a note
    matched, never what it said. The caller has already authorized the write."""
    from core.screening import suggests_crisis

    if not any(suggests_crisis(t) for t in texts if isinstance(t, str)):
        return NO_RISK
    return route(
        session,
        actor,
        participant_id=participant_id,
        source_key=source_key,
        day=day,
        reasons=[clinical.crisis_words_reason(where)],
    )


SEARCH_MAX = 1000  # characters of a skills search that are screened (a search is a few words)


def _search_query(value) -> str:
    if not isinstance(value, str) or len(value) > SEARCH_MAX:
        raise inputs.Problem("Search with a few words.")
    return value


class SearchForm(inputs.Form):
    """A skills search: only screened for crisis words, never stored."""

    query: Annotated[str, inputs.Custom(_search_query, inputs.Limit(max_chars=SEARCH_MAX))]
    day: Annotated[date, inputs.Day("Reload the page to search again.")]


def screen_search(session: Session, actor: Actor, *, query: str, day: date) -> bool:
    """The skills search, screened like every free text a participant types: on a match, one
    review alert for the day (updated, not repeated, by later searches). True on a match."""
    from core.screening import suggests_crisis

    SearchForm.check(query=query, day=day)
    if not suggests_crisis(query):
        return False
    authorize(session, actor, actor.id, Category.ALERTS, Action.WRITE, ref=str(day))
    route(
        session,
        actor,
        participant_id=actor.id,
        source_key=f"search:{day}",
        day=day,
        reasons=[clinical.crisis_words_reason("skills search")],
    )
    session.commit()
    return True


# --- the participant's structured follow-up --------------------------------------------------


@dataclass(frozen=True)
class FollowupSaved:
    level: RiskLevel
    outcome: RiskOutcome


def _followup_answers(value) -> dict:
    problems = clinical.check_followup(value)
    if problems:
        raise inputs.Problem(problems)
    return value


class FollowupForm(inputs.Form):
    """Yes or no to each follow-up question asked (core.clinical.FOLLOWUP_QUESTIONS)."""

    answers: Annotated[dict, inputs.Custom(_followup_answers)]


def save_followup(
    session: Session, actor: Actor, *, participant_id: int, alert_id: int, answers: dict, now: datetime | None = None
) -> FollowupSaved:
    """Store the follow-up answers for the alert the participant was shown; when they warrant it,
    raise the alert's severity (or, if the therapist already closed it, open the next one)."""
    authorize(session, actor, participant_id, Category.ALERTS, Action.WRITE)
    if actor.role is not Role.PARTICIPANT:
        raise AccessDenied("These questions are answered by the participant themselves.")
    alert = session.get(Alert, alert_id) if inputs.is_id(alert_id) else None
    if alert is None or alert.participant_id != participant_id:
        raise ValidationError.one("alert", "These questions belong to an earlier check-in; they were not saved.")
    FollowupForm.check(answers=answers)
    now = now or utcnow()
    clean = {k: answers.get(k) for k, _ in clinical.FOLLOWUP_QUESTIONS}
    if not clean["thoughts"]:
        clean.update(dict.fromkeys(clinical.FOLLOWUP_AFTER_THOUGHTS))
    level = clinical.followup_level(clean)

    upsert(
        session,
        RiskFollowup,
        {
            "participant_id": participant_id,
            "alert_id": alert.id,
            "answers": clean,
            "level": level.value,
            "taken_at": now,
        },
        conflict=["alert_id"],
        update=["answers", "level", "taken_at"],
    )
    outcome = NO_RISK
    severity = clinical.FOLLOWUP_SEVERITY.get(level)
    if severity is not None:
        said = ", ".join(clinical.FOLLOWUP_SHORT[k] for k, v in clean.items() if v).lower()
        reason = Reason(
            "followup", severity, f"Follow-up questions: {level.value} risk ({said})", list(RiskLevel).index(level)
        )
        outcome = route(
            session,
            actor,
            participant_id=participant_id,
            source_key=alert.source_key,
            day=alert.day,
            reasons=[reason],
            now=now,
        )
    session.commit()
    return FollowupSaved(level, outcome)


# --- the therapist's side: missed check-ins, the inbox, acknowledging and resolving ----------

ACK_NOTE_MAX = 1000
MISSED_CHECKIN = "missed_checkin"
MISSED_BATCH = 1000


def raise_missed_checkins(
    session: Session, actor: Actor | None, today: date, therapist_id: int | None = None, program_id: int | None = None
) -> int:
    """Open a 'no card for MISSED_CARD_DAYS days' alert for each active participant whose last card (or start)
    is that old; one alert per gap, however often it runs. Returns how many it opened.

    Written by the scheduled job (`python -m core.alerts`, daily; `make run` runs it once at
    start) and never by a screen: viewing the caseload or the inbox only reads. One SELECT, and
    one INSERT per thousand late participants: the last card of each participant in scope comes
    from the (participant, day) unique index, not from an aggregate of every card in the clinic.
    """
    last = (
        select(func.max(DiaryCard.day))
        .where(DiaryCard.participant_id == AppUser.id)
        .correlate(AppUser)
        .scalar_subquery()
    )
    query = select(col(AppUser.id), col(AppUser.started_on), last.label("last")).where(
        col(AppUser.is_active).is_(True),
        AppUser.role == Role.PARTICIPANT.value,
        not_discharged(AppUser.id),  # no missed-check-in alerts after discharge
    )
    if therapist_id is not None:
        query = query.join(CaseloadAssignment, col(CaseloadAssignment.participant_id) == AppUser.id).where(
            CaseloadAssignment.therapist_id == therapist_id
        )
    if program_id is not None:
        query = query.where(AppUser.program_id == program_id)
    cutoff = today - timedelta(days=clinical.MISSED_CARD_DAYS)
    query = query.where(func.coalesce(last, AppUser.started_on) <= cutoff)
    rows, now = [], utcnow()
    for participant_id, started_on, last_day in session.exec(query):
        since = last_day or started_on
        if since is None:  # (the query's coalesce leaves out anyone with neither)
            continue
        text = (
            f"No diary card since {since:%b} {since.day}"
            if last_day
            else f"No diary card yet (started {since:%b} {since.day})"
        )
        rows.append(
            {
                "participant_id": participant_id,
                "trigger": MISSED_CHECKIN,
                "seq": 0,
                "day": since,
                "severity": Severity.REVIEW.value,
                "source_key": f"missed:{since}",
                "detail": text,
                "reasons": [Reason(MISSED_CHECKIN, Severity.REVIEW, text, 1).as_dict()],
                "latest": "",
                "opened_at": now,
            }
        )
    opened = 0
    for start in range(0, len(rows), MISSED_BATCH):  # (SQLite caps the values in one statement)
        opened += len(
            session.execute(
                insert_statement(session)(Alert)
                .values(rows[start : start + MISSED_BATCH])
                .on_conflict_do_nothing(index_elements=["participant_id", "source_key", "seq"])
                .returning(Alert.id)
            )
            .scalars()
            .all()
        )
    session.commit()
    return opened


@dataclass(frozen=True)
class Followup:
    level: str
    answers: list[tuple[str, bool | None]]  # (short question, answer) in the order asked
    taken_at: datetime


@dataclass(frozen=True)
class InboxItem:
    id: int
    participant_id: int
    participant: str
    trigger: str
    severity: Severity
    detail: str
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledgement: str
    day: date | None = None
    reasons: list[Reason] = field(default_factory=list)
    latest: str = ""
    updated_at: datetime | None = None
    escalated: bool = False
    note: str = ""  # the diary card's note, when the alert is about a card
    followup: Followup | None = None


def _followups(session: Session, participant_ids: list[int]) -> dict[tuple[int, str], Followup]:
    """The latest follow-up per (participant, alert source), in one query."""
    found: dict[tuple[int, str], Followup] = {}
    if not participant_ids:
        return found
    rows = session.exec(
        select(RiskFollowup, Alert.source_key)
        .join(Alert, col(Alert.id) == RiskFollowup.alert_id)
        .where(col(RiskFollowup.participant_id).in_(participant_ids))
        .order_by(col(RiskFollowup.taken_at), col(RiskFollowup.id))
    ).all()
    for f, source in rows:
        found[(f.participant_id, source)] = Followup(
            f.level,
            [(clinical.FOLLOWUP_SHORT[k], f.answers.get(k)) for k, _ in clinical.FOLLOWUP_QUESTIONS],
            f.taken_at,
        )
    return found


def inbox(session: Session, actor: Actor, *, today: date) -> list[InboxItem]:
    """Open alerts across the therapist's caseload: most urgent first, then newest. With each,
    what triggered it, the card's note (read through the diary category, audited) and any
    follow-up answers. Four queries whatever the caseload."""
    require_role(session, actor, Role.THERAPIST, what="alerts")
    who, acker = table_of(AppUser).alias("who"), table_of(AppUser).alias("acker")
    rank = case({s.value: s.rank for s in Severity}, value=Alert.severity, else_=9)
    rows = session.exec(
        select(Alert, who.c.name, acker.c.name, DiaryCard.note)
        .join(who, who.c.id == Alert.participant_id)
        .join(CaseloadAssignment, col(CaseloadAssignment.participant_id) == Alert.participant_id)
        .join(acker, acker.c.id == Alert.acknowledged_by_id, isouter=True)
        .join(
            DiaryCard,
            (col(DiaryCard.participant_id) == Alert.participant_id)
            & (col(DiaryCard.day) == Alert.day)
            & col(Alert.source_key).startswith("diary:"),
            isouter=True,
        )
        .where(CaseloadAssignment.therapist_id == actor.id, col(Alert.resolved_at).is_(None))
        .order_by(rank, col(Alert.opened_at).desc(), col(Alert.id).desc())
    ).all()
    participants = sorted({a.participant_id for a, *_ in rows})
    record_many(session, actor, participants, category=Category.ALERTS, action="read")
    with_notes = sorted({a.participant_id for a, _, _, note in rows if note})
    record_many(session, actor, with_notes, category=Category.DIARY, action="read")
    followups = _followups(session, participants)
    return [
        InboxItem(
            id_of(a),
            a.participant_id,
            name,
            a.trigger,
            Severity(a.severity),
            a.detail,
            a.opened_at,
            a.acknowledged_at,
            acked_by,
            a.acknowledgement,
            a.day,
            _reasons(a),
            a.latest,
            a.updated_at,
            a.escalated_from_id is not None,
            note or "",
            followups.get((a.participant_id, a.source_key)),
        )
        for a, name, acked_by, note in rows
    ]


def _alert_for_write(session: Session, actor: Actor, alert_id: int, what: str) -> Alert:
    alert = session.get(Alert, alert_id) if inputs.is_id(alert_id) else None
    if alert is None:
        raise ValidationError.one("alert", "That alert no longer exists.")
    authorize(session, actor, alert.participant_id, Category.ALERTS, Action.WRITE, ref=f"alert:{alert_id}")
    if actor.role is not Role.THERAPIST:
        raise AccessDenied("Only the participant's therapist closes the loop on an alert.")
    return alert


ACK_MANY_MAX = 200  # alerts acknowledged with one note (one person's related alerts)


def _alert_ids(value) -> list[int]:
    if not isinstance(value, (list, tuple)) or not value:
        raise inputs.Problem({"alerts": "Choose at least one alert to acknowledge."})
    if len(value) > ACK_MANY_MAX or not all(inputs.is_id(i) for i in value):
        raise inputs.Problem({"alert": "That alert no longer exists."})
    return list(dict.fromkeys(value))


class AcknowledgeForm(inputs.Form):
    """A therapist's note on what was done, for one alert or several."""

    note: Annotated[
        str,
        inputs.FreeText(
            ACK_NOTE_MAX,
            "The note",
            too_long=f"Keep the note under {ACK_NOTE_MAX} characters.",
            required="Write what you did or plan to do — it goes in the record.",
        ),
    ]
    alert_ids: Annotated[list[int], inputs.Custom(_alert_ids)]


CHANGED_SINCE_READ = (
    "This alert changed after you opened the page (new answers came in): read it again, then acknowledge."
)


def _seen(value, ids: list[int]) -> dict[int, datetime | None] | None:
    """`seen`: each alert's `updated_at` as the screen showed it (None: never updated), or None (no check)."""
    if value is None:
        return None
    if not isinstance(value, dict) or any(
        i not in value or not (value[i] is None or isinstance(value[i], datetime)) for i in ids
    ):
        raise ValidationError.one("alert", "This page is out of date; open it again.")
    return value


def acknowledge_many(
    session: Session,
    actor: Actor,
    *,
    alert_ids: list[int],
    note: str,
    seen: dict[int, datetime | None] | None = None,
) -> int:
    """Acknowledge related alerts with one note: each alert records it (and each is audited).
    Alerts already acknowledged keep their first note. Returns how many were acknowledged.

    `seen` is what the screen showed of each alert (its `updated_at`): an alert that rose after the
    therapist read it is not acknowledged unseen (its urgent email and escalation would be dropped);
    none of them is, and the therapist is told to read it again. The alerts are held while they are
    checked, so a save raising one at the same moment, or a second tab acknowledging it, waits or
    finds it acknowledged (core.alerts.route then opens the next alert)."""
    form = AcknowledgeForm.check(note=note, alert_ids=alert_ids)
    note, ids = form.note, form.alert_ids
    shown = _seen(seen, ids)
    now, count = utcnow(), 0
    for alert_id in ids:
        _alert_for_write(session, actor, alert_id, "acknowledge")
    hold_rows(session, Alert, col(Alert.id).in_(ids))
    current = session.exec(select(Alert).where(col(Alert.id).in_(ids)).execution_options(populate_existing=True)).all()
    waiting = [a for a in current if a.acknowledged_at is None and a.resolved_at is None]
    if shown is not None and any(a.updated_at != shown[id_of(a)] for a in waiting):
        if unit_of(session) is None:
            session.rollback()  # (lets go of the held rows; in a rerun's unit of work, what it did stands)
        raise ValidationError.one("alert", CHANGED_SINCE_READ)
    for alert in waiting:
        alert.acknowledged_at, alert.acknowledged_by_id, alert.acknowledgement = now, actor.id, note
        session.add(alert)
        count += 1
    session.commit()
    return count


def acknowledge(session: Session, actor: Actor, *, alert_id: int, note: str) -> None:
    """Say what was done (called them, safety plan reviewed...). A note is required."""
    acknowledge_many(session, actor, alert_ids=[alert_id], note=note)


def resolve(session: Session, actor: Actor, *, alert_id: int) -> None:
    """Close an acknowledged alert; it leaves the inbox but stays in the participant's history."""
    alert = _alert_for_write(session, actor, alert_id, "resolve")
    if alert.acknowledged_at is None:
        raise ValidationError.one("note", "Acknowledge the alert with a note before resolving it.")
    alert.resolved_at = utcnow()
    session.add(alert)
    session.commit()


def main() -> int:
    """The scheduled job: raise missed-check-in alerts for every program, each on its own calendar
    day. Run it daily (cron, a systemd timer, Kubernetes CronJob: `python -m core.alerts`)."""
    from core.db import session_scope

    count = 0
    with session_scope() as session:
        for program in session.exec(select(Program)).all():
            count += raise_missed_checkins(session, None, program_today(program), program_id=program.id)
    print(f"{count} new missed-check-in alert(s) (no diary card for {clinical.MISSED_CARD_DAYS}+ days).")
    return 0


@dataclass(frozen=True)
class PastAlert:
    opened_at: datetime
    severity: str
    detail: str
    acknowledgement: str
    acknowledged_by: str | None
    resolved_at: datetime | None
    id: int | None = None
    day: date | None = None
    reasons: list[Reason] = field(default_factory=list)
    latest: str = ""
    acknowledged_at: datetime | None = None


def history(session: Session, actor: Actor, participant_id: int) -> list[PastAlert]:
    """Every alert for one participant, newest first (open and resolved)."""
    authorize(session, actor, participant_id, Category.ALERTS, Action.READ)
    acker = table_of(AppUser).alias("acker")
    rows = session.exec(
        select(Alert, acker.c.name)
        .join(acker, acker.c.id == Alert.acknowledged_by_id, isouter=True)
        .where(Alert.participant_id == participant_id)
        .order_by(col(Alert.opened_at).desc(), col(Alert.id).desc())
    ).all()
    return [past_alert(a, by) for a, by in rows]


def past_alert(a: Alert, acknowledged_by: str | None) -> PastAlert:
    """One row of `history` (core.review reads the alerts with their notices in one statement)."""
    return PastAlert(
        a.opened_at,
        a.severity,
        a.detail,
        a.acknowledgement,
        acknowledged_by,
        a.resolved_at,
        a.id,
        a.day,
        _reasons(a),
        a.latest,
        a.acknowledged_at,
    )


if __name__ == "__main__":
    raise SystemExit(main())
