"""The therapist's Review of one participant: everything the screen shows, read in one call.

A screen that needs many reads gets one function that returns them all (the full-stack FastAPI
template's "one session per request"): `review_of` reads the week's cards, the last REVIEW_WEEKS
of cards, check-ups (with the intake they are measured from), attendance, practice and thought
records, homework, family sharing and alerts, each through the gate (one access decision and one
audit event per category), and pages/review.py only lays them out. The cost is a fixed number of
statements reading a bounded number of rows, whatever the length of the participant's history
(what grows with it, every alert and goal rating and the days-in-recovery counters, is counted in
the README's Performance section).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_
from sqlalchemy import select as core_select  # (sqlmodel's select types four columns at most)
from sqlmodel import Session, col, select

from core import (
    alerts,
    attendance,
    checkups,
    clinical,
    db,
    diary,
    goals,
    notify,
    practice,
    recovery,
    screeners,
    sharing,
)
from core.access import Action, Actor, Category, authorize, require_role
from core.accounts import PersonRef, caseload_for
from core.checkups import Past  # (the Review has a field named checkups)
from core.enrolment import Standing, standing
from core.goals import GoalView, RatingView  # (the Review has a field named goals)
from core.models import (
    AftercarePlanVersion,
    Alert,
    AppUser,
    Attendance,
    CaseloadAssignment,
    Checkup,
    GoalRating,
    OutboxMessage,
    Role,
    TreatmentGoal,
    id_of,
    table_of,
)
from core.practice import HomeworkView, PracticeView, ThoughtView  # (the Review has a field named practice)
from core.program import ProgramSettings, program_of, user_today, user_zone
from core.safety import Plan  # (the aftercare plan has the safety plan's shape)

REVIEW_WEEKS = clinical.HISTORY_WEEKS  # how far back the charts, attendance, practice and thought records go
WEEK_DAYS = 7


@dataclass(frozen=True)
class Desk:
    """What the therapist chooses from before a participant is open: their caseload and calendar."""

    caseload: list[PersonRef]
    today: date  # the therapist's own day
    zone: ZoneInfo  # the therapist's zone, for the times shown
    program: ProgramSettings | None

    def week_start(self, around: date | None) -> date:
        """The week shown first: the seven days around an alert's day, or the last seven days."""
        return around - timedelta(days=3) if around else self.today - timedelta(days=WEEK_DAYS - 1)


@dataclass(frozen=True)
class Review:
    participant_id: int
    today: date  # the therapist's day
    since: date  # the first day of the REVIEW_WEEKS span
    week_start: date
    week_end: date
    week: list[diary.CardView]  # the chosen week's cards, oldest first
    cards: list[diary.CardView]  # since .. today, for the charts
    targets: list[diary.Target]  # the program's urge targets, retired ones too
    craving_on: bool
    checkups: dict[str, list[checkups.Past]]  # each kind's intake and its check-ups since `since`, oldest first
    screeners: dict[str, list[Past]]  # AUDIT-C and DAST-10, oldest first ({} outside substance-use programs)
    attendance: list[attendance.SessionRecord]
    homework: list[HomeworkView]
    participant_today: date  # their own day: homework due dates count from it
    practice: list[PracticeView]  # since .. today, newest first
    thought_records: list[ThoughtView]
    family: list[sharing.FamilyMember]
    alerts: list[alerts.PastAlert]  # every alert, newest first
    notices: dict[int, list[notify.Notice]]  # per alert: the emails and escalations sent (or tried)
    goals: list[GoalView] = field(default_factory=list)  # the treatment plan's goals, in order
    goal_ratings: list[RatingView] = field(default_factory=list)  # every weekly rating of them
    aftercare: Plan | None = None  # the relapse-prevention and aftercare plan's newest version
    recovery: recovery.Panel | None = None  # substance-use programs: counters, use, MAT, triggers (#20)
    standing: Standing | None = None  # where they are in the program: discharged means closed for additions

    @property
    def closed(self) -> bool:
        """Discharged: the record is read (and its alerts closed) but nothing is added to it."""
        return self.standing is not None and self.standing.state == "discharged"

    @property
    def target_labels(self) -> dict[str, str]:
        return {t.key: t.label for t in self.targets}

    def in_week(self, day: date) -> bool:
        return self.week_start <= day <= self.week_end

    @property
    def practice_this_week(self) -> list[PracticeView]:
        return [e for e in self.practice if self.in_week(e.day)]

    @property
    def practice_other_weeks(self) -> list[PracticeView]:
        return [e for e in self.practice if not self.in_week(e.day)]


