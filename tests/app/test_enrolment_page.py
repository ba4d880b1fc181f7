"""Discharge from the Enrolment screen (refused beside the field, then saved), the discharged filter
and caseload section that keep them findable, and the participant's Today after discharge."""

from datetime import timedelta

from sqlmodel import select

from core import enrolment
from core.access import Actor
from core.models import AppUser, Discharge
from core.program import user_today
from tests.app.conftest import log_in, open_page, texts


def _user(session, username):
    return session.exec(select(AppUser).where(AppUser.username == username)).one()


def test_a_therapist_discharges_and_finds_them_under_discharged(app, session):
    casey = _user(session, "casey")
    log_in(app, "dr.rivera")
    open_page(app, "pages/enrolment.py")
    today = app.date_input(key="discharge_day").value
    app.selectbox(key="discharge_who").set_value(casey.id)
    app.date_input(key="discharge_day").set_value(today + timedelta(days=3))
    app.selectbox(key="discharge_status").set_value("left_against_advice")
    next(b for b in app.button if b.label == "Discharge").click().run()
    assert "A discharge date can't be in the future." in [e.value for e in app.error]
    assert app.selectbox(key="discharge_status").value == "left_against_advice"  # kept as chosen
    assert session.exec(select(Discharge).where(Discharge.participant_id == casey.id)).first() is None
    app.date_input(key="discharge_day").set_value(today)
    next(b for b in app.button if b.label == "Discharge").click().run()
    assert "Casey Nguyen is discharged (left against advice)" in texts(app)
    app.button_group(key="enrolment_filter").set_value("discharged").run()
    shown = app.dataframe[0].value
    assert list(shown["Participant"]) == ["Casey Nguyen"] and "Left against advice" in shown["Status"][0]
    open_page(app, "pages/caseload.py")
    assert any(e.label == "Discharged (1)" for e in app.expander)


def test_a_discharged_participants_today_is_a_kind_word_and_no_card(app, session):
    alex = _user(session, "alex")
    rivera = Actor.of(_user(session, "dr.rivera"))
    today = user_today(session, alex.id)
    enrolment.discharge(session, rivera, participant_id=alex.id, day=today, status="completed", today=today)
    log_in(app, "alex")
    open_page(app, "pages/today.py")
    assert "Your time in the program has ended" in texts(app)
    assert "You can still read your cards, your progress, your safety plan and your aftercare plan until" in texts(app)
    assert not [b for b in app.button if b.label == "Save my card"]
