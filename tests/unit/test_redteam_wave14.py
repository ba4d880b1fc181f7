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

