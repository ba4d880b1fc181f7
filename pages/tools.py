"""Participant: the interactive coping tools, usable on a phone without leaving the page."""

import streamlit as st

from core.models import Role
from ui import auth
from ui.i18n import _

actor = auth.guard(Role.PARTICIPANT)

from core.skills import TOOLS
from ui import coping

st.title(_("Coping tools"))
wanted = st.query_params.get("tool")
tool = st.segmented_control(
    _("Tool"),
    list(TOOLS),
    format_func=lambda tool: _(TOOLS[tool]),
    key="tool_choice",
    width="stretch",
    default=wanted if wanted in TOOLS else "breathing",
    label_visibility="collapsed",
)
if tool:
    st.query_params["tool"] = tool
    coping.TOOL_WIDGETS[tool](actor, key=f"tool_{tool}")
