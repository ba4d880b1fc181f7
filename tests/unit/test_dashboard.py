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


# --- Small numbers (clinical.MIN_CELL_SIZE = 5) ----------------------------------------------------------


def test_the_small_fixture_shows_no_figure_from_fewer_than_five_people(session, fixture):
    """Every cohort here has 1 or 2 people: Sep's PHQ-9 change (-8, two people) and every non-zero count
    is hidden; zeros stay (they point at no one)."""
    people, _ = fixture
    rows = dashboard.program_dashboard(session, people.actor(people.admin), TODAY).rows
    sep, octo, dec, total = rows
    assert [r.cohort for r in rows] == ["2026-09", "2026-10", "2026-12", "All"]
    hidden = dashboard.Hidden(small=True)
    assert sep.change["phq9"] == hidden and sep.change["gad7"] == hidden
    assert (sep.people, sep.active, sep.discharged["completed"], sep.enrolled) == (hidden, hidden, hidden, 0)
    assert (octo.people, octo.discharged["left_against_advice"], octo.active) == (hidden, hidden, 0)
    assert (dec.people, dec.enrolled) == (hidden, hidden)
    assert (total.people, total.active, total.enrolled, total.discharged_total) == (hidden,) * 4
    assert sep.attendance_rate == hidden and sep.adherence == hidden and total.adherence == hidden
    assert sep.completion_rate == hidden and total.completion_rate == hidden
    assert octo.change["phq9"] is None  # nobody has two: nothing to hide, nothing to show
    assert str(hidden) == "fewer than 5"


def test_figures_from_five_or_more_are_shown_and_a_lone_hidden_count_gets_a_partner(session, fixture):
    """Five more active people in September, each PHQ-9 20 -> 10. By hand: September has 7 people
    (A, B, E1-E5): active 6, completed 1 (hidden), so 7 = enrolled 0 + 6 + completed would give the 1
    away: enrolled (0, the smallest shown part) is hidden too. PHQ-9 change (-6 - 10 - 5 * 10) / 7;
    diary cards (15 + 0) / (66 + 5 * 44). All: 9 people = 7 + 1 + 1 (October's and December's 1 are
    hidden: two hidden in the sum), active 6; completion hidden with its completed count."""
    people, _ = fixture
    for n in range(5):
        extra = people.participant(f"e{n}", name=f"E{n}", started_on=date(2026, 9, 7))
        _checkup(session, extra.id, "phq9", date(2026, 9, 7), 20, "p0")
        _checkup(session, extra.id, "phq9", date(2026, 9, 21), 10, "p2")
    session.commit()
    sep, octo, dec, total = dashboard.program_dashboard(session, people.actor(people.admin), TODAY).rows
    hidden = dashboard.Hidden(small=True)
    assert (sep.people, sep.active, sep.discharged["completed"], sep.enrolled) == (7, 6, hidden, hidden)
    assert sep.discharged["stepped_down"] == 0  # (the secondary is the first smallest: enrolled)
    assert sep.change["phq9"] == pytest.approx(-66 / 7) and sep.change["gad7"] == hidden  # GAD-7: A only
    assert sep.adherence == pytest.approx(15 / 286)
    assert sep.attendance_rate == hidden  # sessions were held for A and B only
    assert sep.completion_rate == hidden
    assert (octo.people, dec.people) == (hidden, hidden)
    assert (total.people, total.active) == (9, 6)
    assert total.discharged_total == hidden and total.completion_rate == hidden
    # No sum on the screen has exactly one hidden cell: nothing comes back by one subtraction.
    for row in (sep, octo, dec, total):
        parts = [row.enrolled, row.active, *row.discharged.values()]
        assert sum(isinstance(v, dashboard.Hidden) for v in [row.people, *parts]) != 1
    for column in ("people", "enrolled", "active"):
        cells = [getattr(r, column) for r in (sep, octo, dec, total)]
        assert sum(isinstance(v, dashboard.Hidden) for v in cells) != 1


def test_a_secondary_cell_of_five_or_more_says_hidden_not_fewer_than_five():
    """A cohort of 12: 11 active, 1 stepped down; and one of 1, active. By hand: the 1 stepped down is
    hidden; its row's smallest shown part is a 0 (hidden, "fewer than 5", true). The people column
    12 + 1 = 13: the 1 is hidden, so the smallest other cohort (12) is hidden as "hidden" (not small); the
    same in the active column (12 = 11 + 1): September's 11 goes too."""
    big = dashboard.Figures("2026-09", people=12, active=11, discharged={"stepped_down": 1})
    one = dashboard.Figures("2026-10", people=1, active=1)
    total = dashboard.Figures("All", people=13, active=12, discharged={"stepped_down": 1})
    sep, octo, all_ = dashboard._shown([big, one, total])
    assert sep.discharged["stepped_down"] == dashboard.Hidden(small=True) and sep.enrolled == dashboard.Hidden()
    assert sep.people == dashboard.Hidden(small=False) and str(sep.people) == "hidden"
    assert octo.people == dashboard.Hidden(small=True) and all_.people == 13
    assert sep.active == dashboard.Hidden(small=False) and str(octo.active) == "fewer than 5"
    assert all_.active == 12 and all_.discharged["stepped_down"] == dashboard.Hidden(small=True)
