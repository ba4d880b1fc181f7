"""Admin: read the audit log — who looked at or changed whose data, and when."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.ADMIN)

from core import accounts, audit  # noqa: E402 - the guard comes first
from core.db import session_scope  # noqa: E402

st.title("Audit log")
st.caption(f"Newest first, up to {audit.AUDIT_PAGE_SIZE} events. Refused attempts are marked.")
with session_scope() as session:
    everyone = accounts.list_accounts(session, actor)
participants = [r for r in everyone if r.role is Role.PARTICIPANT]
col_p, col_a = st.columns(2)
participant = col_p.selectbox("Whose data", participants, index=None, format_func=lambda r: r.name,
                              placeholder="Any participant")
who = col_a.selectbox("Who acted", everyone, index=None, format_func=lambda r: f"{r.name} ({r.role.label})",
                      placeholder="Anyone")
with session_scope() as session:
    events = audit.audit_log(session, actor, participant_id=participant.id if participant else None,
                             actor_id=who.id if who else None)
if not events:
    st.info("No events match.")
else:
    st.dataframe(
        [{"When (UTC)": f"{e.at:%Y-%m-%d %H:%M:%S}", "Who": e.actor, "Role": e.actor_role,
          "Whose": e.participant, "What": e.category, "Action": e.action,
          "Allowed": "yes" if e.allowed else "REFUSED", "Detail": e.detail} for e in events],
        hide_index=True, width="stretch")
