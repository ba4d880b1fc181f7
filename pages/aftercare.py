"""Participant: my relapse-prevention and aftercare plan — built with my therapist before the program
ends — to read, keep a printable copy of, change, and see who changed what."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.PARTICIPANT)

from core import aftercare
from core.db import session_scope
from core.enrolment import Use
from core.program import user_zone
from ui import aftercare as plan_ui
from ui import nav
from ui.i18n import _

st.title(_("My aftercare plan"))
st.caption(
    _(
        "What keeps you well after the program: your triggers and warning signs, what you'll do, who you'll "
        "call, and the care that comes next. Family see it only if you choose to share it (Family sharing)."
    )
)
with session_scope() as session:
    plan = aftercare.current_plan(session, actor, actor.id)
    zone = user_zone(session, actor.id)

# After discharge the plan is read, kept and printed, not changed (core/enrolment.py: Remaining).
writes = nav.remaining(actor).may(Use.WRITE)
tabs = st.tabs([_("My plan"), *([_("Edit")] if writes else []), _("Changes")])
viewing, changes = tabs[0], tabs[-1]
with viewing:
    plan_ui.show(plan)
    if aftercare.has_content(plan):  # (nothing to keep a copy of before then)
        st.download_button(
            _("Keep a copy (printable page)"),
            aftercare.printable(plan, name=actor.name),
            file_name="my-aftercare-plan.html",
            mime="text/html",
            icon=":material/download:",
            width="stretch",
        )
if writes:
    with tabs[1]:
        st.caption(_("Your therapist can see and edit this plan with you. Every change is kept."))
        plan_ui.editor(actor, actor.id, plan, key="aftercare_edit", zone=zone)
with changes:
    with session_scope() as session:
        plan_ui.history(aftercare.history(session, actor, actor.id), zone)
