"""Attendance: the therapist records a session for their caseload, once per person and session;
participants and consented family see it; nobody else does."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from core import attendance, sharing
from core.access import Category
from core.errors import AccessDenied, ValidationError
from core.models import Attendance, ProgramSession
from core.seed import demo_today
from tests.unit.test_diary import act

TODAY = date(2026, 11, 23)


def _group_of(session, participant_id, day) -> int:
    return session.exec(
        select(ProgramSession.id).where(
            ProgramSession.participant_id == participant_id, ProgramSession.day == day, ProgramSession.kind == "group"
        )
    ).one()


def _last_group_day(session, alex_id, today) -> date:
    return session.exec(
        select(ProgramSession.day)
        .where(ProgramSession.participant_id == alex_id, ProgramSession.kind == "group", ProgramSession.day < today)
        .order_by(ProgramSession.day.desc())
    ).first()


def test_a_roll_call_saves_once_per_session_and_can_be_corrected(session, demo):
    rivera, alex, casey = act(session, "dr.rivera"), act(session, "alex"), act(session, "casey")
    today = demo_today()
    day = _last_group_day(session, alex.id, today)
    a, c = _group_of(session, alex.id, day), _group_of(session, casey.id, day)
    for _ in range(2):  # a double tap
        attendance.record_session(session, rivera, statuses={a: "excused", c: "late"}, today=today)
    attendance.record_session(session, rivera, statuses={a: "absent"}, today=today)
    rows = session.exec(select(Attendance).where(Attendance.session_id == a)).all()
    assert [(r.day, r.session_kind, r.status, r.participant_id) for r in rows] == [(day, "group", "absent", alex.id)]
    assert attendance.recorded(session, rivera, [a, c]) == {a: "absent", c: "late"}


def test_summary_counts_late_as_came_and_leaves_excused_out():
    records = [
        attendance.SessionRecord(TODAY - timedelta(days=n), "group", s)
        for n, s in enumerate(["present", "late", "absent", "excused"])
    ]
    assert attendance.summary(records) == "Came to 2 of 3 sessions (1 excused)."
    assert attendance.summary(records, you=True) == "You came to 2 of 3 program sessions (1 excused)."
    assert attendance.summary([]) == "No sessions recorded yet."


def test_bad_roll_calls_are_refused(session, demo):
    rivera, alex = act(session, "dr.rivera"), act(session, "alex")
    today = demo_today()
    old = session.exec(
        select(ProgramSession.id)
        .where(ProgramSession.participant_id == alex.id, ProgramSession.day < today - timedelta(days=15))
        .order_by(ProgramSession.day)
    ).first()
    cases = [
        ({old: "present"}, today, "day"),
        ({_group_of(session, alex.id, _last_group_day(session, alex.id, today)): "maybe"}, today, "status"),
        ({2**31 - 1: "present"}, today, "status"),
        ({"1": "present"}, today, "status"),
        ({1: "present"}, "today", "today"),
    ]
    for statuses, when, field in cases:
        if None in statuses:
            continue  # (alex started under 15 days ago in this demo)
        with pytest.raises(ValidationError) as refused:
            attendance.record_session(session, rivera, statuses=statuses, today=when)
        assert field in refused.value.fields


def test_only_the_caseload_therapist_records_and_the_whole_roll_is_refused_if_one_is_not_theirs(session, demo):
    rivera, alex, bailey = act(session, "dr.rivera"), act(session, "alex"), act(session, "bailey")
    today = demo_today()
    day = _last_group_day(session, alex.id, today)
    a, b = _group_of(session, alex.id, day), _group_of(session, bailey.id, day)
    before = session.exec(select(Attendance.status).where(Attendance.session_id == a)).one()
    flipped = "excused" if before != "excused" else "absent"
    with pytest.raises(AccessDenied):
        attendance.record_session(session, rivera, statuses={a: flipped, b: flipped}, today=today)
    session.rollback()
    assert session.exec(select(Attendance.status).where(Attendance.session_id == a)).one() == before
    with pytest.raises(AccessDenied):  # a participant can't mark themselves present
        attendance.record_session(session, alex, statuses={a: "present"}, today=today)


def test_participant_and_consented_family_read_it_others_do_not(session, demo):
    alex, pat, jamie = act(session, "alex"), act(session, "pat.morgan"), act(session, "jamie.okafor")
    mine = attendance.history(session, alex, alex.id)
    assert mine and {r.session_kind for r in mine} == {"group", "individual"}  # the demo's sessions
    weeks, came, held = sharing.attendance_weekly(session, pat, alex.id, demo_today())
    shown = [r for r in mine if r.day >= weeks[0]]  # the weeks the family sees, from Alex's own record
    assert len(weeks) == sharing.FAMILY_WEEKS and sum(held) > 0
    assert (sum(came), sum(held)) == (sum(r.attended for r in shown), sum(r.status != "excused" for r in shown))
    sharing.revoke(session, alex, family_id=pat.id, category=Category.ATTENDANCE)
    with pytest.raises(AccessDenied):
        sharing.attendance_weekly(session, pat, alex.id, demo_today())
    with pytest.raises(AccessDenied):
        attendance.history(session, jamie, alex.id)


def test_caseload_rates_are_one_query_for_the_therapists_own_people(session, demo):
    rivera = act(session, "dr.rivera")
    start = demo_today() - timedelta(weeks=4)
    rates = attendance.caseload_rates(session, rivera, start)
    assert set(rates) == {act(session, n).id for n in ("alex", "casey", "eli", "gray", "indigo", "kai")}
    for participant_id, rate in rates.items():  # the same counts as each person's own record
        record = attendance.history(session, rivera, participant_id, start)
        assert rate == (sum(r.attended for r in record), sum(r.status != "excused" for r in record))
    casey = rates[act(session, "casey").id]
    assert casey[0] < casey[1]  # the worsening demo participant has missed the last week
