"""Treatment-plan goals and the participant's weekly progress ratings.

Therapist and participant agree on 1–5 goals, each with a measurable "how we'll know". The therapist
writes them (on Review); the participant reads them and, once a week, rates progress on each from
0 to 10 (on Today). A week is Monday to Sunday in the participant's own calendar
(`core.program.user_today`); one rating per goal and week is a unique pair in the database, so a
double tap, a resent form or two devices make one row (an upsert). Taking a goal off the plan keeps
it and its ratings (`retired_at`), so the record and the export still show what was worked on.

Goals and ratings are private to the participant and their therapist: no family consent reaches
them (they are not among `access.FAMILY_SHAREABLE`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Annotated

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import clinical, i18n, inputs
from core.access import Action, Actor, Category, authorize
from core.db import hold_rows, unit_of, upsert
from core.errors import ValidationError
from core.models import AppUser, GoalRating, TreatmentGoal, utcnow
from core.program import user_today

RATING_LOW, RATING_HIGH = clinical.GOAL_RATING_RANGE


def week_of(day: date) -> date:
    """The Monday that starts `day`'s week (weeks run Monday to Sunday, as the charts tick)."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class GoalView:
    id: int
    position: int
    text: str
    measure: str
    retired: bool

    @property
    def label(self) -> str:
        """What a chart calls it: a number, never the words (typed text stays out of Plotly's markup)."""
        return i18n._("Goal {n}").format(n=self.position)


@dataclass(frozen=True)
class RatingView:
    goal_id: int
    week_start: date
    rating: int


@dataclass(frozen=True)
class Board:
    """What Today and My progress need: the goals on the plan, every rating, and this week."""

    goals: list[GoalView]  # on the plan now, in order
    ratings: list[RatingView]  # every rating of those goals, oldest week first
    week_start: date  # the participant's current week

    def rating(self, goal_id: int, week_start: date | None = None) -> int | None:
        week = week_start or self.week_start
        return next((r.rating for r in self.ratings if r.goal_id == goal_id and r.week_start == week), None)

    @property
    def unrated(self) -> list[GoalView]:
        return [g for g in self.goals if self.rating(g.id) is None]


# --- the therapist writes the goals ------------------------------------------------------------


def _goal_list(value) -> list[dict]:
    """1–5 goals, each {"id": an existing goal's id or None, "text", "measure"}; blank rows dropped."""
    if not isinstance(value, (list, tuple)) or len(value) > clinical.GOALS_MAX * 4:
        raise inputs.Problem({"goals": f"A plan has {clinical.GOALS_MIN} to {clinical.GOALS_MAX} goals."})
    errors: dict[str, str] = {}
    out = []
    for number, raw in enumerate(value, start=1):
        if not isinstance(raw, dict) or set(raw) - {"id", "text", "measure"}:
            raise inputs.Problem({"goals": "This form is out of date; open it again."})
        goal_id = raw.get("id")
        if goal_id is not None and not inputs.is_id(goal_id):
            raise inputs.Problem({"goals": "This form is out of date; open it again."})
        row_errors: dict[str, str] = {}
        text = GoalForm.value("text", raw.get("text"), row_errors)
        measure = GoalForm.value("measure", raw.get("measure"), row_errors)
        if row_errors:
            errors[f"goal_{number}"] = f"Goal {number}: " + " ".join(row_errors.values())
            continue
        if not text and not measure:
            continue  # a blank row is no goal
        if not text:
            errors[f"goal_{number}"] = f"Goal {number}: say what the goal is."
        elif not measure:
            errors[f"goal_{number}"] = f"Goal {number}: add how you'll both know it is happening."
        out.append({"id": goal_id, "text": text, "measure": measure})
    if errors:
        raise inputs.Problem(errors)
    if not clinical.GOALS_MIN <= len(out) <= clinical.GOALS_MAX:
        raise inputs.Problem(
            {
                "goals": f"A plan has {clinical.GOALS_MIN} to {clinical.GOALS_MAX} goals "
                f"({len(out)} filled in): agree on the ones that matter most."
            }
        )
    ids = [g["id"] for g in out if g["id"] is not None]
    if len(ids) != len(set(ids)):
        raise inputs.Problem({"goals": "This form is out of date; open it again."})
    return out


