"""Red team, wave 15 (second team), through the real app script: the staff side.

1. The alert inbox: answers that came in between the page the therapist read and their tap on
   Acknowledge (the tap's run reads the inbox afresh) are not acknowledged unseen.
2. The admin's Caseloads screen with two therapists (and two participants) of the same name, one written
   with a look-alike letter.

Each test either failed before its fix (said in its docstring) or keeps an attempt that found nothing.
On SQLite and PostgreSQL (the `database_url` fixture, through `app`).
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from core import alerts, diary
from core.access import Actor
from core.models import Alert, AppUser, CaseloadAssignment
from core.program import user_today
from tests.app.conftest import log_in

CRISIS_NOTE = "Honestly I don't want to be here anymore."


def _person(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def _waiting(session, participant_id) -> list[Alert]:
    session.expire_all()
    return session.exec(
        select(Alert)
        .where(Alert.participant_id == participant_id, col(Alert.acknowledged_at).is_(None))
        .order_by(Alert.id)
    ).all()


def _acknowledge(app, participant_id, note):
    app.text_area(key=f"note_{participant_id}").input(note)
    next(b for b in app.button if b.form_id == f"ack_{participant_id}").click()
    app.run()


def test_answers_that_came_in_after_the_inbox_was_drawn_are_not_acknowledged_unseen(app, session):
    """Alex's cards of today and two days ago raise review-level alerts (crisis words in the notes); Dr.
    Rivera opens Alerts and types what she will do; meanwhile Alex edits today's card to a suicidal urge of
    5, acted on (the same alert rises to urgent). Her tap on Acknowledge must not close the loop on answers
    she never saw: she is told the alert changed, nothing is acknowledged, the note she typed stays. Then a
    new alert opens (yesterday's card) before her next tap: refused the same way (its box is drawn ticked in
    the tap's own run). The tap after that, on the page showing all three as they are, acknowledges them.
    (Before the fix the tap's run read the inbox afresh and acknowledged the urgent rise, and then the new
    alert, with a note written about something else.)"""
    alex, rivera = _person(session, "alex"), _person(session, "dr.rivera")
    today = user_today(session, alex.id)
    for earlier in _waiting(session, alex.id):  # the demo's own open alerts, closed first
        alerts.acknowledge(session, rivera, alert_id=earlier.id, note="Seen in the demo.")
    for day in (today, today - timedelta(days=2)):
        diary.save_card(session, alex, participant_id=alex.id, day=day, card=diary.CardInput(mood=4, note=CRISIS_NOTE))
    assert [a.severity for a in _waiting(session, alex.id)] == ["review", "review"]
    log_in(app, "dr.rivera")
    app.switch_page("pages/alerts.py").run()
    diary.save_card(
        session,
        alex,
        participant_id=alex.id,
        day=today,
        card=diary.CardInput(mood=4, urges={"suicidal_thoughts": (5, True)}, note=CRISIS_NOTE),
    )
    note = "Read the notes; will talk in group tomorrow."
    _acknowledge(app, alex.id, note)
    assert any("changed after you opened the page" in e.value for e in app.error)
    assert app.text_area(key=f"note_{alex.id}").value == note  # what she typed stays
    assert sorted(a.severity for a in _waiting(session, alex.id)) == ["review", "urgent"]
    diary.save_card(  # a new alert for the same person, after the page she is reading was drawn
        session,
        alex,
        participant_id=alex.id,
        day=today - timedelta(days=1),
        card=diary.CardInput(mood=3, urges={"self_harm": (5, False)}),
    )
    _acknowledge(app, alex.id, "Called Alex; safety plan reviewed.")
    assert any("changed after you opened the page" in e.value for e in app.error)
    assert len(_waiting(session, alex.id)) == 3
    _acknowledge(app, alex.id, "Called Alex; safety plan reviewed; all three days.")  # the page shows all three
    assert not app.error and _waiting(session, alex.id) == []


def test_two_therapists_of_the_same_name_are_told_apart_on_the_caseloads_screen(app, session):
    """A second "Dr. Marcus Chen" joins (a namesake, or a name typed with a Cyrillic "С" that looks the
    same), and so does a second "Dana Okafor". On Caseloads (and in the audit log's filters) every choice
    must still name one person (the username beside the name), and each therapist's list must show their
    own caseload, not both: an admin
    who cannot tell them apart puts a participant on a stranger's caseload, who then reads their record.
    (Before the fix the pickers showed the names alone, and the lists were matched by name: both Dr. Chens
    listed the first one's participants.)"""
    program_id = session.exec(select(AppUser.program_id).where(AppUser.username == "dr.chen")).one()
    for username, name, role in (
        ("dr.chen2", "Dr. Marcus Chen", "therapist"),
        ("dr.chen3", "Dr. Marcus \u0421hen", "therapist"),
        ("dana2", "Dana Okafor", "participant"),
    ):
        session.add(AppUser(username=username, name=name, role=role, password_hash="!", program_id=program_id))
    session.commit()
    log_in(app, "admin")
    app.switch_page("pages/admin_assign.py").run()
    participant, therapist = app.selectbox
    assert len(set(therapist.options)) == len(therapist.options) and "Dr. Marcus Chen (dr.chen2)" in therapist.options
    assert len(set(participant.options)) == len(participant.options)
    chen = session.exec(select(AppUser.id).where(AppUser.username == "dr.chen")).one()
    his = len(session.exec(select(CaseloadAssignment.id).where(CaseloadAssignment.therapist_id == chen)).all())
    chens = sorted(h.value for h in app.subheader if "hen (" in h.value)
    assert chens == [
        f"Dr. Marcus Chen (dr.chen) · {his}",
        "Dr. Marcus Chen (dr.chen2) · 0",
        "Dr. Marcus \u0421hen (dr.chen3) · 0",
    ]
    app.switch_page("pages/admin_audit.py").run()  # the audit log's filters tell them apart too
    whose, who = app.selectbox(key="audit_participant"), app.selectbox(key="audit_actor")
    assert len(set(whose.options)) == len(whose.options) and len(set(who.options)) == len(who.options)