def desk(session: Session, actor: Actor) -> Desk:
    """The therapist's caseload (for the picker), day, zone and program."""
    return Desk(
        caseload_for(session, actor),
        user_today(session, actor.id),
        user_zone(session, actor.id),
        program_of(session, actor),
    )


def review_of(
    session: Session, actor: Actor, *, participant_id: int, week_start: date, today: date | None = None
) -> Review:
    """Everything the Review screen shows about one participant. Refused (AccessDenied, audited)
    before anything is read when the participant is not on the therapist's caseload."""
    today = today or user_today(session, actor.id)
    since = today - timedelta(weeks=REVIEW_WEEKS)
    week_end = min(week_start + timedelta(days=WEEK_DAYS - 1), today)
    if week_start >= since:  # the week is inside the charts' span: one read covers both
        cards = diary.cards_between(session, actor, participant_id, since, today)
        week = [c for c in cards if week_start <= c.day <= week_end]
    else:  # an older week (the date picker goes back as far as they like)
        week = diary.cards_between(session, actor, participant_id, week_start, week_end)
        cards = diary.cards_between(session, actor, participant_id, since, today)
    program = program_of(session, actor)
    history, notices = _alerts_and_notices(session, actor, participant_id)
    plan, aftercare_plan, sessions = _plan_and_attendance(session, actor, participant_id, since, today)
    past = _checkups_and_screeners(
        session, actor, participant_id, since, bool(program and program.substance_use_tracking)
    )
    done = practice.practice_and_thoughts(session, actor, participant_id, since, today)  # one statement
    return Review(
        participant_id=participant_id,
        today=today,
        since=since,
        week_start=week_start,
        week_end=week_end,
        week=week,
        cards=cards,
        targets=diary.targets_for(session, program.id if program else None, include_retired=True),
        craving_on=bool(program and program.substance_use_tracking),
        checkups=past[0],
        screeners=past[1],
        attendance=sessions,
        homework=practice.homework_for(session, actor, participant_id),
        participant_today=user_today(session, participant_id),
        practice=done[0],
        thought_records=done[1],
        family=sharing.family_of(session, actor, participant_id),
        alerts=history,
        notices=notices,
        goals=plan.goals,
        goal_ratings=plan.ratings,
        aftercare=aftercare_plan,
        recovery=recovery.panel(session, actor, participant_id, since, today),
        standing=standing(session, actor, participant_id, today),
    )


def _checkups_and_screeners(
    session: Session, actor: Actor, participant_id: int, since: date, substance_use: bool
) -> tuple[dict[str, list[Past]], dict[str, list[Past]]]:
    """`checkups.histories(since=…)` and, in substance-use programs, `screeners.histories`: each
    category authorized (and audited) as those do, both read in one statement (one table)."""
    authorize(session, actor, participant_id, Category.CHECKUPS, Action.READ)
    kinds = checkups.KINDS
    query = checkups.rows_query(participant_id, kinds, since)
    if substance_use:
        authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.READ)
        mine = query.whereclause
        query = select(Checkup).where(
            or_(
                mine,
                and_(col(Checkup.participant_id) == participant_id, col(Checkup.kind).in_(screeners.KINDS)),
            )
        )
    rows = session.exec(query.order_by(col(Checkup.day), col(Checkup.id))).all()
    return checkups.pasts_of(rows, kinds), (screeners.pasts_of(rows) if substance_use else {})


