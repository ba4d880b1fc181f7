"""Holes a hostile or careless user found in the features of the arc session (schedule, attendance
against sessions, enrolment and discharge, the calendar feed, account creation with a start date):
each test here failed before its fix."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlmodel import col, func, select

from core import accounts, attendance, enrolment, feed, goals, schedule, sharing
from core.access import Actor, Category
from core.errors import AccessDenied, ValidationError
from core.models import (
    AppUser,
    Attendance,
    AuditEvent,
    CaseloadAssignment,
    ConsentGrant,
    Discharge,
    Homework,
    Program,
    ProgramSession,
    Role,
    utcnow,
)
from core.program import user_today
from tests.unit.test_gate_concurrency import THREADS, at_once, wide_engine  # noqa: F401 - a fixture

PASSWORD = "a long enough passphrase 123"


def _other_program(session) -> tuple[Actor, Actor]:
    """A second program with its own admin and therapist."""
    other = Program(name="Other IOP", timezone="UTC", substance_use_tracking=False, crisis_region="US")
    session.add(other)
    session.flush()
    admin = AppUser(username="admin.b", name="Bea Admin", role=Role.ADMIN.value, password_hash="!", program_id=other.id)
    therapist = AppUser(
        username="dr.b", name="Dr. Bo Other", role=Role.THERAPIST.value, password_hash="!", program_id=other.id
    )
    session.add_all([admin, therapist])
    session.commit()
    return Actor.of(admin), Actor.of(therapist)


def _daily_pattern(session, people, *participants_started_days_ago: int) -> list[Actor]:
    """A short group session every day in the small hours (so today's has started), and participants
    started that many days ago, with their sessions generated."""
    admin = people.actor(people.admin)
    schedule.set_pattern(
        session,
        admin,
        timezone="America/New_York",
        length_weeks=4,
        slots=[{"weekday": d, "start": time(0, 5), "end": time(0, 10), "topic": "Skills"} for d in range(7)],
    )
    today = user_today(session, people.admin.id)
    made = [
        people.participant(f"p{n}", name=f"Person {n}", started_on=today - timedelta(days=days))
        for n, days in enumerate(participants_started_days_ago)
    ]
    schedule.generate_sessions(session, admin)
    return made


# --- an admin of program A puts a new participant on program B's therapist's caseload ----------------------


def test_a_new_participant_cannot_be_given_another_programs_therapist(session, people):
    """assign_therapist refuses a therapist of another program; create_account did not, so program B's
    therapist got program A's participant on their caseload (their name on B's caseload, roll and
    calendar) although the gate refused B everything else."""
    _admin_b, therapist_b = _other_program(session)
    admin_a = people.actor(people.admin)
    with pytest.raises(ValidationError) as refused:
        accounts.create_account(
            session,
            admin_a,
            username="zed",
            name="Zed Cross",
            role=Role.PARTICIPANT.value,
            password=PASSWORD,
            rounds=4,
            therapist_id=therapist_b.id,
        )
    assert set(refused.value.fields) == {"therapist"}
    session.rollback()
    assert session.exec(select(AppUser).where(AppUser.username == "zed")).first() is None
    assert session.exec(select(CaseloadAssignment).where(CaseloadAssignment.therapist_id == therapist_b.id)).all() == []
    assert accounts.caseload_for(session, therapist_b) == []
    # The program's own therapist still works.
    made = accounts.create_account(
        session,
        admin_a,
        username="zed",
        name="Zed Cross",
        role=Role.PARTICIPANT.value,
        password=PASSWORD,
        rounds=4,
        therapist_id=people.therapist.id,
    )
    session.commit()
    assert [p.id for p in accounts.caseload_for(session, people.actor(people.therapist))] == [made.id]


# --- the roll of a session with someone discharged on it ----------------------------------------------------


def test_the_roll_leaves_out_the_discharged_and_the_others_are_saved(session, people):
    """Discharged today, their session of today stayed on the roll; the gate refuses writing their
    attendance, so saving the roll (everyone present) was refused for everybody."""
    stays, leaves = _daily_pattern(session, people, 3, 3)
    therapist = people.actor(people.therapist)
    today = user_today(session, therapist.id)
    enrolment.discharge(session, therapist, participant_id=leaves.id, day=today, status="completed", today=today)
    roll = schedule.roll_for_day(session, therapist, today)
    on_roll = {pid for r in roll for pid, _name, _sid, _status in r.people}
    assert on_roll == {stays.id}
    statuses = {sid: "present" for r in roll for _pid, _name, sid, _status in r.people}
    assert attendance.record_session(session, therapist, statuses=statuses, today=today) == 1
    saved = session.exec(select(Attendance.participant_id, Attendance.status)).all()
    assert saved == [(stays.id, "present")]


def test_a_roll_opened_before_a_discharge_is_told_to_reload_not_refused(session, people):
    """The page was open when a colleague discharged someone on it: a message beside the roll (what was
    chosen stays on screen), nothing saved, and no refusal on the audit trail."""
    stays, leaves = _daily_pattern(session, people, 3, 3)
    therapist = people.actor(people.therapist)
    today = user_today(session, therapist.id)
    roll = schedule.roll_for_day(session, therapist, today)  # opened before the discharge
    enrolment.discharge(
        session, people.actor(people.admin), participant_id=leaves.id, day=today, status="completed", today=today
    )
    statuses = {sid: "present" for r in roll for _pid, _name, sid, _status in r.people}
    assert len(statuses) == 2
    with pytest.raises(ValidationError) as told:
        attendance.record_session(session, therapist, statuses=statuses, today=today)
    assert set(told.value.fields) == {"status"} and "reload" in told.value.fields["status"]
    session.rollback()
    assert session.exec(select(func.count(col(Attendance.id)))).one() == 0
    refused = session.exec(select(AuditEvent).where(col(AuditEvent.allowed).is_(False))).all()
    assert refused == []
    assert stays.id != leaves.id


# --- twenty overlapping one-off sessions at once -------------------------------------------------------------


def test_twenty_overlapping_one_off_sessions_at_once_save_one(database_url, wide_engine, session, people):  # noqa: F811
    """Each add checked for an overlap, then inserted: twenty taps with slightly different times (a
    therapist's double tap after nudging the time, two therapists' tablets) all passed the check at
    once and saved overlapping sessions for one person."""
    quinn = people.participant()
    therapist = people.actor(people.therapist)
    today = user_today(session, therapist.id)

    def add(own, i):
        return schedule.add_session(
            own,
            therapist,
            participant_id=quinn.id,
            kind="individual",
            day=today,
            start=time(10, i),
            end=time(11, i),
            today=today,
        )

    results, errors = at_once(wide_engine, add)
    assert len(results) + len(errors) == THREADS
    assert all(isinstance(e, ValidationError) and set(e.fields) == {"start"} for e in errors), errors[:3]
    session.expire_all()
    rows = session.exec(select(ProgramSession).where(ProgramSession.participant_id == quinn.id)).all()
    assert len(rows) == 1
    assert {r.id for r in results} == {rows[0].id}


# --- the calendar feed after discharge ---------------------------------------------------------------------


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1].removesuffix(".ics")


@pytest.mark.parametrize("days_ago", [0, 150], ids=["discharged-today", "after-the-access-period"])
def test_a_discharged_participants_feed_stops(session, people, days_ago):
    """The feed kept the daily "Diary card" alarm going after discharge (no reminders after discharge,
    says core/enrolment.py), and once the access period was over it raised AccessDenied, which the
    route turned into a 503 and a logged traceback every hour for each subscribed phone."""
    today = date.today()
    quinn = people.participant(started_on=today - timedelta(days=200))
    token = _token(feed.turn_on(session, quinn))
    assert feed.calendar_for_token(session, token) is not None
    therapist = people.actor(people.therapist)
    day = user_today(session, therapist.id) - timedelta(days=days_ago)
    enrolment.discharge(
        session, therapist, participant_id=quinn.id, day=day, status="completed", today=user_today(session, quinn.id)
    )
    assert feed.owner_of(session, token) is None
    assert feed.calendar_for_token(session, token) is None


def test_a_therapists_feed_does_not_count_the_discharged(session, people):
    """Homework "due" from someone discharged was still counted on the therapist's calendar."""
    therapist = people.actor(people.therapist)
    tday = user_today(session, therapist.id)
    quinn = people.participant(started_on=tday - timedelta(days=60))
    session.add(
        Homework(
            participant_id=quinn.id,
            skill_id="urge_surfing",
            assigned_by_id=therapist.id,
            assigned_on=tday - timedelta(days=1),
            due_on=tday + timedelta(days=3),
        )
    )
    session.commit()
    assert b"Homework due (1)" in feed.therapist_calendar(session, therapist, now=utcnow()).to_ical()
    enrolment.discharge(session, therapist, participant_id=quinn.id, day=tday, status="completed", today=tday)
    assert b"Homework due" not in feed.therapist_calendar(session, therapist, now=utcnow()).to_ical()