class GoalForm(inputs.Form):
    """One goal as typed (LINE text: one line each)."""

    text: Annotated[
        str,
        inputs.LineText(
            clinical.GOAL_TEXT_MAX,
            "The goal",
            optional=True,
            too_long=f"Keep the goal under {clinical.GOAL_TEXT_MAX} characters (it has {{n}}).",
        ),
    ]
    measure: Annotated[
        str,
        inputs.LineText(
            clinical.GOAL_MEASURE_MAX,
            "How we'll know",
            optional=True,
            too_long=f"Keep “how we'll know” under {clinical.GOAL_MEASURE_MAX} characters (it has {{n}}).",
        ),
    ]


class GoalsForm(inputs.Form):
    goals: Annotated[list[dict], inputs.Custom(_goal_list, inputs.Limit(max_chars=clinical.GOAL_TEXT_MAX))]


def _views(rows) -> list[GoalView]:
    return [GoalView(r.id, r.position, r.text, r.measure, r.retired_at is not None) for r in rows]


def goals_for(session: Session, actor: Actor, participant_id: int, *, include_retired: bool = False) -> list[GoalView]:
    """The goals on the plan, in order (and, for the record, those taken off it, after them)."""
    authorize(session, actor, participant_id, Category.GOALS, Action.READ)
    query = select(TreatmentGoal).where(TreatmentGoal.participant_id == participant_id)
    if not include_retired:
        query = query.where(col(TreatmentGoal.retired_at).is_(None))
    rows = session.exec(
        query.order_by(col(TreatmentGoal.retired_at).is_not(None), col(TreatmentGoal.position), col(TreatmentGoal.id))
    ).all()
    return _views(rows)


def version_of(goal_list: list[GoalView]) -> str | None:
    """The version of the goals on the plan, as a save names it (`base_version`): None for no goals,
    else a fingerprint of each goal's id, place and words (any save that changes them changes it)."""
    active = sorted((g.id, g.position, g.text, g.measure) for g in goal_list if not g.retired)
    if not active:
        return None
    return hashlib.sha256(json.dumps(active, ensure_ascii=False).encode()).hexdigest()[:20]


class GoalsConflict(ValidationError):
    """Someone saved the goals since the editor was drawn: `current` is what is on the plan now."""

    def __init__(self, current: list[GoalView]):
        super().__init__(
            {
                "goals": "Someone else changed these goals since you opened them: nothing was saved. What you "
                "typed is still here; compare it with the goals now on the plan (below), then save again."
            }
        )
        self.current = current


