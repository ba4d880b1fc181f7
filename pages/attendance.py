"""Therapist: take the roll for a session — who came to group, individual or family session."""

from datetime import timedelta

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.THERAPIST)

from core import accounts, attendance, clinical
from core.db import session_scope
from core.errors import ValidationError
from core.program import user_today
from ui.text import md

st.title("Attendance")
with session_scope() as session:
    caseload = accounts.caseload_for(session, actor)
    today = user_today(session, actor.id)
if not caseload:
    st.info("No participants are assigned to you yet.")
    st.stop()

day = st.date_input(
    "Session date",
    value=today,
    min_value=today - timedelta(days=clinical.ATTENDANCE_BACKFILL_DAYS),
    max_value=today,
    format="YYYY-MM-DD",
    key="attendance_day",
)
kind = (
    st.segmented_control(
        "Session",
        list(clinical.SESSION_KINDS),
        format_func=clinical.SESSION_KINDS.get,
        default="group",
        key="attendance_kind",
        width="stretch",
    )
    or "group"
)
with session_scope() as session:
    already = attendance.recorded(session, actor, [p.id for p in caseload], day=day, session_kind=kind)


def show_count(slot, count: int) -> None:
    slot.caption(
        f"{clinical.SESSION_KINDS[kind]} on {day:%a %b} {day.day}: {count} of {len(caseload)} recorded. "
        "Leave someone blank if they weren't expected at this session."
    )


count_slot = st.empty()
show_count(count_slot, len(already))
with st.form(f"roll_{day}_{kind}", border=False):
    chosen = {}
    for person in caseload:
        chosen[person.id] = st.segmented_control(
            md(person.name),
            list(clinical.ATTENDANCE_STATUSES),
            format_func=clinical.ATTENDANCE_STATUSES.get,
            default=already.get(person.id),
            key=f"roll_{person.id}_{day}_{kind}",
            width="stretch",
        )
    save = st.form_submit_button("Save attendance", type="primary", width="stretch")
if save:
    statuses = {pid: status for pid, status in chosen.items() if status}
    if not statuses:
        st.warning("Choose a status for at least one person.")
    else:
        try:
            with session_scope() as session:
                saved = attendance.record_session(
                    session, actor, day=day, session_kind=kind, statuses=statuses, today=today
                )
        except ValidationError as exc:
            st.error(" ".join(exc.fields.values()))
        else:
            st.success(
                f"Saved attendance for {saved} participant{'s' if saved != 1 else ''}.", icon=":material/check_circle:"
            )
            show_count(count_slot, len(already.keys() | statuses.keys()))

st.subheader("Last 4 weeks")
with session_scope() as session:
    rates = attendance.caseload_rates(session, actor, today - timedelta(weeks=4))
st.dataframe(
    [
        {
            "Participant": p.name,
            "Attended": f"{rates[p.id][0]} of {rates[p.id][1]}" if p.id in rates else "none recorded",
            "Rate": f"{round(100 * rates[p.id][0] / rates[p.id][1])}%" if rates.get(p.id, (0, 0))[1] else "",
        }
        for p in caseload
    ],
    hide_index=True,
    width="stretch",
)
