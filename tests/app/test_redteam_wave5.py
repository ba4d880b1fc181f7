"""Red team, wave 5: the diary save as a run of the card's fragment alone (#22's sixth slice).

A fragment's run skips app.py (the router's login check, its unit of work, the page's guard and
discharge check, the crisis response drawn at the top): each attack below checks that what the
whole-page run guaranteed still holds when the save is the card's run alone — as a hostile or
careless participant (or the clock, or a therapist elsewhere) would break it.

`at.fragment_runs` counts the card's runs alone; `at.routed` the runs of app.py."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, func, select

from core import clinical, enrolment
from core.access import Actor
from core.diary import CardInput
from core.models import Alert, AppUser, AuditEvent, DiaryCard
from core.program import user_today
from tests.app.conftest import log_in, texts
from tests.app.test_diary_card import today_key, widget
from tests.conftest import at_once
from ui import diary as diary_ui

CRISIS = "You don't have to get through this alone"
CLOSING = "Your time in the program has ended"


def _user(session, username: str) -> AppUser:
    session.expire_all()
    return session.exec(select(AppUser).where(AppUser.username == username)).one()


def _cards(session, username: str) -> list[DiaryCard]:
    user = _user(session, username)
    return list(session.exec(select(DiaryCard).where(DiaryCard.participant_id == user.id)).all())


def _alerts(session, username: str, day: str) -> list[Alert]:
    user = _user(session, username)
    return list(
        session.exec(select(Alert).where(Alert.participant_id == user.id, Alert.source_key == f"diary:{day}")).all()
    )


def _runs(at) -> tuple[int, int]:
    return len(at.routed), at.fragment_runs


def _save(at, day: str):
    next(b for b in at.button if b.key == f"save_{day}").click()
    return at.run()


# --- who is saving ------------------------------------------------------------------------------


def test_a_participant_discharged_between_draw_and_tap_saves_nothing_and_gets_the_closing_word(
    app, session, database_url
):
    """The page's guard (and Today's own check) shows a discharged participant the closing word, not
    the card; a tap on a card drawn before the discharge is a run of the card alone, which passes
    neither. Core's gate refuses the write (and audits the refusal); the person gets the whole page,
    which is now the closing word — not a bare refusal inside a card they can no longer save."""
    log_in(app, "alex")
    day = today_key(app)
    alex = _user(session, "alex")
    rivera = Actor.of(_user(session, "dr.rivera"))
    today = user_today(session, alex.id)
    alex.started_on = min(alex.started_on, today - timedelta(days=30))
    session.add(alex)
    session.commit()
    enrolment.discharge(session, rivera, participant_id=alex.id, day=today, status="completed", today=today)
    session.commit()
    since = session.exec(select(func.max(AuditEvent.id))).one()

    widget(app, "pills", f"mood_{day}").set_value(5)
    widget(app, "text_area", f"note_{day}").input("written after the discharge")
    _save(app, day)
    assert all(c.note != "written after the discharge" for c in _cards(session, "alex"))
    assert CLOSING in texts(app)  # the whole page: the closing word, as a run of app.py draws it
    refused = session.exec(
        select(AuditEvent).where(
            col(AuditEvent.id) > since,
            AuditEvent.participant_id == alex.id,
            AuditEvent.action == "write",
            col(AuditEvent.allowed).is_(False),
        )
    ).all()
    assert [(e.category, e.ref, e.reason) for e in refused] == [("diary", day, "discharged")]  # committed, once


# --- the day -----------------------------------------------------------------------------------


def test_a_save_refused_because_the_day_rolled_past_the_window_draws_the_new_days(app, session):
    """The oldest day offered is filled in; before Save, the participant's day rolls on (their zone
    moved them a day or two on): core refuses that day now. The card alone would keep offering the
    old days, and the person would tap Save on a card that can never be saved; the whole page is
    drawn again for the new today, as a run of app.py would."""
    alex = _user(session, "alex")
    alex.timezone = "Pacific/Pago_Pago"  # UTC-11
    alex.started_on = min(alex.started_on, date.today() - timedelta(days=30))
    session.add(alex)
    session.commit()
    log_in(app, "alex")
    days_before = widget(app, "segmented_control", "card_day").options
    oldest = widget(app, "segmented_control", "card_day")
    oldest_day = oldest.options[-1]
    assert oldest_day not in ("Today", "Yesterday")
    oldest.set_value(user_today(session, alex.id) - timedelta(days=clinical.LATE_WINDOW_DAYS))
    app.run()
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(5)
    widget(app, "text_area", f"note_{day}").input("typed before the day rolled on")
    app.run()
    session.execute(update(AppUser).where(col(AppUser.id) == alex.id).values(timezone="Pacific/Kiritimati"))
    session.commit()  # UTC+14: a day or two later there, and the card's day is out of the window
    before = _runs(app)
    _save(app, day)
    assert all(c.note != "typed before the day rolled on" for c in _cards(session, "alex"))
    assert _runs(app)[0] == before[0] + 1  # the whole page, for the new today
    assert widget(app, "segmented_control", "card_day").options != days_before


def test_a_forged_card_to_save_for_a_day_outside_the_window_saves_nothing(app, session):
    """Save's day comes from the server (the button's callback arguments), never from the browser; a
    card to save forged into session state anyway (ten days back, a day not yet come) is refused by
    core, beside the card, with no traceback, and nothing is stored."""
    log_in(app, "alex")
    alex = _user(session, "alex")
    today = user_today(session, alex.id)
    for forged in (today - timedelta(days=10), today + timedelta(days=1)):
        app.session_state[diary_ui.TAPPED] = (forged, CardInput(mood=5, note="forged"))
        app.run()
        assert diary_ui.TAPPED not in app.session_state
        assert all(c.note != "forged" for c in _cards(session, "alex"))
        assert f"card_errors_{forged}" in app.session_state


# --- risk ----------------------------------------------------------------------------------------


def test_a_double_tap_of_a_risky_card_opens_one_alert_and_draws_the_crisis_response(app, session):
    log_in(app, "harper")
    day = today_key(app)
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(4)
    widget(app, "pills", f"mood_{day}").set_value(2)
    for _tap in range(2):
        before = _runs(app)
        _save(app, day)
        assert _runs(app) == (before[0] + 1, before[1] + 1)  # each tap: the card's run, then the page
        assert CRISIS in texts(app) and "988" in texts(app)
    assert len(_alerts(session, "harper", day)) == 1


def test_a_refused_risky_card_tapped_twice_opens_one_alert_and_draws_the_crisis_response_each_time(app, session):
    log_in(app, "harper")
    day = today_key(app)
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(5)  # no mood: refused
    for _tap in range(2):
        before = _runs(app)
        _save(app, day)
        assert _runs(app) == (before[0] + 1, before[1] + 1)
        assert CRISIS in texts(app)
        assert any("Choose your mood" in e.value for e in app.error)
    assert len(_alerts(session, "harper", day)) == 1
    assert _cards(session, "harper") == [] or all(c.day != date.fromisoformat(day) for c in _cards(session, "harper"))


def test_a_risky_card_edited_to_not_risky_keeps_the_one_alert_and_saves_the_change(app, session):
    """Risk routed once stays routed (the therapist's alert is not withdrawn by a later edit); the
    edit itself is a common save, the card's run alone, and the crisis lines stay on the screen."""
    log_in(app, "harper")
    day = today_key(app)
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(4)
    widget(app, "pills", f"mood_{day}").set_value(2)
    _save(app, day)
    assert CRISIS in texts(app)
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(0)
    widget(app, "pills", f"mood_{day}").set_value(6)
    app.run()
    before = _runs(app)
    _save(app, day)
    assert _runs(app) == (before[0], before[1] + 1)
    assert [c.mood for c in _cards(session, "harper") if c.day == date.fromisoformat(day)] == [6]
    assert len(_alerts(session, "harper", day)) == 1
    assert "988" in texts(app)


# --- what is typed ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "note",
    ["before\x00after", "x" * (clinical.NOTE_MAX_CHARS + 25), "![img](http://evil.example/x.png) **bold**"],
    ids=["nul", "over-long", "markdown"],
)
def test_hostile_notes_saved_in_the_cards_run_alone(app, session, note):
    """A NUL byte is cleaned (PostgreSQL cannot store one), a note over the limit is marked and kept,
    Markdown is stored as typed: no traceback, the card's run alone, nothing lost."""
    log_in(app, "alex")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(5)
    widget(app, "text_area", f"note_{day}").input(note)
    before = _runs(app)
    _save(app, day)
    assert _runs(app) == (before[0], before[1] + 1)
    saved = [c for c in _cards(session, "alex") if c.day == date.fromisoformat(day)]
    if len(note) > clinical.NOTE_MAX_CHARS:
        assert saved == []
        assert widget(app, "text_area", f"note_{day}").value == note  # kept, and marked
        assert f"card_errors_{day}" in app.session_state
    else:
        assert len(saved) == 1 and "\x00" not in saved[0].note
        assert saved[0].note.replace("\x00", "") == saved[0].note
        assert "evil.example" not in "".join(str(getattr(m, "proto", "")) for m in app.markdown if "img" in m.value)