# --- a discharge racing other writers -----------------------------------------------------------------------


def test_sessions_generated_during_a_discharge_are_none_after_it(database_url, wide_engine, session, people):  # noqa: F811
    """The generator read who is enrolled, then (after the discharge committed and removed their future
    sessions) upserted that person's sessions again: a discharged participant with months of sessions
    ahead (on Today's "next session" and the dashboard). Rounds of one discharge against nineteen
    generations, released together."""
    admin, therapist = people.actor(people.admin), people.actor(people.therapist)
    today = user_today(session, therapist.id)
    quinn = people.participant(started_on=today - timedelta(days=3))
    schedule.set_pattern(
        session,
        admin,
        timezone="America/New_York",
        length_weeks=20,
        slots=[{"weekday": d, "start": time(18), "end": time(19), "topic": ""} for d in range(7)],
    )
    for _round in range(4):

        def work(own, i):
            if i == 0:
                return enrolment.discharge(
                    own, therapist, participant_id=quinn.id, day=today, status="completed", today=today
                )
            return schedule.generate_sessions(own, admin)

        _results, errors = at_once(wide_engine, work)
        assert errors == []
        session.expire_all()
        ahead = session.exec(
            select(func.count(col(ProgramSession.id))).where(
                ProgramSession.participant_id == quinn.id, ProgramSession.day > today
            )
        ).one()
        assert ahead == 0
        session.delete(session.exec(select(Discharge)).one())  # enrolled again, for the next round
        session.commit()
        schedule.generate_sessions(session, admin)
        assert session.exec(select(func.count(col(ProgramSession.id))).where(ProgramSession.day > today)).one() > 0


