"""Holes a hostile or careless user found on the arc session's screens: each test failed before its fix."""

from sqlmodel import select

from core.models import AppUser, ProgramSession
from core.program import user_today
from tests.app.conftest import log_in, open_page

HOSTILE_TOPIC = "![x](http://evil.example/p.png) [click](javascript:alert(1))"


def test_a_session_topic_is_plain_text_on_the_roll_call(app, session):
    """The roll's session picker (a segmented control, whose option labels are Markdown) showed the
    group's topic as typed: an image from anywhere, or a link, on the therapist's screen."""
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    today = user_today(session, alex.id)
    day = session.exec(
        select(ProgramSession.day)
        .where(ProgramSession.participant_id == alex.id, ProgramSession.kind == "group", ProgramSession.day < today)
        .order_by(ProgramSession.day.desc())
    ).first()
    for row in session.exec(select(ProgramSession).where(ProgramSession.day == day, ProgramSession.kind == "group")):
        row.topic = HOSTILE_TOPIC
        session.add(row)
    session.commit()
    log_in(app, "dr.rivera")
    open_page(app, "pages/attendance.py")
    app.date_input(key="attendance_day").set_value(day).run()
    options = next(b for b in app.get("button_group") if b.label == "Session").options
    group = [o for o in options if "evil" in o]
    assert group, options
    assert all("![x](" not in o and "[click](" not in o and "\\[x\\]" in o for o in group), group
    assert any("6:00 PM–9:00 PM" in o for o in options)  # the times still read as times
