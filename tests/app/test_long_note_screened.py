"""scr13: a note fifty times too long, its crisis words at the very end, saved through app.py. The whole
note is screened before it is refused for length (core/diary.py), so the person sees the crisis lines
and their therapist gets the alert; the note stays in the box, with how much to cut. (What it costs
the server is measured in bench/screening.py; the server's message bound is in .streamlit/config.toml.)"""

from core import clinical
from tests.app.conftest import log_in, texts
from tests.app.test_diary_card import today_key, widget
from tests.app.test_redteam_wave5 import CRISIS, _alerts, _cards, _save


def test_crisis_words_at_the_end_of_a_note_fifty_times_too_long_open_the_alert_and_the_note_is_kept(app, session):
    log_in(app, "alex")
    day = today_key(app)
    filler = "Long day at work, then group, then dinner with my sister. "
    note = (filler * (50 * clinical.NOTE_MAX_CHARS // len(filler) + 1))[: 50 * clinical.NOTE_MAX_CHARS - 14]
    note += "I want to die"
    assert len(note) == 50 * clinical.NOTE_MAX_CHARS - 1 and note.endswith("die")
    cards_before = [(c.day, c.note) for c in _cards(session, "alex")]
    widget(app, "pills", f"mood_{day}").set_value(4)
    widget(app, "text_area", f"note_{day}").input(note)
    _save(app, day)
    shown = texts(app)
    assert CRISIS in shown and "not watched in real time" in shown
    [alert] = _alerts(session, "alex", day)
    assert "matched" in alert.detail + str(alert.reasons) and "die" not in alert.detail
    over = len(note) - clinical.NOTE_MAX_CHARS
    assert f"Please cut {over:,} characters" in " ".join(e.value for e in app.error)
    assert widget(app, "text_area", f"note_{day}").value == note
    assert [(c.day, c.note) for c in _cards(session, "alex")] == cards_before  # refused: nothing saved
