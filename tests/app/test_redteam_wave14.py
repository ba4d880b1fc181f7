"""Red team, wave 14 (AppTest): what the fourteenth session changed for speed (#22) on Today's screen:
the days-in-recovery counters' settings built only while their expander is open (ui/recovery.py). A change
chosen in the opened settings, the settings then folded and the card saved: nothing of it saved that the
person did not save, and nothing of it lost when they open the settings again. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from core.models import AppUser, RecoveryCounter
from tests.app.conftest import log_in
from tests.app.test_diary_card import fill_today, today_key, widget
from ui import recovery as recovery_ui


def test_a_counter_chosen_then_folded_is_neither_saved_by_the_cards_save_nor_lost(app, session):
    log_in(app, "eli")
    day = date.fromisoformat(today_key(app))
    before = sorted((c.substance, c.start_on, c.shown) for c in session.exec(select(RecoveryCounter)))
    app.session_state[recovery_ui.COUNTER_SETTINGS] = True  # opened
    app.run()
    widget(app, "selectbox", "counter_kind").set_value("cannabis")
    app.run()
    widget(app, "date_input", "counter_start_cannabis").set_value(day - timedelta(days=6))
    widget(app, "toggle", "counter_shown_cannabis").set_value(False)
    app.run()
    app.session_state[recovery_ui.COUNTER_SETTINGS] = False  # folded again, "Save counter" never tapped
    app.run()
    fill_today(app, day.isoformat(), mood=6)
    next(b for b in app.button if b.label.startswith("Save")).click()
    app.run()
    assert not app.exception
    session.expire_all()
    assert sorted((c.substance, c.start_on, c.shown) for c in session.exec(select(RecoveryCounter))) == before
    app.session_state[recovery_ui.COUNTER_SETTINGS] = True  # opened again: what was chosen is still there
    app.run()
    assert widget(app, "selectbox", "counter_kind").value == "cannabis"
    assert widget(app, "date_input", "counter_start_cannabis").value == day - timedelta(days=6)
    assert widget(app, "toggle", "counter_shown_cannabis").value is False


def test_a_counter_chosen_and_not_saved_is_not_the_next_persons_on_the_tab(app, session):
    """Which substance someone was about to count is theirs alone: their login lapses on a shared tablet
    with the settings open, and the next person to log in there opens their own settings afresh."""
    from core import auth

    log_in(app, "eli")
    day = date.fromisoformat(today_key(app))
    app.session_state[recovery_ui.COUNTER_SETTINGS] = True
    app.run()
    widget(app, "selectbox", "counter_kind").set_value("cannabis")
    app.run()
    widget(app, "date_input", "counter_start_cannabis").set_value(day - timedelta(days=3))
    app.run()
    app.session_state[recovery_ui.COUNTER_SETTINGS] = False
    app.run()
    eli = session.exec(select(AppUser).where(AppUser.username == "eli")).one()
    auth.end_all_sessions(session, eli.id)  # logged out elsewhere: the login lapses on this tab
    session.commit()
    app.run()
    assert app.text_input(key="login_username")
    log_in(app, "kai")
    app.session_state[recovery_ui.COUNTER_SETTINGS] = True
    app.run()
    assert (
        widget(app, "selectbox", "counter_kind").index
        == 0
        != widget(app, "selectbox", "counter_kind").options.index("Cannabis")
    )
