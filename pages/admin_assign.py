"""Admin: who is on whose caseload."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.ADMIN)

from core import accounts
from core.db import session_scope
from core.errors import ValidationError
from ui.text import md

DONE = "admin_assign_done"  # the success message, kept across the rerun that redraws the lists

st.title("Caseloads")
with session_scope() as session:
    rows = accounts.list_accounts(session, actor, role=Role.PARTICIPANT.value)
    therapists = accounts.people(session, program_id=actor.program_id, role=Role.THERAPIST)

if done := st.session_state.pop(DONE, None):
    st.success(md(done), icon=":material/check:")
with st.form("assign"):
    participant = st.selectbox(
        "Participant",
        [r for r in rows if r.is_active],
        index=None,
        # (with usernames: two people may share a name, or write it with a look-alike letter)
        format_func=lambda r: (
            f"{r.name} ({r.username}) — "
            + (f"{r.therapist} ({r.therapist_username})" if r.therapist else "no therapist")
        ),
        placeholder="Choose a participant",
    )
    therapist = st.selectbox(
        "Therapist",
        therapists,
        index=None,
        format_func=lambda p: f"{p.name} ({p.username})",
        placeholder="Choose a therapist",
    )
    assign = st.form_submit_button("Assign", type="primary", width="stretch")
if assign:
    if participant is None or therapist is None:
        st.error("Choose both a participant and a therapist.")
    else:
        try:
            with session_scope() as session:
                accounts.assign_therapist(session, actor, participant_id=participant.id, therapist_id=therapist.id)
        except ValidationError as exc:
            st.error(md(str(exc)))
        else:
            st.session_state[DONE] = f"{participant.name} is now on {therapist.name}'s caseload."
            st.rerun()

for person in therapists:
    mine = [r.name for r in rows if r.therapist_id == person.id]
    st.subheader(f"{md(person.name)} ({md(person.username)}) · {len(mine)}")
    st.markdown(", ".join(md(name) for name in mine) if mine else "No participants yet.")
unassigned = [md(r.name) for r in rows if not r.therapist and r.is_active]
if unassigned:
    st.warning("Not on any caseload: " + ", ".join(unassigned))