# --- two tabs -------------------------------------------------------------------------------------


def test_two_tabs_of_the_same_person_saving_the_same_day_make_one_card(app, new_app, session):
    """Both tabs drew the card before either saved: the second save is a change of the first's card
    (one card, the last answers), and each tab's next run starts from what was stored."""
    other = new_app().run()
    log_in(app, "alex")
    log_in(other, "alex")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(4)
    widget(other, "pills", f"mood_{day}").set_value(8)
    _save(app, day)
    _save(other, day)
    cards = [c for c in _cards(session, "alex") if c.day == date.fromisoformat(day)]
    assert [c.mood for c in cards] == [8]
    assert "Changes saved. Thank you for checking in." in texts(other)


# --- the program's card changed under the page ------------------------------------------------------


def _gambling(session) -> tuple[Actor, int]:
    from core import diary

    admin = Actor.of(_user(session, "admin"))
    target = diary.add_target(session, admin, label="Gambling")
    session.commit()
    return admin, target.id


def test_a_target_retired_while_the_card_was_open_does_not_block_every_save(app, session):
    """The admin retires a behaviour from the program's card while a participant has Today open. The
    card they fill in still asks about it, and core refuses a card that answers a question no longer
    on it. A run of the whole page would draw the card again without it; the card's run alone would
    draw the same card, refused on every tap. The whole page is drawn, without the question, and
    the next tap saves what was typed."""
    from core import diary

    admin, target_id = _gambling(session)
    log_in(app, "alex")
    day = today_key(app)
    assert any(w.key == f"urge_gambling_{day}" for w in app.segmented_control)
    diary.set_target_active(session, admin, target_id=target_id, active=False)
    session.commit()
    # (The answers go with the tap: AppTest runs the whole page for an answer, a browser the card alone.)
    widget(app, "pills", f"mood_{day}").set_value(7)
    widget(app, "text_area", f"note_{day}").input("typed while the card changed")
    before = _runs(app)
    _save(app, day)
    assert _runs(app) == (before[0] + 1, before[1] + 1)
    assert not any(w.key == f"urge_gambling_{day}" for w in app.segmented_control)  # the page's new card
    assert widget(app, "text_area", f"note_{day}").value == "typed while the card changed"
    assert "This urge is not on your program's card." not in texts(app)
    _save(app, day)
    saved = [c for c in _cards(session, "alex") if c.note == "typed while the card changed"]
    assert [c.mood for c in saved] == [7]