def _alerts_and_notices(
    session: Session, actor: Actor, participant_id: int
) -> tuple[list[alerts.PastAlert], dict[int, list[notify.Notice]]]:
    """`alerts.history` and, for those alerts, `notify.alert_notices` (each asked of the gate as those
    do), in one statement: every alert, newest first, outer-joined to the emails and escalations sent
    (or tried) about it, oldest first, for the therapist's own caseload only."""
    authorize(session, actor, participant_id, Category.ALERTS, Action.READ)
    require_role(session, actor, Role.THERAPIST, what="alerts")
    acker, who = table_of(AppUser).alias("acker"), table_of(AppUser).alias("who")
    theirs = (
        core_select(col(CaseloadAssignment.id))
        .where(
            col(CaseloadAssignment.participant_id) == col(Alert.participant_id),
            col(CaseloadAssignment.therapist_id) == actor.id,
        )
        .exists()
    )
    rows = session.execute(
        core_select(Alert, acker.c.name, OutboxMessage, who.c.name, who.c.is_clinical_lead)
        .outerjoin(acker, acker.c.id == col(Alert.acknowledged_by_id))
        .outerjoin(OutboxMessage, and_(col(OutboxMessage.alert_id) == col(Alert.id), theirs))
        .outerjoin(who, who.c.id == col(OutboxMessage.recipient_id))
        .where(col(Alert.participant_id) == participant_id)
        .order_by(
            col(Alert.opened_at).desc(), col(Alert.id).desc(), col(OutboxMessage.created_at), col(OutboxMessage.id)
        )
    ).all()
    history: list[alerts.PastAlert] = []
    notices: dict[int, list[notify.Notice]] = defaultdict(list)
    for alert, acknowledged_by, message, name, lead in rows:
        if not history or history[-1].id != alert.id:
            history.append(alerts.past_alert(alert, acknowledged_by))
        if message is not None:
            notices[id_of(alert)].append(notify.notice_of(message, name, lead, actor.id))
    return history, notices


def _plan_and_attendance(
    session: Session, actor: Actor, participant_id: int, since: date, today: date
) -> tuple[goals.Board, Plan | None, list[attendance.SessionRecord]]:
    """`goals.board`, `aftercare.current_plan` (as the care team reads it) and `attendance.history`
    from `since` to `today`, each category asked of the gate (and audited) as those do, in one
    statement: three rows of a constant table, the first outer-joined to the goals on the plan and
    their ratings, the second to the newest aftercare plan and who wrote it, the third to the sessions
    (each side an index search on the participant)."""
    authorize(session, actor, participant_id, Category.GOALS, Action.READ)
    authorize(session, actor, participant_id, Category.GOAL_RATINGS, Action.READ)
    authorize(session, actor, participant_id, Category.AFTERCARE, Action.READ)
    authorize(session, actor, participant_id, Category.ATTENDANCE, Action.READ, ref=f"{since}..{today}")
    side = db.sides(3)
    newest = (
        core_select(func.max(col(AftercarePlanVersion.version)))
        .where(col(AftercarePlanVersion.participant_id) == participant_id)
        .scalar_subquery()
    )
    author = table_of(AppUser).alias("author")
    rows = session.execute(
        core_select(
            TreatmentGoal,
            col(GoalRating.week_start),
            col(GoalRating.rating),
            AftercarePlanVersion,
            author.c.name,
            col(Attendance.day),
            col(Attendance.session_kind),
            col(Attendance.status),
        )
        .select_from(side)
        .outerjoin(
            TreatmentGoal,
            and_(
                side.c.side == 1,
                col(TreatmentGoal.participant_id) == participant_id,
                col(TreatmentGoal.retired_at).is_(None),
            ),
        )
        .outerjoin(GoalRating, col(GoalRating.goal_id) == col(TreatmentGoal.id))
        .outerjoin(
            AftercarePlanVersion,
            and_(
                side.c.side == 2,
                col(AftercarePlanVersion.participant_id) == participant_id,
                col(AftercarePlanVersion.version) == newest,
            ),
        )
        .outerjoin(author, author.c.id == col(AftercarePlanVersion.created_by_id))
        .outerjoin(Attendance, db.on_side(side, 3, Attendance, participant_id, since, today))
    ).all()
    board = goals.board_from([(goal, week, rating) for goal, week, rating, *_ in rows if goal is not None], today)
    plan = next(
        (
            Plan(version.version, version.content, version.created_at, by)
            for *_, version, by, _day, _kind, _status in rows
            if version is not None and by is not None
        ),
        None,
    )
    sessions = sorted(
        (attendance.SessionRecord(day, kind, status) for *_, day, kind, status in rows if day is not None),
        key=lambda r: r.session_kind,
    )
    sessions.sort(key=lambda r: r.day, reverse=True)  # (stable: newest day first, then by kind, as history)
    return board, plan, sessions
