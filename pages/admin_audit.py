"""Admin: read the audit log — who looked at or changed whose data, and when."""

from datetime import timedelta

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.ADMIN)

from core import accounts, audit
from core.db import session_scope
from core.program import user_today, user_zone
from ui.timefmt import local_time

st.title("Audit log")
st.caption(
    f"Newest first, {audit.AUDIT_PAGE_SIZE} events a page. Each row says who, whose record, what kind of "
    "record and when — never what the record says."
)
with session_scope() as session:
    everyone = accounts.list_accounts(session, actor)
    zone = user_zone(session, actor.id)
    today = user_today(session, actor.id)
participants = [r for r in everyone if r.role is Role.PARTICIPANT]
categories = audit.categories()

with st.container(border=True):
    col_p, col_a = st.columns(2)
    participant = col_p.selectbox(
        "Whose record",
        participants,
        index=None,
        format_func=lambda r: f"{r.name} ({r.username})",  # (two people may share a name)
        placeholder="Any participant",
        key="audit_participant",
    )
    who = col_a.selectbox(
        "Who acted",
        everyone,
        index=None,
        format_func=lambda r: f"{r.name} ({r.username}, {r.role.label})",
        placeholder="Anyone",
        key="audit_actor",
    )
    col_c, col_d = st.columns(2)
    category = col_c.selectbox(
        "What kind of record",
        list(categories),
        index=None,
        format_func=categories.get,
        placeholder="Any",
        key="audit_category",
    )
    days = col_d.date_input(
        "Between", value=(today - timedelta(days=30), today), max_value=today, format="YYYY-MM-DD", key="audit_days"
    )
    refused_only = st.toggle("Refused attempts only", key="audit_refused")

start, end = (days[0], days[-1]) if days else (None, None)
filters = (participant.id if participant else None, who.id if who else None, category, refused_only, start, end)
if st.session_state.get("audit_filters") != filters:  # new filters start again from the newest
    st.session_state["audit_filters"], st.session_state["audit_page"] = filters, 0
page = st.session_state.get("audit_page", 0)

with session_scope() as session:
    found = audit.audit_log(
        session,
        actor,
        participant_id=filters[0],
        actor_id=filters[1],
        category=category,
        refused_only=refused_only,
        start=start,
        end=end,
        page=page,
    )
if not found.rows:
    st.info("No events match." if page == 0 else "No more events.")
else:
    first_row = page * audit.AUDIT_PAGE_SIZE + 1
    st.caption(
        f"Events {first_row}–{first_row + len(found.rows) - 1}; times in {found.rows[0].at.astimezone(zone):%Z}."
    )
    st.dataframe(
        [
            {
                "When": local_time(e.at, zone, with_year=True, seconds=True),
                "Who": e.actor,
                "Role": e.actor_role,
                "Whose": e.participant,
                "What": e.category,
                "Action": e.action,
                "Allowed": "yes" if e.allowed else "REFUSED",
                "Why refused": e.reason,
                "Record": e.ref,
            }
            for e in found.rows
        ],
        hide_index=True,
        width="stretch",
    )
newer, older = st.columns(2)
if newer.button("Newer", disabled=page == 0, width="stretch", icon=":material/arrow_back:"):
    st.session_state["audit_page"] = page - 1
    st.rerun()
if older.button("Older", disabled=not found.has_more, width="stretch", icon=":material/arrow_forward:"):
    st.session_state["audit_page"] = page + 1
    st.rerun()
