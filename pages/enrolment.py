"""Therapist and admin: where each participant is in the program (enrolled, active, discharged),
and the discharge itself: a status and a date, family sharing ended unless renewed."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.THERAPIST, Role.ADMIN)

from core import clinical, enrolment
from core.db import session_scope
from core.errors import ValidationError
from core.program import user_today
from ui.forms import FieldErrors
from ui.text import md

st.title("Enrolment")
with session_scope() as session:
    today = user_today(session, actor.id)
    people = enrolment.roster(session, actor)
if not people:
    st.info("No participants yet.")
    st.stop()

show = (
    st.segmented_control(
        "Show",
        ["current", "discharged"],
        format_func={"current": "In the program", "discharged": "Discharged"}.get,
        default="current",
        key="enrolment_filter",
    )
    or "current"
)
listed = [p for p in people if (p.state(today) == "discharged") == (show == "discharged")]
st.dataframe(
    [
        {
            "Participant": p.name,
            "Started": p.started_on.isoformat() if p.started_on else "",
            "Status": clinical.ENROLMENT_STATES[p.state(today)]
            + (f" · {clinical.DISCHARGE_STATUSES[p.status]}" if p.status in clinical.DISCHARGE_STATUSES else ""),
            "Discharged": p.discharged_on.isoformat() if p.discharged_on else "",
        }
        for p in listed
    ],
    hide_index=True,
    width="stretch",
)

st.subheader("Discharge")
st.caption(
    "Ends their time in the program: they can read their own record and safety plan for the program's "
    "access period, the crisis lines always; reminders and missed-check-in alerts stop, and family "
    "sharing ends unless they asked to keep it."
)
errors = FieldErrors()
with st.form("discharge_form", border=False):
    names = {p.id: p.name for p in people}
    who = st.selectbox("Participant", list(names), format_func=names.get, key="discharge_who")
    errors.slot("participant_id")
    day = st.date_input("Discharge date", value=today, format="YYYY-MM-DD", key="discharge_day")
    errors.slot("day")
    status = st.selectbox(
        "How they left",
        list(clinical.DISCHARGE_STATUSES),
        index=None,
        format_func=clinical.DISCHARGE_STATUSES.get,
        placeholder="Choose a status",
        key="discharge_status",
    )
    errors.slot("status")
    keep = st.checkbox("They asked to keep sharing with family after discharge", key="discharge_keep")
    errors.slot("keep_family_consent")
    done = st.form_submit_button("Discharge", type="primary", width="stretch")
if done:
    try:
        with session_scope() as session:
            enrolment.discharge(
                session, actor, participant_id=who, day=day, status=status, today=today, keep_family_consent=keep
            )
    except ValidationError as exc:
        errors.show(exc.fields)
    else:
        st.success(
            f"{md(names[who])} is discharged ({clinical.DISCHARGE_STATUSES[status].lower()}) on {day:%b} {day.day}."
            + ("" if keep else " Family sharing has ended."),
            icon=":material/check_circle:",
        )
