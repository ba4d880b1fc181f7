"""Taking a PHQ-9 through the real app script."""

from sqlmodel import select

from core.models import Alert, AppUser
from tests.app.conftest import log_in, texts


def open_checkups(app, username):
    log_in(app, username)
    app.switch_page("pages/checkups.py").run()
    assert app.title[0].value == "Check-ups"
    return app


def offered(app) -> list[str]:
    """The names of the check-ups the "Ready for you" control offers (its segmented control)."""
    control = next(e for e in app.get("button_group") if e.key == "checkup_kind")
    return list(control.options) if hasattr(control, "options") else [o.content for o in control.proto.options]


def answer(app, kind, values, function=None):
    for index, value in enumerate(values):
        if value is not None:
            next(r for r in app.radio if r.key == f"{kind}_item_{index}").set_value(value)
    if function is not None:
        next(r for r in app.radio if r.key == f"{kind}_function").set_value(function)
    next(b for b in app.button if b.label == "Submit check-up").click()
    return app.run()


def test_home_says_a_checkup_is_ready(app):
    log_in(app, "alex")
    assert "Your weekly check-up is ready: PHQ-9, GAD-7 and Craving scale" in texts(app)


def test_take_a_phq9_and_see_the_score_in_plain_words(app):
    open_checkups(app, "alex")
    answer(app, "phq9", [1, 1, 2, 1, 0, 1, 1, 0, 0], function=1)
    assert not app.exception
    shown = texts(app)
    assert "PHQ-9: 7 of 27 — Mild" in shown
    assert "Some symptoms" in shown
    assert "less than half your starting score" in shown  # 16 at intake -> 7: a response


def test_a_missing_answer_is_marked_and_the_others_are_kept(app):
    open_checkups(app, "bailey")
    answer(app, "phq9", [1, 1, None, 1, 0, 1, 1, 0, 0])
    assert any("Please answer this one too" in e.value for e in app.error)
    assert next(r for r in app.radio if r.key == "phq9_item_0").value == 1


def test_item9_shows_the_crisis_panel_and_alerts_the_therapist(app, session):
    open_checkups(app, "gray")
    answer(app, "phq9", [1, 1, 1, 1, 0, 1, 0, 0, 2])
    shown = texts(app)
    assert "You don't have to get through this alone" in shown and "988" in shown
    gray = session.exec(select(AppUser).where(AppUser.username == "gray")).one()
    session.expire_all()
    assert (
        session.exec(select(Alert).where(Alert.participant_id == gray.id, Alert.trigger == "phq9_item9")).first()
        is not None
    )


def test_therapist_asks_for_an_extra_checkup_and_the_participant_sees_it(app, session):
    from core import checkups
    from core.access import Actor

    log_in(app, "dr.rivera")
    app.session_state["caseload_extra_open"] = True  # "Ask for an extra check-up", opened
    app.run()
    alex_row = next(o for o in app.selectbox[0].options if o.startswith("Alex"))
    app.selectbox[0].select(alex_row)
    next(b for b in app.button if b.label == "Ask for it").click()
    app.run()
    assert any("extra PHQ-9" in s.value for s in app.success)
    alex = Actor.of(session.exec(select(AppUser).where(AppUser.username == "alex")).one())
    session.expire_all()
    phq9 = next(s for s in checkups.statuses(session, alex, alex.id) if s.kind == "phq9")
    assert phq9.extra_request_id is not None


def test_after_a_phq9_the_result_stays_until_next_gad7_is_tapped(app, session):
    """#16: the filled form stayed live after Submit, and a second tap silently opened a blank
    GAD-7 while the PHQ-9 result disappeared."""
    open_checkups(app, "alex")
    answer(app, "phq9", [1, 1, 2, 1, 0, 1, 1, 0, 0], function=1)
    assert "PHQ-9: 7 of 27 — Mild" in texts(app)
    assert not any(b.label == "Submit check-up" for b in app.button)  # nothing left to tap twice
    assert not any(r.key.startswith("phq9_item_") for r in app.radio)
    app.run()  # any rerun keeps the result
    assert "PHQ-9: 7 of 27 — Mild" in texts(app)
    next(b for b in app.button if b.label == "Next: GAD-7").click().run()
    assert "PHQ-9: 7 of 27 — Mild" not in texts(app)
    gad = [r for r in app.radio if r.key.startswith("gad7_item_")]
    assert len(gad) == 7 and all(r.value is None for r in gad)


def test_substance_use_program_offers_the_auditc_and_shows_its_result(app, session):
    from core.models import Checkup

    open_checkups(app, "eli")
    assert {"AUDIT-C", "DAST-10"} <= set(offered(app))
    app.session_state["checkup_kind"] = "auditc"
    app.run()
    assert "Alcohol check-up (AUDIT-C)" in [h.value for h in app.subheader]
    answer(app, "auditc", [2, 1, 1])  # 2-4 times a month, 3 or 4 drinks, 6+ less than monthly
    shown = texts(app)
    assert "AUDIT-C: 4 of 12 — Positive screen" in shown
    assert "your therapist will go over it with you" in shown
    eli = session.exec(select(AppUser).where(AppUser.username == "eli")).one()
    session.expire_all()
    row = session.exec(select(Checkup).where(Checkup.participant_id == eli.id, Checkup.kind == "auditc")).one()
    assert (row.total, row.answers, row.slot_key) == (4, [2, 1, 1], "p0")


def test_a_program_without_substance_use_tracking_does_not_offer_the_screeners(app, session):
    from core.models import Program

    for program in session.exec(select(Program)).all():
        program.substance_use_tracking = False
        session.add(program)
    session.commit()
    open_checkups(app, "eli")
    shown = texts(app)
    assert "PHQ-9" in shown  # the page did draw its check-ups
    assert "AUDIT-C" not in shown and "DAST-10" not in shown
    assert "PHQ-9" in offered(app) and not {"AUDIT-C", "DAST-10"} & set(offered(app))


def test_today_says_when_a_screener_is_waiting_and_not_once_both_are_taken(app, session):
    from core import screeners
    from core.access import Actor

    log_in(app, "eli")
    assert "A short alcohol and drug check-up is waiting: AUDIT-C and DAST-10" in texts(app)
    eli = Actor.of(session.exec(select(AppUser).where(AppUser.username == "eli")).one())
    screeners.submit(session, eli, participant_id=eli.id, kind="auditc", answers=[0, 0, 0])
    screeners.submit(session, eli, participant_id=eli.id, kind="dast10", answers=[0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    app.switch_page("pages/today.py").run()
    assert "alcohol and drug check-up" not in texts(app)
