"""Family home: who I support, and exactly what they have chosen to share with me."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.FAMILY)

from core.accounts import linked_participants  # noqa: E402 - the guard comes first
from core.db import session_scope  # noqa: E402
from core.sharing import shared_with_me  # noqa: E402

st.title(f"Hello, {actor.name.split()[0]}")
with session_scope() as session:
    links = linked_participants(session, actor)
    shared = shared_with_me(session, actor)

if not links:
    st.info("You are not connected to anyone yet. A participant can invite you from their app.")
for person, relationship in links:
    st.subheader(person.name)
    if relationship:
        st.caption(f"You are connected as: {relationship}")
    mine = [s for s in shared if s.participant_id == person.id]
    if mine:
        st.write("They share with you:")
        for item in mine:
            st.write(f"- {item.label} — until {item.expires_at:%b %d, %Y}")
    else:
        st.write(f"{person.name.split()[0]} isn't sharing anything with you right now. That's "
                 "their choice to make, and it can change at any time.")
st.divider()
st.caption("Everything here is read-only. Supporting someone in treatment is hard work — "
           "the crisis lines at the top are for you too.")