def test_a_consent_given_at_the_moment_of_a_discharge_does_not_outlive_it(database_url, wide_engine, session, demo):  # noqa: F811
    """A grant checked the gate (not discharged yet), then wrote its consent after the discharge had
    ended every current one: family kept reading after discharge although nobody chose to keep it."""
    alex = Actor.of(session.exec(select(AppUser).where(AppUser.username == "alex")).one())
    pat = session.exec(select(AppUser).where(AppUser.username == "pat.morgan")).one()
    rivera = Actor.of(session.exec(select(AppUser).where(AppUser.username == "dr.rivera")).one())
    today = user_today(session, alex.id)
    version = sharing.consent_version(Category.MOOD_TREND)

    def work(own, i):
        if i == 0:
            return enrolment.discharge(own, rivera, participant_id=alex.id, day=today, status="completed", today=today)
        return sharing.grant(
            own,
            alex,
            family_id=pat.id,
            category=Category.MOOD_TREND,
            until=today + timedelta(days=30),
            shown_version=version,
        )

    _results, errors = at_once(wide_engine, work)
    assert all(isinstance(e, AccessDenied) for e in errors), errors[:3]
    session.expire_all()
    assert session.exec(select(Discharge).where(Discharge.participant_id == alex.id)).one()
    current = session.exec(
        select(ConsentGrant).where(ConsentGrant.participant_id == alex.id, col(ConsentGrant.revoked_at).is_(None))
    ).all()
    assert current == []


# --- the gate first, whatever the id ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["5", [3], {"a": 1}, 5.0, True, -1, 2**40])
def test_the_goal_board_asks_the_gate_before_reading_anything(session, people, bad):
    """The board read the participant's time zone before the gate: an id that is not an id reached the
    database (a ProgrammingError for a list) and anyone's zone was read before the refusal."""
    quinn = people.participant()
    with pytest.raises(AccessDenied):
        goals.board(session, quinn, bad)
    refused = session.exec(select(AuditEvent).where(col(AuditEvent.allowed).is_(False))).all()
    assert [(e.actor_id, e.category) for e in refused] == [(quinn.id, "goals")]


# --- the hour the clocks skip -------------------------------------------------------------------------------

SPRING_FORWARD = date(2027, 3, 14)  # New York: 2:00 AM becomes 3:00 AM


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [(time(2, 30), time(3, 0), "start"), (time(2, 0), time(3, 0), "start"), (time(1, 0), time(2, 30), "end")],
)
def test_a_one_off_session_in_the_skipped_hour_is_refused_beside_the_field(session, people, start, end, field):
    """2:30–3:00 AM on the night the clocks go forward was saved ending 30 minutes before it started
    (2:30 does not exist; 3:00 does), and 2:00–3:00 as a session of no length."""
    quinn = people.participant()
    with pytest.raises(ValidationError) as told:
        schedule.add_session(
            session,
            people.actor(people.therapist),
            participant_id=quinn.id,
            kind="individual",
            day=SPRING_FORWARD,
            start=start,
            end=end,
            today=SPRING_FORWARD - timedelta(days=3),
        )
    assert set(told.value.fields) == {field} and "clocks go forward" in told.value.fields[field]
    session.rollback()
    assert session.exec(select(func.count(col(ProgramSession.id)))).one() == 0


def test_no_generated_session_ends_before_it_starts_on_the_night_the_clocks_go_forward(session, people):
    quinn = people.participant(started_on=SPRING_FORWARD - timedelta(days=7))
    schedule.set_pattern(
        session,
        people.actor(people.admin),
        timezone="America/New_York",
        length_weeks=2,
        slots=[{"weekday": 6, "start": time(2, 0), "end": time(3, 0), "topic": ""}],  # Sundays 2–3 AM
    )
    rows = session.exec(select(ProgramSession).where(ProgramSession.participant_id == quinn.id)).all()
    assert rows and all(r.ends_at > r.starts_at for r in rows)
    assert SPRING_FORWARD not in {r.day for r in rows}
