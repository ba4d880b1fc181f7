"""What a participant sees the moment something they entered opens a risk alert."""

from __future__ import annotations

import streamlit as st

from core.access import Actor
from core.program import NOT_MONITORED
from core import safety
from core.db import session_scope
from ui import crisis
from ui import safety as plan_ui


def risk_panel(actor: Actor, risks: list[str]) -> None:
    with st.container(border=True, key="risk_panel"):
        st.subheader("You don't have to get through this alone")
        st.write("What you shared tonight matters. Your therapist has been sent an alert and will "
                 "follow up with you.")
        st.warning(NOT_MONITORED, icon=":material/schedule:")
        st.markdown("**If you might act on these thoughts, reach someone now:**")
        crisis.resource_list(actor.program_id)
        st.markdown("**Your safety plan** — work through it, one step at a time:")
        with session_scope() as session:
            plan = safety.current_plan(session, actor, actor.id)
        plan_ui.show(plan)
