"""Admin: who is on whose caseload."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.ADMIN)

from core import accounts  # noqa: E402 - the guard comes first
from core.db import session_scope  # noqa: E402
from core.errors import ValidationError  # noqa: E402

st.title("Caseloads")
with session_scope() as session:
    rows = accounts.list_accounts(session, actor, role=Role.PARTICIPANT.value)
    therapists = accounts.people(session, program_id=actor.program_id, role=Role.THERAPIST)

with st.form("assign"):
    participant = st.selectbox("Participant", [r for r in rows if r.is_active], index=None,
                               format_func=lambda r: f"{r.name} — {r.therapist or 'no therapist'}",
                               placeholder="Choose a participant")
    therapist = st.selectbox("Therapist", therapists, index=None, format_func=lambda p: p.name,
                             placeholder="Choose a therapist")
    assign = st.form_submit_button("Assign", type="primary", width="stretch")
if assign:
    if participant is None or therapist is None:
        st.error("Choose both a participant and a therapist.")
    else:
        try:
            with session_scope() as session:
                accounts.assign_therapist(session, actor, participant_id=participant.id,
                                          therapist_id=therapist.id)
            st.success(f"{participant.name} is now on {therapist.name}'s caseload.")
            st.rerun()
        except ValidationError as exc:
            st.error(str(exc))

for person in therapists:
    mine = [r.name for r in rows if r.therapist == person.name]
    st.subheader(f"{person.name} · {len(mine)}")
    st.write(", ".join(mine) if mine else "No participants yet.")
unassigned = [r.name for r in rows if not r.therapist and r.is_active]
if unassigned:
    st.warning("Not on any caseload: " + ", ".join(unassigned))
