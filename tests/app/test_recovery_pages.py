"""Dual diagnosis through the real app script: a lapse recorded on Today's card, bad amounts kept
beside the field, the days-in-recovery counter (a future start refused beside it), naloxone, and
what the therapist sees on Review."""

from datetime import date, timedelta

from sqlmodel import select

from core.models import Alert, AppUser, CardTrigger, CaseloadAssignment, DiaryCard, RecoveryCounter, SubstanceUse
from core.seed import DEMO_LAPSE_DAYS_AGO
from tests.app.conftest import log_in, texts
from tests.app.test_diary_card import today_key, widget
from ui import recovery as recovery_ui


def _card(session, username, day):
    user = session.exec(select(AppUser).where(AppUser.username == username)).one()
    session.expire_all()
    return user, session.exec(
        select(DiaryCard).where(DiaryCard.participant_id == user.id, DiaryCard.day == day)
    ).first()


def _record_lapse(app, day, amount):
    widget(app, "pills", f"mood_{day}").set_value(4)
    widget(app, "segmented_control", f"urge_substance_use_{day}").set_value(4)
    widget(app, "toggle", f"acted_substance_use_{day}").set_value(True)
    app.run()
    widget(app, "pills", f"use_{day}").set_value(["opioids"])
    app.run()
    widget(app, "segmented_control", f"use_unit_opioids_{day}").set_value("pills")
    widget(app, "number_input", f"use_amount_opioids_{day}").set_value(amount)
    widget(app, "pills", f"triggers_{day}").set_value(["lonely", "places"])
    next(b for b in app.button if b.label == "Save my card").click()
    return app.run()


def test_a_lapse_recorded_on_the_card_is_saved_with_it_and_alerts_today(app, session):
    log_in(app, "eli")
    day = today_key(app)
    assert f"{DEMO_LAPSE_DAYS_AGO} days since you last used." in texts(app)
    _record_lapse(app, day, 99)  # out of range: refused beside the field, nothing lost
    assert any("from 1 to 40" in e.value for e in app.error)
    assert widget(app, "number_input", f"use_amount_opioids_{day}").value == 99
    assert _card(session, "eli", date.fromisoformat(day))[1] is None

    widget(app, "number_input", f"use_amount_opioids_{day}").set_value(3)
    next(b for b in app.button if b.label == "Save my card").click()
    app.run()
    assert not app.exception
    user, card = _card(session, "eli", date.fromisoformat(day))
    used = session.exec(select(SubstanceUse).where(SubstanceUse.card_id == card.id)).all()
    assert [(u.substance, u.amount, u.unit) for u in used] == [("opioids", 3, "pills")]
    triggers = session.exec(select(CardTrigger.trigger).where(CardTrigger.card_id == card.id)).all()
    assert sorted(triggers) == ["lonely", "places"]
    alert = session.exec(select(Alert).where(Alert.participant_id == user.id, Alert.source_key == f"diary:{day}")).one()
    assert alert.severity == "same_day"
    # the counter restarted kindly
    # the crisis response comes first (a lapse on opioids); closed, the page shows the counter again
    next(b for b in app.button if b.label == "Hide this").click()
    app.run()
    # opioids don't restart Eli's alcohol counter: still his days, with his earlier lapses kindly named
    assert f"{DEMO_LAPSE_DAYS_AGO} days since you last used." in texts(app)
    assert "information, not failure" in texts(app)


