"""Attendance: the therapist records a session for their caseload, once per person and session;
participants and consented family see it; nobody else does."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from core import attendance, sharing
from core.access import Category
from core.errors import AccessDenied, ValidationError
from core.models import Attendance
from core.seed import demo_today
from tests.unit.test_diary import act, fresh_participant

TODAY = date(2026, 11, 23)


def test_a_roll_call_saves_once_per_person_and_session_and_can_be_corrected(session, demo):
    rivera, quinn, alex = act(session, "dr.rivera"), fresh_participant(session), act(session, "alex")
    for _ in range(2):  # a double tap
        attendance.record_session(
            session,
            rivera,
            day=TODAY,
            session_kind="group",
            statuses={quinn.id: "attended", alex.id: "late"},
            today=TODAY,
        )
    attendance.record_session(
        session, rivera, day=TODAY, session_kind="group", statuses={quinn.id: "missed"}, today=TODAY
    )
    rows = session.exec(select(Attendance).where(Attendance.participant_id == quinn.id)).all()
    assert [(r.day, r.session_kind, r.status) for r in rows] == [(TODAY, "group", "missed")]
    assert attendance.recorded(session, rivera, [quinn.id, alex.id], day=TODAY, session_kind="group") == {
        quinn.id: "missed",
        alex.id: "late",
    }


def test_summary_counts_late_as_came_and_leaves_excused_out():
    records = [
        attendance.SessionRecord(TODAY - timedelta(days=n), "group", s)
        for n, s in enumerate(["attended", "late", "missed", "excused"])
    ]
    assert attendance.summary(records) == "Came to 2 of 3 sessions (1 excused)."
    assert attendance.summary(records, you=True) == "You came to 2 of 3 program sessions (1 excused)."
    assert attendance.summary([]) == "No sessions recorded yet."


@pytest.mark.parametrize(
    "change, field",
    [
        ({"day": TODAY + timedelta(days=1)}, "day"),
        ({"day": TODAY - timedelta(days=15)}, "day"),
        ({"session_kind": "yoga"}, "session_kind"),
        ({"status": "maybe"}, "status"),
    ],
)
def test_bad_roll_calls_are_refused(session, demo, change, field):
    rivera, quinn = act(session, "dr.rivera"), fresh_participant(session)
    args = dict(day=TODAY, session_kind="group", status="attended") | change
    with pytest.raises(ValidationError) as refused:
        attendance.record_session(
            session,
            rivera,
            day=args["day"],
            session_kind=args["session_kind"],
            statuses={quinn.id: args["status"]},
            today=TODAY,
        )
    assert field in refused.value.fields


def test_only_the_caseload_therapist_records_and_the_whole_roll_is_refused_if_one_is_not_theirs(session, demo):
    rivera, quinn, bailey = act(session, "dr.rivera"), fresh_participant(session), act(session, "bailey")
    with pytest.raises(AccessDenied):
        attendance.record_session(
            session,
            rivera,
            day=TODAY,
            session_kind="group",
            statuses={quinn.id: "attended", bailey.id: "attended"},
            today=TODAY,
        )
    assert session.exec(select(Attendance).where(Attendance.participant_id == quinn.id)).all() == []
    with pytest.raises(AccessDenied):  # a participant can't mark themselves present
        attendance.record_session(
            session, quinn, day=TODAY, session_kind="group", statuses={quinn.id: "attended"}, today=TODAY
        )


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
