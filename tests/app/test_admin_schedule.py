"""The admin's schedule screen: the demo's weekly pattern shown as a table; saving it generates
every enrolment's sessions (none twice)."""

from sqlmodel import func, select

from core.enrolment import not_discharged
from core.models import ProgramSession
from tests.app.conftest import log_in, open_page, texts


def test_the_admin_sees_the_pattern_and_saving_it_again_duplicates_nothing(app, session):
    log_in(app, "admin")
    open_page(app, "pages/admin_schedule.py")
    assert app.title[0].value == "Schedule"
    assert app.selectbox[0].value == "America/New_York" and app.number_input[0].value == 10
    current = (ProgramSession.kind == "group", not_discharged(ProgramSession.participant_id))  # (Sam's are kept)
    before = session.exec(select(func.count(ProgramSession.id)).where(*current)).one()
    next(b for b in app.button if b.label == "Save schedule and generate sessions").click().run()
    assert f"Enrolments have {before} group sessions (0 new, 0 removed from the future)." in texts(app)
    app.number_input[0].set_value(11)
    next(b for b in app.button if b.label == "Save schedule and generate sessions").click().run()
    session.expire_all()
    after = session.exec(select(func.count(ProgramSession.id)).where(*current)).one()
    assert after > before and f"Enrolments have {after} group sessions" in texts(app)
