"""Review through app.py's router: a discharged participant's record is read, not added to (no editors,
a plain sentence saying so), and the goals editor names the version it drew (a colleague's newer save
is never silently undone; what was typed stays)."""

from __future__ import annotations

from sqlmodel import Session, select

from core import db, goals
from core.access import Actor
from core.models import AppUser, CalendarFeed
from tests.app.conftest import log_in, open_page, texts


def _user(database_url, username: str) -> Actor:
    with Session(db.engine_for(database_url)) as session:
        return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def _choose(app, name: str) -> None:
    app.selectbox[0].select(next(o for o in app.selectbox[0].options if o.startswith(name)))
    app.run()


def test_a_discharged_participants_review_offers_no_editors_and_says_why(app, database_url):
    log_in(app, "dr.chen")
    open_page(app, "pages/review.py")
    _choose(app, "Sam")
    assert not app.exception
    shown = texts(app)
    assert "Sam Rivera-Cole was discharged on" in shown
    assert "(completed the program): the record is closed for additions; alerts can still be closed." in shown
    assert "You don't have access" not in shown
    labels = {b.label for b in app.button}
    assert not labels & {"Save the goals", "Save the aftercare plan", "Assign", "Remove"}, labels
    assert not [b for b in app.button if b.label.startswith("Ask for the")]
    assert not [t for t in app.text_input if (t.key or "").startswith("goals_")]
    # Not even the taps that open an editor (ui/review.py).
    assert not labels & {
        "Write the goals",
        "Change the goals",
        "Build or change the aftercare plan",
        "Assign a skill as homework",
    }, labels
    # Everything is still read: the week, the check-ups, the alerts.
    assert "Check-ups" in shown and "Alerts" in shown


def test_someone_still_in_the_program_gets_the_editors_and_no_such_sentence(app, database_url):
    log_in(app, "dr.chen")
    open_page(app, "pages/review.py")
    _choose(app, "Bailey")
    assert not app.exception
    assert "record is closed" not in texts(app)
    labels = {b.label for b in app.button}
    assert {"Change the goals", "Build or change the aftercare plan", "Assign a skill as homework"} <= labels, labels
    assert "Save the goals" not in labels  # each editor is one tap away, and built only then
    next(b for b in app.button if b.label == "Change the goals").click().run()
    assert "Save the goals" in {b.label for b in app.button}


def test_a_goals_save_over_a_colleagues_newer_goals_is_refused_and_keeps_what_was_typed(app, database_url):
    log_in(app, "dr.rivera")
    open_page(app, "pages/review.py")
    _choose(app, "Alex")
    next(b for b in app.button if b.label == "Change the goals").click().run()  # the editor opens with one tap
    alex, rivera = _user(database_url, "alex"), _user(database_url, "dr.rivera")
    with Session(db.engine_for(database_url)) as session:  # a colleague adds a goal meanwhile
        drawn = goals.goals_for(session, rivera, alex.id)
        rows = [{"id": g.id, "text": g.text, "measure": g.measure} for g in drawn]
        goals.save_goals(
            session,
            rivera,
            participant_id=alex.id,
            goals=[*rows, {"id": None, "text": "Colleague's new goal", "measure": "weekly"}][:5],
            base_version=goals.version_of(drawn),
        )
    first = next(t for t in app.text_input if t.key == f"goals_{alex.id}_text_1")
    first.input("My edit of goal one")
    next(b for b in app.button if b.label == "Save the goals").click().run()
    assert not app.exception
    assert "Someone else changed these goals since you opened them" in texts(app)
    assert next(t for t in app.text_input if t.key == f"goals_{alex.id}_text_1").value == "My edit of goal one"
    with Session(db.engine_for(database_url)) as session:
        now = [g.text for g in goals.goals_for(session, rivera, alex.id)]
    assert "Colleague's new goal" in now and "My edit of goal one" not in now
    # Having seen theirs, a second tap keeps mine.
    next(b for b in app.button if b.label == "Save the goals").click().run()
    assert not app.exception and "Goals saved." in texts(app)
    with Session(db.engine_for(database_url)) as session:
        assert goals.goals_for(session, rivera, alex.id)[0].text == "My edit of goal one"


def test_a_discharged_participant_is_not_offered_a_calendar_address(app, database_url):
    log_in(app, "sam")
    open_page(app, "pages/notifications.py")
    assert not app.exception
    # Reminders are no longer theirs (core.enrolment.remaining): the closing word, and no address offered
    # (core.feed.turn_on refuses them itself: tests/unit/test_redteam_fixes.py).
    assert "Turn on my calendar" not in {b.label for b in app.button}
    assert "Make a new link" not in {b.label for b in app.button}
    with Session(db.engine_for(database_url)) as session:
        assert session.exec(select(CalendarFeed)).all() == []


def test_the_family_aftercare_view_leaves_out_meetings_and_says_so(app, database_url):
    """The demo program tracks substance use: a family member with a plain aftercare consent reads the
    plan without the mutual-help meetings (Part 2 data), and a line says they were left out."""
    from datetime import timedelta

    from core.models import ConsentGrant, FamilyLink, utcnow

    with Session(db.engine_for(database_url)) as session:
        pat = session.exec(select(AppUser).where(AppUser.username == "pat.morgan")).one()
        jordan = session.exec(select(AppUser).where(AppUser.username == "jordan")).one()
        if (
            session.exec(
                select(FamilyLink).where(FamilyLink.family_id == pat.id, FamilyLink.participant_id == jordan.id)
            ).first()
            is None
        ):
            session.add(FamilyLink(family_id=pat.id, participant_id=jordan.id, relationship="Aunt"))
        session.add(
            ConsentGrant(
                participant_id=jordan.id,
                family_id=pat.id,
                category="aftercare",
                expires_at=utcnow() + timedelta(days=30),
            )
        )
        session.commit()
    log_in(app, "pat.morgan")
    open_page(app, "pages/family.py")
    assert not app.exception
    shown = texts(app) + "\n".join(str(t.value) for t in app.text)
    assert "Friday paydays" in shown  # the plan is there
    assert "SMART Recovery" not in shown and "Sertraline" not in shown
    assert "Their mutual-help meetings aren't shown" in shown
