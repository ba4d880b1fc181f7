"""Red team, wave 15, through the real app script: attacks that need the pages (see
tests/unit/test_redteam_wave15.py for the ones core alone shows)."""

from __future__ import annotations

from sqlmodel import select

from core import checkups
from core.access import Actor
from core.models import Alert, AppUser, Checkup
from tests.app.conftest import log_in, texts


def _person(session, username: str) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def test_a_phq9_sent_from_a_second_tab_after_the_first_saved_it_still_brings_the_crisis_response(app, session):
    """Alex has the check-ups open on two tabs. On the first, this week's PHQ-9 is sent with item 9
    at 0; on the second, opened before, they answer item 9 with "more than half the days" and tap
    Submit. The second is not saved (one a week), but its item 9 answer must bring the crisis lines
    and reach the therapist: before, the rerun found PHQ-9 no longer due, never drew its form, and
    the answers vanished without a word."""
    log_in(app, "alex")
    app.switch_page("pages/checkups.py").run()
    for index, value in enumerate([1, 1, 1, 1, 0, 1, 1, 0, 2]):
        next(r for r in app.radio if r.key == f"phq9_item_{index}").set_value(value)
    alex = _person(session, "alex")
    checkups.submit(session, alex, participant_id=alex.id, kind="phq9", answers=[1] * 8 + [0])  # the first tab
    next(b for b in app.button if b.label == "Submit check-up").click()
    app.run()
    assert not app.exception
    shown = texts(app)
    assert "You don't have to get through this alone" in shown and "988" in shown
    session.expire_all()
    item9 = session.exec(select(Alert).where(Alert.participant_id == alex.id, Alert.trigger == "phq9_item9")).all()
    assert [a.severity for a in item9 if a.resolved_at is None] == ["urgent"]
    saved = session.exec(select(Checkup).where(Checkup.participant_id == alex.id, Checkup.kind == "phq9")).all()
    assert max(saved, key=lambda c: c.taken_at).answers == [1] * 8 + [0]  # the first one stays the one saved
    assert any("already" in w.value for w in app.warning)  # said plainly, not "some answers are missing"
    assert not any("Some answers are missing" in e.value for e in app.error)


def test_a_gad7_sent_from_a_second_tab_says_it_was_done_and_is_gone_on_the_next_tap(app, session):
    """The same on the GAD-7 (no crisis item): the second tab's tap says the check-up was already done
    instead of dropping the answers unseen, and the form is not offered again after it."""
    log_in(app, "alex")
    app.switch_page("pages/checkups.py").run()
    next(e for e in app.get("button_group") if e.key == "checkup_kind").set_value("gad7")
    app.run()
    for index in range(7):
        next(r for r in app.radio if r.key == f"gad7_item_{index}").set_value(1)
    alex = _person(session, "alex")
    checkups.submit(session, alex, participant_id=alex.id, kind="gad7", answers=[2] * 7)  # the first tab
    next(b for b in app.button if b.label == "Submit check-up").click()
    app.run()
    assert not app.exception
    assert any("already" in w.value for w in app.warning)
    assert not any("Some answers are missing" in e.value for e in app.error)
    app.run()
    assert not any(r.key.startswith("gad7_item_") for r in app.radio)  # not offered again
    assert not app.warning


def test_crisis_words_in_a_practice_refused_for_a_missing_rating_bring_the_crisis_response_at_once(app, session):
    """A practice note in crisis words, saved without the distress rating: refused beside the rating,
    what was typed kept — and the crisis lines shown and the therapist alerted in that same tap, as
    on the diary card (before, nothing until the rating was fixed and saved)."""
    log_in(app, "alex")
    app.switch_page("pages/skills.py")
    app.query_params["skill"] = "halt"
    app.run()
    situation = next(t.key for t in app.text_input if t.key.startswith("situation_log_halt"))
    app.text_input(key=situation).input("honestly I want to end it all")
    next(b for b in app.button if b.label == "Save practice").click().run()
    assert not app.exception
    shown = texts(app)
    assert "You don't have to get through this alone" in shown and "not watched in real time" in shown
    assert any("Not saved yet" in e.value for e in app.error)
    assert app.text_input(key=situation).value == "honestly I want to end it all"  # kept, not saved
    alex = _person(session, "alex")
    session.expire_all()
    rows = session.exec(select(Alert).where(Alert.participant_id == alex.id)).all()
    assert [a.source_key.split(":")[0] for a in rows if a.source_key.startswith("practice:")] == ["practice"]