def test_a_target_added_while_the_card_was_open_is_on_the_card_after_the_save(app, session):
    """A behaviour added to the program's card (with its alert rule) while the page was open: the save
    goes through, and the card drawn after it asks about the new behaviour, as a run of the whole
    page would have drawn it."""
    log_in(app, "alex")
    day = today_key(app)
    _gambling(session)
    widget(app, "pills", f"mood_{day}").set_value(6)
    _save(app, day)
    assert [c.mood for c in _cards(session, "alex") if c.day == date.fromisoformat(day)] == [6]
    assert any(w.key == f"urge_gambling_{day}" for w in app.segmented_control)


# --- at once ------------------------------------------------------------------------------------------


def test_risky_saves_of_one_card_from_20_threads_in_units_of_their_own_open_one_alert(database_url, demo, session):
    """What each card's run does (its own unit of work, the save inside it), for a risky card, from 20
    threads at the same moment (a double tap, two phones, a retry): one card, one alert for the day,
    every save told it is risky (each draws the crisis response), every save's write recorded."""
    from core import db, diary

    harper = _user(session, "harper")
    actor = Actor.of(harper)
    today = user_today(session, harper.id)
    risky: list[bool] = []

    def save(i: int) -> None:
        card = CardInput(mood=i % 11, urges={"self_harm": (4, False)})
        with db.unit_of_work(), db.session_scope() as s:
            risky.append(diary.save_card(s, actor, participant_id=harper.id, day=today, card=card).risk.risky)

    assert at_once(20, save) == []
    assert risky == [True] * 20
    session.expire_all()
    assert (
        len(session.exec(select(DiaryCard).where(DiaryCard.participant_id == harper.id, DiaryCard.day == today)).all())
        == 1
    )
    assert len(_alerts(session, "harper", today.isoformat())) == 1
    writes = session.exec(
        select(AuditEvent).where(
            AuditEvent.participant_id == harper.id, AuditEvent.action == "write", AuditEvent.ref == today.isoformat()
        )
    ).all()
    assert len(writes) == 20


# --- the audit trail, and a tap merged into a whole-page run -------------------------------------------


