"""Red team, wave 15 (third team), on the screens: stale forms of the therapist's record-keeping.
Each test failed before its fix (said in its docstring)."""

from sqlmodel import select

from core import attendance
from core.access import Actor
from core.models import AppUser, Attendance
from core.program import user_today
from tests.app.conftest import log_in, open_page, texts
from tests.unit.test_attendance import _group_of, _last_group_day


def test_a_roll_saved_from_a_stale_tab_keeps_a_correction_made_since_to_someone_it_did_not_touch(app, session):
    """The roll was open in one tab; in another the therapist corrected Alex to excused; back in the first
    tab they marked Casey and saved. The first tab sent everyone's status as it had drawn them, so Alex
    was put back, unseen. Now a roll sends only what was changed on it."""
    log_in(app, "dr.rivera")
    open_page(app, "pages/attendance.py")
    rivera = Actor.of(session.exec(select(AppUser).where(AppUser.username == "dr.rivera")).one())
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    casey = session.exec(select(AppUser).where(AppUser.username == "casey")).one()
    today = user_today(session, rivera.id)
    day = _last_group_day(session, alex.id, today)
    app.date_input(key="attendance_day").set_value(day).run()
    alex_session = _group_of(session, alex.id, day)
    drawn = {b.label: b.value for b in app.get("button_group")}
    assert drawn["Alex Morgan"] is not None  # (the seed took this roll)
    correction = "excused" if drawn["Alex Morgan"] != "excused" else "late"
    attendance.record_session(session, rivera, statuses={alex_session: correction}, today=today)  # the other tab

    roll = {b.label: b for b in app.get("button_group")}
    roll["Casey Nguyen"].set_value("late" if drawn["Casey Nguyen"] != "late" else "absent")
    next(b for b in app.button if b.label == "Save attendance").click().run()
    assert not app.exception
    session.expire_all()
    saved = {
        r.participant_id: r.status
        for r in session.exec(select(Attendance).where(Attendance.day == day, Attendance.session_kind == "group"))
    }
    assert saved[alex.id] == correction
    assert saved[casey.id] == roll["Casey Nguyen"].value
    assert "Saved attendance for 1 participant." in texts(app)
