"""Red team, wave 8: the new diary save (a run of the card's head and Save alone, ui.diary.SAVE_RUN;
the login check and the save in one unit of work, ui.diary.save_unit; the skills' pickers built only
while their expander is open).

A hostile or careless participant's taps, through the real app script: every answer is saved exactly
as shown (and a fresh page open shows the same card, the same • marks and the same count), the crisis
response still comes once, a refused save saves nothing and says why, and what the screen shows after
Save is what a fresh open of the page shows.

`at.fragment_runs` counts fragment runs; `at.routed` the runs of app.py."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update
from sqlmodel import col, func, select

from core import clinical, diary
from core.models import Alert, AppUser, AuditEvent, DiaryCard
from core.program import user_today
from tests.app.conftest import log_in, texts
from tests.app.test_diary_card import today_key, widget
from ui import diary as diary_ui
from ui import greetings

SAVED = "Saved. Thank you for checking in."
CHANGED = "Changes saved. Thank you for checking in."
FILLED = "You filled in this card"
CRISIS = "You don't have to get through this alone"
OVER = "more than fit"  # the note's over-the-limit warning (ui.forms.over_limit)


def _user(session, username: str) -> AppUser:
    session.expire_all()
    return session.exec(select(AppUser).where(AppUser.username == username)).one()


def _card(session, username: str, day: str) -> DiaryCard | None:
    user = _user(session, username)
    return session.exec(
        select(DiaryCard).where(DiaryCard.participant_id == user.id, DiaryCard.day == date.fromisoformat(day))
    ).one_or_none()


def _alerts(session, username: str, day: str) -> list[Alert]:
    user = _user(session, username)
    return list(
        session.exec(select(Alert).where(Alert.participant_id == user.id, Alert.source_key == f"diary:{day}")).all()
    )


def _save_button(at, day: str):
    return next(b for b in at.button if b.key == f"save_{day}")


def _save(at, day: str):
    _save_button(at, day).click()
    return at.run()


def _runs(at) -> tuple[int, int]:
    return len(at.routed), at.fragment_runs


def _day_options(at) -> list[str]:
    return list(widget(at, "segmented_control", "card_day").options)


def _skills_pickers(at, day: str) -> list:
    return [p for p in at.pills if p.key and p.key.startswith("skills_") and p.key.endswith(day)]


def _skills_label(at) -> str:
    return next(e.label for e in at.expander if "Skills I used" in e.label or "Habilidades" in e.label)


def _ids(picker) -> list[str]:
    from core.skills import catalogue

    module_id = picker.key.removeprefix("skills_").rsplit("_", 1)[0]
    module = next(m for m in catalogue("en") if m.id == module_id)
    return [s.id for s in module.skills]


def _open_skills(at, day: str, opened: bool = True):
    at.session_state[f"skills_open_{day}"] = opened  # a tap on "Skills I used today"
    return at.run()


def _shown_card(at, day: str) -> dict:
    """What the card's answers show on the screen (the widgets the browser holds)."""
    shown = {
        "mood": widget(at, "pills", f"mood_{day}").value,
        "emotions": {e: widget(at, "segmented_control", f"{e}_{day}").value for e in clinical.EMOTIONS},
        "urges": {
            t: (
                widget(at, "segmented_control", f"urge_{t}_{day}").value,
                widget(at, "toggle", f"acted_{t}_{day}").value,
            )
            for t in ("suicidal_thoughts", "self_harm", "substance_use")
        },
        "craving": widget(at, "pills", f"craving_{day}").value,
        "sleep": widget(at, "number_input", f"sleep_{day}").value,
        "medication": widget(at, "segmented_control", f"medication_{day}").value,
        "note": widget(at, "text_area", f"note_{day}").value,
        "mat": widget(at, "segmented_control", f"mat_buprenorphine_{day}").value,
    }
    return shown


def _fresh(new_app, username: str):
    """A fresh open of the page: a new browser session, logged in, Today drawn from the database."""
    at = new_app().run()
    log_in(at, username)
    return at