def _events_since(session, since: int, participant_id: int) -> list[tuple]:
    session.expire_all()
    return sorted(
        (e.category, e.action, e.ref, e.allowed)
        for e in session.exec(
            select(AuditEvent).where(col(AuditEvent.id) > since, AuditEvent.participant_id == participant_id)
        ).all()
    )


def test_a_save_alone_audits_what_it_read_and_wrote_as_the_same_save_in_a_whole_page_run(app, session):
    """The card's run alone writes its audit events in its own unit: the write, and the reads the save
    makes (the streak, the saved card read back) — the same events, once each, as the same save's part
    of a whole-page run (a tap merged into one), which also audits the page's own reads."""
    log_in(app, "alex")
    day = today_key(app)
    alex = _user(session, "alex")
    since = session.exec(select(func.max(AuditEvent.id))).one()
    widget(app, "pills", f"mood_{day}").set_value(5)
    before = _runs(app)
    _save(app, day)
    assert _runs(app) == (before[0], before[1] + 1)
    alone = _events_since(session, since, alex.id)
    assert ("diary", "write", day, True) in alone
    assert sum(1 for e in alone if e[1] == "write") == 1
    assert len(alone) == len(set(alone))  # nothing twice
    assert all(e[3] for e in alone)

    since = session.exec(select(func.max(AuditEvent.id))).one()
    app.session_state[diary_ui.TAPPED] = (date.fromisoformat(day), CardInput(mood=6))
    app.run()  # a whole-page run that saves first (the router's unit)
    assert [c.mood for c in _cards(session, "alex") if c.day == date.fromisoformat(day)] == [6]
    whole = _events_since(session, since, alex.id)
    # Every event the save alone wrote, the page's save wrote too (a rerun folds its reads of one
    # category into one event whose ref covers them: the page's reads and the save's, there).
    assert {(c, a, ok) for c, a, _ref, ok in alone} <= {(c, a, ok) for c, a, _ref, ok in whole}
    assert ("diary", "write", day, True) in whole


def test_a_risky_tap_merged_into_a_whole_page_run_draws_the_crisis_response_once_and_one_alert(app, session):
    log_in(app, "harper")
    day = today_key(app)
    for _tap in range(2):
        app.session_state[diary_ui.TAPPED] = (
            date.fromisoformat(day),
            CardInput(mood=3, urges={"self_harm": (5, False)}),
        )
        app.run()
        assert CRISIS in texts(app)
        assert [i.value for i in app.info].count("Your card is saved.") + [i.value for i in app.info].count(
            "Your changes are saved."
        ) == 1
    assert len(_alerts(session, "harper", day)) == 1


def test_a_first_password_required_since_the_page_was_drawn_saves_nothing_and_keeps_the_card(app, session):
    """The program set a first password again (the account must choose its own before anything else):
    the card's run alone saves nothing, and the whole page is the password screen; the answers are
    kept for after it."""
    log_in(app, "alex")
    day = today_key(app)
    alex = _user(session, "alex")
    session.execute(update(AppUser).where(col(AppUser.id) == alex.id).values(must_change_password=True))
    session.commit()
    widget(app, "pills", f"mood_{day}").set_value(4)
    widget(app, "text_area", f"note_{day}").input("typed before the password screen")
    _save(app, day)
    assert all(c.note != "typed before the password screen" for c in _cards(session, "alex"))
    assert "Choose your own password" in [t.value for t in app.title]
    assert app.session_state[diary_ui.DRAFTS][day].note == "typed before the password screen"


# --- the database going down mid-save ---------------------------------------------------------------


