"""Therapist: open alerts across my caseload — acknowledge with what was done, then resolve."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.THERAPIST)

from core import alerts  # noqa: E402 - the guard comes first
from core.clinical import Severity  # noqa: E402
from core.db import session_scope  # noqa: E402
from core.errors import ValidationError  # noqa: E402
from core.program import today_of  # noqa: E402
from ui.text import md  # noqa: E402

SEVERITY = {Severity.URGENT: ":red[**Urgent**]", Severity.SAME_DAY: ":orange[**Today**]",
            Severity.REVIEW: "**Review**"}

st.title("Alerts")
with session_scope() as session:
    items = alerts.inbox(session, actor, today=today_of(session, actor))
if not items:
    st.success("No open alerts on your caseload.")
st.caption("Alerts stay here until resolved. The participant was shown the crisis lines and their "
           "safety plan when a risk alert opened; the app told them it is not watched in real time.")

for item in items:
    with st.container(border=True, key=f"alert_{item.id}"):
        st.markdown(f"{SEVERITY[item.severity]} · **{md(item.participant)}** · "
                    f"opened {item.opened_at:%b %d, %H:%M} UTC")
        st.markdown(md(item.detail))
        if item.acknowledged_at is None:
            with st.form(f"ack_{item.id}", clear_on_submit=False, border=False):
                note = st.text_area("What did you do? (required)", key=f"note_{item.id}", max_chars=alerts.ACK_NOTE_MAX,
                                    placeholder="e.g. Called them at 6:10 pm; reviewed the safety plan; "
                                                "C-SSRS screen negative; follow-up in group tomorrow.")
                message = st.empty()
                if st.form_submit_button("Acknowledge", type="primary", width="stretch"):
                    try:
                        with session_scope() as session:
                            alerts.acknowledge(session, actor, alert_id=item.id, note=note)
                        st.rerun()
                    except ValidationError as exc:
                        message.error(exc.fields["note"])
        else:
            st.caption(f"Acknowledged by {md(item.acknowledged_by or 'your team')} at {item.acknowledged_at:%b %d, %H:%M} UTC:")
            st.text(item.acknowledgement)
            if st.button("Resolve", key=f"resolve_{item.id}", width="stretch"):
                with session_scope() as session:
                    alerts.resolve(session, actor, alert_id=item.id)
                st.rerun()