# --- every answer, exactly as shown ---------------------------------------------------------------


def _fill_everything(at, day: str) -> list[str]:
    """Every answer of the card but use (which asks for the whole page), skills picked then folded."""
    widget(at, "pills", f"mood_{day}").set_value(6)
    for n, emotion in enumerate(clinical.EMOTIONS):
        widget(at, "segmented_control", f"{emotion}_{day}").set_value(n % 6)
    widget(at, "segmented_control", f"urge_suicidal_thoughts_{day}").set_value(clinical.RISK_URGE_THRESHOLD - 1)
    widget(at, "segmented_control", f"urge_self_harm_{day}").set_value(1)
    widget(at, "segmented_control", f"urge_substance_use_{day}").set_value(2)
    widget(at, "pills", f"craving_{day}").set_value(7)
    widget(at, "number_input", f"sleep_{day}").set_value(6.5)
    widget(at, "segmented_control", f"medication_{day}").set_value("no")
    widget(at, "segmented_control", f"mat_buprenorphine_{day}").set_value(
        widget(at, "segmented_control", f"mat_buprenorphine_{day}").options[0]
    )
    widget(at, "text_area", f"note_{day}").input("A **bold** line\nand a <b>second</b> one — ñ, 日本")
    at.run()
    _open_skills(at, day)
    pickers = _skills_pickers(at, day)
    first, last = pickers[0], pickers[-1]
    picks = [_ids(first)[1], _ids(last)[0]]
    first.set_value([_ids(first)[1]])
    last.set_value([_ids(last)[0]])
    at.run()
    _open_skills(at, day, False)  # folded away before Save
    return sorted(picks)


def test_every_answer_is_saved_exactly_as_shown_and_a_fresh_open_shows_the_same(app, session, new_app):
    log_in(app, "gray")
    day = today_key(app)
    picks = _fill_everything(app, day)
    before_save = _shown_card(app, day)
    assert "Today •" in _day_options(app)
    runs = _runs(app)
    _save(app, day)
    assert _runs(app) == (runs[0], runs[1] + 1)  # Save's run alone
    stored = _card(session, "gray", day)
    assert stored.mood == 6 and stored.craving == 7 and stored.sleep_hours == 6.5 and stored.medication == "no"
    assert {e: getattr(stored, e) for e in clinical.EMOTIONS} == before_save["emotions"]
    assert stored.note == "A **bold** line\nand a <b>second</b> one — ñ, 日本"
    assert sorted(stored.skills) == picks
    [view] = diary.cards_between(session, diary_actor(session, "gray"), stored.participant_id, stored.day, stored.day)
    assert {k: tuple(v) for k, v in view.urges.items()} == {
        "suicidal_thoughts": (clinical.RISK_URGE_THRESHOLD - 1, False),
        "self_harm": (1, False),
        "substance_use": (2, False),
    }
    # The screen after Save, and a fresh open of the page: the same answers, the same head.
    after = _shown_card(app, day)
    assert after == before_save
    assert SAVED in texts(app) and FILLED in texts(app) and "Today •" not in _day_options(app)
    fresh = _fresh(new_app, "gray")
    assert _shown_card(fresh, day) == before_save
    assert FILLED in texts(fresh) and _day_options(fresh) == _day_options(app)
    assert _skills_label(fresh) == _skills_label(app)
    _open_skills(fresh, day)
    assert sum(len(p.value) for p in _skills_pickers(fresh, day)) == 2


def diary_actor(session, username: str):
    from core.access import Actor

    return Actor.of(_user(session, username))


def test_the_streak_said_after_save_is_the_one_the_stored_cards_give(app, session):
    log_in(app, "gray")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(5)
    app.run()
    _save(app, day)
    gray = _user(session, "gray")
    today = user_today(session, gray.id)
    days = set(session.exec(select(DiaryCard.day).where(DiaryCard.participant_id == gray.id)).all())
    assert greetings.streak_sentence(diary.streak(days, today)) in texts(app)


