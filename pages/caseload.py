"""Therapist home: the participants on my caseload, and nobody else's."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.THERAPIST)

from datetime import date  # noqa: E402 - the guard comes first

from core.accounts import caseload_for  # noqa: E402
from core.db import session_scope  # noqa: E402
from core.program import week_in_program  # noqa: E402

st.title("Caseload")
with session_scope() as session:
    caseload = caseload_for(session, actor)

if not caseload:
    st.info("No participants are assigned to you yet. The program admin assigns caseloads.")
else:
    search = st.text_input("Find a participant", placeholder="Name")
    today = date.today()
    rows = [{"Participant": p.name, "Week in program": week_in_program(p.started_on, today)}
            for p in caseload if search.strip().lower() in p.name.lower()]
    st.caption(f"{len(caseload)} participants assigned to you.")
    st.dataframe(rows, hide_index=True, width="stretch")

if caseload:
    from core import checkups  # noqa: E402
    from core.errors import ValidationError  # noqa: E402

    with st.expander("Ask for an extra check-up"):
        st.caption("For when something changed and you want a fresh score before the weekly one. "
                   "It shows on their Check-ups screen at once.")
        with st.form("extra_checkup"):
            who = st.selectbox("Participant", caseload, index=None, format_func=lambda p: p.name,
                               placeholder="Choose a participant")
            kind = st.segmented_control("Check-up", list(checkups.KINDS), default="phq9",
                                        format_func=lambda k: checkups.questionnaires()[k].name)
            asked = st.form_submit_button("Ask for it", width="stretch")
        if asked:
            if who is None or kind is None:
                st.error("Choose a participant and a check-up.")
            else:
                try:
                    with session_scope() as session:
                        checkups.request_extra(session, actor, participant_id=who.id, kind=kind)
                    st.success(f"{who.name} will see an extra {checkups.questionnaires()[kind].name} to fill in.")
                except ValidationError as exc:
                    st.error(str(exc))