def save_goals(
    session: Session, actor: Actor, *, participant_id: int, goals: list[dict], base_version: str | None
) -> list[GoalView]:
    """Write the plan's goals (the therapist, agreed with the participant). Each row names the goal it
    edits (`id`) or None for a new one; a goal left out is taken off the plan, its ratings kept.

    Versioned like the safety and aftercare plans: `base_version` is `version_of` the goals the editor
    showed; when someone saved since, nothing is written and GoalsConflict carries the goals now on the
    plan. The participant's row is held for the check and the write (core.db.hold_rows), so of two saves
    at the same moment over the same version one is written and the other is told.

    Saves once: a new row with the same words as a goal already on the plan is that goal (a resent
    form or a second tap changes nothing), and one active goal per position is a unique index."""
    authorize(session, actor, participant_id, Category.GOALS, Action.WRITE)
    cleaned = GoalsForm.check(goals=goals).goals
    if base_version is not None and not (isinstance(base_version, str) and len(base_version) <= 64):
        raise ValidationError.one("goals", "This form is out of date; open it again.")
    hold_rows(session, AppUser, col(AppUser.id) == participant_id)
    current = {
        g.id: g
        for g in session.exec(
            select(TreatmentGoal).where(
                col(TreatmentGoal.participant_id) == participant_id, col(TreatmentGoal.retired_at).is_(None)
            )
        ).all()
    }
    on_plan = _views(sorted(current.values(), key=lambda r: (r.position, r.id or 0)))
    if [(g["text"], g["measure"]) for g in cleaned] == [(g.text, g.measure) for g in on_plan]:
        if unit_of(session) is None:
            session.rollback()
        return on_plan  # already the plan, word for word (a resent form, a second tap): nothing to write
    if version_of(on_plan) != base_version:
        if unit_of(session) is None:
            session.rollback()  # (lets go of the held row; in a rerun's unit of work, what it did stands)
        raise GoalsConflict(on_plan)
    unknown = [g["id"] for g in cleaned if g["id"] is not None and g["id"] not in current]
    if unknown:
        raise ValidationError.one("goals", "One of these goals was changed meanwhile; open the plan again.")
    named = {g["id"] for g in cleaned}
    by_words = {(r.text, r.measure): goal_id for goal_id, r in current.items() if goal_id not in named}
    for goal in cleaned:  # the same words as a goal on the plan: that goal, not a second copy
        if goal["id"] is None and (goal["text"], goal["measure"]) in by_words:
            goal["id"] = by_words.pop((goal["text"], goal["measure"]))
    now = utcnow()
    kept = {g["id"] for g in cleaned}
    for goal_id, row in current.items():
        if goal_id not in kept:
            row.retired_at = now
            session.add(row)
        elif row.position != next(i for i, g in enumerate(cleaned, start=1) if g["id"] == goal_id):
            row.position = -(row.id or 0)  # out of the way first, so two goals can swap places
            session.add(row)
    try:
        session.flush()  # retired and moved first: their positions are free for what follows
        for position, goal in enumerate(cleaned, start=1):
            if goal["id"] is None:
                session.add(
                    TreatmentGoal(
                        participant_id=participant_id,
                        position=position,
                        text=goal["text"],
                        measure=goal["measure"],
                        created_by_id=actor.id,
                        created_at=now,
                        updated_at=now,
                    )
                )
                continue
            row = current[goal["id"]]
            if (row.position, row.text, row.measure) != (position, goal["text"], goal["measure"]):
                row.position, row.text, row.measure, row.updated_at = position, goal["text"], goal["measure"], now
                session.add(row)
        session.commit()
    except IntegrityError:  # saved a moment ago from another tap or device
        session.rollback()
        raise ValidationError.one(
            "goals", "These goals were saved a moment ago (another tap or device); open the plan again."
        ) from None
    return goals_for(session, actor, participant_id)


# --- the participant rates them ----------------------------------------------------------------


def _ratings(value) -> dict[int, int]:
    if not isinstance(value, dict) or not value or len(value) > clinical.GOALS_MAX * 4:
        raise inputs.Problem({"ratings": i18n._("Rate at least one goal, 0 to 10.")})
    errors = {}
    for goal_id, rating in value.items():
        if not inputs.is_id(goal_id):
            raise inputs.Problem({"ratings": i18n._("This form is out of date; open it again.")})
        if not inputs.is_whole(rating) or not RATING_LOW <= rating <= RATING_HIGH:
            errors[f"goal_{goal_id}"] = i18n._("Choose a number from {low} to {high}.").format(
                low=RATING_LOW, high=RATING_HIGH
            )
    if errors:
        raise inputs.Problem(errors)
    return dict(value)


class RatingForm(inputs.Form):
    """A week's ratings: {goal id: 0–10} for the week starting `week_start` (a Monday)."""

    week_start: Annotated[date, inputs.Day("Choose the week you are rating.")]
    ratings: Annotated[dict[int, int], inputs.Custom(_ratings, inputs.Limit(low=RATING_LOW, high=RATING_HIGH))]


class GoalsChanged(ValidationError):
    """The goals were changed (by the therapist) since the participant's rating form was drawn."""

    def __init__(self):
        super().__init__(
            {
                "ratings": i18n._(
                    "Your goals were changed since you opened this page, so nothing was saved. "
                    "Read them again (below), then save your ratings."
                )
            }
        )