# --- skills: picked, folded, opened again, another day, back --------------------------------------


def test_skills_changed_across_many_folds_and_day_switches_are_saved_as_last_shown(app, session, new_app):
    log_in(app, "alex")
    day = today_key(app)
    yesterday = date.fromisoformat(day) - timedelta(days=1)
    widget(app, "pills", f"mood_{day}").set_value(8)
    app.run()
    _open_skills(app, day)
    first = _skills_pickers(app, day)[0]
    a, b, c = _ids(first)[:3]
    first.set_value([a, b])
    app.run()
    _open_skills(app, day, False)
    _open_skills(app, day)
    assert sorted(_skills_pickers(app, day)[0].value) != []  # the picks came back with the pickers
    _skills_pickers(app, day)[0].set_value([b, c])  # one taken off, one added
    app.run()
    _open_skills(app, day, False)
    widget(app, "segmented_control", "card_day").set_value(yesterday)  # another day, and back
    app.run()
    widget(app, "segmented_control", "card_day").set_value(date.fromisoformat(day))
    app.run()
    _open_skills(app, day)
    _open_skills(app, day, False)
    assert "· 2 chosen" in _skills_label(app)
    _save(app, day)
    assert SAVED in texts(app)
    assert sorted(_card(session, "alex", day).skills) == sorted([b, c])
    assert _card(session, "alex", day).mood == 8
    fresh = _fresh(new_app, "alex")
    assert "· 2 chosen" in _skills_label(fresh)


def test_skills_unpicked_to_none_then_folded_are_saved_as_none(app, session):
    log_in(app, "alex")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(5)
    app.run()
    _open_skills(app, day)
    first = _skills_pickers(app, day)[0]
    first.set_value([_ids(first)[0]])
    app.run()
    _save(app, day)
    assert _card(session, "alex", day).skills == [_ids(first)[0]]
    _skills_pickers(app, day)[0].set_value([])
    app.run()
    _open_skills(app, day, False)
    _save(app, day)
    assert CHANGED in texts(app)
    assert _card(session, "alex", day).skills == []


def test_a_skill_picked_in_the_same_tap_as_save_shows_the_count_a_fresh_open_shows(app, session, new_app):
    """The pick and Save arrive together (Save tapped before the pick's run): the pick is saved; the
    skills' label says what a fresh open of the page says."""
    log_in(app, "alex")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(5)
    app.run()
    _open_skills(app, day)
    first = _skills_pickers(app, day)[0]
    first.set_value([_ids(first)[0]])
    _save_button(app, day).click()
    app.run()
    assert _card(session, "alex", day).skills == [_ids(first)[0]]
    fresh = _fresh(new_app, "alex")
    assert "· 1 chosen" in _skills_label(fresh)
    assert _skills_label(app) == _skills_label(fresh), "the screen after Save counts other picks than the card"


# --- answers given in the same tap as Save --------------------------------------------------------


def test_answers_given_in_the_same_tap_as_save_are_all_saved(app, session):
    log_in(app, "alex")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(3)
    widget(app, "segmented_control", f"anger_{day}").set_value(5)
    widget(app, "toggle", f"acted_self_harm_{day}").set_value(False)
    widget(app, "number_input", f"sleep_{day}").set_value(9.5)
    widget(app, "text_area", f"note_{day}").input("typed and saved in one tap")
    _save_button(app, day).click()
    app.run()
    stored = _card(session, "alex", day)
    assert (stored.mood, stored.anger, stored.sleep_hours, stored.note) == (
        3,
        5,
        9.5,
        "typed and saved in one tap",
    )
    assert SAVED in texts(app) and "Today •" not in _day_options(app)


