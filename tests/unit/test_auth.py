from datetime import timedelta

import pytest

from core import auth
from core.errors import ValidationError
from core.models import AppUser, utcnow


@pytest.mark.parametrize("password, ok", [
    ("a" * 7, False), ("a" * 8, True), ("a" * 72, True), ("a" * 73, False),
    ("é" * 36, True), ("é" * 37, False),  # 2 bytes each: the limit is bytes, not letters
    (" leading-space", False), ("", False),
])
def test_password_rules(password, ok):
    assert (auth.password_problem(password) is None) is ok


def test_hash_and_check():
    hashed = auth.hash_password("correct horse", rounds=4)
    assert hashed.startswith("$2")
    assert auth.check_password("correct horse", hashed)
    assert not auth.check_password("wrong horse", hashed)
    assert not auth.check_password("x" * 100, hashed)  # too long: refused, not an error
    with pytest.raises(ValidationError):
        auth.hash_password("short", rounds=4)


@pytest.fixture
def user(session):
    u = AppUser(username="alex", name="Alex M", role="participant",
                password_hash=auth.hash_password("right-password", rounds=4))
    session.add(u)
    session.commit()
    return u


def test_five_failures_lock_for_fifteen_minutes(session, user):
    now = utcnow()
    for attempt in range(1, 5):
        state = auth.record_failed_login(session, "alex", now + timedelta(seconds=attempt))
        assert not state.locked, attempt
    state = auth.record_failed_login(session, "alex", now + timedelta(seconds=5))
    assert state.locked and state.minutes_left == 15
    assert "15 minutes" in state.message
    # Still locked 14 minutes later, open again after 15.
    assert auth.lock_state(user, now + timedelta(minutes=14)).locked
    assert not auth.lock_state(user, now + timedelta(minutes=15, seconds=6)).locked


def test_failures_outside_the_window_do_not_add_up(session, user):
    now = utcnow()
    for i in range(4):
        auth.record_failed_login(session, "alex", now + timedelta(seconds=i))
    later = now + auth.FAILURE_WINDOW + timedelta(minutes=1)
    assert not auth.record_failed_login(session, "alex", later).locked
    assert user.failed_attempts == 1


def test_success_clears_the_failure_count(session, user):
    for _ in range(4):
        auth.record_failed_login(session, "alex")
    auth.record_successful_login(session, "alex")
    assert user.failed_attempts == 0
    assert not auth.record_failed_login(session, "alex").locked


def test_unknown_username_failure_is_harmless(session):
    assert not auth.record_failed_login(session, "nobody").locked


def test_logout_invalidates_older_cookies(session, user):
    token = {"username": "alex", "exp_date": (utcnow() + timedelta(days=7)).timestamp()}
    issued = auth.cookie_issued_at(token, 7)
    assert abs((issued - utcnow()).total_seconds()) < 5
    assert auth.session_is_valid(user, issued, demo_mode=True)
    auth.end_all_sessions(session, user.id, now=issued + timedelta(seconds=1))
    assert not auth.session_is_valid(user, issued, demo_mode=True)
    newer = issued + timedelta(seconds=2)
    assert auth.session_is_valid(user, newer, demo_mode=True)


def test_password_change_invalidates_older_cookies_and_keeps_new_login(session, user):
    before = utcnow() - timedelta(seconds=1)
    valid_after = auth.change_password(session, user_id=user.id, current="right-password",
                                       new="a brand new one", repeat="a brand new one", rounds=4)
    assert not auth.session_is_valid(user, before, demo_mode=True)
    assert auth.session_is_valid(user, valid_after, demo_mode=True)
    assert auth.check_password("a brand new one", user.password_hash)


@pytest.mark.parametrize("current, new, repeat, field", [
    ("wrong", "a brand new one", "a brand new one", "current"),
    ("right-password", "short", "short", "new"),
    ("right-password", "a brand new one", "a different one", "repeat"),
    ("right-password", "right-password", "right-password", "new"),
])
def test_password_change_refusals_name_the_field(session, user, current, new, repeat, field):
    with pytest.raises(ValidationError) as caught:
        auth.change_password(session, user_id=user.id, current=current, new=new, repeat=repeat, rounds=4)
    assert field in caught.value.fields


def test_deactivated_and_demo_accounts(session, user):
    now = utcnow()
    user.is_demo = True
    assert auth.session_is_valid(user, now, demo_mode=True)
    assert not auth.session_is_valid(user, now, demo_mode=False)
    user.is_demo, user.is_active = False, False
    assert not auth.session_is_valid(user, now, demo_mode=True)
