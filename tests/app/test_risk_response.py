"""The crisis response through the real app script: crisis lines first in a dialog and a panel
at the top, the right words for what happened to the alert, no cheerful line, the form kept
after a refusal, and the optional follow-up questions."""

from sqlmodel import select

from core.models import Alert, AppUser, RiskFollowup
from tests.app.conftest import log_in, texts
from tests.app.test_diary_card import today_key, widget


def save(app):
    next(b for b in app.button if b.label == "Save my card").click()
    return app.run()


def test_a_card_refused_for_a_blank_mood_still_routes_the_suicidal_urge(app, session):
    log_in(app, "kai")
    day = today_key(app)
    widget(app, "segmented_control", f"urge_suicidal_thoughts_{day}").set_value(5)
    widget(app, "text_area", f"note_{day}").input("rough")
    save(app)
    shown = texts(app)
    assert "Choose your mood" in shown and "You don't have to get through this alone" in shown
    assert "Your therapist has been sent an alert" in shown
    assert widget(app, "text_area", f"note_{day}").value == "rough"  # the rest is kept
    kai = session.exec(select(AppUser).where(AppUser.username == "kai")).one()
    session.expire_all()
    assert session.exec(select(Alert).where(Alert.source_key == f"diary:{day}", Alert.participant_id == kai.id)).one()
    # Closing the dialog keeps the marked field and the panel at the top.
    next(b for b in app.button if b.label == "Close").click()
    app.run()
    assert "Choose your mood" in texts(app) and any(b.label == "Hide this" for b in app.button)
    assert not any(b.label == "Close" for b in app.button)


def test_no_cheerful_words_and_no_streak_beside_a_crisis_card(app):
    log_in(app, "jordan")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(1)
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(5)
    save(app)
    shown = texts(app)
    assert "Your card is saved." in shown
    assert (
        "Thank you for checking in" not in shown and "days in a row" not in shown and "Every card counts" not in shown
    )
    assert "tonight" not in shown


def test_the_follow_up_questions_are_offered_and_sent(app, session):
    log_in(app, "lee")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(2)
    widget(app, "segmented_control", f"urge_suicidal_thoughts_{day}").set_value(4)
    save(app)
    assert any("Six short questions" in e.label for e in app.expander)
    radios = [r for r in app.radio if "_fu_" in r.key and r.key.startswith("today_dialog")]
    by_question = {r.key.rsplit("_", 1)[-1]: r for r in radios}
    by_question["dead"].set_value("Yes")
    by_question["thoughts"].set_value("Yes")
    by_question["behaviour"].set_value("No")
    app.run()
    more = {r.key.rsplit("_", 1)[-1]: r for r in app.radio if r.key.startswith("today_dialog") and "_fu_" in r.key}
    assert {"method", "intent", "plan"} <= set(more)  # asked only after "thoughts" is yes
    more["method"].set_value("Yes")
    more["intent"].set_value("No")
    more["plan"].set_value("No")
    next(b for b in app.button if b.label == "Send to my therapist" and b.key.startswith("today_dialog")).click()
    app.run()
    assert "Sent to your therapist" in texts(app)
    session.expire_all()
    saved = session.exec(select(RiskFollowup)).all()
    assert len(saved) == 1 and saved[0].level == "moderate" and saved[0].answers["method"] is True


def test_a_card_saved_again_after_the_alert_was_closed_says_so_truthfully(app, session):
    from core import alerts
    from core.access import Actor

    log_in(app, "bailey")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(2)
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(4)
    save(app)
    bailey = session.exec(select(AppUser).where(AppUser.username == "bailey")).one()
    therapist = Actor.of(session.exec(select(AppUser).where(AppUser.username == "dr.chen")).one())
    session.expire_all()
    alert = session.exec(
        select(Alert).where(Alert.source_key == f"diary:{day}", Alert.participant_id == bailey.id)
    ).one()
    alerts.acknowledge(session, therapist, alert_id=alert.id, note="Called Bailey.")
    alerts.resolve(session, therapist, alert_id=alert.id)
    save(app)  # the same answers again: no new alert, no false claim
    shown = texts(app)
    assert "already followed up" in shown and "has been sent an alert" not in shown
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(5)
    save(app)  # a rise: a new alert, and it says so
    assert "has been sent a new alert" in texts(app)
    session.expire_all()
    assert (
        len(
            session.exec(
                select(Alert).where(Alert.source_key == f"diary:{day}", Alert.participant_id == bailey.id)
            ).all()
        )
        == 2
    )


def test_no_praise_beside_a_positive_item9_even_when_the_score_halved(app):
    log_in(app, "alex")  # intake PHQ-9 16: a total of 7 would be "a real change"
    app.switch_page("pages/checkups.py").run()
    from tests.app.test_checkups_page import answer

    answer(app, "phq9", [1, 1, 1, 1, 0, 1, 1, 0, 1], function=1)
    shown = texts(app)
    assert "PHQ-9: 7 of 27 — Mild" in shown
    assert "Well done" not in shown and "a real change" not in shown and "Some symptoms" not in shown
    assert "thoughts of being better off dead" in shown and "You don't have to get through this alone" in shown
