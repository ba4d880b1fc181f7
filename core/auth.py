"""Passwords, lockout and login-cookie validity. The database is the source of truth.

streamlit-authenticator draws the login form and sets the cookie; these functions decide who
may log in, count failures with a time window, and refuse cookies issued before a logout or a
password change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import bcrypt
from sqlmodel import Session, select

from core.errors import ValidationError
from core.models import AppUser, utcnow

PASSWORD_MIN_BYTES = 8
PASSWORD_MAX_BYTES = 72  # bcrypt ignores (bcrypt 5: rejects) anything longer
MAX_FAILED_ATTEMPTS = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)


def password_problem(password: str) -> str | None:
    """The message to show beside a new password, or None when it is acceptable."""
    size = len(password.encode("utf-8"))
    if size < PASSWORD_MIN_BYTES:
        return f"Use at least {PASSWORD_MIN_BYTES} characters."
    if size > PASSWORD_MAX_BYTES:
        return f"Use at most {PASSWORD_MAX_BYTES} bytes (about {PASSWORD_MAX_BYTES} plain letters)."
    if password != password.strip():
        return "Don't start or end the password with a space."
    return None


def hash_password(password: str, *, rounds: int) -> str:
    problem = password_problem(password)
    if problem:
        raise ValidationError.one("password", problem)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def check_password(password: str, password_hash: str) -> bool:
    data = password.encode("utf-8")
    if len(data) > PASSWORD_MAX_BYTES:
        return False
    return bcrypt.checkpw(data, password_hash.encode("ascii"))


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


@dataclass(frozen=True)
class LockState:
    locked: bool
    minutes_left: int = 0

    @property
    def message(self) -> str:
        minutes = max(self.minutes_left, 1)
        unit = "minute" if minutes == 1 else "minutes"
        return (f"This account is locked after {MAX_FAILED_ATTEMPTS} unsuccessful tries. "
                f"Please try again in {minutes} {unit}, or ask your program to reset it.")


def lock_state(user: AppUser, now: datetime | None = None) -> LockState:
    now = now or utcnow()
    until = _aware(user.locked_until)
    if until and until > now:
        seconds = (until - now).total_seconds()
        return LockState(True, int(-(-seconds // 60)))
    return LockState(False)


def find_user(session: Session, username: str) -> AppUser | None:
    return session.exec(select(AppUser).where(AppUser.username == username.strip().lower())).first()


def login_credentials_for(user: AppUser) -> dict:
    """The credentials dict streamlit-authenticator wants, for one user, from the database.

    Built per attempt, so no rerun reads every account and no password is hashed on a rerun.
    """
    return {"usernames": {user.username: {
        "name": user.name, "email": user.email or "", "password": user.password_hash,
        "roles": [user.role], "failed_login_attempts": 0,
    }}}


def record_failed_login(session: Session, username: str, now: datetime | None = None) -> LockState:
    """Count a wrong password; the fifth within the window locks the account."""
    now = now or utcnow()
    user = find_user(session, username)
    if user is None:
        return LockState(False)
    last = _aware(user.last_failed_at)
    if last is None or now - last > FAILURE_WINDOW or _aware(user.locked_until):
        # A new run of failures: the old ones are outside the window or a lock has passed.
        user.failed_attempts = 0
        user.locked_until = None
    user.failed_attempts += 1
    user.last_failed_at = now
    if user.failed_attempts >= MAX_FAILED_ATTEMPTS:
        user.locked_until = now + LOCKOUT_DURATION
    session.add(user)
    session.commit()
    return lock_state(user, now)


def record_successful_login(session: Session, username: str, now: datetime | None = None) -> AppUser:
    now = now or utcnow()
    user = find_user(session, username)
    if user is None:
        raise LookupError(username)
    user.failed_attempts = 0
    user.last_failed_at = None
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    session.commit()
    return user


def session_is_valid(user: AppUser | None, logged_in_at: datetime, *, demo_mode: bool) -> bool:
    """A login (cookie or live session) counts only if nothing has invalidated it since."""
    if user is None or not user.is_active or (user.is_demo and not demo_mode):
        return False
    return _aware(logged_in_at) >= _aware(user.sessions_valid_after)


def cookie_issued_at(token: dict, expiry_days: float) -> datetime:
    """streamlit-authenticator's cookie holds only its expiry; issue time = expiry - lifetime."""
    return datetime.fromtimestamp(float(token["exp_date"]), UTC) - timedelta(days=expiry_days)


def end_all_sessions(session: Session, user_id: int, now: datetime | None = None) -> None:
    """Logout: every cookie issued before now stops working, on every device."""
    user = session.get(AppUser, user_id)
    if user is not None:
        user.sessions_valid_after = now or utcnow()
        session.add(user)
        session.commit()


def change_password(session: Session, *, user_id: int, current: str, new: str, repeat: str,
                    rounds: int, now: datetime | None = None) -> datetime:
    """Change a password; older logins elsewhere stop working. Returns the new valid-after time."""
    user = session.get(AppUser, user_id)
    if user is None or not check_password(current, user.password_hash):
        raise ValidationError.one("current", "That is not your current password.")
    errors = {}
    problem = password_problem(new)
    if problem:
        errors["new"] = problem
    elif new != repeat:
        errors["repeat"] = "The two new passwords are not the same."
    elif new == current:
        errors["new"] = "Choose a password different from the current one."
    if errors:
        raise ValidationError(errors)
    now = now or utcnow()
    user.password_hash = hash_password(new, rounds=rounds)
    user.sessions_valid_after = now
    session.add(user)
    session.commit()
    return now