def test_a_counter_starting_tomorrow_is_refused_beside_the_field(app, session):
    log_in(app, "eli")
    day = date.fromisoformat(today_key(app))
    assert not [w for w in app.selectbox if w.key == "counter_kind"]  # folded: not built
    app.session_state[recovery_ui.COUNTER_SETTINGS] = True  # a tap on "Days in recovery: my counters"
    app.run()
    widget(app, "selectbox", "counter_kind").set_value("cannabis")
    app.run()
    widget(app, "date_input", "counter_start_cannabis").set_value(day + timedelta(days=1))
    next(b for b in app.button if b.label == "Save counter").click()
    app.run()
    assert any("hasn't come yet" in e.value for e in app.error)
    assert widget(app, "date_input", "counter_start_cannabis").value == day + timedelta(days=1)
    widget(app, "date_input", "counter_start_cannabis").set_value(day - timedelta(days=6))
    next(b for b in app.button if b.label == "Save counter").click()
    app.run()
    assert not app.exception
    assert session.exec(select(RecoveryCounter).where(RecoveryCounter.substance == "cannabis")).one().start_on == (
        day - timedelta(days=6)
    )
    assert any("Cannabis" in m.label for m in app.metric)


def test_naloxone_is_on_today_for_an_opioid_and_stimulant_program(app, session):
    log_in(app, "eli")
    assert any(e.label.startswith("Naloxone") for e in app.expander)
    assert "Good Samaritan" in texts(app)


def test_the_therapist_sees_recovery_on_review(app, session):
    eli = session.exec(select(AppUser).where(AppUser.username == "eli")).one()
    therapist = session.exec(
        select(AppUser)
        .join(CaseloadAssignment, CaseloadAssignment.therapist_id == AppUser.id)
        .where(CaseloadAssignment.participant_id == eli.id)
    ).one()
    log_in(app, therapist.username)
    app.switch_page("pages/review.py")
    app.query_params["p"] = str(eli.id)
    app.run()
    assert not app.exception
    shown = texts(app)
    assert f"{DEMO_LAPSE_DAYS_AGO} days since last use" in shown
    assert "Naltrexone: taken as prescribed on" in shown


def test_the_safety_plan_prompts_for_naloxone(app):
    log_in(app, "eli")
    app.switch_page("pages/safety_plan.py").run()
    assert not app.exception
    assert "Naloxone in your plan?" in texts(app)


def test_the_admin_chooses_the_cards_substances_and_mat(app, session):
    log_in(app, "admin")
    app.switch_page("pages/admin_program.py").run()
    form = next(p for p in app.get("button_group") if "Substances the card lists" in str(p.proto.label))
    assert form is not None and not app.exception


def test_practice_logged_with_what_was_going_on_lands_on_the_triggers_map(app, session):
    from core.models import PracticeEntry, PracticeTrigger

    log_in(app, "eli")
    app.switch_page("pages/skills.py")
    app.query_params["skill"] = "halt"
    app.run()
    next(t for t in app.text_input if t.key.startswith("situation_log_halt")).input("after the party")
    next(p for p in app.get("button_group") if p.label.startswith("**Distress before**")).set_value(6)
    next(p for p in app.get("button_group") if p.key and p.key.startswith("ptriggers_")).set_value(["hungry", "tired"])
    next(b for b in app.button if b.label == "Save practice").click().run()
    assert not app.exception
    entry = session.exec(select(PracticeEntry).where(PracticeEntry.situation == "after the party")).one()
    assert sorted(session.exec(select(PracticeTrigger.trigger).where(PracticeTrigger.entry_id == entry.id))) == [
        "hungry",
        "tired",
    ]


def test_mat_taken_as_prescribed_is_asked_on_the_card_and_saved_with_it(app, session):
    from core.models import MatDose

    log_in(app, "alex")  # the demo program asks about buprenorphine and naltrexone
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(6)
    widget(app, "segmented_control", f"mat_buprenorphine_{day}").set_value("yes")
    widget(app, "segmented_control", f"mat_naltrexone_{day}").set_value("not_prescribed")
    next(b for b in app.button if b.label == "Save my card").click()
    app.run()
    assert not app.exception
    _, card = _card(session, "alex", date.fromisoformat(day))
    doses = session.exec(select(MatDose.medication, MatDose.taken).where(MatDose.card_id == card.id)).all()
    assert sorted(doses) == [("buprenorphine", "yes"), ("naltrexone", "not_prescribed")]
