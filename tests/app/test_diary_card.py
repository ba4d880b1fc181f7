"""Filling in and editing today's diary card through the real app script."""

from sqlmodel import select

from core.models import Alert, AppUser, DiaryCard
from tests.app.conftest import log_in, texts
from ui.text import md


def widget(at, kind, key):
    return next(w for w in getattr(at, kind) if w.key == key)


def fill_today(at, day, *, mood, self_harm=None, note=None):
    widget(at, "pills", f"mood_{day}").set_value(mood)
    widget(at, "segmented_control", f"sadness_{day}").set_value(2)
    if self_harm is not None:
        widget(at, "segmented_control", f"urge_self_harm_{day}").set_value(self_harm)
    if note is not None:
        widget(at, "text_area", f"note_{day}").input(note)
    next(b for b in at.button if b.label == "Save my card").click()
    return at.run()


def today_key(at):
    return widget(at, "segmented_control", "card_day").value.isoformat()


def cards_of(session, username):
    user = session.exec(select(AppUser).where(AppUser.username == username)).one()
    session.expire_all()
    return user, session.exec(select(DiaryCard).where(DiaryCard.participant_id == user.id)).all()


def test_fill_then_edit_todays_card(app, session):
    log_in(app, "alex")
    day = today_key(app)
    _, before = cards_of(session, "alex")
    fill_today(app, day, mood=7, note="A *good* <b>day</b>")
    assert not app.exception
    assert "Saved. Thank you for checking in." in texts(app)
    assert md("Dr. Elena Rivera") + " will see this card" in texts(app)  # a typed name, shown as typed

    fill_today(app, day, mood=8)
    assert "Changes saved." in texts(app)
    _, after = cards_of(session, "alex")
    assert len(after) == len(before) + 1
    today_card = max(after, key=lambda c: c.day)
    assert today_card.mood == 8 and today_card.note == "A *good* <b>day</b>"


def test_forgetting_the_mood_keeps_everything_typed(app, session):
    log_in(app, "bailey")
    day = today_key(app)
    widget(app, "text_area", f"note_{day}").input("long evening, lots to say")
    widget(app, "segmented_control", f"sadness_{day}").set_value(3)
    next(b for b in app.button if b.label == "Save my card").click()
    app.run()
    assert any("Choose your mood" in e.value for e in app.error)
    assert widget(app, "text_area", f"note_{day}").value == "long evening, lots to say"
    assert widget(app, "segmented_control", f"sadness_{day}").value == 3


def test_a_risky_card_shows_crisis_lines_and_safety_steps_and_alerts_the_therapist(app, session):
    log_in(app, "harper")
    day = today_key(app)
    fill_today(app, day, mood=2, self_harm=4)
    shown = texts(app)
    assert "You don't have to get through this alone" in shown
    assert "not watched in real time" in shown
    assert "988" in shown and "My reasons for living" in shown
    user, _ = cards_of(session, "harper")
    alerts = session.exec(
        select(Alert).where(Alert.participant_id == user.id, Alert.source_key == f"diary:{day}")
    ).all()
    assert [a.trigger for a in alerts] == ["urge:self_harm"]


def test_history_shows_the_week_and_notes_as_plain_text(app, session):
    log_in(app, "alex")
    fill_today(app, today_key(app), mood=7, note="**not bold** <i>not html</i>")
    app.switch_page("pages/my_cards.py").run()
    assert not app.exception
    assert any("iop-grid" in h.proto.body for h in app.get("html"))
    assert "**not bold** <i>not html</i>" in [t.value for t in app.text]
    assert app.get("download_button")
