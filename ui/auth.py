"""Login, logout, the login cookie, the first-password screen and the page guard.

core/auth.py decides who may log in (attempts counted first, per username and client), what a
login cookie is worth (session version, issue time) and what a reset code does. This module
draws the forms and keeps the browser's side in step:

- The login cookie is set and deleted by the server (`ui/session_routes.py`): after a password
  login the page posts a one-time hand-off code to `/iop/session`, which answers with an
  HttpOnly, SameSite=Lax cookie (Secure over https). No JavaScript ever sees the cookie, and no
  component runs on the page, so a page open is one script run and nothing reruns under a tap.
- A new browser session (a reload, a new tab) reads the cookie from `st.context.cookies`; every
  rerun re-checks the login against the database (active, session version).
- streamlit-authenticator's public `Hasher.check_pw` checks passwords; core counts the attempt
  before calling it.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import streamlit as st

from core import access, accounts, auth
from core.access import Actor
from core.config import settings
from core.db import session_scope
from core.enrolment import Phase
from core.errors import AccessDenied, ValidationError
from core.models import AppUser, Role
from ui import crisis, i18n
from ui.i18n import N_, _
from ui.session_routes import LOGOUT_PATH, SESSION_PATH
from ui.text import md

# `streamlit run` imports app.py, and so this module, once outside any browser session (to serve its
# routes). streamlit-authenticator declares its cookie components as it is imported, and each one then
# logs "missing ScriptRunContext! This warning can be ignored" in the terminal of whoever ran
# `make run`: lines that look like trouble and are not. Only this import is quieted (a filter, since
# Streamlit sets its loggers' levels again when it reads its config during the import).
BARE_MODE_LOGGER_NAMES = (
    "streamlit.runtime.scriptrunner_utils.script_run_context",
    "streamlit.runtime.caching.cache_data_api",
)
_BARE_MODE_LOGGERS = [logging.getLogger(name) for name in BARE_MODE_LOGGER_NAMES]
_quiet = logging.Filter("nothing.at.all")  # passes no record from these loggers
for _logger in _BARE_MODE_LOGGERS:
    _logger.addFilter(_quiet)
try:
    from streamlit_authenticator import Hasher
finally:
    for _logger in _BARE_MODE_LOGGERS:
        _logger.removeFilter(_quiet)

USER_ID = "iop_user_id"
SESSION_VERSION = "iop_session_version"
MUST_CHOOSE = "iop_must_choose_password"
HANDOFF = "iop_cookie_handoff"  # a code the page still has to exchange for its cookie
HANDOFF_NEW = "iop_cookie_handoff_new"  # ... issued since the last run looked: the page has not posted it yet
CLEAR_COOKIE = "iop_clear_cookie"  # the browser holds a cookie that no longer counts
COOKIE_READ = "iop_cookie_read"  # this session has looked at the cookie it was opened with
NOTICE = "iop_notice"
LAST_USER = "iop_last_user_id"  # whose login this session last held (it lapsed or was logged out)
LOGGED_OUT = "iop_logged_out"  # this session tapped "Log out": its address is no bookmark to go back to
NOTICE_SECONDS = 30

# Set by app.py around pg.run(): the actor it validated in this very script run.
_routed_actor: ContextVar[Actor | None] = ContextVar("routed_actor", default=None)


def check_password(password: str, password_hash: str) -> bool:
    """streamlit-authenticator's public password check (bcrypt)."""
    return Hasher.check_pw(password, password_hash)


