"""Login, logout and the page guard.

streamlit-authenticator checks the password and signs the re-login cookie; core decides who may
log in (lockout, deactivation, demo accounts) and which cookies still count. We draw the form
ourselves so the typed username is known (for lockout) and browsers may offer saved passwords.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities.exceptions import LoginError

from core import accounts, auth
from core.access import Actor
from core.config import settings
from core.errors import ValidationError
from core.db import session_scope
from core.models import Role, utcnow
from ui import crisis
from ui.text import md

log = logging.getLogger(__name__)

USER_ID = "iop_user_id"
LOGGED_IN_AT = "iop_logged_in_at"
PENDING_COOKIE = "iop_pending_cookie"
NOTICE = "iop_notice"
NOTICE_SECONDS = 30   # a notice stays through the reruns the cookie components cause after it
LIBRARY_KEYS = ("name", "username", "authentication_status", "email", "roles")

# Set by app.py around pg.run(): the actor it validated in this very script run.
_routed_actor: ContextVar[Actor | None] = ContextVar("routed_actor", default=None)


def _authenticator(credentials: dict) -> stauth.Authenticate:
    config = settings()
    return stauth.Authenticate(credentials, config.cookie_name, config.cookie_key,
                               config.cookie_expiry_days, auto_hash=False)


def _start_session(user_id: int, logged_in_at: datetime) -> None:
    st.session_state[USER_ID] = user_id
    st.session_state[LOGGED_IN_AT] = logged_in_at


def _forget_session() -> None:
    """Drop the login from this browser session; the library must not reuse the cookie."""
    for key in (USER_ID, LOGGED_IN_AT, PENDING_COOKIE, *LIBRARY_KEYS):
        st.session_state.pop(key, None)
    st.session_state["logout"] = True


def _notice(message: str) -> None:
    """A message for the login screen, kept for NOTICE_SECONDS: the cookie components rerun the
    script right after a logout, and a one-run message would vanish before it is read."""
    st.session_state[NOTICE] = (message, time.monotonic())


def current_actor() -> Actor | None:
    """The logged-in person, re-checked against the database on every rerun; None if nobody.

    Builds the authenticator once per run (it renders the cookie component), so only app.py
    and an unrouted page guard call this.
    """
    config = settings()
    user_id = st.session_state.get(USER_ID)
    # The cookie components vary from run to run; one container keeps everything after them
    # in place, so an open popover (crisis help) is not reset by the run after a login.
    with st.container(border=False, key="auth_components"), session_scope() as session:
        if user_id is not None:
            user = accounts.load_actor(session, user_id)
            if auth.session_is_valid(user, st.session_state[LOGGED_IN_AT], demo_mode=config.demo_mode):
                authenticator = _authenticator({"usernames": {}})
                if st.session_state.get(PENDING_COOKIE):
                    # Rendered on every run of a password-login session, not once: a quick tap
                    # after logging in could unmount a one-off component before the browser
                    # stored the cookie, and a reload would then ask for the password again.
                    authenticator.cookie_controller.set_cookie()
                st.session_state["_authenticator"] = authenticator
                return Actor.of(user)
            _forget_session()
            _notice("You have been signed out. Please log in again.")

        authenticator = _authenticator({"usernames": {}})
        st.session_state["_authenticator"] = authenticator
        token = authenticator.cookie_controller.get_cookie()
        if token:
            user = auth.find_user(session, token.get("username", ""))
            issued = auth.cookie_issued_at(token, config.cookie_expiry_days)
            if (auth.session_is_valid(user, issued, demo_mode=config.demo_mode)
                    and not auth.lock_state(user).locked):
                authenticator.authentication_controller.authentication_model.credentials = \
                    auth.login_credentials_for(user)
                authenticator.authentication_controller.login(token=token)
                _start_session(user.id, issued)
                return Actor.of(user)
            st.session_state["logout"] = True  # the library must ignore this stale cookie
            authenticator.cookie_controller.delete_cookie()
    return None


def _try_login(username: str, password: str) -> str | None:
    """Check the form; on success start the session and return None, else the message to show."""
    config = settings()
    username = username.strip().lower()
    if not username or not password:
        return "Enter your username and your password."
    authenticator: stauth.Authenticate = st.session_state["_authenticator"]
    with session_scope() as session:
        user = auth.find_user(session, username)
        allowed = user is not None and user.is_active and (config.demo_mode or not user.is_demo)
        lock = auth.lock_state(user) if user else auth.LockState(False)
        if allowed and lock.locked:
            return lock.message
        credentials = auth.login_credentials_for(user) if allowed else {"usernames": {}}
        authenticator.authentication_controller.authentication_model.credentials = credentials
        try:
            ok = authenticator.authentication_controller.login(username, password)
        except LoginError:
            ok = False
        if not ok:
            if allowed:
                lock = auth.record_failed_login(session, username)
                if lock.locked:
                    return lock.message
            return "That username and password don't match. Check both and try again."
        auth.record_successful_login(session, username)
    st.session_state.pop("logout", None)
    _start_session(user.id, utcnow())
    st.session_state[PENDING_COOKIE] = True  # the cookie is set from the next run on
    return None


def login_screen() -> None:
    """The only thing a logged-out visitor sees: the crisis lines and a calm login form."""
    crisis.crisis_button(None)  # the same place as on every other screen
    st.title("IOP Companion")
    st.write("Your diary card, skills and check-ups, between sessions.")
    message, shown_from = st.session_state.get(NOTICE) or ("", 0.0)
    if message and time.monotonic() - shown_from < NOTICE_SECONDS:
        st.info(message)
    else:
        st.session_state.pop(NOTICE, None)
    with st.form("login", clear_on_submit=False, enter_to_submit=True):
        username = st.text_input("Username", key="login_username", autocomplete="username")
        password = st.text_input("Password", type="password", key="login_password",
                                 autocomplete="current-password")
        message_slot = st.empty()
        submitted = st.form_submit_button("Log in", type="primary", width="stretch")
    if submitted:
        st.session_state.pop(NOTICE, None)
        message = _try_login(username, password)
        if message:
            message_slot.error(message)
        else:
            st.session_state.pop("login_password", None)
            st.rerun()
    st.caption("Forgot your password? Ask your program's front desk or your therapist to reset it.")
    with st.expander("I have an invitation code (family members)"):
        _join_with_invitation()


def _join_with_invitation() -> None:
    from core import sharing
    from ui.forms import FieldErrors

    errors = FieldErrors()
    with st.form("join", clear_on_submit=False, border=False):
        code = st.text_input("Invitation code", placeholder="e.g. 4F2A-09BC-77D1", key="join_code")
        errors.slot("code")
        username = st.text_input("Choose a username", key="join_username", autocomplete="username")
        errors.slot("username")
        password = st.text_input("Choose a password", type="password", key="join_password",
                                 autocomplete="new-password", help="8 to 72 characters.")
        errors.slot("password")
        joined = st.form_submit_button("Create my account", width="stretch")
    if joined:
        try:
            with session_scope() as session:
                user = sharing.redeem_invitation(session, code=code, username=username, password=password,
                                                 rounds=settings().bcrypt_rounds)
            st.success(f"Welcome, {md(user.name.split()[0])}. Your account is ready: log in above with "
                       f"username {user.username}.")
        except ValidationError as exc:
            errors.show(exc.fields)


def logout(actor: Actor) -> None:
    """End this login everywhere: older cookies stop working on every device."""
    with session_scope() as session:
        auth.end_all_sessions(session, actor.id)
    authenticator: stauth.Authenticate | None = st.session_state.get("_authenticator")
    if authenticator is not None and st.session_state.get("authentication_status"):
        authenticator.authentication_controller.logout()
        authenticator.cookie_controller.delete_cookie()
    _forget_session()
    _notice("You are logged out.")


def after_password_change(valid_after: datetime) -> None:
    """Keep this session (and give it a fresh cookie); every other login has ended."""
    st.session_state[LOGGED_IN_AT] = valid_after
    st.session_state[PENDING_COOKIE] = True  # and a fresh cookie on every run from now on
    authenticator: stauth.Authenticate | None = st.session_state.get("_authenticator")
    if authenticator is not None:
        # This run's cookie was issued before the change, so it is already refused: write a new
        # one now (its own component key; the per-run one may already be on the page).
        model = authenticator.cookie_controller.cookie_model
        model.exp_date = model._set_exp_date()
        model.cookie_manager.set(model.cookie_name, model._token_encode(), key="set_after_password_change",
                                 expires_at=datetime.now() + timedelta(days=model.cookie_expiry_days))


@contextmanager
def routed(actor: Actor | None) -> Iterator[None]:
    """app.py runs the page inside this, so the page's guard trusts this run's check."""
    token = _routed_actor.set(actor)
    try:
        yield
    finally:
        _routed_actor.reset(token)


def guard(*roles: Role) -> Actor:
    """First line of every page: the logged-in actor with one of `roles`, or stop.

    Opened through app.py, the actor was checked moments ago in this run. Opened directly by
    URL (a fresh server runs pages/ files without app.py), check from scratch and show only the
    login when nobody is logged in.
    """
    actor = _routed_actor.get()
    if actor is None:
        from ui import layout  # local: layout imports this module

        layout.configure_page()
        actor = current_actor()
        if actor is None:
            login_screen()
            st.stop()
        layout.chrome(actor)
    if actor.role not in roles:
        st.warning("This page is not part of your account. Use the menu to go to your pages.")
        st.stop()
    return actor
