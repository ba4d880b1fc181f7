"""Red team, wave 15 (fourth team), through the real app: attacks on the participant's own tools and
on what family sees that only show on a page (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlmodel import Session, select

from core import db, goals
from core.access import Actor
from core.models import AppUser, CaseloadAssignment, GoalRating
from core.program import user_today
from tests.app.conftest import log_in, open_page, texts


def test_goals_rewritten_by_the_therapist_while_today_is_open_are_shown_before_any_rating_is_saved(app, database_url):
    """Alex has Today open and chooses 9 for goal 1; meanwhile their therapist rewrites goal 1 (same
    id). Saving used to put the 9 on words Alex never saw. Now nothing is saved, Alex is told, the
    new words are on the page and the 9 is still chosen."""
    with Session(db.engine_for(database_url)) as session:
        alex = Actor.of(session.exec(select(AppUser).where(AppUser.username == "alex")).one())
        plan = goals.goals_for(session, alex, alex.id)
    log_in(app, "alex")
    open_page(app, "pages/today.py")
    pill = next(p for p in app.pills if p.key == f"goal_rating_{plan[0].id}")
    pill.set_value(9)
    with Session(db.engine_for(database_url)) as session:
        therapist_id = session.exec(
            select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == alex.id)
        ).first()
        therapist = Actor.of(session.get(AppUser, therapist_id))
        rows = [{"id": g.id, "text": g.text, "measure": g.measure} for g in plan]
        rows[0] = {"id": plan[0].id, "text": "Walk twenty minutes after group", "measure": "Ticked on my card"}
        goals.save_goals(session, therapist, participant_id=alex.id, goals=rows, base_version=goals.version_of(plan))
    next(b for b in app.button if b.label == "Save my ratings").click().run()
    assert not app.exception
    shown = texts(app)
    assert "Your goals were changed since you opened this page" in shown
    redrawn = next(p for p in app.pills if p.key == f"goal_rating_{plan[0].id}")
    assert "Walk twenty minutes after group" in redrawn.label and redrawn.value == 9
    with Session(db.engine_for(database_url)) as session:
        rated = session.exec(select(GoalRating).where(GoalRating.goal_id == plan[0].id, GoalRating.rating == 9)).all()
    assert rated == []
    next(b for b in app.button if b.label == "Save my ratings").click().run()  # read, then saved again
    assert "Your goal ratings are saved for this week." in texts(app)
    with Session(db.engine_for(database_url)) as session:
        week = goals.week_of(user_today(session, alex.id))
        assert session.exec(
            select(GoalRating.rating).where(GoalRating.goal_id == plan[0].id, GoalRating.week_start == week)
        ).all() == [9]
