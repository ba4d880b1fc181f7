"""Treatment-plan goals through the real app: the participant rates them on Today, sees them on My
progress; the therapist writes them on Review. Bad input: a message beside the field, nothing lost."""

from __future__ import annotations

from sqlmodel import Session, select

from core import db, goals
from core.access import Actor
from core.models import AppUser, GoalRating
from core.program import user_today
from tests.app.conftest import log_in, open_page, texts


def _alex(database_url) -> tuple[Actor, list[goals.GoalView]]:
    with Session(db.engine_for(database_url)) as session:
        alex = Actor.of(session.exec(select(AppUser).where(AppUser.username == "alex")).one())
        return alex, goals.goals_for(session, alex, alex.id)


def test_a_participant_rates_this_weeks_goals_on_today_and_a_second_tap_changes_the_same_row(app, database_url):
    alex, plan = _alex(database_url)
    log_in(app, "alex")
    open_page(app, "pages/today.py")
    assert f"0 of {len(plan)} rated" in texts(app)  # the seed leaves this week for the participant
    for rating in (7, 8):
        for g in plan:
            next(p for p in app.pills if p.key == f"goal_rating_{g.id}").set_value(rating)
        next(b for b in app.button if b.label == "Save my ratings").click().run()
        assert not app.exception
        assert "Your goal ratings are saved for this week." in texts(app)
    assert f"{len(plan)} of {len(plan)} rated" in texts(app)
    with Session(db.engine_for(database_url)) as session:
        week = goals.week_of(user_today(session, alex.id))
        rows = session.exec(select(GoalRating).where(GoalRating.week_start == week)).all()
    assert sorted((r.goal_id, r.rating) for r in rows if r.participant_id == alex.id) == [(g.id, 8) for g in plan]


def test_saving_with_no_rating_chosen_says_so_beside_the_form(app, database_url):
    log_in(app, "alex")
    open_page(app, "pages/today.py")
    next(b for b in app.button if b.label == "Save my ratings").click().run()
    assert "Rate at least one goal" in texts(app)
    assert "Your ratings aren't saved yet" in texts(app)


def test_my_progress_charts_the_goals_with_a_sentence_and_the_goal_words(app, database_url):
    _, plan = _alex(database_url)
    log_in(app, "alex")
    open_page(app, "pages/progress.py")
    app.session_state["progress_tab"] = "Goals"
    app.run()
    assert not app.exception
    shown = texts(app)
    assert "goals rated so far" in shown and "How we'll know" in shown
    assert any("Progress on my goals" in c.proto.spec for c in app.get("plotly_chart"))


def test_the_therapist_writes_goals_on_review_and_a_sixth_is_impossible_a_blank_one_refused(app, database_url):
    log_in(app, "dr.rivera")
    open_page(app, "pages/review.py")
    app.selectbox[0].select(next(o for o in app.selectbox[0].options if o.startswith("Alex")))
    app.run()
    assert "Treatment-plan goals" in texts(app)
    assert not [t for t in app.text_input if t.label.startswith("Goal ")]  # read first: the editor is one tap away
    next(b for b in app.button if b.label in {"Change the goals", "Write the goals"}).click().run()
    goal_inputs = [t for t in app.text_input if t.label.startswith("Goal ")]
    assert len(goal_inputs) == 5  # five rows: a sixth goal cannot even be typed
    alex, _ = _alex(database_url)
    third = next(t for t in app.text_input if t.key == f"goals_{alex.id}_text_3")
    third.input("![pic](http://x.example/p.png) Walk after dinner")
    next(b for b in app.button if b.label == "Save the goals").click().run()
    assert "Goal 3: add how you'll both know it is happening." in texts(app)
    kept = next(t for t in app.text_input if t.key == f"goals_{alex.id}_text_3")
    assert kept.value == "![pic](http://x.example/p.png) Walk after dinner"  # nothing typed is lost
    next(t for t in app.text_input if t.key == f"goals_{alex.id}_measure_3").input("4 walks a week")
    next(b for b in app.button if b.label == "Save the goals").click().run()
    assert not app.exception
    _, plan = _alex(database_url)
    assert [g.text for g in plan][-1] == "![pic](http://x.example/p.png) Walk after dinner"
    assert "Goals saved." in texts(app)
