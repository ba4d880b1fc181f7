from datetime import date, datetime, timedelta

import pytest
from sqlmodel import func, select

from core import accounts, auth, enrolment, schedule
from core.access import Actor
from core.errors import AccessDenied, ValidationError
from core.models import AppUser, AuditEvent, CaseloadAssignment, Program, ProgramSession, Role
from core.program import program_today


def act(session, username):
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def new(session, who="admin", **fields):
    data = dict(username="newbie", name="New Person", email="", role="participant", password="long enough", rounds=4)
    data.update(fields)
    return accounts.create_account(session, act(session, who), **data)


def test_admin_creates_a_participant_on_a_caseload(session, demo):
    rivera = act(session, "dr.rivera")
    user = new(session, username="  NewBie ", therapist_id=rivera.id, email="New@Example.org")
    assert user.username == "newbie" and user.email == "new@example.org"
    assert auth.check_password("long enough", user.password_hash)
    assert [p.username for p in accounts.caseload_for(session, rivera)].count("newbie") == 1
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "create")).one().participant_id == user.id


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"username": "alex"}, "username"),
        ({"username": "a"}, "username"),
        ({"username": "has space"}, "username"),
        ({"name": "  "}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "ALEX@demo.iop.example"}, "email"),
        ({"password": "short"}, "password"),
        ({"role": "family"}, "role"),
        ({"role": "wizard"}, "role"),
        ({"started_on": date(2020, 1, 1)}, "started_on"),
        ({"started_on": "2026-11-26"}, "started_on"),
        ({"started_on": datetime(2026, 11, 26, 9, 0)}, "started_on"),
    ],
)
def test_bad_account_input_names_the_field(session, demo, fields, field):
    with pytest.raises(ValidationError) as caught:
        new(session, **fields)
    assert field in caught.value.fields


def test_only_admins_create_accounts(session, demo):
    with pytest.raises(AccessDenied):
        new(session, who="dr.rivera")


def test_reassigning_moves_a_participant_between_caseloads(session, demo):
    admin, rivera, chen = act(session, "admin"), act(session, "dr.rivera"), act(session, "dr.chen")
    alex = act(session, "alex")
    accounts.assign_therapist(session, admin, participant_id=alex.id, therapist_id=chen.id)
    assert "alex" not in [p.username for p in accounts.caseload_for(session, rivera)]
    assert "alex" in [p.username for p in accounts.caseload_for(session, chen)]
    assert len(session.exec(select(CaseloadAssignment).where(CaseloadAssignment.participant_id == alex.id)).all()) == 1
    with pytest.raises(ValidationError):
        accounts.assign_therapist(session, admin, participant_id=alex.id, therapist_id=alex.id)


def test_caseload_holds_only_my_participants(session, demo):
    rivera = accounts.caseload_for(session, act(session, "dr.rivera"))
    chen = accounts.caseload_for(session, act(session, "dr.chen"))
    assert len(rivera) == 6 and len(chen) == 7  # (dr.chen also has Sam, discharged: findable, not active)
    assert not {p.id for p in rivera} & {p.id for p in chen}
    with pytest.raises(AccessDenied):
        accounts.caseload_for(session, act(session, "alex"))


def test_deactivation_ends_logins_and_is_reversible(session, demo):
    admin = act(session, "admin")
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    version = alex.session_version
    accounts.set_active(session, admin, user_id=alex.id, active=False)
    assert not auth.session_is_current(alex, version, demo_mode=True)
    accounts.set_active(session, admin, user_id=alex.id, active=True)
    assert alex.is_active
    session.refresh(alex)
    assert not auth.session_is_current(alex, version, demo_mode=True)  # reactivating revives nothing
    assert auth.session_is_current(alex, alex.session_version, demo_mode=True)
    with pytest.raises(ValidationError):
        accounts.set_active(session, admin, user_id=admin.id, active=False)


def test_list_accounts_filters_and_shows_therapists(session, demo):
    admin = act(session, "admin")
    rows = accounts.list_accounts(session, admin, role=Role.PARTICIPANT.value)
    assert len(rows) == 13 and all(r.therapist.startswith("Dr.") for r in rows)  # (Sam: discharged)
    assert sorted(r.username for r in accounts.list_accounts(session, admin, search="okafor")) == [
        "dana",
        "jamie.okafor",
    ]


def test_a_new_participant_is_enrolled_from_their_start_date_with_their_sessions_made(session, demo):
    """Without this a participant added after the admin saved the schedule had no start date, no
    "week N of M" and no sessions until someone saved the schedule again."""
    rivera = act(session, "dr.rivera")
    program = session.get(Program, rivera.program_id)
    start = program_today(program) + timedelta(days=3)
    user = new(session, therapist_id=rivera.id, started_on=start)
    session.commit()
    assert user.started_on == start
    sessions = session.exec(select(ProgramSession).where(ProgramSession.participant_id == user.id)).all()
    pattern = schedule.weekly_pattern(session, act(session, "admin"))
    weekly = len(pattern.slots)
    assert weekly > 0 and len([s for s in sessions if s.kind == "group"]) == weekly * program.length_weeks
    assert min(s.day for s in sessions) >= start
    assert enrolment.standing(session, rivera, user.id, program_today(program)).state == "enrolled"


def test_a_therapist_account_has_no_start_date_and_no_sessions(session, demo):
    user = new(session, username="newtherapist", role="therapist")
    session.commit()
    assert user.started_on is None
    assert session.exec(select(func.count()).where(ProgramSession.participant_id == user.id)).one() == 0
