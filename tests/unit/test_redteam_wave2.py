"""Holes a hostile or careless user found in the features of the arc session (schedule, attendance
against sessions, enrolment and discharge, the calendar feed, account creation with a start date):
each test here failed before its fix."""

from __future__ import annotations

import contextlib
from datetime import date, time, timedelta

import pytest
from sqlmodel import col, func, select

from core import accounts, aftercare, attendance, enrolment, feed, fhir, goals, recovery, schedule, sharing
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
    refused = session.exec(
        select(AuditEvent).where(
            col(AuditEvent.allowed).is_(False), AuditEvent.category == "sharing", AuditEvent.actor_id == alex.id
        )
    ).all()
    assert len(refused) == len(errors) and {e.reason for e in refused} <= {"discharged"}  # each refusal on record


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


# --- attempts that found nothing, kept so they keep finding nothing ------------------------------------------


def _stranger_actors(session, people) -> dict[str, Actor]:
    admin_b, therapist_b = _other_program(session)
    made = [
        AppUser(username=u, name=u, role=r, password_hash="!", program_id=people.program.id)
        for u, r in (("dr.a2", "therapist"), ("fam.x", "family"), ("other.p", "participant"))
    ]
    session.add_all(made)
    session.commit()
    return {
        "admin of another program": admin_b,
        "therapist of another program": therapist_b,
        "therapist of this program, not theirs": Actor.of(made[0]),
        "family member, not linked": Actor.of(made[1]),
        "another participant": Actor.of(made[2]),
    }


def test_strangers_are_refused_every_arc_reader_and_writer_and_each_refusal_is_on_record(session, people):
    (quinn,) = _daily_pattern(session, people, 3)
    therapist = people.actor(people.therapist)
    today = user_today(session, quinn.id)
    first = goals.save_goals(
        session,
        therapist,
        participant_id=quinn.id,
        goals=[{"id": None, "text": "g", "measure": "m"}],
        base_version=None,
    )
    sid = session.exec(select(ProgramSession.id).where(ProgramSession.participant_id == quinn.id)).first()
    calls = {
        "schedule.next_session": lambda s, a: schedule.next_session(s, a, quinn.id),
        "schedule.sessions_between": lambda s, a: schedule.sessions_between(s, a, quinn.id, today, today),
        "schedule.add_session": lambda s, a: schedule.add_session(
            s, a, participant_id=quinn.id, kind="individual", day=today, start=time(13), end=time(14), today=today
        ),
        "attendance.record_session": lambda s, a: attendance.record_session(
            s, a, statuses={sid: "present"}, today=today
        ),
        "attendance.recorded": lambda s, a: attendance.recorded(s, a, [sid]),
        "enrolment.standing": lambda s, a: enrolment.standing(s, a, quinn.id, today),
        "enrolment.discharge": lambda s, a: enrolment.discharge(
            s, a, participant_id=quinn.id, day=today, status="completed", today=today
        ),
        "goals.save_goals": lambda s, a: goals.save_goals(
            s, a, participant_id=quinn.id, goals=[{"id": None, "text": "h", "measure": "m"}], base_version=None
        ),
        "goals.rate_goals": lambda s, a: goals.rate_goals(
            s, a, participant_id=quinn.id, week_start=goals.week_of(today), ratings={first[0].id: 3}
        ),
        "goals.board": lambda s, a: goals.board(s, a, quinn.id, today),
        "aftercare.current_plan": lambda s, a: aftercare.current_plan(s, a, quinn.id),
        "aftercare.save_plan": lambda s, a: aftercare.save_plan(
            s, a, participant_id=quinn.id, content={"triggers": ["x"]}, base_version=None
        ),
        "fhir.handoff_json": lambda s, a: fhir.handoff_json(s, a, quinn.id),
        "recovery.counters": lambda s, a: recovery.counters(s, a, quinn.id),
        "recovery.set_counter": lambda s, a: recovery.set_counter(
            s, a, participant_id=quinn.id, substance="any", start_on=today, shown=True
        ),
        "recovery.export_files": lambda s, a: recovery.export_files(s, a, quinn.id),
    }
    for who, stranger in _stranger_actors(session, people).items():
        for name, call in calls.items():
            before = session.exec(select(func.count(col(AuditEvent.id))).where(col(AuditEvent.allowed).is_(False)))
            count = before.one()
            with pytest.raises(AccessDenied):
                call(session, stranger)
            session.rollback()
            after = session.exec(select(func.count(col(AuditEvent.id))).where(col(AuditEvent.allowed).is_(False)))
            assert after.one() == count + 1, (name, who)


HOSTILE = [
    "\x00",
    "\ud800",
    "x" * 1_000_000,
    None,
    5,
    ["x"],
    {"x": 1},
    '=HYPERLINK("http://evil")',
    "a\r\nBEGIN:VEVENT",
]


@pytest.mark.parametrize("bad", HOSTILE, ids=lambda v: repr(v)[:20])
def test_hostile_values_in_every_arc_form_get_a_message_never_a_traceback(session, people, bad):
    (quinn,) = _daily_pattern(session, people, 3)
    therapist, admin = people.actor(people.therapist), people.actor(people.admin)
    today = user_today(session, quinn.id)
    attempts = [
        lambda: schedule.set_pattern(
            session,
            admin,
            timezone="UTC",
            length_weeks=4,
            slots=[{"weekday": 1, "start": time(9), "end": time(10), "topic": bad}],
        ),
        lambda: schedule.set_pattern(session, admin, timezone=bad, length_weeks=bad, slots=bad),
        lambda: schedule.add_session(
            session, therapist, participant_id=bad, kind=bad, day=bad, start=bad, end=bad, today=today
        ),
        lambda: attendance.record_session(session, therapist, statuses={1: bad}, today=today),
        lambda: enrolment.discharge(
            session, therapist, participant_id=quinn.id, day=bad, status=bad, today=today, keep_family_consent=bad
        ),
        lambda: goals.save_goals(
            session,
            therapist,
            participant_id=quinn.id,
            goals=[{"id": None, "text": bad, "measure": bad}],
            base_version=bad,
        ),
        lambda: goals.save_goals(session, therapist, participant_id=quinn.id, goals=bad, base_version=None),
        lambda: goals.rate_goals(session, quinn, participant_id=quinn.id, week_start=bad, ratings=bad),
        lambda: aftercare.save_plan(session, therapist, participant_id=quinn.id, content=bad, base_version=None),
        lambda: recovery.set_counter(session, quinn, participant_id=quinn.id, substance=bad, start_on=bad, shown=bad),
        lambda: recovery.set_program_options(session, admin, substances=bad, mat_medications=bad),
        lambda: accounts.create_account(
            session,
            admin,
            username="new.one",
            name=bad,
            role="participant",
            password=PASSWORD,
            rounds=4,
            started_on=bad,
        ),
    ]
    for attempt in attempts:
        with contextlib.suppress(ValidationError):
            attempt()
        session.rollback()
    # Typed text that is saved is cleaned: no NUL, no lone surrogate, a line is one line.
    if isinstance(bad, str) and len(bad) < 100:
        saved = aftercare.save_plan(
            session,
            therapist,
            participant_id=quinn.id,
            content={"triggers": [bad], "medication": bad},
            base_version=None,
        )
        text = " ".join([*saved.items("triggers"), saved.content["medication"]])
        assert "\x00" not in text and "\ud800" not in text and all("\r" not in t for t in saved.items("triggers"))
        csv_text = aftercare.aftercare_csv(session, therapist, quinn.id)
        assert ",=HYPERLINK" not in csv_text and '"=HYPERLINK' not in csv_text
