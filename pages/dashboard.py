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
    "Check-up change is the latest total minus the first (lower is better). "
    f"A figure from fewer than {clinical.MIN_CELL_SIZE} people is not shown, nor one that would give such a "
    'figure away by subtraction ("hidden").'
)


def percent(value: dashboard.Rate) -> str:
    if isinstance(value, dashboard.Hidden):
        return str(value)
    return "—" if value is None else f"{round(100 * value)}%"


def signed(value: dashboard.Rate) -> str:
    if isinstance(value, dashboard.Hidden):
        return str(value)
    return "—" if value is None else f"{value:+.1f}"


def count(value: dashboard.Count) -> str:
    return str(value)


*cohorts, total = result.rows
top = st.columns(3)
top[0].metric("Active", count(total.active))
top[1].metric("Enrolled, not started", count(total.enrolled))
top[2].metric("Discharged", count(total.discharged_total))
rates = st.columns(3)
rates[0].metric("Attendance", percent(total.attendance_rate))
rates[1].metric("Diary cards", percent(total.adherence))
rates[2].metric("Completed", percent(total.completion_rate))
st.subheader("By cohort")
st.dataframe(
    [
        {
            "Started": row.cohort,
            "People": count(row.people),
            "Active": count(row.active),
            "Enrolled": count(row.enrolled),
            **{label: count(row.discharged[key]) for key, label in clinical.DISCHARGE_STATUSES.items()},
            "Attendance": percent(row.attendance_rate),
            "Diary cards": percent(row.adherence),
            "PHQ-9 change": signed(row.change["phq9"]),
            "GAD-7 change": signed(row.change["gad7"]),
            "Completion": percent(row.completion_rate),
        }
        for row in [*cohorts, total]
    ],
    hide_index=True,
    width="stretch",
)