def rate_goals(
    session: Session,
    actor: Actor,
    *,
    participant_id: int,
    week_start: date,
    ratings: dict[int, int],
    shown_version: str | None = None,
) -> list[RatingView]:
    """Save the participant's progress ratings for one week: one row per goal and week whatever
    arrives at once (an upsert on the pair). This week or last week only, their own goals on the plan.

    `shown_version` is `version_of` the goals the form showed: a goal is rated by its id, and the
    therapist may rewrite a goal's words in place (same id), so a rating given to the old words would
    land on the new ones. When the plan changed since, nothing is saved (GoalsChanged); the
    participant's row is held for the check and the write, as `save_goals` holds it."""
    authorize(session, actor, participant_id, Category.GOAL_RATINGS, Action.WRITE)
    form = RatingForm.check(week_start=week_start, ratings=ratings)
    if shown_version is not None:
        hold_rows(session, AppUser, col(AppUser.id) == participant_id)
        on_plan = session.exec(
            select(TreatmentGoal).where(
                col(TreatmentGoal.participant_id) == participant_id, col(TreatmentGoal.retired_at).is_(None)
            )
        ).all()
        if version_of(_views(on_plan)) != shown_version:
            if unit_of(session) is None:
                session.rollback()  # (lets go of the held row)
            raise GoalsChanged()
    this_week = week_of(user_today(session, participant_id))
    if form.week_start.weekday() != 0 or form.week_start > this_week:
        raise ValidationError.one("week_start", i18n._("That week hasn't started yet: rate this week or last week."))
    if form.week_start < this_week - timedelta(weeks=clinical.GOAL_RATING_LATE_WEEKS):
        raise ValidationError.one("week_start", i18n._("Ratings can be given for this week or last week."))
    mine = set(
        session.exec(
            select(TreatmentGoal.id).where(
                TreatmentGoal.participant_id == participant_id,
                col(TreatmentGoal.retired_at).is_(None),
                col(TreatmentGoal.id).in_(list(form.ratings)),
            )
        ).all()
    )
    strangers = [goal_id for goal_id in form.ratings if goal_id not in mine]
    if strangers:
        raise ValidationError(
            {f"goal_{g}": i18n._("That goal isn't on your plan now; open the page again.") for g in strangers}
        )
    now = utcnow()
    for goal_id, rating in sorted(form.ratings.items()):
        upsert(
            session,
            GoalRating,
            dict(
                goal_id=goal_id, participant_id=participant_id, week_start=form.week_start, rating=rating, rated_at=now
            ),
            conflict=["goal_id", "week_start"],
            update=["rating", "rated_at"],
        )
    session.commit()
    return [RatingView(goal_id, form.week_start, rating) for goal_id, rating in sorted(form.ratings.items())]


def ratings_for(
    session: Session, actor: Actor, participant_id: int, *, since: date = date.min, include_retired: bool = False
) -> list[RatingView]:
    """Every weekly rating from `since` on, oldest week first (one query)."""
    authorize(
        session, actor, participant_id, Category.GOAL_RATINGS, Action.READ, ref="" if since == date.min else f"{since}"
    )
    query = (
        select(col(GoalRating.goal_id), col(GoalRating.week_start), col(GoalRating.rating))
        .join(TreatmentGoal, col(TreatmentGoal.id) == col(GoalRating.goal_id))
        .where(col(GoalRating.participant_id) == participant_id, col(GoalRating.week_start) >= since)
    )
    if not include_retired:
        query = query.where(col(TreatmentGoal.retired_at).is_(None))
    rows = session.exec(query.order_by(col(GoalRating.week_start), col(TreatmentGoal.position))).all()
    return [RatingView(*row) for row in rows]


