"""What a participant sees the moment something they entered opens a risk alert."""

from __future__ import annotations

import streamlit as st

from core.access import Actor
from core.program import NOT_MONITORED
from core.safety import SAFETY_PLAN_STEPS
from ui import crisis


def risk_panel(actor: Actor, risks: list[str]) -> None:
    with st.container(border=True, key="risk_panel"):
        st.subheader("You don't have to get through this alone")
        st.write("What you shared tonight matters. Your therapist has been sent an alert and will "
                 "follow up with you.")
        st.warning(NOT_MONITORED, icon=":material/schedule:")
        st.markdown("**If you might act on these thoughts, reach someone now:**")
        crisis.resource_list(actor.program_id)
        st.markdown("**Your safety plan** — work through it, one step at a time:")
        for number, (title, prompt) in enumerate(SAFETY_PLAN_STEPS, start=1):
            st.markdown(f"{number}. **{title}** — {prompt}")
        st.caption("You and your therapist can write your own plan together; until then, these are "
                   "the steps it follows.")
