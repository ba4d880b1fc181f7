"""Participant: who in my family sees what, until when — invite, share, stop sharing, see who looked."""

from datetime import timedelta

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.PARTICIPANT)

from core import sharing  # noqa: E402 - the guard comes first
from core.access import Category  # noqa: E402
from core.db import session_scope  # noqa: E402
from core.errors import ValidationError  # noqa: E402
from core.program import today_of  # noqa: E402
from ui.forms import FieldErrors  # noqa: E402

st.title("Family sharing")
st.caption("Nothing is shared unless you choose it here. Your notes, your answers to single questions and "
           "urges to hurt yourself are never shared. You can stop sharing at any time.")
with session_scope() as session:
    family = sharing.family_of(session, actor, actor.id)
    log = sharing.family_access_log(session, actor, actor.id)
    today = today_of(session, actor)

with st.expander("Invite a family member", expanded=not family):
    errors = FieldErrors()
    with st.form("invite", clear_on_submit=False):
        name = st.text_input("Their name")
        errors.slot("name")
        relationship = st.text_input("How they're related to you", placeholder="Parent, partner, friend…")
        errors.slot("relationship")
        email = st.text_input("Their email (optional)")
        errors.slot("email")
        invited = st.form_submit_button("Create an invitation code", width="stretch")
    if invited:
        try:
            with session_scope() as session:
                code, expires = sharing.create_invitation(session, actor, name=name, relationship=relationship, email=email)
            st.success(f"Give {name.strip()} this code: **{code}** — it works once, until {expires:%b %d}. "
                       "They choose “I have an invitation code” on the login screen. They'll see nothing "
                       "until you choose what to share below.")
        except ValidationError as exc:
            errors.show(exc.fields)

for member in family:
    st.subheader(f"{member.name}" + (f" · {member.relationship}" if member.relationship else ""))
    for category in sharing.OFFERED:
        until = member.active.get(category)
        key = f"{member.id}_{category.value}"
        label = sharing.CATEGORY_LABELS[category]
        if until:
            left, right = st.columns([3, 1], vertical_alignment="center")
            left.markdown(f":material/check_circle: {label} — until {until:%b %d, %Y}")
            if right.button("Stop", key=f"stop_{key}", width="stretch"):
                with session_scope() as session:
                    sharing.revoke(session, actor, family_id=member.id, category=category)
                st.rerun()
            continue
        with st.expander(f"Share: {label}"):
            form_errors = FieldErrors()
            with st.form(f"share_{key}", clear_on_submit=False, border=False):
                until_day = st.date_input("Until", value=today + timedelta(days=sharing.DEFAULT_CONSENT_DAYS),
                                          min_value=today + timedelta(days=1),
                                          max_value=today + timedelta(days=365), key=f"until_{key}")
                form_errors.slot("until")
                purpose = signature = ""
                if category is Category.SUBSTANCE_USE:
                    st.caption(f"Federal rules (42 CFR Part 2) protect substance-use records. By signing you agree "
                               f"that your program may show {member.name} your weekly craving and use-urge "
                               "averages until the date above, for the purpose you write. You can take this "
                               "back at any time, except for what they have already seen. They are told not to "
                               "pass it on.")
                    purpose = st.text_input("Why you're sharing it", key=f"purpose_{key}",
                                            placeholder="So they can support my recovery")
                    form_errors.slot("purpose")
                    signature = st.text_input("Sign by typing your full name", key=f"signature_{key}")
                    form_errors.slot("signature")
                if st.form_submit_button(f"Share with {member.name.split()[0]}", width="stretch"):
                    try:
                        with session_scope() as session:
                            sharing.grant(session, actor, family_id=member.id, category=category, until=until_day,
                                          purpose=purpose, signature=signature)
                        st.rerun()
                    except ValidationError as exc:
                        form_errors.show(exc.fields)

st.subheader("Who looked, and when")
if not log:
    st.caption("No family member has looked at anything yet.")
else:
    st.dataframe([{"When (UTC)": f"{v.at:%b %d %H:%M}", "Who": v.who, "What": v.what,
                   "": "" if v.allowed else "refused"} for v in log], hide_index=True, width="stretch")