def board(session: Session, actor: Actor, participant_id: int, today: date | None = None) -> Board:
    """The goals on the plan, their ratings and the current week (for Today and My progress), in one
    query: goals left-joined to their ratings."""
    authorize(session, actor, participant_id, Category.GOALS, Action.READ)
    authorize(session, actor, participant_id, Category.GOAL_RATINGS, Action.READ)
    today = today or user_today(session, participant_id)  # (after the gate: it reads their time zone)
    rows = session.exec(_board_statement(), params={"participant_id": participant_id}).all()
    return board_from(rows, today)


@lru_cache(maxsize=1)
def _board_statement():
    """`board`'s statement, built once (Today reads it on every run): the participant is its parameter."""
    return (
        select(TreatmentGoal, col(GoalRating.week_start), col(GoalRating.rating))
        .join(GoalRating, col(GoalRating.goal_id) == col(TreatmentGoal.id), isouter=True)
        .where(
            col(TreatmentGoal.participant_id) == bindparam("participant_id"), col(TreatmentGoal.retired_at).is_(None)
        )
        .order_by(col(TreatmentGoal.position), col(TreatmentGoal.id), col(GoalRating.week_start))
    )


def board_from(rows, today: date) -> Board:
    """`board`'s answer from its rows, (goal, rating's week or None, rating or None) in any order
    (core.review reads them in one statement with other things)."""
    rows = sorted(rows, key=lambda r: (r[0].position, r[0].id, r[1] or date.min))
    goal_rows = list({goal.id: goal for goal, _, _ in rows}.values())
    ratings = sorted(
        (RatingView(int(goal.id or 0), week, rating) for goal, week, rating in rows if week is not None),
        key=lambda r: (r.week_start, [g.id for g in goal_rows].index(r.goal_id)),
    )
    return Board(_views(goal_rows), ratings, week_of(today))


def goals_csv(session: Session, actor: Actor, participant_id: int) -> str:
    """goals.csv for the record: every goal (those taken off the plan too) and every weekly rating."""
    from core.diary import spreadsheet_row

    goals = goals_for(session, actor, participant_id, include_retired=True)
    ratings = ratings_for(session, actor, participant_id, include_retired=True)
    by_goal: dict[int, list[RatingView | None]] = {}
    for rating in ratings:
        by_goal.setdefault(rating.goal_id, []).append(rating)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["goal", "how_we_will_know", "on_plan", "week_starting", "rating_0_10"])
    for g in goals:
        for r in by_goal.get(g.id) or [None]:
            writer.writerow(
                spreadsheet_row(
                    [
                        g.text,
                        g.measure,
                        "no" if g.retired else "yes",
                        r.week_start.isoformat() if r else "",
                        "" if r is None else r.rating,
                    ]
                )
            )
    return out.getvalue()


def latest_change(ratings: list[RatingView], goal_id: int) -> tuple[int, int] | None:
    """(first rating, latest rating) of one goal, or None before two weeks are rated."""
    mine = [r.rating for r in ratings if r.goal_id == goal_id]
    return (mine[0], mine[-1]) if len(mine) >= 2 else None


def report_section(session: Session, actor: Actor, participant_id: int) -> str:
    """The printable report's goals section (HTML, every typed word escaped): each goal on the plan,
    how you'll know, and its weekly ratings."""
    from html import escape as e

    goal_list = goals_for(session, actor, participant_id)
    ratings = ratings_for(session, actor, participant_id)
    if not goal_list:
        return "<h2>Treatment-plan goals</h2><p>No goals on the plan yet.</p>"
    rows = []
    for g in goal_list:
        mine = [r for r in ratings if r.goal_id == g.id]
        weekly = "; ".join(f"week of {r.week_start:%b} {r.week_start.day}: {r.rating}" for r in mine) or "not rated yet"
        rows.append(f"<tr><td>{g.position}</td><td>{e(g.text)}</td><td>{e(g.measure)}</td><td>{e(weekly)}</td></tr>")
    return (
        "<h2>Treatment-plan goals</h2><table><tr><th>#</th><th>Goal</th><th>How we'll know</th>"
        f"<th>Weekly rating (0–10)</th></tr>{''.join(rows)}</table>"
    )
