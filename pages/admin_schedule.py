"""Admin: the program's weekly schedule (days, times, each day's group topic), its time zone and
length; saving generates every enrolment's group sessions."""

from datetime import time

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.ADMIN)

from zoneinfo import available_timezones

from core import clinical, schedule
from core.db import session_scope
from core.errors import ValidationError

st.title("Schedule")
with session_scope() as session:
    pattern = schedule.weekly_pattern(session, actor)
st.caption(
    "The weekly group sessions, in the program's time zone. Each participant gets these sessions from "
    "their start date for the program's length; therapists add individual and family sessions on Attendance."
)

zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
with st.form("schedule_form", border=False):
    zone = st.selectbox(
        "Program time zone", zones, index=zones.index(pattern.timezone) if pattern.timezone in zones else None
    )
    weeks = st.number_input(
        "Program length (weeks)",
        min_value=clinical.PROGRAM_WEEKS_RANGE[0],
        max_value=clinical.PROGRAM_WEEKS_RANGE[1],
        value=pattern.length_weeks,
        step=1,
    )
    rows = [
        {"Day": clinical.WEEKDAYS[s.weekday], "Starts": s.start, "Ends": s.end, "Topic": s.topic} for s in pattern.slots
    ] or [{"Day": "Monday", "Starts": time(18), "Ends": time(21), "Topic": ""}]
    edited = st.data_editor(
        rows,
        num_rows="dynamic",
        width="stretch",
        key="schedule_slots",
        column_config={
            "Day": st.column_config.SelectboxColumn("Day", options=list(clinical.WEEKDAYS), required=True),
            "Starts": st.column_config.TimeColumn("Starts", format="h:mm a", step=900),
            "Ends": st.column_config.TimeColumn("Ends", format="h:mm a", step=900),
            "Topic": st.column_config.TextColumn("Topic", max_chars=schedule.TOPIC_MAX),
        },
    )
    save = st.form_submit_button("Save schedule and generate sessions", type="primary", width="stretch")
if save:
    slots = [
        {
            "weekday": clinical.WEEKDAYS.index(r["Day"]) if r.get("Day") in clinical.WEEKDAYS else None,
            "start": r.get("Starts"),
            "end": r.get("Ends"),
            "topic": r.get("Topic") or "",
        }
        for r in edited
    ]
    try:
        with session_scope() as session:
            done = schedule.set_pattern(session, actor, timezone=zone, length_weeks=int(weeks), slots=slots)
    except ValidationError as exc:
        for field, message in exc.fields.items():
            name, _, index = field.rpartition("_")
            where = f"Row {int(index) + 1}: " if index.isdigit() else ""
            st.error(where + message, icon="⚠️")
        st.caption("Nothing was saved; your table is as you left it.")
    else:
        st.success(
            f"Saved. Enrolments have {done.sessions} group sessions "
            f"({done.added} new, {done.removed} removed from the future).",
            icon=":material/check_circle:",
        )