def test_a_note_cut_under_the_limit_in_the_same_tap_as_save_leaves_no_warning_beside_saved(app, session, new_app):
    """The note was over the limit (the warning under it says how much to cut); the person cuts it and
    taps Save before the note's own run: the card is saved, so the screen must not go on saying the
    note is too long (a fresh open of the page does not)."""
    log_in(app, "alex")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(6)
    widget(app, "text_area", f"note_{day}").input("x" * (clinical.NOTE_MAX_CHARS + 10))
    app.run()
    assert any(OVER in w.value for w in app.warning)
    widget(app, "text_area", f"note_{day}").input("cut down to this")
    _save_button(app, day).click()
    app.run()
    assert _card(session, "alex", day).note == "cut down to this"
    assert SAVED in texts(app)
    fresh = _fresh(new_app, "alex")
    assert not any(OVER in w.value for w in fresh.warning)
    assert not any(OVER in w.value for w in app.warning), "the screen says the saved note is too long"


def test_a_note_over_the_limit_is_marked_kept_and_saved_exactly_once_cut(app, session):
    log_in(app, "alex")
    day = today_key(app)
    long = "é" * (clinical.NOTE_MAX_CHARS + 1)
    widget(app, "pills", f"mood_{day}").set_value(4)
    widget(app, "text_area", f"note_{day}").input(long)
    app.run()
    runs = _runs(app)
    _save(app, day)
    assert _runs(app)[1] == runs[1] + 1 and _card(session, "alex", day) is None
    assert widget(app, "text_area", f"note_{day}").value == long  # kept, every character
    assert "Your card isn't saved yet" in texts(app)
    widget(app, "text_area", f"note_{day}").input(long[:-1])  # exactly at the limit
    app.run()
    _save(app, day)
    assert _card(session, "alex", day).note == long[:-1]
    assert SAVED in texts(app) and "Your card isn't saved yet" not in texts(app)
    assert not any(OVER in w.value for w in app.warning)


def test_a_validation_error_then_a_fix_saves_every_answer_and_takes_the_marks_away(app, session, new_app):
    log_in(app, "gray")
    day = today_key(app)
    widget(app, "segmented_control", f"shame_{day}").set_value(4)
    widget(app, "text_area", f"note_{day}").input("no mood on purpose")
    app.run()
    _save(app, day)
    assert any("Choose your mood" in e.value for e in app.error) and _card(session, "gray", day) is None
    widget(app, "pills", f"mood_{day}").set_value(2)
    app.run()
    _save(app, day)
    stored = _card(session, "gray", day)
    assert (stored.mood, stored.shame, stored.note) == (2, 4, "no mood on purpose")
    assert not any("Choose your mood" in e.value for e in app.error)
    fresh = _fresh(new_app, "gray")
    assert _shown_card(fresh, day) == _shown_card(app, day)


# --- high risk ------------------------------------------------------------------------------------


def test_a_suicidal_urge_at_the_threshold_shows_the_crisis_lines_and_alerts_once_even_tapped_twice(app, session):
    log_in(app, "gray")
    day = today_key(app)
    before = len(_alerts(session, "gray", day))
    widget(app, "pills", f"mood_{day}").set_value(3)
    widget(app, "segmented_control", f"urge_suicidal_thoughts_{day}").set_value(clinical.RISK_URGE_THRESHOLD)
    app.run()
    runs = _runs(app)
    _save(app, day)
    assert _runs(app)[0] == runs[0] + 1  # the whole page: the crisis response at the top
    assert CRISIS in texts(app) and "988" in texts(app)
    assert len(_alerts(session, "gray", day)) == before + 1
    _save(app, day)  # the second tap of a double tap
    _save(app, day)
    assert CRISIS in texts(app)
    assert len(_alerts(session, "gray", day)) == before + 1
    assert _card(session, "gray", day).mood == 3


def test_a_risky_answer_given_in_the_same_tap_as_save_still_brings_the_crisis_response(app, session):
    log_in(app, "gray")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(3)
    app.run()
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(clinical.RISK_URGE_THRESHOLD)
    _save_button(app, day).click()
    app.run()
    assert CRISIS in texts(app)
    assert len(_alerts(session, "gray", day)) == 1


