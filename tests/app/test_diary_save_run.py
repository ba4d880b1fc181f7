"""A save is a run of the card's head and Save alone, not of its answers (#22: a diary save costs the
server less). The card (pages/today.py) holds two small fragments of its own: its head (the day
picker, its • marks, "You filled in this card") and Save ("Saved" after it). Save's callback names
those two (ui.diary.SAVE_RUN) when nothing is to be marked beside a field; the answers' widgets are not
built in that run and keep what they show. A field to mark, a crisis response, use recorded or a
refusal after all still draw what they draw today (the whole card, or the whole page).

`card_form` is counted: it builds the card's answers (nineteen button groups, toggles, the note).
`at.fragment_runs` counts fragment runs; `at.routed` the runs of app.py."""

from datetime import date, timedelta

import pytest
from sqlmodel import col, delete, select

from core.models import AppUser, CardTrigger, DiaryCard, DiaryUrge, MatDose, SubstanceUse
from tests.app.conftest import log_in, texts
from tests.app.test_diary_card import today_key, widget
from ui import diary as diary_ui

SAVED = "Saved. Thank you for checking in."
FILLED = "You filled in this card"


@pytest.fixture
def builds(monkeypatch):
    """How many times the card's answers were built (ui.diary.card_form), across runs."""
    counted = {"n": 0}
    build = diary_ui.card_form

    def counting(**kwargs):
        counted["n"] += 1
        return build(**kwargs)

    monkeypatch.setattr(diary_ui, "card_form", counting)
    return counted


def _card(session, username: str, day: str) -> DiaryCard | None:
    session.expire_all()
    user = session.exec(select(AppUser).where(AppUser.username == username)).one()
    return session.exec(
        select(DiaryCard).where(DiaryCard.participant_id == user.id, DiaryCard.day == date.fromisoformat(day))
    ).one_or_none()


def _save(at, day: str):
    next(b for b in at.button if b.key == f"save_{day}").click()
    return at.run()


def _drawing(at) -> dict:
    """The card's answers drawn by a run not (yet) seen to its end (ui.diary.DRAWING)."""
    return at.session_state.get(diary_ui.DRAWING, {})


def _runs(at) -> tuple[int, int]:
    return len(at.routed), at.fragment_runs


def _day_options(at) -> list[str]:
    return list(widget(at, "segmented_control", "card_day").options)


def test_a_save_draws_the_head_and_save_alone_and_keeps_the_answers_shown(app, session, builds):
    log_in(app, "alex")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(7)
    widget(app, "segmented_control", f"joy_{day}").set_value(4)
    widget(app, "text_area", f"note_{day}").input("Kept on the screen through the save.")
    app.run()
    assert "Today •" in _day_options(app) and FILLED not in texts(app)  # not saved yet
    built, runs = builds["n"], _runs(app)
    _save(app, day)
    assert _runs(app) == (runs[0], runs[1] + 1)  # one fragment run, no run of app.py
    assert builds["n"] == built, "the save's run built the card's answers again"
    stored = _card(session, "alex", day)
    assert (stored.mood, stored.joy, stored.note) == (7, 4, "Kept on the screen through the save.")
    shown = texts(app)
    assert SAVED in shown and FILLED in shown  # Save's "Saved", and the head drawn from the card just stored
    assert "Today •" not in _day_options(app) and "Today" in _day_options(app)  # its • went with the save
    # The answers were not drawn again, and still show what was given (the browser keeps them).
    assert widget(app, "pills", f"mood_{day}").value == 7
    assert widget(app, "segmented_control", f"joy_{day}").value == 4
    assert widget(app, "text_area", f"note_{day}").value == "Kept on the screen through the save."
    # The next answer's run starts from the stored card: no draft, no •, and a change saves as a change.
    widget(app, "pills", f"mood_{day}").set_value(8)
    app.run()
    assert "Today •" in _day_options(app)
    _save(app, day)
    assert "Changes saved. Thank you for checking in." in texts(app)
    assert _card(session, "alex", day).mood == 8


def test_a_save_of_a_card_with_a_field_to_mark_is_a_run_of_the_whole_card(app, session, builds):
    """No mood: the marks go beside the fields, which only the card's run draws. Then, with the marks
    on the screen, the next save is the whole card's run too: it takes them away."""
    log_in(app, "bailey")
    day = today_key(app)
    widget(app, "text_area", f"note_{day}").input("typed before the mood")
    app.run()
    built = builds["n"]
    _save(app, day)
    assert builds["n"] == built + 1
    assert any("Choose your mood" in e.value for e in app.error)
    assert _card(session, "bailey", day) is None
    assert widget(app, "text_area", f"note_{day}").value == "typed before the mood"
    widget(app, "pills", f"mood_{day}").set_value(5)
    app.run()
    built = builds["n"]
    _save(app, day)
    assert builds["n"] == built + 1  # the marks are taken away with the fields
    assert not any("Choose your mood" in e.value for e in app.error) and "isn't saved yet" not in texts(app)
    assert SAVED in texts(app)
    assert _card(session, "bailey", day).mood == 5


