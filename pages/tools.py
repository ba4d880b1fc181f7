"""Participant: the interactive coping tools, usable on a phone without leaving the page."""

import streamlit as st

from core.models import Role
from ui import auth
from ui.i18n import _

actor = auth.guard(Role.PARTICIPANT)

from core.enrolment import Use
from core.skills import TOOLS
from ui import coping, nav

st.title(_("Coping tools"))
# After discharge the tools stay; the thought record (a record kept for the therapist) goes, and the
# others no longer offer to log a practice (ui/coping.py: practice_form).
offered = [t for t in TOOLS if t not in coping.RECORD_TOOLS or nav.remaining(actor).may(Use.WRITE)]
wanted = st.query_params.get("tool")
tool = st.segmented_control(
    _("Tool"),
    offered,
    format_func=lambda tool: _(TOOLS[tool]),
    key="tool_choice",
    width="stretch",
    default=wanted if wanted in offered else "breathing",
    label_visibility="collapsed",
)
if tool:
    st.query_params["tool"] = tool
    coping.TOOL_WIDGETS[tool](actor, key=f"tool_{tool}")
