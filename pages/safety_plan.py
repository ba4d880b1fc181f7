"""Participant: my safety plan, the crisis lines, an offline copy, and who changed what."""

import streamlit as st

from core.models import Role
from ui import auth
from ui.i18n import _

actor = auth.guard(Role.PARTICIPANT)

from core import recovery, safety
from core.db import session_scope
from core.enrolment import Use
from core.program import crisis_resources_for, program_of, user_zone
from ui import crisis, nav
from ui import recovery as recovery_ui
from ui import safety as plan_ui

st.title(_("My safety plan"))
st.caption(_("Work down the steps, one at a time, until you feel safer. Step 5 and the lines below are always there."))
crisis.resources_panel(actor.program_id, expanded=False)
with session_scope() as session:
    plan = safety.current_plan(session, actor, actor.id)
    resources = crisis_resources_for(session, actor.program_id)
    zone = user_zone(session, actor.id)
    options = recovery.options_of(program_of(session, actor))  # naloxone, where the program lists opioids/stimulants

# After discharge the plan is read, kept and printed, not changed (core/enrolment.py: Remaining).
writes = nav.remaining(actor).may(Use.WRITE)
tabs = st.tabs([_("My plan"), *([_("Edit")] if writes else []), _("Changes")])
viewing, changes = tabs[0], tabs[-1]
with viewing:
    plan_ui.show(plan, resources)
    st.download_button(
        _("Keep a copy (printable page)"),
        safety.printable(plan, name=actor.name, resources=resources),
        file_name="my-safety-plan.html",
        mime="text/html",
        icon=":material/download:",
        width="stretch",
    )
if writes:
    with tabs[1]:
        st.caption(_("Your therapist can see and edit this plan with you. Every change is kept."))
        if options is not None and options.naloxone:
            recovery_ui.naloxone_prompt(plan)
        plan_ui.editor(actor, actor.id, plan, key="plan_edit", zone=zone)
with changes:
    with session_scope() as session:
        plan_ui.history(safety.history(session, actor, actor.id), zone)