def test_a_save_refused_after_all_in_saves_run_draws_the_marks_in_a_run_of_the_page(app, session, builds, monkeypatch):
    """The callback's check passed (here: made to pass), the save refused it: Save's run draws no
    field, so it asks for the whole page, which marks the field beside it and keeps what was typed."""
    monkeypatch.setattr(diary_ui, "_passes", lambda *args: True)
    log_in(app, "bailey")
    day = today_key(app)
    widget(app, "text_area", f"note_{day}").input("no mood yet")
    app.run()
    runs = _runs(app)
    _save(app, day)
    assert len(app.routed) == runs[0] + 1  # the whole page, after Save's run
    assert any("Choose your mood" in e.value for e in app.error)
    assert "Your card isn't saved yet" in texts(app)
    assert _card(session, "bailey", day) is None
    assert widget(app, "text_area", f"note_{day}").value == "no mood yet"


def test_a_risky_save_in_saves_run_draws_the_crisis_response_in_a_run_of_the_page(app, session):
    log_in(app, "lee")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(2)
    widget(app, "segmented_control", f"urge_suicidal_thoughts_{day}").set_value(4)
    app.run()
    runs = _runs(app)
    _save(app, day)
    assert len(app.routed) == runs[0] + 1
    assert "You don't have to get through this alone" in texts(app)
    assert "Your card is saved." in [i.value for i in app.info]
    assert _card(session, "lee", day).mood == 2


def _skills_pickers(at, day: str) -> list:
    return [p for p in at.pills if p.key and p.key.startswith("skills_") and p.key.endswith(day)]


def _skills_label(at) -> str:
    return next(e.label for e in at.expander if "Skills I used" in e.label)


def test_skills_are_built_only_while_open_and_picks_survive_closing_and_are_saved(app, session, builds):
    """The skills' pickers sit in a stateful expander whose body runs only while open: folded, the card
    builds none of them. Picked, then folded away: the picks are the day's draft, the label counts them,
    Save stores them (in Save's run alone), and opening again shows them picked."""
    log_in(app, "alex")
    day = today_key(app)
    assert _skills_pickers(app, day) == []  # folded: not built
    app.session_state[f"skills_open_{day}"] = True  # a tap on "Skills I used today"
    app.run()
    pickers = _skills_pickers(app, day)
    first, second = pickers[0], pickers[-1]
    picks = sorted([_ids(first)[0], _ids(second)[1]])
    first.set_value([_ids(first)[0]])
    second.set_value([_ids(second)[1]])
    app.run()
    assert "· 2 chosen" in _skills_label(app)
    assert app.session_state[f"skills_open_{day}"] is True  # the new count did not fold it shut
    assert len(_skills_pickers(app, day)) == len(pickers) > 1
    app.session_state[f"skills_open_{day}"] = False  # folded away
    widget(app, "pills", f"mood_{day}").set_value(6)
    app.run()
    assert _skills_pickers(app, day) == [] and "· 2 chosen" in _skills_label(app)
    built = builds["n"]
    _save(app, day)
    assert builds["n"] == built  # Save's run alone
    assert SAVED in texts(app)
    assert sorted(_card(session, "alex", day).skills) == picks
    app.session_state[f"skills_open_{day}"] = True
    app.run()
    shown = sorted(v for p in _skills_pickers(app, day) for v in p.value)
    assert len(shown) == 2  # (AppTest lists the names shown; two picked, as saved)
    assert "Today •" not in _day_options(app)  # the saved card, no draft


def test_skills_picked_with_the_expander_open_are_saved(app, session):
    log_in(app, "bailey")
    day = today_key(app)
    app.session_state[f"skills_open_{day}"] = True
    app.run()
    picker = _skills_pickers(app, day)[0]
    picker.set_value(_ids(picker)[:2])
    widget(app, "pills", f"mood_{day}").set_value(4)
    app.run()
    _save(app, day)
    assert SAVED in texts(app)
    assert sorted(_card(session, "bailey", day).skills) == sorted(_ids(picker)[:2])


def _ids(picker) -> list[str]:
    """A skills picker's options as stored (their ids)."""
    from core.skills import catalogue

    module_id = picker.key.removeprefix("skills_").rsplit("_", 1)[0]
    module = next(m for m in catalogue("en") if m.id == module_id)
    return [s.id for s in module.skills]


def test_a_double_tap_in_saves_run_saves_once_and_says_saved_once(app, session, builds):
    log_in(app, "gray")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(3)
    app.run()
    _save(app, day)
    assert SAVED in texts(app)
    _save(app, day)  # the second tap, the same answers
    shown = texts(app)
    assert shown.count("Saved. Thank you for checking in.") == 1 and "Changes saved" not in shown
    session.expire_all()
    user = session.exec(select(AppUser).where(AppUser.username == "gray")).one()
    assert (
        len(
            session.exec(
                select(DiaryCard).where(DiaryCard.participant_id == user.id, DiaryCard.day == date.fromisoformat(day))
            ).all()
        )
        == 1
    )