@pytest.mark.parametrize("where", ["the login check", "the reads after the stored card"])
def test_the_database_down_mid_save_of_a_risky_card_shows_the_crisis_lines_and_keeps_the_card(
    app, session, monkeypatch, where
):
    """Down before anything is stored (the card's own login check) or after the card and its alert
    were committed (the streak read after them): the calm message and the crisis lines, never a
    traceback, the card drawn again with what was typed; the risk routed at most once, and the
    crisis response drawn by the next save."""
    from sqlalchemy.exc import OperationalError

    from core import diary
    from ui import auth as auth_ui
    from ui import layout

    log_in(app, "harper")
    day = today_key(app)
    target, name = (auth_ui, "current_actor") if where == "the login check" else (diary, "streak")
    working = getattr(target, name)

    def down(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(target, name, down)
    app.calm_error_expected = True
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(4)
    widget(app, "pills", f"mood_{day}").set_value(2)
    widget(app, "text_area", f"note_{day}").input("kept through the outage")
    before = _runs(app)
    _save(app, day)
    assert _runs(app) == (before[0], before[1] + 1)
    assert layout.DB_DOWN in [e.value for e in app.error]
    assert "988" in texts(app)
    assert widget(app, "text_area", f"note_{day}").value == "kept through the outage"
    stored = [c for c in _cards(session, "harper") if c.note == "kept through the outage"]
    assert len(stored) == (0 if where == "the login check" else 1)
    assert len(_alerts(session, "harper", day)) == len(stored)

    monkeypatch.setattr(target, name, working)
    app.calm_error_expected = False
    _save(app, day)
    assert CRISIS in texts(app)
    assert len(_alerts(session, "harper", day)) == 1
    assert [c.note for c in _cards(session, "harper") if c.day == date.fromisoformat(day)] == [
        "kept through the outage"
    ]


# --- wrong types --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "forged",
    [
        CardInput(mood="7", note="wrong types"),  # type: ignore[arg-type]
        CardInput(mood=5, urges="self_harm", note="wrong types"),  # type: ignore[arg-type]
        CardInput(mood=5, emotions=[1, 2], skills="tipp", note="wrong types"),  # type: ignore[arg-type]
        CardInput(mood=5, sleep_hours=float("nan"), note="wrong types"),
        CardInput(mood=5, note=b"wrong types"),  # type: ignore[arg-type]
        CardInput(mood=True, urges={"self_harm": ("4", "yes")}, note="wrong types"),  # type: ignore[arg-type]
    ],
    ids=["mood-str", "urges-str", "emotions-list", "sleep-nan", "note-bytes", "bool-and-strs"],
)
def test_answers_of_the_wrong_type_in_session_state_are_refused_beside_the_card(app, session, forged):
    """Answers of the wrong Python type in session state (a widget's state forged): the save in the
    card's run refuses them beside the card, stores nothing, and shows no traceback."""
    log_in(app, "harper")
    day = today_key(app)
    app.session_state[diary_ui.TAPPED] = (date.fromisoformat(day), forged)
    app.run()
    assert diary_ui.TAPPED not in app.session_state
    assert all(c.note != "wrong types" for c in _cards(session, "harper"))
    assert f"card_errors_{day}" in app.session_state


# --- a tap's run cut short -----------------------------------------------------------------------------


def test_a_save_whose_run_is_cut_short_before_it_saved_is_saved_by_the_next_run(app, session, monkeypatch):
    """Streamlit ends a running script at its next element when another request arrives (a browser's
    tap inside a fragment preempts the run in progress). The card's run alone draws an element before
    it saves (the login check's hidden container): a tap there — a second answer, "Yesterday" — ended
    the Save tap's run before anything was stored, and the tap was gone (taken from session state
    first). The tap stays until the card is saved, so the next run saves it."""
    import streamlit as st

    from ui import auth as auth_ui

    log_in(app, "alex")
    day = today_key(app)
    checking = auth_ui.current_actor
    cut = []

    def cut_short():
        if not cut:
            cut.append(True)
            st.stop()  # the run ends here, as a preempting request ends it (at an element)
        return checking()

    monkeypatch.setattr(auth_ui, "current_actor", cut_short)
    widget(app, "pills", f"mood_{day}").set_value(3)
    widget(app, "text_area", f"note_{day}").input("tapped, then tapped again at once")
    _save(app, day)
    assert cut and all(c.note != "tapped, then tapped again at once" for c in _cards(session, "alex"))
    app.run()  # the next run (the second tap's): the card runs in it, and saves the tap first
    assert [c.mood for c in _cards(session, "alex") if c.note == "tapped, then tapped again at once"] == [3]
    assert "Saved. Thank you for checking in." in texts(app)
    assert diary_ui.TAPPED not in app.session_state


@pytest.mark.parametrize(
    "note",
    [
        "I want to kill myself " + "x" * clinical.NOTE_MAX_CHARS,  # over the limit: refused, risk routed
        "I want to\x00 kill myself",  # a NUL inside the words
    ],
    ids=["over-long", "nul"],
)
def test_crisis_words_in_a_hostile_note_are_routed_once_and_answered_in_a_save_alone(app, session, note):
    """Crisis words in a note that is over the limit (refused) or carries a NUL: the risk is routed
    once for two taps, and each tap draws the crisis response (a run of the whole page)."""
    log_in(app, "alex")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(3)
    widget(app, "text_area", f"note_{day}").input(note)
    for _tap in range(2):
        before = _runs(app)
        _save(app, day)
        assert _runs(app) == (before[0] + 1, before[1] + 1)
        assert CRISIS in texts(app)
    assert len(_alerts(session, "alex", day)) == 1
    assert widget(app, "text_area", f"note_{day}").value == note
