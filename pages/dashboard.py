"""Program admin and therapists: how the program is doing, by cohort — counts, rates and averages
only (core/dashboard.py), never a name, a note or a single answer."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.ADMIN, Role.THERAPIST)

from core import clinical, dashboard
from core.db import session_scope
from core.program import user_today

st.title("Program dashboard")
with session_scope() as session:
    today = user_today(session, actor.id)
    result = dashboard.program_dashboard(session, actor, today)
st.caption(
    ("Your caseload" if actor.role is Role.THERAPIST else "The whole program")
    + ", by the month people started. Attendance counts present and late; excused sessions are left out. "
    "Check-up change is the latest total minus the first (lower is better)."
)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


def signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f}"


total = result.total
top = st.columns(3)
top[0].metric("Active", total.active)
top[1].metric("Enrolled, not started", total.enrolled)
top[2].metric("Discharged", sum(total.discharged.values()))
rates = st.columns(3)
rates[0].metric("Attendance", percent(total.attendance_rate))
rates[1].metric("Diary cards", percent(total.adherence))
rates[2].metric("Completed", percent(total.completion_rate))
st.subheader("By cohort")
st.dataframe(
    [
        {
            "Started": f.cohort,
            "People": f.people,
            "Active": f.active,
            "Enrolled": f.enrolled,
            **{label: f.discharged.get(key, 0) for key, label in clinical.DISCHARGE_STATUSES.items()},
            "Attendance": percent(f.attendance_rate),
            "Diary cards": percent(f.adherence),
            "PHQ-9 change": signed(f.change("phq9")),
            "GAD-7 change": signed(f.change("gad7")),
            "Completion": percent(f.completion_rate),
        }
        for f in [*result.cohorts, total]
    ],
    hide_index=True,
    width="stretch",
)