def test_save_tapped_with_a_switch_to_yesterday_saves_todays_card_and_draws_yesterday(app, session):
    """The tap on Save and the switch to Yesterday arrive together: today's card is saved, yesterday's
    drawn, and today's "Saved" waits for today's card."""
    log_in(app, "alex")
    day = today_key(app)
    yesterday = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    widget(app, "pills", f"mood_{day}").set_value(9)
    app.run()
    widget(app, "segmented_control", "card_day").set_value(date.fromisoformat(yesterday))
    next(b for b in app.button if b.key == f"save_{day}").click()
    app.run()
    assert _card(session, "alex", day).mood == 9
    assert widget(app, "segmented_control", "card_day").value.isoformat() == yesterday
    assert any(w.key == f"mood_{yesterday}" for w in app.pills)


def test_a_past_days_save_in_saves_run_is_marked_late_and_its_head_says_filled_in(app, session, builds):
    """Yesterday's card (none saved): "Filling in a past day is fine" before the save; after it, in
    Save's run alone, the head says the card is filled in, and the card is stored as late."""
    log_in(app, "gray")
    today = date.fromisoformat(today_key(app))
    yesterday = today - timedelta(days=1)
    _forget(session, _card(session, "gray", yesterday.isoformat()))  # the demo's, so the day is empty
    app.run()  # (the page reads the saved cards afresh)
    widget(app, "segmented_control", "card_day").set_value(yesterday)
    app.run()
    k = yesterday.isoformat()
    widget(app, "pills", f"mood_{k}").set_value(4)
    app.run()
    assert "Filling in a past day is fine" in texts(app) and FILLED not in texts(app)
    built = builds["n"]
    _save(app, k)
    assert builds["n"] == built
    shown = texts(app)
    assert FILLED in shown and "Filling in a past day is fine" not in shown and SAVED in shown
    stored = _card(session, "gray", k)
    assert (stored.mood, stored.late) == (4, True)


def _forget(session, card: DiaryCard | None) -> None:
    if card is None:
        return
    for model in (DiaryUrge, SubstanceUse, CardTrigger, MatDose):
        session.exec(delete(model).where(col(model.card_id) == card.id))
    session.delete(card)
    session.commit()


def test_two_tabs_saving_the_same_day_in_saves_runs_make_one_card_with_the_last_answers(app, new_app, session):
    """Two tabs of the same person, both drawn before either saved: each save is Save's run alone; the
    second is a change of the card the first made (one card, the second tab's answers)."""
    other = new_app().run()
    log_in(app, "harper")
    log_in(other, "harper")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(3)
    widget(other, "pills", f"mood_{day}").set_value(9)
    app.run()
    other.run()
    _save(app, day)
    assert SAVED in texts(app)
    _save(other, day)
    assert "Changes saved. Thank you for checking in." in texts(other)
    session.expire_all()
    user = session.exec(select(AppUser).where(AppUser.username == "harper")).one()
    cards = session.exec(
        select(DiaryCard).where(DiaryCard.participant_id == user.id, DiaryCard.day == date.fromisoformat(day))
    ).all()
    assert [c.mood for c in cards] == [9]


def test_a_card_whose_run_was_cut_short_is_saved_by_the_whole_cards_run_which_draws_it_whole(app, session, builds):
    """A run of the card that the next tap cut short (the note cut under its limit, Save tapped at once)
    leaves the browser showing elements of the run before it (the "too long" warning). Its answers are
    then not taken as drawn (ui.diary.drawn_to_the_end): Save's run is the whole card's, which draws the
    card whole, so "Saved" never stands under the warning of a note that was saved."""
    from core import clinical

    log_in(app, "bailey")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(5)
    widget(app, "text_area", f"note_{day}").input("y" * (clinical.NOTE_MAX_CHARS + 20))
    app.run()
    assert any("20 more than fit" in w.value for w in app.warning)
    widget(app, "text_area", f"note_{day}").input("cut short")
    app.run()  # drawn to its end: what it drew is what the screen shows
    assert not _drawing(app)
    assert app.session_state[diary_ui.DRAWN][day].note == "cut short"
    # As a browser whose run of the card was cut short by the tap on Save: drawn, not to its end.
    app.session_state[diary_ui.DRAWING] = {day: app.session_state[diary_ui.DRAWN][day]}
    built = builds["n"]
    _save(app, day)
    assert builds["n"] == built + 1, "Save's run alone left the card as a cut-short run drew it"
    assert _card(session, "bailey", day).note == "cut short"
    assert SAVED in texts(app) and not any("more than fit" in w.value for w in app.warning)
    # That run (the card and Save, fragments) went to its end: the next save is Save's run alone again.
    assert not _drawing(app)
    widget(app, "pills", f"mood_{day}").set_value(6)
    app.run()
    built = builds["n"]
    _save(app, day)
    assert builds["n"] == built and _card(session, "bailey", day).mood == 6
