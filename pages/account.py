"""My account: who I am here, change my password, log out."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(*Role)

from core import auth as core_auth  # noqa: E402 - the guard comes first
from core.config import settings  # noqa: E402
from core.db import session_scope  # noqa: E402
from core.errors import ValidationError  # noqa: E402
from ui.forms import FieldErrors  # noqa: E402
from ui.text import md  # noqa: E402

st.title("My account")
st.write(f"**{md(actor.name)}** · {actor.role.label} · username `{actor.username}`")

st.subheader("Change password")
errors = FieldErrors()
with st.form("change_password", clear_on_submit=False):
    current = st.text_input("Current password", type="password", autocomplete="current-password")
    errors.slot("current")
    new = st.text_input("New password", type="password", autocomplete="new-password",
                        help="8 to 72 characters. A short sentence is easy to remember.")
    errors.slot("new")
    repeat = st.text_input("New password again", type="password", autocomplete="new-password")
    errors.slot("repeat")
    submitted = st.form_submit_button("Change password", width="stretch")
if submitted:
    try:
        with session_scope() as session:
            valid_after = core_auth.change_password(session, user_id=actor.id, current=current, new=new,
                                                    repeat=repeat, rounds=settings().bcrypt_rounds)
        auth.after_password_change(valid_after)
        st.success("Your password is changed. You stay logged in here; other devices will ask "
                   "you to log in again.")
    except ValidationError as exc:
        errors.show(exc.fields)

st.divider()
if st.button("Log out", width="stretch"):
    auth.logout(actor)
    st.rerun()
