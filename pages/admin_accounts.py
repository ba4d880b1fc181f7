"""Admin: create accounts, find them, deactivate them."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.ADMIN)

from core import accounts
from core import auth as core_auth
from core.config import settings
from core.db import session_scope
from core.errors import ValidationError
from ui.forms import FieldErrors, with_limits
from ui.text import md

st.title("Accounts")

with st.expander("➕ Create an account", expanded=False):
    with session_scope() as session:
        therapists = accounts.people(session, program_id=actor.program_id, role=Role.THERAPIST)
    errors = FieldErrors()
    with st.form("create_account", clear_on_submit=False):
        role = st.segmented_control(
            "Role",
            [r.value for r in accounts.ADMIN_CREATABLE_ROLES],
            format_func=lambda r: Role(r).label,
            default=Role.PARTICIPANT.value,
        )
        errors.slot("role")
        # No max_chars: a browser given more than max_chars (a paste) keeps nothing at all.
        name = st.text_input("Full name")
        errors.slot("name")
        username = st.text_input("Username", help="What they type to log in.")
        errors.slot("username")
        email = st.text_input("Email (optional)")
        errors.slot("email")
        password = st.text_input(
            "First password",
            type="password",
            autocomplete="new-password",
            help="8 to 72 characters. They can change it in My account.",
        )
        errors.slot("password")
        therapist = st.selectbox(
            "Therapist (participants)", therapists, index=None, format_func=lambda p: p.name, placeholder="Assign later"
        )
        errors.slot("therapist")
        started_on = st.date_input(
            "Program start date (participants)",
            value="today",
            format="YYYY-MM-DD",
            help="Their week 1 begins here, and their group sessions are made from the program's schedule.",
        )
        errors.slot("started_on")
        created = st.form_submit_button("Create account", type="primary", width="stretch")
    if created:
        try:
            with session_scope() as session:
                user = accounts.create_account(
                    session,
                    actor,
                    username=username,
                    name=name,
                    email=email,
                    role=role or "",
                    password=password,
                    rounds=settings().bcrypt_rounds,
                    therapist_id=therapist.id if therapist else None,
                    started_on=started_on,
                )
            st.success(f"Account created for {md(user.name)} (username `{user.username}`).")
        except ValidationError as exc:
            errors.show(
                with_limits(
                    exc.fields,
                    {
                        "name": (name, accounts.NAME_MAX),
                        "username": (username, core_auth.USERNAME_MAX),
                        "email": (email, accounts.EMAIL_MAX),
                    },
                )
            )

col_search, col_role = st.columns([2, 1])
search = col_search.text_input("Search by name or username")
role_filter = col_role.selectbox(
    "Role", ["All", *[r.value for r in Role]], format_func=lambda r: r if r == "All" else Role(r).label
)
with session_scope() as session:
    rows = accounts.list_accounts(session, actor, role=None if role_filter == "All" else role_filter, search=search)
    paused = core_auth.paused_usernames(session, [r.username for r in rows])
st.dataframe(
    [
        {
            "Name": r.name,
            "Username": r.username,
            "Role": r.role.label,
            "Therapist": f"{r.therapist} ({r.therapist_username})" if r.therapist else "",
            "Active": "yes" if r.is_active else "no",
            "Last login": f"{r.last_login_at:%Y-%m-%d %H:%M}" if r.last_login_at else "never",
            "Login paused": "yes" if r.username in paused else "",
        }
        for r in rows
    ],
    hide_index=True,
    width="stretch",
)

st.subheader("Deactivate or reactivate")
chosen = st.selectbox(
    "Account",
    [r for r in rows if r.username != actor.username],
    index=None,
    format_func=lambda r: f"{r.name} ({r.username}) — {'active' if r.is_active else 'inactive'}",
    placeholder="Choose an account",
)
if chosen is not None:
    label = "Deactivate" if chosen.is_active else "Reactivate"
    if chosen.is_active:
        st.caption("Deactivating ends their logins on every device. Their records are kept.")
    if st.button(f"{label} {md(chosen.name)}", width="stretch"):
        try:
            with session_scope() as session:
                accounts.set_active(session, actor, user_id=chosen.id, active=not chosen.is_active)
            st.rerun()
        except ValidationError as exc:
            st.error(str(exc))

st.subheader("Forgotten password or paused login")
st.caption(
    "A reset code lets the person choose a new password on the login screen. Unlocking "
    "lifts a pause that too many wrong passwords caused."
)
auth.reset_and_unlock(
    actor, {r.id: f"{r.name} ({r.username})" for r in rows if r.username != actor.username}, key="admin_reset"
)
