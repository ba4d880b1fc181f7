"""The therapist's alert inbox through the real app script: grouped by person, what triggered
each alert, times in the therapist's zone, one note for related alerts, then resolve."""

from datetime import timedelta

from sqlmodel import col, select

from core import diary
from core.access import Actor
from core.models import Alert, AppUser
from core.program import user_today
from tests.app.conftest import log_in, texts
from ui.text import md


def person(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def test_acknowledge_with_a_note_then_resolve(app, session):
    log_in(app, "dr.chen")
    app.switch_page("pages/alerts.py").run()
    assert app.title[0].value == "Alerts"
    assert "Dana Okafor" in texts(app) and "Urgent" in texts(app)
    dana = person(session, "dana")
    form_button = next(b for b in app.button if b.form_id == f"ack_{dana.id}")
    form_button.click()
    app.run()
    assert any("Write what you did" in e.value for e in app.error)
    app.text_area(key=f"note_{dana.id}").input("Called Dana at 6:10 pm; safety plan reviewed; seeing her tomorrow.")
    next(b for b in app.button if b.form_id == f"ack_{dana.id}").click()
    app.run()
    assert f"Acknowledged by {md('Dr. Marcus Chen')}" in texts(app)
    session.expire_all()
    acked = session.exec(
        select(Alert).where(
            Alert.participant_id == dana.id,
            Alert.acknowledged_at != None,  # noqa: E711
            col(Alert.resolved_at).is_(None),
        )
    ).all()
    assert len(acked) >= 2 and {a.acknowledgement for a in acked} == {
        "Called Dana at 6:10 pm; safety plan reviewed; seeing her tomorrow."
    }  # one note, on each alert
    resolvable = len([b for b in app.button if b.label == "Resolve"])
    next(b for b in app.button if b.label == "Resolve").click()
    app.run()
    assert len([b for b in app.button if b.label == "Resolve"]) == resolvable - 1


def test_an_alert_shows_its_ratings_the_note_a_review_link_and_local_times(app, session):
    harper = person(session, "alex")  # on Dr. Rivera's caseload
    today = user_today(session, harper.id)
    diary.save_card(
        session,
        harper,
        participant_id=harper.id,
        day=today,
        card=diary.CardInput(mood=2, urges={"self_harm": (5, True)}, note="After the *call*."),
    )
    log_in(app, "dr.rivera")
    app.switch_page("pages/alerts.py").run()
    shown = texts(app)
    assert md("Self-harm: urge rated 5 of 5 on the diary card") in shown
    assert "After the *call*." in [t.value for t in app.text]  # their note, as typed
    assert " UTC" not in shown and ("EST" in shown or "EDT" in shown)  # the program's zone, named
    link = next(p for p in app.get("page_link") if "review" in p.proto.page and str(today.day) in p.proto.label)
    assert f"day={today.isoformat()}" in link.proto.page or today.isoformat() in str(link.proto)


def test_caseload_puts_dana_first_for_dr_chen(app):
    log_in(app, "dr.chen")
    rows = [link for link in app.page_link if link.proto.page == "review" and link.value != "Review"]  # not the Menu
    name, needs, numbers = rows[0].value.split("  \n")  # her card: name, what is needed, her numbers
    assert name == "**Dana Okafor**" and numbers.startswith(":gray[Week ")
    assert (
        needs.startswith(":red[**Urgent") and " urge " in needs
    )  # ("Urgent: self-harm urge 4, Sun"), not just "alert"


def test_the_review_opens_at_the_alerts_day(app, session):
    harper = person(session, "alex")
    day = user_today(session, harper.id) - timedelta(days=9)
    log_in(app, "dr.rivera")
    app.switch_page("pages/review.py")
    app.query_params["p"] = str(harper.id)
    app.query_params["day"] = day.isoformat()
    app.run()
    assert app.date_input[0].value == day - timedelta(days=3)