def test_the_next_person_on_a_shared_tablet_sees_nothing_the_last_one_left_on_its_screens(app, session):
    """The clinic's tablet: Gray answers the PHQ-9 (item 9 above zero: their score, their crisis panel)
    and turns on their calendar (its private address, shown once), then logs out on My account. Bailey
    logs in on the same tab. Before, Bailey's Check-ups showed Gray's score and crisis response and
    Bailey's Reminders offered Gray's calendar address as theirs: what a screen kept for this session
    outlived the person it was kept for."""
    log_in(app, "gray")
    app.switch_page("pages/checkups.py").run()
    for index, value in enumerate([1, 1, 1, 1, 0, 1, 0, 0, 2]):
        next(r for r in app.radio if r.key == f"phq9_item_{index}").set_value(value)
    next(b for b in app.button if b.label == "Submit check-up").click()
    app.run()
    assert "PHQ-9: 7 of 27" in texts(app) and "You don't have to get through this alone" in texts(app)
    app.switch_page("pages/notifications.py").run()
    next(b for b in app.button if b.label == "Turn on my calendar").click()
    app.run()
    gray_address = app.session_state["iop_feed_url"]  # (pages/notifications.py: FEED_URL)
    assert [c.value for c in app.code] == [gray_address]  # shown once, to Gray
    app.switch_page("pages/account.py").run()
    next(b for b in app.button if b.label == "Log out").click()
    app.run()
    log_in(app, "bailey")
    app.switch_page("pages/checkups.py").run()
    shown = texts(app)
    assert not app.exception
    assert "7 of 27" not in shown and "You don't have to get through this alone" not in shown
    assert any(r.key == "phq9_item_0" for r in app.radio)  # Bailey's own check-up, to answer
    bailey = _person(session, "bailey")
    from core import feed

    feed.turn_on(session, bailey)  # (Bailey's feed is on too: the page shows an address only just made)
    app.switch_page("pages/notifications.py").run()
    assert gray_address not in [c.value for c in app.code]


def test_a_double_tap_on_submit_keeps_the_result_on_screen(app, session):
    """Submit tapped twice on this week's PHQ-9: the first tap saves it and its result is shown; the
    second tap's trigger arrives in the next run while that result is on screen (the form is no longer
    drawn, so Streamlit still holds the button's last value for its key). It is a double tap of the
    check-up just saved, not a form sent from another tab: the result stays, and the form does not come
    back with "already done" beside it (the first version of the second-tab fix drew it again)."""
    log_in(app, "alex")
    app.switch_page("pages/checkups.py").run()
    for index, value in enumerate([1, 1, 1, 1, 0, 1, 1, 0, 0]):
        next(r for r in app.radio if r.key == f"phq9_item_{index}").set_value(value)
    next(b for b in app.button if b.label == "Submit check-up").click()
    app.run()
    assert "PHQ-9: 6 of 27" in texts(app)
    app.session_state["submit_phq9"] = True  # the second tap of the same Submit
    app.run()
    assert not app.exception
    assert "PHQ-9: 6 of 27" in texts(app)  # the result, still
    assert not any(r.key.startswith("phq9_item_") for r in app.radio)  # not the form again
    assert not app.warning
    alex = _person(session, "alex")
    saved = session.exec(select(Checkup).where(Checkup.participant_id == alex.id, Checkup.kind == "phq9")).all()
    assert sum(1 for c in saved if c.answers == [1, 1, 1, 1, 0, 1, 1, 0, 0]) == 1
