"""The demo's program arc: a 10-week evening program whose group sessions were generated from its
weekly pattern, attendance on every session before today that matches each story, and Sam, who
completed the program and was discharged."""

from datetime import timedelta

from sqlmodel import col, func, select

from core import dashboard, enrolment, schedule
from core.models import AppUser, Attendance, ProgramSession
from core.seed import demo_today
from tests.unit.test_diary import act

TODAY = demo_today()


def test_the_demo_has_an_evening_pattern_and_generated_sessions_with_their_rolls(session, demo):
    admin = act(session, "admin")
    pattern = schedule.weekly_pattern(session, admin)
    assert pattern.length_weeks == 10 and [(s.weekday, s.start.hour, s.end.hour) for s in pattern.slots] == [
        (0, 18, 21),
        (2, 18, 21),
        (3, 18, 21),
    ]
    again = schedule.generate_sessions(session, admin)
    assert again.added == 0 and again.removed == 0  # the seed's sessions are exactly what the pattern makes
    unrolled = session.exec(
        select(func.count(ProgramSession.id)).where(
            ProgramSession.day < TODAY,
            ~ProgramSession.id.in_(select(Attendance.session_id)),
        )
    ).one()
    assert unrolled == 0  # every past session has its roll
    casey = act(session, "casey")
    last_week = session.exec(
        select(Attendance.status).where(
            Attendance.participant_id == casey.id, Attendance.day >= TODAY - timedelta(days=7)
        )
    ).all()
    assert last_week and set(last_week) == {"absent"}  # worsening: stopped coming


def test_sam_completed_the_program_and_was_discharged(session, demo):
    sam, chen = act(session, "sam"), act(session, "dr.chen")
    view = enrolment.standing(session, chen, sam.id, TODAY)
    started = session.get(AppUser, sam.id).started_on
    assert (view.state, view.status, view.discharged_on) == ("discharged", "completed", started + timedelta(days=69))
    groups = session.exec(
        select(func.count(ProgramSession.id)).where(
            ProgramSession.participant_id == sam.id, ProgramSession.kind == "group"
        )
    ).one()
    assert groups == 30  # three a week for ten weeks
    assert (
        session.exec(
            select(func.count(ProgramSession.id)).where(
                ProgramSession.participant_id == sam.id, col(ProgramSession.day) > view.discharged_on
            )
        ).one()
        == 0
    )
    figures = dashboard.program_dashboard(session, act(session, "admin"), TODAY).total
    assert figures.discharged == {"completed": 1} and figures.completion_rate == 1
    assert sam.id in {r.id for r in enrolment.discharged_caseload(session, chen)}
