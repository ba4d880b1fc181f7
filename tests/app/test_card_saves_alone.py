"""A diary card's Save is a run of the card's fragment alone (#22: 50 participants saving at once),
through the real app script: the login is checked first (logged out elsewhere, a changed password, a
deactivated account save nothing and keep what was typed), the card is saved in a unit of work of
its own, and whatever the save changed outside the card (a crisis response, the days-in-recovery
counters, a day that rolled over) brings a run of the whole page. An exception mid-save shows the
calm message and the crisis lines, never a traceback, and the card again with what was typed.

`at.fragment_runs` counts the runs that were the card's alone; `at.routed` the runs of app.py."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from core import auth, db, diary
from core.access import Actor
from core.models import AppUser, AuditEvent, DiaryCard
from core.program import user_today
from tests.app.conftest import log_in, texts
from tests.app.test_diary_card import today_key, widget
from tests.conftest import at_once
from tests.e2e.conftest import DEMO_PASSWORD
from ui import diary as diary_ui
from ui import layout

SAVED = "Saved. Thank you for checking in."


def _tap_save(at, day: str, *, mood: int, note: str | None = None):
    widget(at, "pills", f"mood_{day}").set_value(mood)
    if note is not None:
        widget(at, "text_area", f"note_{day}").input(note)
    next(b for b in at.button if b.key == f"save_{day}").click()
    return at.run()


def _runs(at) -> tuple[int, int]:
    return len(at.routed), at.fragment_runs


def _moods(session, username: str, day: str) -> list[int]:
    session.expire_all()
    user = session.exec(select(AppUser).where(AppUser.username == username)).one()
    return list(
        session.exec(
            select(DiaryCard.mood).where(DiaryCard.participant_id == user.id, DiaryCard.day == date.fromisoformat(day))
        ).all()
    )


def _user(session, username: str) -> AppUser:
    session.expire_all()
    return session.exec(select(AppUser).where(AppUser.username == username)).one()


def test_a_save_in_spanish_is_drawn_and_stored_in_spanish_in_the_cards_run_alone(app, session):
    """The card's run alone sets its language from the login check (as app.py does for a page run):
    "Saved" in Spanish, the card stored as answered in Spanish, and a card already saved read the same."""
    alex = _user(session, "alex")
    alex.language = "es"
    session.add(alex)
    session.commit()
    log_in(app, "alex")
    day = today_key(app)
    before = _runs(app)
    _tap_save(app, day, mood=4)
    assert _runs(app) == (before[0], before[1] + 1)  # the card's fragment alone
    assert "Guardada. Gracias por registrarte hoy." in texts(app) and SAVED not in texts(app)
    session.expire_all()
    stored = session.exec(
        select(DiaryCard).where(DiaryCard.participant_id == alex.id, DiaryCard.day == date.fromisoformat(day))
    ).one()
    assert (stored.mood, stored.language) == (4, "es")
    assert "Save my card" not in [b.label for b in app.button]  # every label of the card in Spanish


def test_a_common_save_is_the_cards_run_alone_and_draws_the_saved_card(app, session):
    log_in(app, "alex")
    day = today_key(app)
    before = _runs(app)
    _tap_save(app, day, mood=7, note="Typed, then saved in the card's own run.")
    assert _runs(app) == (before[0], before[1] + 1)  # no run of app.py: the card's fragment alone
    assert SAVED in texts(app)
    assert _moods(session, "alex", day) == [7]
    shown = texts(app)
    assert "Alex" in shown  # the page around the card is still on the screen (the title)
    # The card draws from what was stored: the saved card's caption, and no "not saved yet" mark.
    assert "You filled in this card" in shown and "Not saved yet" not in shown
    # The save's reads and write are audited in its own unit of work.
    alex = _user(session, "alex")
    written = session.exec(
        select(AuditEvent.action).where(
            AuditEvent.participant_id == alex.id, AuditEvent.category == "diary", col(AuditEvent.ref).contains(day)
        )
    ).all()
    assert "write" in written and "read" in written

    _tap_save(app, day, mood=8)  # the second save is a change of the saved card, still the card alone
    assert "Changes saved. Thank you for checking in." in texts(app)
    assert _runs(app) == (before[0], before[1] + 2)
    assert _moods(session, "alex", day) == [8]


@pytest.mark.parametrize("how", ["logged out elsewhere", "password changed", "deactivated"])
def test_a_login_that_ended_elsewhere_saves_nothing_and_keeps_what_was_typed(app, session, how):
    log_in(app, "alex")
    day = today_key(app)
    alex = _user(session, "alex")
    if how == "logged out elsewhere":
        auth.end_all_sessions(session, alex.id)
    elif how == "password changed":
        auth.change_password(
            session,
            user_id=alex.id,
            current=DEMO_PASSWORD,
            new="a new sentence of mine",
            repeat="a new sentence of mine",
            rounds=4,
        )
    else:  # an account switched off, nothing else changed
        session.execute(update(AppUser).where(col(AppUser.id) == alex.id).values(is_active=False))
    session.commit()

    _tap_save(app, day, mood=3, note="Written while the login ended elsewhere.")
    assert _moods(session, "alex", day) == []
    assert app.text_input(key="login_username")  # the whole page: the login
    assert "You have been signed out. Please log in again." in texts(app)
    if how != "logged out elsewhere":
        return
    log_in(app, "alex")  # the same person again, on the same tab: the card still holds what was typed
    assert widget(app, "pills", f"mood_{day}").value == 3
    assert widget(app, "text_area", f"note_{day}").value == "Written while the login ended elsewhere."
    before = _runs(app)
    next(b for b in app.button if b.key == f"save_{day}").click()
    app.run()
    assert _moods(session, "alex", day) == [3] and SAVED in texts(app)
    assert _runs(app) == (before[0], before[1] + 1)


def test_an_answers_run_that_meets_a_login_ended_elsewhere_keeps_the_answer_for_after_the_login(app, session):
    """A note typed, then Save tapped in a tab logged out elsewhere: the browser sends the note's own
    run (its blur) before Save's. That run of the card alone meets the ended login first and shows the
    login (no card drawn, so its answers are not folded into the day's draft by drawing it); the note
    must still be on the card after logging in again."""
    log_in(app, "alex")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(3)
    app.run_in_fragment(diary_ui.CARD_FRAGMENT)
    auth.end_all_sessions(session, _user(session, "alex").id)
    session.commit()
    widget(app, "text_area", f"note_{day}").input("Typed; its blur's run met the ended login.")
    before = app.fragment_runs
    app.run_in_fragment(diary_ui.CARD_FRAGMENT)
    assert app.fragment_runs == before + 1  # the note's run was the card's alone (then the whole page)
    assert app.text_input(key="login_username") and "You have been signed out. Please log in again." in texts(app)
    log_in(app, "alex")
    assert widget(app, "pills", f"mood_{day}").value == 3
    assert widget(app, "text_area", f"note_{day}").value == "Typed; its blur's run met the ended login."
    assert _moods(session, "alex", day) == []  # nothing saved by the run that met the ended login


def test_an_answers_run_whose_answers_cannot_be_kept_still_shows_only_the_login(app, session, monkeypatch):
    """Keeping the answers must never stand in the login check's way: should it fail, the run that met
    the ended login still shows the login, not the card drawn from the last days' saved cards."""
    log_in(app, "alex")
    day = today_key(app)
    auth.end_all_sessions(session, _user(session, "alex").id)
    session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("keeping the drafts failed")

    monkeypatch.setattr(diary_ui, "_answers_in_state", broken)  # (what keep_drafts reads the answers with)

    widget(app, "text_area", f"note_{day}").input("Lost, but the login still comes first.")
    app.run_in_fragment(diary_ui.CARD_FRAGMENT)
    assert app.text_input(key="login_username") and "You have been signed out. Please log in again." in texts(app)
    assert not [b for b in app.button if b.key == f"save_{day}"]  # no card under the login


def test_a_card_that_routes_risk_draws_the_crisis_response_in_a_run_of_the_whole_page(app, session):
    log_in(app, "harper")
    day = today_key(app)
    before = _runs(app)
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(4)
    _tap_save(app, day, mood=2)
    assert _runs(app) == (before[0] + 1, before[1] + 1)  # the card's run saved, then the whole page
    shown = texts(app)
    assert "You don't have to get through this alone" in shown and "988" in shown
    assert "Your card is saved." in [i.value for i in app.info]  # said once, beside the crisis response
    assert _moods(session, "harper", day) == [2]


def test_a_card_run_finding_a_crisis_response_not_yet_drawn_asks_for_the_whole_page(app, session):
    """The crisis response a save set is drawn at the top, at the end of the page's run; a tap that
    preempts that run leaves it waiting. The next run of the card alone cannot draw it there: it asks
    for the whole page (whose card then saves the tap), instead of going on without it."""
    from ui import risk

    log_in(app, "harper")
    day = today_key(app)
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(4)
    _tap_save(app, day, mood=2)
    assert app.session_state[risk.PENDING]["drawn"] is True  # the page run drew it
    del app.session_state[risk.PENDING]["drawn"]  # as a run preempted before the end of the page leaves it
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(0)  # a save that routes no risk
    before = _runs(app)
    _tap_save(app, day, mood=3)
    assert _runs(app) == (before[0] + 1, before[1] + 1)  # the card's run asked for the whole page
    assert _moods(session, "harper", day) == [3]


def test_a_refused_card_with_risk_answers_draws_the_crisis_response_and_keeps_the_card(app, session):
    log_in(app, "harper")
    day = today_key(app)
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(5)
    widget(app, "text_area", f"note_{day}").input("no mood chosen")
    next(b for b in app.button if b.key == f"save_{day}").click()
    before = _runs(app)
    app.run()
    assert _runs(app) == (before[0] + 1, before[1] + 1)
    assert "You don't have to get through this alone" in texts(app)
    assert any("Choose your mood" in e.value for e in app.error)
    assert widget(app, "text_area", f"note_{day}").value == "no mood chosen"
    assert _moods(session, "harper", day) == []


def _counters(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_a_card_that_records_use_or_no_longer_does_redraws_the_counters_above_it(app, session):
    """Use on a card restarts a counter above the card; taking it off the card again (no risk routed
    by that save) gives the counter back: both saves end in a run of the whole page."""
    log_in(app, "eli")
    day = today_key(app)
    counted = _counters(app)
    assert counted
    widget(app, "segmented_control", f"urge_substance_use_{day}").set_value(3)
    widget(app, "toggle", f"acted_substance_use_{day}").set_value(True)
    app.run()
    widget(app, "pills", f"use_{day}").set_value(["alcohol"])
    app.run()
    widget(app, "number_input", f"use_amount_alcohol_{day}").set_value(2)
    before = _runs(app)
    _tap_save(app, day, mood=5)
    assert _runs(app) == (before[0] + 1, before[1] + 1)
    assert _counters(app) != counted  # restarted by this card
    next(b for b in app.button if b.label == "Hide this").click()
    app.run()

    widget(app, "toggle", f"acted_substance_use_{day}").set_value(False)  # (the use fields go with it)
    widget(app, "segmented_control", f"urge_substance_use_{day}").set_value(0)
    app.run()
    before = _runs(app)
    _tap_save(app, day, mood=6)
    assert _runs(app) == (before[0] + 1, before[1] + 1)  # no risk this time: the use alone asked for it
    assert "You don't have to get through this alone" not in texts(app)
    assert _counters(app) == counted
    assert _moods(session, "eli", day) == [6]


def test_a_save_after_the_day_rolled_over_draws_the_new_days(app, session):
    """The page was drawn on one day of the participant's; the save comes on the next (their time
    zone moved them there): the card is saved for the day it was filled in for, and the whole page
    is drawn again for the new today."""
    alex = _user(session, "alex")
    alex.timezone = "Pacific/Pago_Pago"  # UTC-11
    session.add(alex)
    session.commit()
    log_in(app, "alex")
    day = today_key(app)
    assert day == datetime.now(ZoneInfo("Pacific/Pago_Pago")).date().isoformat()
    session.execute(update(AppUser).where(col(AppUser.id) == alex.id).values(timezone="Pacific/Kiritimati"))
    session.commit()  # UTC+14: a day or two later there
    days_before = widget(app, "segmented_control", "card_day").options
    before = _runs(app)
    _tap_save(app, day, mood=6)
    assert _runs(app) == (before[0] + 1, before[1] + 1)
    # The days offered are the new today's (the card filled in is now "Yesterday", still open).
    days_after = widget(app, "segmented_control", "card_day").options
    assert days_after != days_before and days_after[:2] == ["Today", "Yesterday"] and today_key(app) == day
    session.expire_all()
    card = session.exec(
        select(DiaryCard).where(DiaryCard.participant_id == alex.id, DiaryCard.day == date.fromisoformat(day))
    ).one()
    assert card.mood == 6 and card.late  # filled in for its day, marked late as it now is


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (RuntimeError("mid-save"), layout.UNEXPECTED),
        (OperationalError("UPDATE", {}, Exception("gone")), layout.DB_DOWN),
    ],
)
def test_an_exception_mid_save_shows_the_calm_message_and_the_crisis_lines_and_keeps_the_card(
    app, session, monkeypatch, failure, message
):
    log_in(app, "alex")
    day = today_key(app)
    saving = diary.save_card

    def fails(*args, **kwargs):
        raise failure

    monkeypatch.setattr(diary, "save_card", fails)
    app.calm_error_expected = True
    before = _runs(app)
    _tap_save(app, day, mood=4, note="Kept through a failure.")
    assert _runs(app) == (before[0], before[1] + 1)
    assert not app.exception  # no traceback
    assert message in [e.value for e in app.error]
    assert "Need help right now? Crisis lines" in [e.label for e in app.expander]
    assert "988" in texts(app)
    assert _moods(session, "alex", day) == []
    # The card is drawn again under the message, with what was typed; Save works once it is back.
    assert widget(app, "pills", f"mood_{day}").value == 4
    assert widget(app, "text_area", f"note_{day}").value == "Kept through a failure."
    monkeypatch.setattr(diary, "save_card", saving)
    app.calm_error_expected = False
    next(b for b in app.button if b.key == f"save_{day}").click()
    app.run()
    assert SAVED in texts(app) and _moods(session, "alex", day) == [4]


