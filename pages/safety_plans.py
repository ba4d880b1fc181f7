"""Therapist: the safety plans of my caseload — read, edit with the participant, see changes."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.THERAPIST)

from core import accounts, safety
from core.db import session_scope
from core.program import crisis_resources_for, user_zone
from ui import safety as plan_ui
from ui.text import md
from ui.timefmt import local_time

st.title("Safety plans")
with session_scope() as session:
    caseload = accounts.caseload_for(session, actor)
if not caseload:
    st.info("No participants are assigned to you yet.")
    st.stop()
person = st.selectbox("Participant", caseload, format_func=lambda p: p.name, key="plan_person")
with session_scope() as session:
    plan = safety.current_plan(session, actor, person.id)
    changes = safety.history(session, actor, person.id)
    zone = user_zone(session, actor.id)
if plan:
    st.caption(
        f"Version {plan.version}, last changed by {md(plan.updated_by)} on "
        f"{local_time(plan.updated_at, zone, with_year=True)}."
    )
viewing, editing, history = st.tabs(["Plan", "Edit", f"Changes ({len(changes)})"])
with viewing, session_scope() as session:
    plan_ui.show(plan, crisis_resources_for(session, actor.program_id))
with editing:
    plan_ui.editor(actor, person.id, plan, key=f"plan_edit_{person.id}", zone=zone)
with history:
    plan_ui.history(changes, zone)