def client_id() -> str:
    """Where this browser connects from, as core's throttle wants it: the IP address (behind a
    reverse proxy, the one the proxy reports; see README), or "local" on this machine."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "local"


def _browser_cookie() -> str | None:
    """The login cookie this browser sent when the page was opened."""
    value = st.context.cookies.get(settings().cookie_name)
    return value if isinstance(value, str) else None  # (AppTest's stand-in context has no cookies)


def _start_session(user: AppUser) -> None:
    st.session_state.pop(LOGGED_OUT, None)
    if st.session_state.pop(LAST_USER, user.id) != user.id:
        # Someone else on the same tab (a shared computer): the address keeps its screen (the bookmark
        # routing), not the last person's query string (?p=<their participant>), which would open, or
        # be refused and audited against this person for, a record they never asked for.
        st.query_params.clear()
        _forget_last_person()
    i18n.remember_account(user.role, user.language)
    st.session_state[USER_ID] = user.id
    st.session_state[SESSION_VERSION] = user.session_version
    st.session_state[MUST_CHOOSE] = user.must_change_password


def _forget_last_person() -> None:
    """Forget everything the screens kept for the last person on this tab (a shared tablet): their
    unsaved diary answers, a check-up result and its crisis response, a calendar address shown once, a
    reset code they gave, a saved-practice message... Only the login's own state stays, and the language
    picked on the login screen. (A lapsed login of the same person keeps all of it, for that person.)"""
    keep = {USER_ID, SESSION_VERSION, MUST_CHOOSE, HANDOFF, HANDOFF_NEW, CLEAR_COOKIE, COOKIE_READ, NOTICE}
    keep |= {LOGIN_OUTCOME, HOME_AFTER_LOGIN, i18n.LOGIN_LANGUAGE}
    for key in [k for k in st.session_state if k not in keep and not str(k).startswith("login_")]:
        del st.session_state[key]


def _forget_session() -> None:
    if st.session_state.get(USER_ID) is not None:
        st.session_state[LAST_USER] = st.session_state[USER_ID]
    for key in (USER_ID, SESSION_VERSION, MUST_CHOOSE, HANDOFF, HANDOFF_NEW):
        st.session_state.pop(key, None)
    i18n.forget_account()


def _remember_login(session, user: AppUser) -> None:
    """Ask the browser to fetch the login cookie (when this account's login may be remembered)."""
    st.session_state.pop(CLEAR_COOKIE, None)
    code = auth.issue_login_handoff(session, user)
    if code:
        st.session_state[HANDOFF] = st.session_state[HANDOFF_NEW] = code


def _notice(message: str) -> None:
    """A message for the login screen, kept a little while so a quick rerun does not eat it."""
    st.session_state[NOTICE] = (message, time.monotonic())


def _post(path: str, payload: dict) -> None:
    """Have the page POST to one of our routes. The response's Set-Cookie does the work;
    keepalive lets it finish even if the person reloads at once."""
    body = json.dumps(payload).replace("<", "\\u003c")
    st.html(
        f"<script>fetch({json.dumps(path)}, {{method: 'POST', credentials: 'same-origin', "
        f"keepalive: true, headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(body)}}});"
        f"</script>",
        unsafe_allow_javascript=True,
    )


def _cookie_requests(session) -> None:
    """The cookie work this browser still owes: fetch a new cookie, or delete a dead one."""
    code = st.session_state.get(HANDOFF)
    # A code issued since the last run looked (a login's callback, just before this run) has never been
    # posted, so nothing can have exchanged it yet: no read to ask. Each login's first run, the person's
    # page, had asked the database about the code the login had written a moment before.
    new = st.session_state.pop(HANDOFF_NEW, None)
    if code and (new == code or auth.handoff_pending(session, code)):
        _post(SESSION_PATH, {"code": code})
    elif code:
        st.session_state.pop(HANDOFF, None)  # exchanged (or expired): nothing more to do
    if st.session_state.get(CLEAR_COOKIE):
        _post(LOGOUT_PATH, {})


def current_actor() -> Actor | None:
    """The logged-in person, re-checked against the database on every rerun; None if nobody.

    A browser session that has not logged in yet is logged in by a valid login cookie. Any
    cookie that is not exactly right (forged, malformed, logged out, too old) is deleted and the
    login is shown.
    """
    config = settings()
    # Hidden (see ui/layout.py); always drawn, so what follows keeps its place from run to run.
    with st.container(border=False, key="auth_components"), session_scope() as session:
        user_id = st.session_state.get(USER_ID)
        actor = None
        if user_id is not None:
            # One read of the account, which also hands the gate what it knows of this person for
            # the rest of the rerun (core.access.person_for_login): the gate does not read them again.
            user = access.person_for_login(session, user_id)
            if auth.session_is_current(user, st.session_state.get(SESSION_VERSION), demo_mode=config.demo_mode):
                st.session_state[MUST_CHOOSE] = user.must_change_password
                i18n.remember_account(user.role, user.language)
                actor = Actor.of(user)
            else:
                # Logged out elsewhere (or deactivated, or the password changed). The browser's
                # cookie is dead too, unless another tab has since logged in again: leave it be.
                _forget_session()
                _notice(N_("You have been signed out. Please log in again."))
        elif not st.session_state.get(COOKIE_READ):
            # The cookie this page was opened with: looked at once per browser session (after a
            # logout here or elsewhere it is dead, and may since have been replaced by another tab).
            st.session_state[COOKIE_READ] = True
            token = _browser_cookie()
            if token:
                user = auth.user_for_token(session, token)
                if user is not None:
                    _start_session(user)
                    actor = Actor.of(user)
                else:
                    st.session_state[CLEAR_COOKIE] = True
        _cookie_requests(session)
    return actor


def bookmarks_open() -> bool:
    """Whether the address this logged-out session is at should open its screen after a login: yes
    for an address opened (a bookmark, a lapsed login), no once the person has tapped "Log out"."""
    return not st.session_state.get(LOGGED_OUT)


def must_choose_password() -> bool:
    """True for a login with a first password from the program: choose one's own first."""
    return bool(st.session_state.get(MUST_CHOOSE))


def _try_login(username: str, password: str) -> str | None:
    """Check the form; on success start the session and return None, else the message to show."""
    with session_scope() as session:
        result = auth.log_in(session, username=username, password=password, client=client_id(), verify=check_password)
        if result.user is None:
            return result.message
        _keep_login_language(session, result.user)
        _start_session(result.user)
        _remember_login(session, result.user)
    return None


def _keep_login_language(session, user: AppUser) -> None:
    """An account that has not chosen a language yet takes the one picked on the login screen."""
    chosen = i18n.login_choice()
    if chosen and user.language is None and Role(user.role) in i18n.CHOOSES_LANGUAGE:
        accounts.set_language(session, user_id=user.id, language=chosen)


LOGIN_OUTCOME = "iop_login_outcome"  # a login refused (its message) or failed (the error), for the run


def _log_in_tapped() -> None:
    """Log in's callback: the password is checked before the script runs, so a login that works is
    one run, the person's page, not a run of the login screen that stops and starts another
    (`st.rerun`): on a clinic's first morning, fifty people logging in at once each cost the server a
    whole run less. A refusal's message, or the error a failure raised, is left for the run, which
    draws the login screen with it as before (an error is raised there, where the page's calm message
    takes it: ui.layout.run_safely)."""
    state = st.session_state
    state.pop(LOGIN_OUTCOME, None)
    home = not bookmarks_open()  # (the login forgets that this session tapped "Log out")
    try:
        message = _try_login(str(state.get("login_username") or ""), str(state.get("login_password") or ""))
    except Exception as exc:  # noqa: BLE001 - raised again in the run (a callback's would be a traceback)
        state[LOGIN_OUTCOME] = exc
        return
    if message:
        state[LOGIN_OUTCOME] = message
    else:
        state.pop(NOTICE, None)
        state.pop("login_password", None)
        if home:
            state[HOME_AFTER_LOGIN] = True


HOME_AFTER_LOGIN = "iop_home_after_login"


def opens_home() -> bool:
    """Whether this run follows a login made after "Log out" (asked once, by the router): it opens the
    role's first page at "/", not the screen the person logged out from. A browser already asks for
    "/" by then (the login screen was drawn there); the router makes sure of it for any client that
    asks for the address it was at (the login's own `st.rerun` used to)."""
    return bool(st.session_state.pop(HOME_AFTER_LOGIN, False))


def login_screen() -> None:
    """The only thing a logged-out visitor sees: the crisis lines and a calm login form."""
    crisis.crisis_button(None)  # the same place as on every other screen
    i18n.language_picker()
    st.title("IOP Companion")
    st.write(_("Your diary card, skills and check-ups, between sessions."))
    # Always drawn (empty or not), so the form keeps its place when the notice goes: a form that
    # moved would stay on screen twice, stale and new, while a login run is working.
    notice_slot = st.empty()
    message, shown_from = st.session_state.get(NOTICE) or ("", 0.0)
    if message and time.monotonic() - shown_from < NOTICE_SECONDS:
        notice_slot.info(_(message))
    else:
        st.session_state.pop(NOTICE, None)
    with st.form("login", clear_on_submit=False, enter_to_submit=True):
        st.text_input(_("Username"), key="login_username", autocomplete="username")
        st.text_input(_("Password"), type="password", key="login_password", autocomplete="current-password")
        message_slot = st.empty()
        submitted = st.form_submit_button(_("Log in"), type="primary", width="stretch", on_click=_log_in_tapped)
    if submitted:  # (a login that worked never gets here: the run after its callback is the person's page)
        st.session_state.pop(NOTICE, None)
        outcome = st.session_state.pop(LOGIN_OUTCOME, None)
        if isinstance(outcome, Exception):
            raise outcome  # the page's own failure, as if it had happened here (ui.layout.run_safely)
        if outcome:
            message_slot.error(outcome)
    st.caption(
        _(
            "Forgot your password, or logging in is paused? Your program's front desk or your "
            "therapist can unlock it or give you a reset code."
        )
    )
    with st.expander(_("I have a reset code")):
        _reset_with_code()
    with st.expander(_("I have an invitation code (family members)")):
        _join_with_invitation()


def _reset_with_code() -> None:
    from ui.forms import FieldErrors

    errors = FieldErrors()
    with st.form("reset_code", clear_on_submit=False, border=False):
        username = st.text_input(_("Your username"), key="reset_username", autocomplete="username")
        errors.slot("username")
        code = st.text_input(
            _("Reset code"),
            key="reset_code",
            placeholder=_("e.g. {code}").format(code="7KQ4-MZ2P-X9HD"),
            help=_("Dashes and spaces don't matter, nor do capitals."),
        )
        errors.slot("code")
        new = st.text_input(
            _("New password"),
            type="password",
            key="reset_new",
            autocomplete="new-password",
            help=_("8 to 72 characters. A short sentence is easy to remember."),
        )
        errors.slot("new")
        repeat = st.text_input(
            _("New password again"), type="password", key="reset_repeat", autocomplete="new-password"
        )
        errors.slot("repeat")
        done = st.form_submit_button(_("Set my password and log in"), width="stretch")
    if done:
        try:
            with session_scope() as session:
                user = auth.redeem_reset_code(
                    session, username=username, code=code, new=new, repeat=repeat, client=client_id()
                )
                _start_session(user)
                _remember_login(session, user)
        except ValidationError as exc:
            errors.show(exc.fields)
            return
        for key in ("reset_code", "reset_new", "reset_repeat"):
            st.session_state.pop(key, None)
        st.rerun()


def _join_with_invitation() -> None:
    from core import sharing
    from ui.forms import FieldErrors

    errors = FieldErrors()
    with st.form("join", clear_on_submit=False, border=False):
        code = st.text_input(
            _("Invitation code"), placeholder=_("e.g. {code}").format(code="4F2A-09BC-77D1"), key="join_code"
        )
        errors.slot("code")
        username = st.text_input(_("Choose a username"), key="join_username", autocomplete="username")
        errors.slot("username")
        password = st.text_input(
            _("Choose a password"),
            type="password",
            key="join_password",
            autocomplete="new-password",
            help=_("8 to 72 characters."),
        )
        errors.slot("password")
        joined = st.form_submit_button(_("Create my account"), width="stretch")
    if joined:
        try:
            with session_scope() as session:
                user = sharing.redeem_invitation(
                    session,
                    code=code,
                    username=username,
                    password=password,
                    rounds=settings().bcrypt_rounds,
                    client=client_id(),
                )
            st.success(
                _("Welcome, {name}. Your account is ready: log in above with username {username}.").format(
                    name=md(user.name.split()[0]), username=md(user.username)
                )
            )
        except ValidationError as exc:
            errors.show(exc.fields)


def choose_password_screen() -> None:
    """Before anything else, a person given a first password by the program chooses their own."""
    from ui.forms import FieldErrors

    user_id = st.session_state.get(USER_ID)
    st.title(_("Choose your own password"))
    st.write(_("Your program set up your account with a first password. Choose one only you know before you go on."))
    errors = FieldErrors()
    with st.form("choose_password", clear_on_submit=False):
        new = st.text_input(
            _("New password"),
            type="password",
            key="choose_new",
            autocomplete="new-password",
            help=_("8 to 72 characters. A short sentence is easy to remember."),
        )
        errors.slot("new")
        repeat = st.text_input(
            _("New password again"), type="password", key="choose_repeat", autocomplete="new-password"
        )
        errors.slot("repeat")
        chosen = st.form_submit_button(_("Save my password"), type="primary", width="stretch")
    if chosen and user_id is not None:
        try:
            with session_scope() as session:
                version = auth.choose_password(
                    session, user_id=user_id, new=new, repeat=repeat, rounds=settings().bcrypt_rounds
                )
                _password_changed(session, version)
        except ValidationError as exc:
            errors.show(exc.fields)
            return
        for key in ("choose_new", "choose_repeat"):
            st.session_state.pop(key, None)
        st.rerun()
    if st.button(_("Log out"), key="choose_logout"):
        logout_current()
        st.rerun()


def logout(actor: Actor) -> None:
    """End this login everywhere: this session, and every cookie on every device."""
    with session_scope() as session:
        auth.end_all_sessions(session, actor.id)
    _signed_out(N_("You are logged out."))


def logout_current() -> None:
    user_id = st.session_state.get(USER_ID)
    if user_id is not None:
        with session_scope() as session:
            auth.end_all_sessions(session, user_id)
    _signed_out(N_("You are logged out."))


def _signed_out(message: str) -> None:
    _forget_session()
    # Logging out happens on My account (or the password screen): the login that follows opens the
    # role's first page at "/", not My account again as a bookmark would (app.py: nav.everywhere).
    st.session_state[LOGGED_OUT] = True
    st.query_params.clear()
    st.session_state[CLEAR_COOKIE] = True  # and the route deletes the cookie in this browser
    _notice(message)


def _password_changed(session, version: int) -> None:
    """Keep this session (and give it a fresh cookie); every other login has ended."""
    st.session_state[SESSION_VERSION] = version
    st.session_state[MUST_CHOOSE] = False
    user = session.get(AppUser, st.session_state[USER_ID])
    _remember_login(session, user)


def after_password_change(version: int) -> None:
    """My account calls this after core changed the password (and returned the new version)."""
    with session_scope() as session:
        _password_changed(session, version)


def reset_and_unlock(actor: Actor, people: dict[int, str], *, key: str) -> None:
    """For the admin and for therapists (their caseload): give someone a one-time reset code, or
    lift a pause on their logins. `people` maps account ids to names; core decides who may, and
    audits both."""
    from ui.text import md

    user_id = st.selectbox(
        "Whose login",
        list(people),
        index=None,
        format_func=people.__getitem__,
        placeholder="Choose a person",
        key=f"{key}_who",
    )
    if user_id is None:
        return
    label = people[user_id]
    code_col, unlock_col = st.columns(2)
    if code_col.button("Give a reset code", key=f"{key}_code", width="stretch"):
        try:
            with session_scope() as session:
                issued = auth.issue_reset_code(session, actor, user_id=user_id)
            st.session_state[f"{key}_issued"] = (user_id, issued.code)
        except AccessDenied as exc:
            st.error(str(exc))
    if unlock_col.button("Unlock logging in", key=f"{key}_unlock", width="stretch"):
        try:
            with session_scope() as session:
                lifted = auth.unlock(session, actor, user_id=user_id)
            st.success(
                f"Logging in is unlocked for {md(label)}."
                if lifted
                else f"Logging in was not paused for {md(label)}: nothing to unlock."
            )
        except AccessDenied as exc:
            st.error(str(exc))
    issued = st.session_state.get(f"{key}_issued")
    if issued and issued[0] == user_id:
        st.success(f"Reset code for {md(label)}:")
        st.code(issued[1], language=None)
        st.caption(
            "Give it to them in person or read it out on the phone; it is not shown again. "
            'It works once, within 24 hours: on the login screen they open "I have a reset '
            'code", type it with their username and choose a new password. An earlier '
            "code stops working."
        )


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
        i18n.apply()
        if actor is None:
            login_screen()
            st.stop()
        if not must_choose_password():
            layout.chrome(actor, here=None)
    if must_choose_password():
        crisis.crisis_button(actor.program_id)
        choose_password_screen()
        st.stop()
    if actor.role not in roles:
        st.warning(_("This page is not part of your account. Use the menu to go to your pages."))
        st.stop()
    if actor.role is Role.PARTICIPANT:
        _after_the_program(actor, sys._getframe(1).f_globals.get("__file__"))
    return actor


def _after_the_program(actor: Actor, page_file: str | None) -> None:
    """A discharged participant who opens a screen they no longer use (by an old link or a typed
    address) gets the same closing word as Today, not a refusal. `page_file` is the page that called
    `guard` (its `__file__`)."""
    from ui import farewell, nav  # local: nav and farewell draw with this module's helpers

    left = nav.remaining(actor)
    if left.phase is Phase.IN_PROGRAM:
        return
    path = f"pages/{Path(page_file).name}" if page_file else ""
    if not nav.offered(actor, path, left):
        farewell.show(actor, left)
        st.stop()
