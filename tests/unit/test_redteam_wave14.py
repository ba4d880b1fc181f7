"""Red team, wave 14: attacks on what the fourteenth session changed for speed (#22).

1. The login: a hand-off code (the one a login's browser exchanges for its cookie) that outlives a
   logout or a new password; the throttle's statement built once per rule (a rule that changes while
   the process runs) and its pruning at most once every 10 minutes (a clock moved back, two databases).
2. Statements built once with their values as parameters (core/diary.py, recovery.py, program.py, goals.py,
   practice.py, schedule.py, checkups.py, screeners.py): two participants of different programs, zones
   and languages, one substance-use program and one not, read interleaved in one process; and a write
   earlier in the same unit of work is seen by the plain-row read after it.
3. The caseload on PostgreSQL (LATERAL) and SQLite: deactivated, reassigned and discharged people, a
   therapist with none, alerts resolved between two reads.
4. ui/theme_once.py: the message that starts a run is Streamlit's own for any theme config.

Database tests run on SQLite and on PostgreSQL (the `database_url` fixture)."""

from __future__ import annotations

import copy

import pytest

from core import auth, config
from core.models import AppUser
from tests.unit.test_auth import REAL_KEY, RIGHT

# ---- 1. the login -------------------------------------------------------------------------------


@pytest.fixture
def account(session, monkeypatch) -> AppUser:
    """An account whose login may be remembered (a real cookie key)."""
    monkeypatch.setenv("IOP_COOKIE_KEY", REAL_KEY)
    config.settings.cache_clear()
    person = AppUser(
        username="alex", name="Alex M", role="participant", password_hash=auth.hash_password(RIGHT, rounds=4)
    )
    session.add(person)
    session.commit()
    yield person
    config.settings.cache_clear()


@pytest.mark.parametrize("ending", ["logout", "new password", "password reset by code"])
def test_a_hand_off_code_issued_before_a_logout_gives_no_cookie_after_it(session, account, ending):
    """A login's code the browser has not exchanged yet (its keepalive POST still on its way, or read off
    the network) must not turn into a cookie once the person has logged out or their password changed:
    the cookie would carry the account's new session version and log the next person at that computer in."""
    code = auth.issue_login_handoff(session, account)
    assert auth.handoff_pending(session, code)
    if ending == "logout":
        auth.end_all_sessions(session, account.id)
        session.commit()
    elif ending == "new password":
        auth.change_password(
            session,
            user_id=account.id,
            current=RIGHT,
            new="a brand new phrase 42",
            repeat="a brand new phrase 42",
            rounds=4,
        )
    else:
        auth._bump_session_version(session, account.id)  # (what a reset by code does, in its unit of work)
        session.commit()
    assert not auth.handoff_pending(session, code)
    assert auth.redeem_login_handoff(session, code) is None
    # A login after it issues a code that works.
    session.refresh(account)
    again = auth.issue_login_handoff(session, account)
    token = auth.redeem_login_handoff(session, again)
    assert token is not None and auth.user_for_token(session, token).id == account.id


def test_a_hand_off_code_of_someone_elses_logout_stays_good(session, account):
    other = AppUser(username="sam", name="Sam", role="participant", password_hash="!")
    session.add(other)
    session.commit()
    code = auth.issue_login_handoff(session, account)
    auth.end_all_sessions(session, other.id)
    session.commit()
    token = auth.redeem_login_handoff(session, code)
    assert token is not None and auth.user_for_token(session, token).id == account.id


# ---- 4. the theme of the message that starts every run ------------------------------------------


THEMES = {
    "the project's": {},
    "a light base alone": {"theme.base": "light"},  # (base 0: Streamlit's fill sets only a default)
    "a dark base alone": {"theme.base": "dark"},
    "a light section alone": {"theme.light.primaryColor": "#102030"},
    "a sidebar alone": {"theme.sidebar.backgroundColor": "#ffffff"},
    "nothing": {"theme.base": None},
}


@pytest.mark.parametrize("theme", list(THEMES))
def test_the_first_message_of_a_run_is_streamlits_own_whatever_the_theme(monkeypatch, theme):
    """ui/theme_once.py copies each theme section Streamlit worked out once into every run's first message.
    Streamlit's own fill marks a section present when it sets any field, even one at its default value
    (`[theme] base = "light"` alone): the browser then keeps the light theme; a section left absent lets
    it follow the system's dark mode. The patched message must be the very same bytes."""
    from streamlit import config as st_config
    from streamlit.runtime import app_session

    from tests.unit.test_theme_once import filled
    from ui import theme_once

    monkeypatch.setattr(app_session, "_populate_theme_msg", app_session._populate_theme_msg)  # (put back after)
    original = getattr(app_session._populate_theme_msg, "__wrapped__", app_session._populate_theme_msg)
    monkeypatch.setattr(app_session, "_populate_theme_msg", original)
    options = copy.deepcopy(st_config.get_config_options())
    if THEMES[theme]:
        for name, option in options.items():
            if name.startswith("theme."):
                option.set_value(None, "a test")
        for name, value in THEMES[theme].items():
            options[name].set_value(value, "a test")
    monkeypatch.setattr(st_config, "_config_options", options)
    expected = filled(original)
    assert theme_once.install()
    patched = app_session._populate_theme_msg
    for _ in range(2):  # worked out, then copied
        got = filled(patched)
        assert got.SerializeToString() == expected.SerializeToString()
        assert got.new_session.HasField("custom_theme") == expected.new_session.HasField("custom_theme")