# --- who is saving --------------------------------------------------------------------------------


def test_a_deactivated_account_tapping_save_saves_nothing_and_is_shown_the_login(app, session):
    log_in(app, "gray")
    day = today_key(app)
    gray = _user(session, "gray")
    widget(app, "pills", f"mood_{day}").set_value(7)
    app.run()
    since = session.exec(select(func.max(AuditEvent.id))).one()
    session.execute(update(AppUser).where(col(AppUser.id) == gray.id).values(is_active=False))
    session.commit()
    _save(app, day)
    assert _card(session, "gray", day) is None
    assert app.text_input(key="login_username")
    written = session.exec(
        select(AuditEvent).where(col(AuditEvent.id) > since, AuditEvent.participant_id == gray.id)
    ).all()
    assert not [e for e in written if e.allowed]  # nothing of gray's read or written after the switch-off


# --- the day, the language ------------------------------------------------------------------------


def test_a_save_in_spanish_in_saves_run_draws_the_head_in_spanish(app, session):
    gray = _user(session, "gray")
    gray.language = "es"
    session.add(gray)
    session.commit()
    log_in(app, "gray")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(4)
    app.run()
    assert any(o.endswith("•") for o in _day_options(app))
    runs = _runs(app)
    _save(app, day)
    assert _runs(app) == (runs[0], runs[1] + 1)
    shown = texts(app)
    assert SAVED not in shown and FILLED not in shown and "Today" not in _day_options(app)
    assert not any(o.endswith("•") for o in _day_options(app))
    assert _card(session, "gray", day).language == "es"


def test_a_past_days_card_saved_then_today_then_back_shows_it_saved(app, session, new_app):
    log_in(app, "gray")
    day = today_key(app)
    yesterday = date.fromisoformat(day) - timedelta(days=1)
    widget(app, "segmented_control", "card_day").set_value(yesterday)
    app.run()
    y = yesterday.isoformat()
    existing = _card(session, "gray", y)
    widget(app, "pills", f"mood_{y}").set_value(1 if (existing and existing.mood != 1) else 2)
    widget(app, "text_area", f"note_{y}").input("yesterday, written today")
    app.run()
    mood = widget(app, "pills", f"mood_{y}").value
    _save(app, y)
    assert _card(session, "gray", y).note == "yesterday, written today" and _card(session, "gray", y).mood == mood
    assert not any(o.startswith("Yesterday") and o.endswith("•") for o in _day_options(app))
    widget(app, "segmented_control", "card_day").set_value(date.fromisoformat(day))
    app.run()
    widget(app, "segmented_control", "card_day").set_value(yesterday)
    app.run()
    assert widget(app, "pills", f"mood_{y}").value == mood
    assert widget(app, "text_area", f"note_{y}").value == "yesterday, written today"
    assert FILLED in texts(app)
    fresh = _fresh(new_app, "gray")
    assert _day_options(fresh) == _day_options(app)


def test_the_forged_tap_of_another_day_outside_the_window_saves_nothing(app, session):
    """A tap whose day is not offered (session state forged): refused, nothing saved, no traceback."""
    log_in(app, "gray")
    day = today_key(app)
    gray = _user(session, "gray")
    old = user_today(session, gray.id) - timedelta(days=clinical.LATE_WINDOW_DAYS + 5)
    before = _card(session, "gray", old.isoformat())
    before = (before.mood, before.note) if before else None
    widget(app, "pills", f"mood_{day}").set_value(5)
    app.run()
    app.session_state[diary_ui.TAPPED] = (old, diary.CardInput(mood=5, note="forged"))
    app.run()
    after = _card(session, "gray", old.isoformat())
    assert ((after.mood, after.note) if after else None) == before


