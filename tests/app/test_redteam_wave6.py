"""Red team, wave 6, through the app: the one-transaction diary save in the card's own run."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, func, select

from core import diary
from core.models import Alert, AppUser, DiaryCard
from tests.app.conftest import log_in, texts
from tests.app.test_diary_card import today_key, widget
from ui import layout

SAVED = "Saved. Thank you for checking in."


def _counts(session, username: str, day: str) -> tuple[int, int]:
    session.expire_all()
    user = session.exec(select(AppUser).where(AppUser.username == username)).one()
    cards = session.exec(
        select(func.count())
        .select_from(DiaryCard)
        .where(col(DiaryCard.participant_id) == user.id, col(DiaryCard.day) == date.fromisoformat(day))
    ).one()
    alerts = session.exec(
        select(func.count())
        .select_from(Alert)
        .where(col(Alert.participant_id) == user.id, col(Alert.source_key) == f"diary:{day}")
    ).one()
    return cards, alerts


def test_a_risky_save_failing_after_its_alert_was_routed_keeps_neither_and_keeps_what_was_typed(
    app, session, monkeypatch
):
    """The streak's days are read after the alert is routed, before the one commit: when that read
    fails, the card and its alert are both rolled back (never an alert without its card), the calm
    message and the crisis lines show, what was typed stays, and the next tap saves both together."""
    log_in(app, "alex")
    day = today_key(app)
    assert _counts(session, "alex", day) == (0, 0)
    reading = diary.recent_days_with_cards

    def fails(*args, **kwargs):
        raise RuntimeError("the streak's read failed")

    monkeypatch.setattr(diary, "recent_days_with_cards", fails)
    app.calm_error_expected = True
    widget(app, "pills", f"mood_{day}").set_value(3)
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(5)
    widget(app, "text_area", f"note_{day}").input("Typed before the failure.")
    next(b for b in app.button if b.key == f"save_{day}").click()
    app.run()
    assert not app.exception and layout.UNEXPECTED in [e.value for e in app.error]
    assert "988" in texts(app)
    assert _counts(session, "alex", day) == (0, 0)
    assert widget(app, "segmented_control", f"urge_self_harm_{day}").value == 5
    assert widget(app, "text_area", f"note_{day}").value == "Typed before the failure."

    monkeypatch.setattr(diary, "recent_days_with_cards", reading)
    app.calm_error_expected = False
    next(b for b in app.button if b.key == f"save_{day}").click()
    app.run()
    assert _counts(session, "alex", day) == (1, 1)
    assert "988" in texts(app)


def test_two_people_saving_on_two_tabs_one_after_the_other_each_get_their_own_card(app, new_app, session):
    """Two sessions (two phones) whose card runs save in turn, each typed before either saves: each
    run's login check, facts and unit of work are its own; neither card nor "Saved" nor the typed note
    crosses to the other person. (AppTest is not thread-safe: two AppTests run at once fail inside
    Streamlit's test harness, AttributeError('children'); runs at once are tested in core, on threads:
    tests/unit/test_redteam_wave6.py::test_facts_from_one_rerun_never_reach_another_rerun.)"""
    other = new_app().run()
    log_in(app, "alex")
    log_in(other, "bailey")
    tabs = {"alex": (app, 2, "Alex wrote this."), "bailey": (other, 5, "Bailey wrote this.")}
    days = {name: today_key(at) for name, (at, _m, _n) in tabs.items()}
    for name, (at, mood, note) in tabs.items():
        widget(at, "pills", f"mood_{days[name]}").set_value(mood)
        widget(at, "text_area", f"note_{days[name]}").input(note)
        next(b for b in at.button if b.key == f"save_{days[name]}").click()
    for at, _mood, _note in tabs.values():
        at.run()
    for name, (at, mood, note) in tabs.items():
        assert SAVED in texts(at)
        session.expire_all()
        user = session.exec(select(AppUser).where(AppUser.username == name)).one()
        stored = session.exec(
            select(DiaryCard).where(
                col(DiaryCard.participant_id) == user.id, col(DiaryCard.day) == date.fromisoformat(days[name])
            )
        ).one()
        assert (stored.mood, stored.note) == (mood, note)
        assert widget(at, "text_area", f"note_{days[name]}").value == note
        other_note = tabs["bailey" if name == "alex" else "alex"][2]
        assert other_note not in texts(at)
