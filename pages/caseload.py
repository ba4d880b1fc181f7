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
