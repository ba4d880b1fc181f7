"""The admin's Program screen: the crisis region, and alert rules for the card's targets."""

from sqlmodel import select

from core import diary
from core.models import DiaryTarget, Program
from tests.app.conftest import log_in, texts


def open_program(app):
    log_in(app, "admin")
    app.switch_page("pages/admin_program.py").run()
    assert app.title[0].value == "Program"
    return app


def test_a_program_target_gets_a_rule_and_the_safety_rules_are_fixed(app, session):
    program = session.exec(select(Program)).first()
    from core.access import Actor
    from core.models import AppUser

    admin = Actor.of(session.exec(select(AppUser).where(AppUser.username == "admin")).one())
    diary.add_target(session, admin, label="Gambling")
    session.commit()
    open_program(app)
    shown = texts(app)
    assert "Alert: urge 4+ → urgent; acted → urgent (clinical rule, fixed)" in shown  # suicide, self-harm
    assert "Alert: acted → review (program rule)" in shown  # the lapse rule
    target = session.exec(select(DiaryTarget).where(DiaryTarget.key == "gambling")).one()
    app.selectbox(key=f"rule_level_{target.id}").set_value(3)
    app.selectbox(key=f"rule_urge_{target.id}").set_value("review")
    app.selectbox(key=f"rule_acted_{target.id}").set_value("urgent")
    next(b for b in app.button if b.label == "Save rule" and b.form_id == f"rule_{target.id}").click()
    app.run()
    assert any("Saved: urge 3+ → review; acted → urgent." in s.value for s in app.success)
    session.expire_all()
    saved = session.get(DiaryTarget, target.id)
    assert (saved.alert_min_urge, saved.alert_urge_severity, saved.alert_acted_severity) == (3, "review", "urgent")
    assert program.id == saved.program_id
    # A level without anything to open is refused beside the form, nothing saved.
    app.selectbox(key=f"rule_level_{target.id}").set_value(2)
    app.selectbox(key=f"rule_urge_{target.id}").set_value("none")
    next(b for b in app.button if b.label == "Save rule" and b.form_id == f"rule_{target.id}").click()
    app.run()
    assert any("Choose what an urge this strong should open" in e.value for e in app.error)
    session.expire_all()
    assert session.get(DiaryTarget, target.id).alert_min_urge == 3


def test_the_region_is_chosen_from_known_ones_and_a_bad_stored_one_is_named(app, session):
    program = session.exec(select(Program)).first()
    program.crisis_region = "FR"
    session.add(program)
    session.commit()
    open_program(app)
    assert any("'FR' has no crisis lines here" in e.value for e in app.error)
    app.selectbox[0].set_value("CA")
    next(b for b in app.button if b.label == "Save region").click()
    app.run()
    assert any("Canada crisis lines" in s.value for s in app.success)
    session.expire_all()
    assert session.get(Program, program.id).crisis_region == "CA"
