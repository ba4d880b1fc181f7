"""The therapist's roll call on the sessions of the schedule, and attendance where the participant
and the review page show it."""

from datetime import time

from sqlmodel import select

from core import schedule
from core.access import Actor
from core.models import AppUser, Attendance, ProgramSession
from core.program import user_today
from tests.app.conftest import log_in, open_page, texts


def test_a_therapist_takes_the_roll_on_a_generated_group_session(app, session):
    log_in(app, "dr.rivera")
    open_page(app, "pages/attendance.py")
    assert not app.exception and app.title[0].value == "Attendance"
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    casey = session.exec(select(AppUser).where(AppUser.username == "casey")).one()
    today = user_today(session, alex.id)
    day = session.exec(  # the most recent group day with a session: its roll was taken by the seed
        select(ProgramSession.day)
        .where(ProgramSession.participant_id == alex.id, ProgramSession.kind == "group", ProgramSession.day < today)
        .order_by(ProgramSession.day.desc())
    ).first()
    app.date_input(key="attendance_day").set_value(day).run()
    roll = {b.label: b for b in app.get("button_group")}
    assert "Bailey Brooks" not in roll  # dr.chen's participant is not on this roll
    assert any("6:00 PM–9:00 PM" in o for o in roll["Session"].options)  # the generated evening group
    before = {
        r.participant_id: r.status
        for r in session.exec(select(Attendance).where(Attendance.day == day, Attendance.session_kind == "group"))
    }
    alex_status = "excused" if before.get(alex.id) != "excused" else "late"
    roll["Alex Morgan"].set_value(alex_status)
    roll["Casey Nguyen"].set_value("absent")
    next(b for b in app.button if b.label == "Save attendance").click().run()
    assert not app.exception
    assert "Saved attendance for" in texts(app)
    session.expire_all()
    saved = {
        r.participant_id: r.status
        for r in session.exec(select(Attendance).where(Attendance.day == day, Attendance.session_kind == "group"))
    }
    assert saved[alex.id] == alex_status and saved[casey.id] == "absent"
    assert app.dataframe  # the last four weeks, per participant


def test_a_one_off_session_with_an_end_before_its_start_is_refused_beside_the_field(app, session):
    log_in(app, "dr.rivera")
    open_page(app, "pages/attendance.py")
    app.time_input(key="one_off_start").set_value(time(15, 0))
    app.time_input(key="one_off_end").set_value(time(14, 0))
    next(b for b in app.button if b.label == "Add session").click().run()
    assert "The session ends before it starts" in " ".join(e.value for e in app.error)
    assert app.time_input(key="one_off_start").value == time(15, 0)  # what was typed is kept
    app.time_input(key="one_off_end").set_value(time(16, 0))
    next(b for b in app.button if b.label == "Add session").click().run()
    assert "Added: individual session with" in texts(app)
    rivera = Actor.of(session.exec(select(AppUser).where(AppUser.username == "dr.rivera")).one())
    day = app.date_input(key="one_off_day").value
    assert any(r.kind == "individual" for r in schedule.roll_for_day(session, rivera, day))


def test_the_participant_sees_their_attendance_in_their_progress(app):
    log_in(app, "alex")
    open_page(app, "pages/progress.py")
    assert "You came to" in texts(app) and "program sessions" in texts(app)


def test_the_review_page_shows_attendance_for_session_prep(app):
    log_in(app, "dr.rivera")
    open_page(app, "pages/review.py")
    assert "Attendance" in [s.value for s in app.subheader]
    assert any(m.value.startswith("Came to ") and "sessions in the last 8 weeks" in m.value for m in app.markdown)