def test_a_double_tap_saves_once_and_says_saved_once(app, session):
    """Two taps: the second's run comes after the first's "Saved" was drawn (both taps' runs save).
    The second saves the same answers: it still says "Saved", never "Changes saved"."""
    log_in(app, "alex")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(6)
    save = next(b for b in app.button if b.key == f"save_{day}")
    save.click()
    app.run()
    assert SAVED in texts(app)
    next(b for b in app.button if b.key == f"save_{day}").click()
    app.run()
    assert _moods(session, "alex", day) == [6]
    shown = texts(app)
    assert SAVED in shown and "Changes saved" not in shown
    # A changed answer saved afterwards is a change, and says so.
    widget(app, "pills", f"mood_{day}").set_value(7)
    app.run()
    next(b for b in app.button if b.key == f"save_{day}").click()
    app.run()
    assert "Changes saved" in texts(app) and _moods(session, "alex", day) == [7]


def test_saves_of_the_card_in_units_of_their_own_at_once_make_one_card(database_url, demo, session):
    """What each card's run does (a unit of work of its own, the save inside it), from 20 threads at
    the same moment for the same participant and day (a double tap, two phones): one card, and every
    save's write recorded."""
    alex = _user(session, "alex")
    actor = Actor.of(alex)
    today = user_today(session, alex.id)

    def save(i: int) -> None:
        with db.unit_of_work(), db.session_scope() as s:
            diary.save_card(s, actor, participant_id=alex.id, day=today, card=diary.CardInput(mood=i % 11))

    assert at_once(20, save) == []
    session.expire_all()
    cards = session.exec(select(DiaryCard).where(DiaryCard.participant_id == alex.id, DiaryCard.day == today)).all()
    assert len(cards) == 1
    writes = session.exec(
        select(AuditEvent).where(
            AuditEvent.participant_id == alex.id, AuditEvent.action == "write", AuditEvent.ref == today.isoformat()
        )
    ).all()
    assert len(writes) == 20


def test_someone_else_logging_in_on_the_tab_never_sees_the_last_persons_unsaved_answers(app, session):
    """A login that lapses keeps the person's typed answers for them; the next person to log in on the
    same tab (a clinic's shared tablet) gets an empty card, and cannot save the last person's note."""
    log_in(app, "alex")
    day = today_key(app)
    alex = _user(session, "alex")
    auth.end_all_sessions(session, alex.id)  # logged out elsewhere
    session.commit()
    _tap_save(app, day, mood=2, note="Alex's words, not Bailey's to read.")
    assert app.text_input(key="login_username") and _moods(session, "alex", day) == []
    log_in(app, "bailey")
    assert widget(app, "pills", f"mood_{day}").value is None
    assert widget(app, "text_area", f"note_{day}").value == ""
    assert "Not saved yet" not in texts(app)
    assert "Alex's words" not in texts(app)