def test_a_substance_urge_rated_in_the_same_tap_as_save_shows_what_was_going_on_as_a_fresh_open_does(
    app, session, new_app
):
    """An urge rated brings "what was going on" under it (ui.recovery.use_fields). Rated in the same
    tap as Save (before the urge's own run): the card is saved with it, and the screen after Save
    must show the card a fresh open shows, the question under the urge included."""
    log_in(app, "gray")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(5)
    app.run()
    assert not any(p.key == f"triggers_{day}" for p in app.pills)
    widget(app, "segmented_control", f"urge_substance_use_{day}").set_value(3)
    _save_button(app, day).click()
    app.run()
    [view] = diary.cards_between(
        session, diary_actor(session, "gray"), _user(session, "gray").id, *[date.fromisoformat(day)] * 2
    )
    assert tuple(view.urges["substance_use"]) == (3, False)
    fresh = _fresh(new_app, "gray")
    assert any(p.key == f"triggers_{day}" for p in fresh.pills)
    assert any(p.key == f"triggers_{day}" for p in app.pills), (
        "the screen after Save lacks the question a fresh open asks"
    )


def test_a_risky_card_changed_and_saved_again_updates_its_one_open_alert(app, session):
    log_in(app, "gray")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(3)
    widget(app, "segmented_control", f"urge_suicidal_thoughts_{day}").set_value(clinical.RISK_URGE_THRESHOLD)
    app.run()
    _save(app, day)
    assert len(_alerts(session, "gray", day)) == 1
    next(b for b in app.button if b.label == "Hide this").click()
    app.run()
    widget(app, "pills", f"mood_{day}").set_value(1)
    app.run()
    _save(app, day)
    assert CRISIS in texts(app)  # shown again for the changed card
    assert len(_alerts(session, "gray", day)) == 1 and _card(session, "gray", day).mood == 1


def test_a_note_with_nul_and_control_characters_is_saved_clean_in_saves_run(app, session):
    log_in(app, "gray")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(5)
    widget(app, "text_area", f"note_{day}").input("before\x00after\u202e evil\x07")
    app.run()
    runs = _runs(app)
    _save(app, day)
    assert _runs(app)[0] == runs[0] or _runs(app)[0] == runs[0] + 1
    note = _card(session, "gray", day).note
    assert "\x00" not in note and "\u202e" not in note and "\x07" not in note and "before" in note


def test_a_note_ending_in_a_space_saved_is_not_marked_unsaved_by_the_next_tap(app, session, new_app):
    """Phones' keyboards end a sentence with a space; the save trims the note's ends. Saved, the card
    is the stored card: a tap that changes no answer (opening the skills) must not mark the day
    unsaved (•, "Not saved yet"), as a fresh open of the page does not."""
    log_in(app, "gray")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(6)
    widget(app, "text_area", f"note_{day}").input("Feeling ok today. ")
    app.run()
    _save(app, day)
    assert _card(session, "gray", day).note == "Feeling ok today."
    assert "Today •" not in _day_options(app)
    _open_skills(app, day)  # a tap that changes no answer
    fresh = _fresh(new_app, "gray")
    assert "Today •" not in _day_options(fresh)
    assert "Today •" not in _day_options(app), "the saved card is marked unsaved after a tap that changed nothing"


