"""My account: who I am here, change my password, log out."""

import streamlit as st

from core.models import Role
from ui import auth, i18n
from ui.i18n import _

actor = auth.guard(*Role)

from core import auth as core_auth
from core.config import settings
from core.db import session_scope
from core.errors import ValidationError
from ui.forms import FieldErrors
from ui.text import md

st.title(_("My account"))
st.markdown(
    _("**{name}** · {label} · username {username}").format(
        name=md(actor.name), label=_(actor.role.label), username=md(actor.username)
    )
)
i18n.account_language_choice(actor)

st.subheader(_("Change password"))
errors = FieldErrors()
with st.form("change_password", clear_on_submit=False):
    current = st.text_input(_("Current password"), type="password", autocomplete="current-password")
    errors.slot("current")
    new = st.text_input(
        _("New password"),
        type="password",
        autocomplete="new-password",
        help=_("8 to 72 characters. A short sentence is easy to remember."),
    )
    errors.slot("new")
    repeat = st.text_input(_("New password again"), type="password", autocomplete="new-password")
    errors.slot("repeat")
    submitted = st.form_submit_button(_("Change password"), width="stretch")
if submitted:
    try:
        with session_scope() as session:
            version = core_auth.change_password(
                session, user_id=actor.id, current=current, new=new, repeat=repeat, rounds=settings().bcrypt_rounds
            )
        auth.after_password_change(version)  # the new session version: this login carries on
        st.success(_("Your password is changed. You stay logged in here; other devices will ask you to log in again."))
    except ValidationError as exc:
        errors.show(exc.fields)

st.divider()
if st.button(_("Log out"), width="stretch"):
    auth.logout(actor)
    st.rerun()
