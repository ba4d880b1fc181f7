"""The safety plan screens through the real app script."""

from sqlmodel import select

from core import safety
from core.access import Actor
from core.models import AppUser
from tests.app.conftest import log_in, open_page, texts
from ui.text import md  # names typed by a person are shown as typed, never as Markdown


def actor(session, username):
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def open_plan(app, username):
    log_in(app, username)
    open_page(app, "pages/safety_plan.py")
    assert app.title[0].value == "My safety plan"


def test_participant_sees_their_plan_with_tap_to_call(app):
    open_plan(app, "dana")
    shown = texts(app)
    assert md("Jamie (partner)") in shown and "tel:5550118" in shown
    assert "My nephew's laugh" in [t.value.lstrip("• ") for t in app.text]
    assert app.get("download_button")


def test_write_a_first_plan(app, session):
    open_plan(app, "casey")
    assert "no written plan yet" in texts(app)
    box = next(t for t in app.text_area if t.key == "plan_edit_reasons_for_living")
    box.input("My cat\nThe sea in summer")
    next(b for b in app.button if b.label == "Save my plan").click()
    app.run()
    assert any("Saved (version 1)" in s.value for s in app.success)
    casey = actor(session, "casey")
    session.expire_all()
    assert safety.current_plan(session, casey, casey.id).items("reasons_for_living") == ["My cat", "The sea in summer"]


def test_when_the_therapist_saved_first_the_participant_keeps_their_text(app, session):
    open_plan(app, "alex")
    box = next(t for t in app.text_area if t.key == "plan_edit_warning_signs")
    box.input("Not sleeping\nCancelling plans\nSnapping at people")
    # Meanwhile Dr. Rivera saves a new version from her screen.
    rivera, alex = actor(session, "dr.rivera"), actor(session, "alex")
    current = safety.current_plan(session, alex, alex.id)
    safety.save_plan(
        session,
        rivera,
        participant_id=alex.id,
        base_version=current.version,
        content={**current.content, "reasons_for_living": ["My dog Pepper", "Pat"]},
    )
    next(b for b in app.button if b.label == "Save my plan").click()
    app.run()
    assert any("Dr. Elena Rivera saved a newer version" in w.value for w in app.warning)
    assert next(t for t in app.text_area if t.key == "plan_edit_warning_signs").value.endswith("Snapping at people")
    next(b for b in app.button if b.label == "Save my plan").click()  # having seen theirs, save again
    app.run()
    assert any("Saved (version 4)" in s.value for s in app.success)


def test_therapist_reads_and_sees_changes_for_the_caseload_only(app):
    log_in(app, "dr.chen")
    open_page(app, "pages/safety_plans.py")
    app.selectbox(key="plan_person").select(
        next(o for o in app.selectbox(key="plan_person").options if o.startswith("Dana"))
    )
    app.run()
    shown = texts(app)
    assert md("Jamie (partner)") in shown and "Version 2" in shown
    assert "Alex Morgan" not in app.selectbox(key="plan_person").options


def test_a_risky_card_shows_the_participants_own_plan(app):
    log_in(app, "dana")
    day = next(w for w in app.segmented_control if w.key == "card_day").value.isoformat()
    next(w for w in app.pills if w.key == f"mood_{day}").set_value(2)
    next(w for w in app.segmented_control if w.key == f"urge_self_harm_{day}").set_value(5)
    next(b for b in app.button if b.label == "Save my card").click()
    app.run()
    shown = texts(app)
    assert "You don't have to get through this alone" in shown
    assert md("Jamie (partner)") in shown and "988" in shown