def test_use_fields_are_saved_exactly_as_shown_and_a_fresh_open_shows_them(app, session, new_app):
    """Use recorded (what, how much, what was going on) asks for the whole page; every detail is
    stored as shown, and a fresh open shows the same."""
    from core import recovery

    log_in(app, "gray")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(4)
    widget(app, "segmented_control", f"urge_substance_use_{day}").set_value(4)
    widget(app, "toggle", f"acted_substance_use_{day}").set_value(True)
    app.run()
    widget(app, "pills", f"use_{day}").set_value(["alcohol", "cannabis"])
    widget(app, "pills", f"triggers_{day}").set_value(["lonely", "places"])
    app.run()
    widget(app, "number_input", f"use_amount_alcohol_{day}").set_value(3)
    widget(app, "number_input", f"use_amount_cannabis_{day}").set_value(2)
    app.run()
    shown = {
        "use": sorted(widget(app, "pills", f"use_{day}").value),
        "triggers": sorted(widget(app, "pills", f"triggers_{day}").value),
        "alcohol": widget(app, "number_input", f"use_amount_alcohol_{day}").value,
        "cannabis": widget(app, "number_input", f"use_amount_cannabis_{day}").value,
    }
    _save(app, day)
    gray = _user(session, "gray")
    details = recovery.details_between(
        session, diary_actor(session, "gray"), gray.id, date.fromisoformat(day), date.fromisoformat(day)
    )[date.fromisoformat(day)]
    assert sorted(details.triggers) == ["lonely", "places"]
    assert {s: a for s, (a, _unit) in details.use.items()} == {"alcohol": 3, "cannabis": 2}
    fresh = _fresh(new_app, "gray")
    again = {
        "use": sorted(widget(fresh, "pills", f"use_{day}").value),
        "triggers": sorted(widget(fresh, "pills", f"triggers_{day}").value),
        "alcohol": widget(fresh, "number_input", f"use_amount_alcohol_{day}").value,
        "cannabis": widget(fresh, "number_input", f"use_amount_cannabis_{day}").value,
    }
    assert again == shown


def test_a_risky_card_saved_after_a_discharge_is_refused_and_the_crisis_lines_stay(app, session):
    """Discharged between the page's draw and the tap (the gate refuses the save, in Save's run): the
    card told of a suicidal urge at the threshold. Nothing is saved, the refusal is on record once, and
    the closing screen keeps the crisis lines. (The full crisis response — "your therapist will see
    this", the safety plan — is not shown there: its words are not true of a discharged person, and
    what to show instead is a clinical decision left open in the eighth session's closing note.)"""
    from core import enrolment

    log_in(app, "gray")
    day = today_key(app)
    gray = _user(session, "gray")
    rivera = diary_actor(session, "dr.rivera")
    today = user_today(session, gray.id)
    gray.started_on = min(gray.started_on, today - timedelta(days=30))
    session.add(gray)
    session.commit()
    from core.models import CaseloadAssignment

    therapist = session.exec(
        select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == gray.id)
    ).first()
    if therapist is not None:
        rivera = diary_actor(session, session.get(AppUser, therapist).username)
    enrolment.discharge(session, rivera, participant_id=gray.id, day=today, status="completed", today=today)
    session.commit()
    since = session.exec(select(func.max(AuditEvent.id))).one()
    widget(app, "pills", f"mood_{day}").set_value(1)
    widget(app, "segmented_control", f"urge_suicidal_thoughts_{day}").set_value(clinical.RISK_URGE_THRESHOLD)
    _save(app, day)  # (the answers and Save in one tap: AppTest's runs are the whole page's)
    assert _card(session, "gray", day) is None
    refused = session.exec(
        select(AuditEvent).where(col(AuditEvent.id) > since, col(AuditEvent.allowed).is_(False))
    ).all()
    assert [(e.category, e.reason) for e in refused] == [("diary", "discharged")]
    assert "988" in texts(app) or any("988" in str(b.label) for b in app.button)  # the crisis lines are there


def test_acted_on_an_urge_is_saved_as_shown_and_a_fresh_open_shows_it(app, session, new_app):
    log_in(app, "gray")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(4)
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(1)
    widget(app, "toggle", f"acted_self_harm_{day}").set_value(True)
    app.run()
    _save(app, day)
    [view] = diary.cards_between(
        session, diary_actor(session, "gray"), _user(session, "gray").id, *[date.fromisoformat(day)] * 2
    )
    assert tuple(view.urges["self_harm"]) == (1, True)
    assert tuple(view.urges["suicidal_thoughts"])[1] is False
    fresh = _fresh(new_app, "gray")
    assert widget(fresh, "toggle", f"acted_self_harm_{day}").value is True
    assert widget(fresh, "segmented_control", f"urge_self_harm_{day}").value == 1
    assert widget(app, "toggle", f"acted_self_harm_{day}").value is True
