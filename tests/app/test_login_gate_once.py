"""The login check and the gate read the acting person once per rerun (#22, seventh slice), and the
merge is attacked: nothing read in one rerun decides the next, a role, caseload, active flag or
discharge changed after the page was drawn decides the next tap, forged session state finds nobody,
and another person on the same tab is read afresh.

`core.access.person_for_login` is the login check's read of the account (ui.auth.current_actor, on
every rerun); the same statement carries what the gate knows of that person, kept in the rerun's
facts, so the gate's first question is answered without a second statement. Each test here fails
if that hand-over goes wrong. On SQLite and on PostgreSQL (the `database_url` fixture)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from core import db, enrolment
from core.access import Action, Actor, Category, Refusal, authorize, person_for_login
from core.errors import AccessDenied
from core.models import AppUser, AuditEvent, CaseloadAssignment, Role
from core.seed import demo_today
from tests.app.conftest import log_in, open_page, texts
from ui import auth

READS_A_PERSON_BY_ID = re.compile(r"\bWHERE app_user\.id (= |IN )")
GRID = "iop-grid"  # Review's card grid: drawn only when a participant's record was read


def user(session: Session, username: str) -> AppUser:
    session.expire_all()
    return session.exec(select(AppUser).where(AppUser.username == username)).one()


def ids(engine, username: str) -> AppUser:
    """The account as it is now (read in a session of its own, kept usable after it closes)."""
    with Session(engine, expire_on_commit=False) as s:
        return s.exec(select(AppUser).where(AppUser.username == username)).one()


def events_after(session: Session, last_id: int) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(col(AuditEvent.id) > last_id).order_by(col(AuditEvent.id))))


def last_event_id(session: Session) -> int:
    session.expire_all()
    return max(session.exec(select(AuditEvent.id)).all(), default=0) or 0


def change(engine, username: str, **values) -> None:
    """What another session (the admin, a script, another process) commits meanwhile."""
    with Session(engine) as other:
        other.execute(update(AppUser).where(col(AppUser.username) == username).values(**values))
        other.commit()


def review_open(app, session, therapist: str = "dr.chen", participant: str = "bailey"):
    log_in(app, therapist)
    if auth.HANDOFF in app.session_state:
        del app.session_state[auth.HANDOFF]  # (what the browser does at once; see test_statement_counts)
    app.query_params["p"] = str(user(session, participant).id)
    open_page(app, "pages/review.py")
    assert any(GRID in h.proto.body for h in app.get("html")), "the review was drawn"
    return app


# --- one read of the acting person per rerun ------------------------------------------------------


@pytest.mark.parametrize(("username", "page"), [("dr.chen", "pages/caseload.py"), ("alex", "pages/my_cards.py")])
def test_a_rerun_reads_the_acting_person_once(app, engine, username, page):
    """Caseload and My cards ask the gate only about the acting person (the therapist's own caseload
    list, the participant's own cards): their one read of a person is the login check's."""
    log_in(app, username)
    if auth.HANDOFF in app.session_state:
        del app.session_state[auth.HANDOFF]
    open_page(app, page)
    app.run()
    with db.counting(engine) as seen:
        app.run()
    assert not app.exception
    reads = [s for s in seen.sql if READS_A_PERSON_BY_ID.search(s)]
    assert len(reads) == 1 and "session_version" in reads[0], seen.sql


# --- the gate's facts come from this rerun's read, never an earlier one ---------------------------


def test_the_login_read_hands_the_gate_this_reruns_facts_and_no_later_rerun_reuses_them(engine, demo):
    chen, bailey = ids(engine, "dr.chen"), ids(engine, "bailey")
    with db.unit_of_work(engine) as work:
        found = person_for_login(work, chen.id)
        assert found is not None and found.role == Role.THERAPIST.value
        actor = Actor.of(found)
        authorize(work, actor, bailey.id, Category.DIARY, Action.READ)
    change(engine, "dr.chen", is_active=False)  # deactivated after the page was drawn (version unchanged)
    with db.unit_of_work(engine) as work, db.counting(engine) as seen:
        again = person_for_login(work, chen.id)
        assert again is not None and again.is_active is False  # read afresh: the login check ends the session
        # A careless caller that kept the actor of the earlier rerun is refused by the gate, from this read.
        with pytest.raises(AccessDenied):
            authorize(work, actor, bailey.id, Category.DIARY, Action.READ)
    with Session(engine) as s:
        refused = s.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
        assert refused.reason == Refusal.ACCOUNT_INACTIVE.value and refused.actor_id == chen.id
    assert len([q for q in seen.sql if READS_A_PERSON_BY_ID.search(q)]) == 2  # the login, then bailey


def test_a_role_changed_after_the_page_was_drawn_refuses_the_actor_of_the_earlier_rerun(engine, demo):
    chen, bailey = ids(engine, "dr.chen"), ids(engine, "bailey")
    with db.unit_of_work(engine) as work:
        actor = Actor.of(person_for_login(work, chen.id))
    change(engine, "dr.chen", role=Role.FAMILY.value)
    with db.unit_of_work(engine) as work:
        assert person_for_login(work, chen.id).role == Role.FAMILY.value
        with pytest.raises(AccessDenied):  # the gate's facts are this read's: the role no longer matches
            authorize(work, actor, bailey.id, Category.NOTES, Action.READ)


def test_a_person_object_already_in_the_session_is_read_again_not_reused(engine, demo):
    """The login check's read overwrites what the session holds (a page that loaded the account
    earlier, a commit since): a stale object would hand the gate an old role and active flag."""
    with db.unit_of_work(engine) as work:
        held = work.exec(select(AppUser).where(AppUser.username == "dr.chen")).one()
        work.commit()  # (a write in the rerun: the object stays in the session, expire_on_commit=False)
        change(engine, "dr.chen", is_active=False, role=Role.ADMIN.value)
        fresh = person_for_login(work, held.id)
        assert fresh is held and fresh.is_active is False and fresh.role == Role.ADMIN.value
        bailey = work.exec(select(AppUser.id).where(AppUser.username == "bailey")).one()
        with pytest.raises(AccessDenied):
            authorize(
                work,
                Actor(held.id, Role.THERAPIST, "dr.chen", "x", held.program_id),
                bailey,
                Category.DIARY,
                Action.READ,
            )


@pytest.mark.parametrize("forged", [True, False, "1", 1.0, -1, 0, 2**31, 2**63, None, [1], b"1"])
def test_a_forged_user_id_finds_nobody_and_teaches_the_gate_nothing(engine, demo, forged):
    with db.unit_of_work(engine) as work:
        assert person_for_login(work, forged) is None
        facts = db.unit_of(work).cache
        assert not [key for key in facts if key[0] == "person"], facts  # True would have been key ("person", 1)


def test_facts_end_with_the_rerun_and_with_a_commit_inside_it(engine, demo):
    chen_id = ids(engine, "dr.chen").id
    with db.unit_of_work(engine) as work:
        person_for_login(work, chen_id)
        assert ("person", chen_id) in db.unit_of(work).cache
        work.commit()
        assert ("person", chen_id) not in db.unit_of(work).cache  # a write may have changed them
    with db.unit_of_work(engine) as work:
        assert ("person", chen_id) not in db.unit_of(work).cache


# --- through the router, tap by tap ---------------------------------------------------------------


def test_a_caseload_changed_after_review_was_drawn_refuses_the_next_tap(app, session, engine):
    review_open(app, session)
    chen, bailey = user(session, "dr.chen"), user(session, "bailey")
    with Session(engine) as other:
        other.execute(
            CaseloadAssignment.__table__.delete().where(
                CaseloadAssignment.__table__.c.participant_id == bailey.id,
                CaseloadAssignment.__table__.c.therapist_id == chen.id,
            )
        )
        other.commit()
    since = last_event_id(session)
    app.run()
    assert not app.exception
    assert not any(GRID in h.proto.body for h in app.get("html")), "Bailey's week is no longer drawn"
    assert "Bailey" not in texts(app)
    new = events_after(session, since)
    assert [(e.participant_id, e.allowed, e.reason) for e in new if e.participant_id == bailey.id] == [
        (bailey.id, False, Refusal.NOT_ON_CASELOAD.value)
    ]


def test_a_role_changed_after_review_was_drawn_shows_nothing_of_the_record(app, session, engine):
    review_open(app, session)
    bailey = user(session, "bailey")
    change(engine, "dr.chen", role=Role.FAMILY.value)  # no session version bump: the role alone
    since = last_event_id(session)
    app.run()
    assert not app.exception
    assert not any(GRID in h.proto.body for h in app.get("html"))
    assert "Bailey" not in texts(app)
    assert not [e for e in events_after(session, since) if e.allowed and e.participant_id == bailey.id]


@pytest.mark.parametrize("how", ["deactivated", "password changed"])
def test_an_account_ended_after_review_was_drawn_is_signed_out_at_the_next_tap(app, session, engine, how):
    review_open(app, session)
    chen = user(session, "dr.chen")
    if how == "deactivated":
        change(engine, "dr.chen", is_active=False)  # the flag alone, as a script might set it
    else:
        change(engine, "dr.chen", session_version=chen.session_version + 1)
    since = last_event_id(session)
    app.run()
    assert not app.exception
    assert app.title[0].value == "IOP Companion" and "signed out" in texts(app)
    assert not any(GRID in h.proto.body for h in app.get("html"))
    assert not [e for e in events_after(session, since) if e.allowed]


def test_a_participant_discharged_after_the_page_was_drawn_gets_the_closing_word_at_the_next_tap(app, session, engine):
    """The discharge comes to the gate through the login check's read (its outer join): read wrong,
    a discharged participant would go on reading their cards past the access period."""
    log_in(app, "alex")
    open_page(app, "pages/my_cards.py")
    assert app.title[0].value == "My cards"
    alex, rivera = user(session, "alex"), Actor.of(user(session, "dr.rivera"))
    today = demo_today()
    alex.started_on = min(alex.started_on, today - timedelta(days=200))
    session.add(alex)
    session.commit()
    enrolment.discharge(
        session, rivera, participant_id=alex.id, day=today - timedelta(days=91), status="completed", today=today
    )
    since = last_event_id(session)
    app.run()
    assert not app.exception
    assert "Your time in the program has ended" in texts(app)
    assert not [e for e in events_after(session, since) if e.allowed and e.category == Category.DIARY.value]


@pytest.mark.parametrize("forged", [True, "1", 1.0, 10**12, -5])
def test_forged_session_state_shows_the_login_and_reads_nothing(app, session, forged):
    log_in(app, "alex")
    app.session_state[auth.USER_ID] = forged
    app.session_state[auth.SESSION_VERSION] = user(session, "admin").session_version
    since = last_event_id(session)
    app.run()
    assert not app.exception
    assert app.title[0].value == "IOP Companion"
    assert not [e for e in events_after(session, since) if e.allowed]


def test_another_person_logging_in_on_the_same_tab_is_read_afresh(app, session, engine):
    review_open(app, session)
    chen = user(session, "dr.chen")
    change(engine, "dr.chen", session_version=chen.session_version + 1)  # their login ends elsewhere
    app.run()
    assert app.title[0].value == "IOP Companion"
    since = last_event_id(session)
    log_in(app, "alex")  # the next person on the same tablet
    assert not app.exception and app.title[0].value.startswith("Good")
    alex = user(session, "alex")
    new = events_after(session, since)
    assert new and {(e.actor_id, e.actor_role) for e in new} == {(alex.id, Role.PARTICIPANT.value)}
    assert {e.participant_id for e in new} == {alex.id}
    assert "Bailey" not in texts(app)
