"""Participant home: where today starts."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.PARTICIPANT)

from datetime import date  # noqa: E402 - the guard comes first

from core.db import session_scope  # noqa: E402
from core.program import participant_overview, week_in_program  # noqa: E402
from ui import greetings  # noqa: E402

with session_scope() as session:
    overview = participant_overview(session, actor, actor.id)

st.title(greetings.hello(actor.name))
week = week_in_program(overview.started_on, date.today())
if week:
    st.write(f"Week {min(week, overview.length_weeks)} of {overview.length_weeks} in "
             f"**{overview.program_name}**.")
st.write(f"Group meets {overview.schedule}." if overview.schedule else "")
if overview.therapist_name:
    st.write(f"Your therapist is **{overview.therapist_name}**.")
else:
    st.info("You don't have a therapist assigned yet. The program will let you know who it is.")
st.caption("If things get hard between sessions, the crisis help button at the top is always there.")
