"""The program dashboard against a small fixture whose every figure is worked out by hand below;
aggregates only (no names), a fixed number of queries, audited, and not for participants or family."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import func, select

from core import dashboard, db
from core.errors import AccessDenied
from core.models import Attendance, AuditEvent, Checkup, DiaryCard, Discharge, ProgramSession

TODAY = date(2026, 10, 20)


def _session_row(session, pid, program_id, day, status, recorded_by):
    row = ProgramSession(
        participant_id=pid,
        program_id=program_id,
        kind="group",
        day=day,
        starts_at=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=22),
        ends_at=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=23),
    )
    session.add(row)
    session.flush()
    session.add(
        Attendance(
            session_id=row.id,
            participant_id=pid,
            day=day,
            session_kind="group",
            status=status,
            recorded_by_id=recorded_by,
        )
    )


def _checkup(session, pid, kind, day, total, slot):
    session.add(Checkup(participant_id=pid, kind=kind, slot_key=slot, day=day, answers=[], total=total, band="x"))


@pytest.fixture
def fixture(session, people):
    """A (Sep 7, active), B (Sep 14, discharged completed Oct 5), C (Oct 5, discharged left against
    advice Oct 10), D (Dec 1: enrolled, not started). Program 10 weeks; today Oct 20."""
    people.program.length_weeks = 10
    session.add(people.program)
    t = people.therapist.id
    a = people.participant("a", name="A", started_on=date(2026, 9, 7))
    b = people.participant("b", name="B", started_on=date(2026, 9, 14))
    c = people.participant("c", name="C", started_on=date(2026, 10, 5))
    d = people.participant("d", name="D", started_on=date(2026, 12, 1))
    pid = people.program.id
    for n, status in enumerate(["present", "late", "absent", "excused"]):  # A: came 2 of 3 held
        _session_row(session, a.id, pid, date(2026, 9, 7) + timedelta(days=n), status, t)
    for n in range(2):  # B: 2 of 2
        _session_row(session, b.id, pid, date(2026, 9, 14) + timedelta(days=n), "present", t)
    _session_row(session, a.id, pid, TODAY + timedelta(days=1), "present", t)  # after today: not counted
    for n in range(10):  # A: 10 cards in the window
        session.add(DiaryCard(participant_id=a.id, day=date(2026, 9, 7) + timedelta(days=n), mood=5))
    session.add(DiaryCard(participant_id=a.id, day=date(2026, 9, 6), mood=5))  # before the start: not counted
    for n in range(5):  # B: 5 cards before discharge, and one after it (not counted)
        session.add(DiaryCard(participant_id=b.id, day=date(2026, 9, 14) + timedelta(days=n), mood=5))
    session.add(DiaryCard(participant_id=b.id, day=date(2026, 10, 8), mood=5))
    _checkup(session, a.id, "phq9", date(2026, 9, 7), 15, "p0")
    _checkup(session, a.id, "phq9", date(2026, 9, 14), 12, "p1")
    _checkup(session, a.id, "phq9", date(2026, 9, 21), 9, "p2")  # A: 15 -> 9 = -6
    _checkup(session, a.id, "gad7", date(2026, 9, 7), 12, "p0")
    _checkup(session, a.id, "gad7", date(2026, 9, 21), 10, "p2")  # A: 12 -> 10 = -2
    _checkup(session, b.id, "phq9", date(2026, 9, 14), 20, "p0")
    _checkup(session, b.id, "phq9", date(2026, 10, 5), 10, "p3")  # B: 20 -> 10 = -10
    _checkup(session, c.id, "phq9", date(2026, 10, 5), 18, "p0")  # C: one check-up: no change
    for who, day, status in ((b, date(2026, 10, 5), "completed"), (c, date(2026, 10, 10), "left_against_advice")):
        session.add(Discharge(participant_id=who.id, day=day, status=status, recorded_by_id=t))
    session.commit()
    return people, (a, b, c, d)


def test_every_figure_matches_the_hand_computed_fixture(session, fixture):
    people, _ = fixture
    admin = people.actor(people.admin)
    result = dashboard.program_dashboard(session, admin, TODAY)
    cohorts = {f.cohort: f for f in result.cohorts}
    assert list(cohorts) == ["2026-09", "2026-10", "2026-12"]
    sep, octo, dec = cohorts["2026-09"], cohorts["2026-10"], cohorts["2026-12"]
    # census
    assert (sep.people, sep.enrolled, sep.active, sep.discharged) == (2, 0, 1, {"completed": 1})
    assert (octo.people, octo.active, octo.discharged) == (1, 0, {"left_against_advice": 1})
    assert (dec.enrolled, dec.active) == (1, 0)
    assert (result.total.enrolled, result.total.active, result.total.discharged) == (
        1,
        1,
        {"completed": 1, "left_against_advice": 1},
    )
    # attendance: (2 + 2) of (3 + 2)
    assert sep.attendance_rate == pytest.approx(4 / 5) and octo.attendance_rate is None
    # adherence: A Sep 7..Oct 20 = 44 days, 10 cards; B Sep 14..Oct 5 = 22 days, 5 cards; C Oct 5..10 = 6 days, 0
    assert (sep.cards, sep.days) == (15, 66) and sep.adherence == pytest.approx(15 / 66)
    assert (octo.cards, octo.days) == (0, 6) and dec.adherence is None
    assert result.total.adherence == pytest.approx(15 / 72)
    # PHQ-9: mean(-6, -10) = -8; GAD-7: -2; C has one PHQ-9 only
    assert sep.change("phq9") == pytest.approx(-8) and sep.change("gad7") == pytest.approx(-2)
    assert octo.change("phq9") is None
    # completion: completed / discharged
    assert sep.completion_rate == 1 and octo.completion_rate == 0 and result.total.completion_rate == 0.5


def test_a_therapist_sees_their_caseload_only_and_each_view_is_audited(session, fixture):
    people, (a, *_rest) = fixture
    other = people.participant("z", name="Z", started_on=date(2026, 9, 1))
    from core.models import CaseloadAssignment

    row = session.exec(select(CaseloadAssignment).where(CaseloadAssignment.participant_id == other.id)).one()
    session.delete(row)
    session.commit()
    therapist = people.actor(people.therapist)
    mine = dashboard.program_dashboard(session, therapist, TODAY)
    admins = dashboard.program_dashboard(session, people.actor(people.admin), TODAY)
    assert mine.total.people == 4 and admins.total.people == 5
    views = session.exec(
        select(func.count(AuditEvent.id)).where(AuditEvent.category == "dashboard", AuditEvent.action == "read")
    ).one()
    assert views == 2


def test_participants_and_family_are_refused(session, fixture):
    _, (a, *_rest) = fixture
    with pytest.raises(AccessDenied):
        dashboard.program_dashboard(session, a, TODAY)


def test_a_fixed_number_of_queries_whatever_the_size(session, fixture, engine):
    people, _ = fixture
    admin = people.actor(people.admin)
    with db.counting(engine) as few:
        dashboard.program_dashboard(session, admin, TODAY)
    for n in range(15):
        people.participant(f"more{n}", name=f"More {n}", started_on=date(2026, 9, 1) + timedelta(days=n))
    with db.counting(engine) as many:
        dashboard.program_dashboard(session, admin, TODAY)
    assert many.total == few.total
