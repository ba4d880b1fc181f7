"""The therapist's roll call, and attendance where the participant and the review page show it."""

from sqlmodel import select

from core.models import AppUser, Attendance
from tests.app.conftest import log_in, open_page, texts


def test_a_therapist_takes_the_roll_for_todays_group(app, session):
    log_in(app, "dr.rivera")
    open_page(app, "pages/attendance.py")
    assert not app.exception and app.title[0].value == "Attendance"
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    casey = session.exec(select(AppUser).where(AppUser.username == "casey")).one()
    day = app.date_input(key="attendance_day").value  # today, on the program's calendar
    assert not session.exec(select(Attendance).where(Attendance.day == day)).all()  # the demo stops at yesterday
    roll = {b.label: b for b in app.get("button_group")}
    assert "Bailey Brooks" not in roll  # dr.chen's participant is not on this roll
    roll["Alex Morgan"].set_value("attended")
    roll["Casey Nguyen"].set_value("excused")
    next(b for b in app.button if b.label == "Save attendance").click().run()
    assert not app.exception
    assert "Saved attendance for 2 participants." in texts(app)
    session.expire_all()
    saved = session.exec(select(Attendance).where(Attendance.day == day)).all()
    assert sorted((r.participant_id, r.session_kind, r.status) for r in saved) == sorted(
        [(alex.id, "group", "attended"), (casey.id, "group", "excused")]
    )
    assert app.dataframe  # the last four weeks, per participant


def test_the_participant_sees_their_attendance_in_their_progress(app):
    log_in(app, "alex")
    open_page(app, "pages/progress.py")
    assert "You came to" in texts(app) and "program sessions" in texts(app)


def test_the_review_page_shows_attendance_for_session_prep(app):
    log_in(app, "dr.rivera")
    open_page(app, "pages/review.py")
    assert "Attendance" in [s.value for s in app.subheader]
    assert any(m.value.startswith("Came to ") and "sessions in the last 8 weeks" in m.value for m in app.markdown)
