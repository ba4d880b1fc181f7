"""Passwords, login attempts, login cookies, reset codes and unlocking. The database decides.

- **Attempts** are counted (core/throttle.py) *before* a password is checked, per username and
  client, so simultaneous guesses cannot get past the limit, and guesses from one place pause
  logins only from that place: the owner elsewhere, and their existing logins, carry on.
  Unknown usernames take exactly the same path (bcrypt against a dummy hash, the same counter,
  the same words), so nothing tells which usernames exist.
- **Login cookies** are tokens we sign (HS256) holding the account id, the account's *session
  version* and the token's own issue time. Logout, a password change or reset, and deactivation
  add one to the version, which ends every older login on every device; the token's age is also
  held against today's expiry setting, so shortening it never revives an old cookie. The public
  demo key signs cookies for demo accounts only.
- **One-time codes**: a password reset code (24 h) that the admin, or the participant's
  therapist, hands over in person, and the short hand-off that turns a password login into an
  HttpOnly cookie set by the server. Only an HMAC of a code (keyed with the server secret) is
  stored, and a code is used by one conditional update, so it works once.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TypeGuard

import bcrypt
import jwt
from sqlalchemy import bindparam, delete, select, update
from sqlmodel import Session, col

from core import codes, throttle
from core.access import Actor, Refusal, record
from core.config import settings
from core.errors import AccessDenied, ValidationError
from core.i18n import N_, _, ngettext
from core.models import AppUser, CaseloadAssignment, OneTimeCode, Role, id_of, utcnow

PASSWORD_MIN_BYTES = 8
PASSWORD_MAX_BYTES = 72  # bcrypt ignores (bcrypt 5: rejects) anything longer

LOGIN_ATTEMPTS = 5  # wrong passwords in a row from one place …
LOGIN_WINDOW = timedelta(minutes=15)  # … within this long pause logins from there this long
LOGIN_MAX_PAUSE = timedelta(hours=4)  # pauses in a row double, up to this
MAX_FAILED_ATTEMPTS = LOGIN_ATTEMPTS  # (the name the first release used)
RESET_ATTEMPTS = 5  # wrong reset codes, per username and client
RESET_CODE_LIFETIME = timedelta(hours=24)
RESET_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud, typed on a phone
RESET_CODE_LENGTH = 12  # 60 bits, shown in three groups of four (e.g. K7QM-2RTW-9HXP)
HANDOFF_LIFETIME = timedelta(minutes=2)
TOKEN_ALGORITHM = "HS256"
TOKEN_MAX_CHARS = 1024
CLOCK_SKEW = timedelta(minutes=1)  # a token "issued" later than this ahead is refused
USERNAME_MAX = 40

ACCOUNT_CATEGORY = "accounts"  # audit area for logins being reset or unlocked

EMPTY_MESSAGE = N_("Enter your username and your password.")
WRONG_MESSAGE = N_("That username and password don't match. Check both and try again.")

PasswordCheck = Callable[[str, str], bool]


# ---- passwords ---------------------------------------------------------------------------


def password_problem(password: str) -> str | None:
    """The message to show beside a new password, or None when it is acceptable."""
    if not isinstance(password, str):
        return _("Enter a password.")
    size = len(password.encode("utf-8", "surrogatepass"))
    if size < PASSWORD_MIN_BYTES:
        return _("Use at least {n} characters.").format(n=PASSWORD_MIN_BYTES)
    if size > PASSWORD_MAX_BYTES:
        return _("Use at most {n} bytes (about {n} plain letters).").format(n=PASSWORD_MAX_BYTES)
    if password != password.strip():
        return _("Don't start or end the password with a space.")
    if any(ord(ch) < 32 or 0xD800 <= ord(ch) < 0xE000 for ch in password):  # controls; unpaired surrogates
        return _("Use letters, digits, spaces and punctuation only.")
    return None


def hash_password(password: str, *, rounds: int) -> str:
    problem = password_problem(password)
    if problem:
        raise ValidationError.one("password", problem)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def check_password(password: str, password_hash: str) -> bool:
    """bcrypt's check; anything malformed (too long, not a hash) is simply a wrong password."""
    try:
        data = password.encode("utf-8")
        if len(data) > PASSWORD_MAX_BYTES:
            return False
        return bcrypt.checkpw(data, password_hash.encode("ascii"))
    except (ValueError, TypeError, UnicodeError):
        return False


@lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> str:
    """A hash nobody's password matches, at the cost real hashes have: unknown usernames take
    as long as known ones."""
    return bcrypt.hashpw(secrets.token_bytes(16).hex().encode(), bcrypt.gensalt(rounds)).decode("ascii")


def _new_password_errors(new: str, repeat: str) -> dict[str, str]:
    problem = password_problem(new)
    if problem:
        return {"new": problem}
    if new != repeat:
        return {"repeat": _("The two new passwords are not the same.")}
    return {}


# ---- who may log in ------------------------------------------------------------------------


def normalize_username(username: object) -> str:
    return username.strip().lower() if isinstance(username, str) else ""


def find_user(session: Session, username: str) -> AppUser | None:
    name = normalize_username(username)
    if not name or len(name) > USERNAME_MAX or not name.isprintable():
        return None
    return session.execute(_user_by_name(), {"username": name}).scalars().first()


@lru_cache(maxsize=1)
def _user_by_name():
    """`find_user`'s statement, built once (every login reads it): the name is its parameter."""
    return select(AppUser).where(col(AppUser.username) == bindparam("username"))


def may_log_in(user: AppUser | None, *, demo_mode: bool) -> TypeGuard[AppUser]:
    return user is not None and user.is_active and (demo_mode or not user.is_demo)


def session_is_current(user: AppUser | None, version: object, *, demo_mode: bool) -> TypeGuard[AppUser]:
    """A login counts while the account may log in and nothing has ended its sessions since."""
    return (
        may_log_in(user, demo_mode=demo_mode)
        and isinstance(version, int)
        and not isinstance(version, bool)
        and version == user.session_version
    )


def login_key(username: str) -> str:
    """The throttle key for password attempts on one username (known or not)."""
    return f"login:{normalize_username(username)}"


def _reset_key(username: str) -> str:
    return f"reset:{normalize_username(username)}"


def paused_message(attempt: throttle.Attempt, *, codes: bool = False) -> str:
    minutes = attempt.minutes_left or int(LOGIN_WINDOW.total_seconds() // 60)
    if codes:
        message = ngettext(
            "Too many tries in a row, so using codes for this account from here is paused for {n} minute. "
            "Your program (the front desk or your therapist) can unlock it or give you a reset code.",
            "Too many tries in a row, so using codes for this account from here is paused for {n} minutes. "
            "Your program (the front desk or your therapist) can unlock it or give you a reset code.",
            minutes,
        )
    else:
        message = ngettext(
            "Too many tries in a row, so logging in to this account from here is paused for {n} minute. "
            "Your program (the front desk or your therapist) can unlock it or give you a reset code.",
            "Too many tries in a row, so logging in to this account from here is paused for {n} minutes. "
            "Your program (the front desk or your therapist) can unlock it or give you a reset code.",
            minutes,
        )
    return message.format(n=minutes)


def wrong_password_message(attempt: throttle.Attempt) -> str:
    if attempt.remaining == 0:
        return paused_message(attempt)
    minutes = int(LOGIN_WINDOW.total_seconds() // 60)
    return ngettext(
        "That username and password don't match. Check both and try again. You have {n} more try before "
        "logging in from here pauses for {minutes} minutes.",
        "That username and password don't match. Check both and try again. You have {n} more tries before "
        "logging in from here pauses for {minutes} minutes.",
        attempt.remaining,
    ).format(n=attempt.remaining, minutes=minutes)


@dataclass(frozen=True)
class LoginResult:
    user: AppUser | None = None  # set when the login succeeded
    message: str = ""  # what to show beside the form when it did not


def log_in(
    session: Session,
    *,
    username: str,
    password: str,
    client: str,
    verify: PasswordCheck = check_password,
    now: datetime | None = None,
) -> LoginResult:
    """Check a password login. The attempt is counted before the password is checked.

    `verify(password, hash)` checks a password against a bcrypt hash (the app passes
    streamlit-authenticator's `Hasher.check_pw`); `client` says where the attempt comes from
    (an IP address), so guesses from one place do not pause the owner's logins elsewhere.
    """
    config = settings()
    now = now or utcnow()
    name = normalize_username(username)
    if not name or not isinstance(password, str) or not password:
        return LoginResult(message=_(EMPTY_MESSAGE))
    attempt = throttle.hit(
        session,
        login_key(name),
        client=client,
        limit=LOGIN_ATTEMPTS,
        window=LOGIN_WINDOW,
        max_block=LOGIN_MAX_PAUSE,
        now=now,
    )
    if not attempt.allowed:
        return LoginResult(message=paused_message(attempt))
    user = find_user(session, name)
    stored = user.password_hash if user is not None else _dummy_hash(config.bcrypt_rounds)
    matches = len(password.encode("utf-8", "surrogatepass")) <= PASSWORD_MAX_BYTES and _verify(verify, password, stored)
    if not (matches and may_log_in(user, demo_mode=config.demo_mode)):
        session.rollback()
        return LoginResult(message=wrong_password_message(attempt))
    throttle.clear(session, login_key(name), client=client)
    if _prune_due(session, "throttle", now):
        throttle.prune(session, before=now - LOGIN_WINDOW - LOGIN_MAX_PAUSE)
    user.last_login_at = now
    session.add(user)
    session.commit()
    return LoginResult(user=user)


def _verify(verify: PasswordCheck, password: str, stored: str) -> bool:
    try:
        return bool(verify(password, stored))
    except (ValueError, TypeError, UnicodeError):
        return False


# ---- sessions and the login cookie -----------------------------------------------------------


def _bump_session_version(session: Session, user_id: int) -> None:
    session.execute(
        update(AppUser).where(col(AppUser.id) == user_id).values(session_version=col(AppUser.session_version) + 1)
    )
    # A login's hand-off code not exchanged yet ends with the logins it belongs to: exchanged after this,
    # it would make a cookie of the new session version (a logout, or a new password, undone by a code
    # still on its way from a browser, or read off the network, in its two minutes).
    session.execute(
        update(OneTimeCode)
        .where(
            col(OneTimeCode.user_id) == user_id,
            col(OneTimeCode.purpose) == "login",
            col(OneTimeCode.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )


def end_all_sessions(session: Session, user_id: int) -> None:
    """Logout: this login and every other one (cookies on any device) stop working now.
    Deactivation calls this too (within its own unit of work: no commit here)."""
    _bump_session_version(session, user_id)


def login_token(user: AppUser, *, now: datetime | None = None) -> str:
    """The login cookie's value: id, session version, issue time and expiry, signed."""
    config = settings()
    issued = int((now or utcnow()).timestamp())
    lifetime = int(config.cookie_expiry_days * 86400)
    return jwt.encode(
        {"sub": str(user.id), "sv": user.session_version, "iat": issued, "exp": issued + lifetime},
        config.cookie_key,
        algorithm=TOKEN_ALGORITHM,
    )


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def user_for_token(session: Session, token: object, *, now: datetime | None = None) -> AppUser | None:
    """The account a login cookie stands for, or None for anything not exactly right."""
    config = settings()
    now = now or utcnow()
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX_CHARS or not token.isascii():
        return None
    try:
        claims = jwt.decode(
            token, config.cookie_key, algorithms=[TOKEN_ALGORITHM], options={"require": ["sub", "sv", "iat", "exp"]}
        )
    except (jwt.PyJWTError, ValueError, TypeError, UnicodeError):
        return None
    sub, version, issued = claims.get("sub"), claims.get("sv"), claims.get("iat")
    if not (
        isinstance(sub, str)
        and sub.isascii()
        and sub.isdigit()
        and len(sub) <= 12
        and _is_int(version)
        and _is_int(issued)
    ):
        return None
    age = now.timestamp() - issued
    if age < -CLOCK_SKEW.total_seconds() or age >= config.cookie_expiry_days * 86400:
        return None  # from the future, or older than today's expiry setting allows
    user = session.get(AppUser, int(sub))
    if not session_is_current(user, version, demo_mode=config.demo_mode):
        return None
    if config.uses_demo_key and not user.is_demo:
        return None  # the demo key is public: it vouches for demo accounts only
    return user


def cookie_allowed(user: AppUser) -> bool:
    """Whether this account's login may be remembered by a cookie (not with the demo key)."""
    return user.is_demo or not settings().uses_demo_key


# ---- one-time codes ----------------------------------------------------------------------------

normalize_code = codes.normalise  # reset codes: with or without dashes and spaces, any case


def _code_hash(purpose: str, code: str) -> str:
    """Reset codes arrive here already normalised; hand-off tokens exactly as issued."""
    return codes.secret_hash(purpose, code)


def _use_code(session: Session, purpose: str, code: str, *, user_id: int | None, now: datetime) -> int | None:
    """Mark a live code used, once: the user id it was for, or None. One conditional update."""
    query = (
        update(OneTimeCode)
        .where(
            col(OneTimeCode.code_hash) == _code_hash(purpose, code),
            col(OneTimeCode.purpose) == purpose,
            col(OneTimeCode.used_at).is_(None),
            col(OneTimeCode.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(OneTimeCode.user_id))
    )
    if user_id is not None:
        query = query.where(col(OneTimeCode.user_id) == user_id)
    return session.execute(query).scalar()


def _prune_codes(session: Session, now: datetime) -> None:
    if _prune_due(session, "codes", now):
        session.execute(delete(OneTimeCode).where(col(OneTimeCode.expires_at) < now - timedelta(days=7)))


# Housekeeping: the throttle's rows of long-quiet windows (which `throttle.hit` would start afresh anyway)
# and codes expired a week ago (which nothing accepts) are deleted by a login or a code issued, at most once
# every PRUNE_EVERY per process and database. Done on every login, it was two DELETEs in each (two of a
# login's statements that fifty people logging in at once each paid); what they delete is only dead weight.
PRUNE_EVERY = timedelta(minutes=10)
_pruned_at: dict[tuple[str, str], datetime] = {}  # (database, what) -> when this process last pruned it
_pruning = threading.Lock()


def _prune_due(session: Session, what: str, now: datetime) -> bool:
    key = (str(session.get_bind().engine.url), what)
    with _pruning:
        last = _pruned_at.get(key)
        if last is not None and last <= now < last + PRUNE_EVERY:
            return False
        _pruned_at[key] = now
        return True


def issue_login_handoff(session: Session, user: AppUser, *, now: datetime | None = None) -> str | None:
    """A code the browser exchanges (POST /iop/session) for the login cookie, or None when this
    account's login may not be remembered. Commits."""
    if not cookie_allowed(user):
        return None
    now = now or utcnow()
    code = secrets.token_urlsafe(32)
    _prune_codes(session, now)
    session.add(
        OneTimeCode(
            purpose="login",
            code_hash=_code_hash("login", code),
            user_id=id_of(user),
            created_at=now,
            expires_at=now + HANDOFF_LIFETIME,
        )
    )
    session.commit()
    return code


def handoff_pending(session: Session, code: str, *, now: datetime | None = None) -> bool:
    """Whether the browser has yet to exchange this hand-off code for its cookie."""
    now = now or utcnow()
    return session.execute(_pending_code(), {"code_hash": _code_hash("login", code), "now": now}).first() is not None


@lru_cache(maxsize=1)
def _pending_code():
    """`handoff_pending`'s statement, built once (a login's next run reads it): its values are parameters."""
    return select(col(OneTimeCode.id)).where(
        col(OneTimeCode.code_hash) == bindparam("code_hash"),
        col(OneTimeCode.used_at).is_(None),
        col(OneTimeCode.expires_at) > bindparam("now"),
    )


def redeem_login_handoff(session: Session, code: object, *, now: datetime | None = None) -> str | None:
    """Exchange a hand-off code for a login token, once. Commits."""
    now = now or utcnow()
    if not isinstance(code, str) or not code or len(code) > 100 or not code.isascii():
        return None
    user_id = _use_code(session, "login", code, user_id=None, now=now)
    # The account as it was when the code was used, read before that commits: a logout committed just after
    # would otherwise give this token its new session version, and the cookie would outlive the logout.
    user = session.get(AppUser, user_id, populate_existing=True) if user_id is not None else None
    token = None  # (made before the commit, whatever the commit expires)
    if may_log_in(user, demo_mode=settings().demo_mode) and cookie_allowed(user):
        token = login_token(user, now=now)
    session.commit()
    return token


@dataclass(frozen=True)
class ResetCode:
    code: str  # shown once to the person issuing it, never stored
    expires_at: datetime
    username: str


def _refusal_for(session: Session, actor: Actor, target: AppUser | None) -> Refusal | None:
    """Who may reset or unlock whose login: the admin, in their program (not their own: they use
    My account); a therapist, for participants on their caseload. None means allowed."""
    me = session.get(AppUser, actor.id)
    if me is None or not me.is_active or me.role != actor.role.value:
        return Refusal.ACCOUNT_INACTIVE
    if target is None:
        return Refusal.UNKNOWN_ACCOUNT
    if actor.role is Role.ADMIN:
        if target.program_id != actor.program_id:
            return Refusal.OTHER_PROGRAM
        if target.id == actor.id:
            return Refusal.OWN_ACCOUNT
        return None
    if actor.role is Role.THERAPIST:
        on_caseload = (
            session.execute(
                select(col(CaseloadAssignment.id)).where(
                    col(CaseloadAssignment.therapist_id) == actor.id,
                    col(CaseloadAssignment.participant_id) == target.id,
                )
            ).first()
            is not None
        )
        if target.role == Role.PARTICIPANT.value and on_caseload:
            return None
        return Refusal.NOT_ON_CASELOAD
    return Refusal.WRONG_ROLE


def _checked_target(session: Session, actor: Actor, user_id: object, action: str) -> AppUser:
    """The account `actor` may manage, or AccessDenied; either way the decision is audited
    (who, whose, what, when, and the account as a reference: no clinical content)."""
    target = session.get(AppUser, user_id) if _is_int(user_id) and 0 < user_id < 2**31 else None
    reason = _refusal_for(session, actor, target)
    whose = target.id if target is not None and target.role == Role.PARTICIPANT.value else None
    ref = f"user:{user_id}" if _is_int(user_id) and 0 < user_id < 2**31 else ""
    if reason:
        session.rollback()
        record(
            session,
            actor,
            category=ACCOUNT_CATEGORY,
            action=action,
            participant_id=whose,
            allowed=False,
            ref=ref,
            reason=reason,
        )
        raise AccessDenied("You can't do this for that account.")
    if target is None:  # (_refusal_for refuses a missing account: UNKNOWN_ACCOUNT, above)
        raise AccessDenied("You can't do this for that account.")
    record(session, actor, category=ACCOUNT_CATEGORY, action=action, participant_id=whose, ref=ref)
    return target


def _new_reset_code() -> str:
    raw = "".join(secrets.choice(RESET_CODE_ALPHABET) for _position in range(RESET_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RESET_CODE_LENGTH, 4))


def issue_reset_code(session: Session, actor: Actor, *, user_id: int, now: datetime | None = None) -> ResetCode:
    """A one-time reset code for someone's account, valid 24 hours; earlier unused ones stop
    working. The person types it with their username and a new password on the login screen."""
    now = now or utcnow()
    target = _checked_target(session, actor, user_id, "reset_code")
    _void_reset_codes(session, id_of(target), now)
    _prune_codes(session, now)
    code = _new_reset_code()
    session.add(
        OneTimeCode(
            purpose="reset",
            code_hash=_code_hash("reset", normalize_code(code)),
            user_id=id_of(target),
            issued_by_id=actor.id,
            created_at=now,
            expires_at=now + RESET_CODE_LIFETIME,
        )
    )
    session.commit()
    return ResetCode(code=code, expires_at=now + RESET_CODE_LIFETIME, username=target.username)


def _giver_still_may(session: Session, user: AppUser, code: str, now: datetime) -> bool:
    """A reset code is good only while whoever gave it could still give it: not after they were
    deactivated, nor (a therapist's) after the person left their caseload."""
    giver_id = session.execute(
        select(col(OneTimeCode.issued_by_id)).where(
            col(OneTimeCode.code_hash) == _code_hash("reset", code),
            col(OneTimeCode.purpose) == "reset",
            col(OneTimeCode.user_id) == user.id,
            col(OneTimeCode.used_at).is_(None),
            col(OneTimeCode.expires_at) > now,
        )
    ).scalar()
    giver = session.get(AppUser, giver_id) if giver_id is not None else None
    return giver is not None and _refusal_for(session, Actor.of(giver), user) is None


def _void_reset_codes(session: Session, user_id: int, now: datetime) -> None:
    """Unused reset codes for this account stop working: a new one was issued, or the person set a
    password of their own (a slip left at the desk must not let anyone replace it for a day)."""
    session.execute(
        update(OneTimeCode)
        .where(
            col(OneTimeCode.user_id) == user_id,
            col(OneTimeCode.purpose) == "reset",
            col(OneTimeCode.used_at).is_(None),
        )
        .values(used_at=now)
    )


def unlock(session: Session, actor: Actor, *, user_id: int) -> int:
    """Lift every pause on this account's logins (from every place). Returns how many."""
    target = _checked_target(session, actor, user_id, "unlock")
    lifted = throttle.clear(session, login_key(target.username))
    session.commit()
    return lifted


def paused_usernames(session: Session, usernames: list[str]) -> set[str]:
    """Which of these accounts have logins paused from somewhere right now (one query)."""
    keys = {login_key(name): name for name in usernames}
    return {keys[k] for k in throttle.blocked_keys(session, list(keys))}


def redeem_reset_code(
    session: Session, *, username: str, code: str, new: str, repeat: str, client: str, now: datetime | None = None
) -> AppUser:
    """Set a new password with a reset code: the code works once, for its own account, within
    24 hours; tries are counted per username and client like passwords. Ends older logins."""
    config = settings()
    now = now or utcnow()
    name, code = normalize_username(username), normalize_code(code)
    errors = _new_password_errors(new, repeat)
    if not name:
        errors["username"] = _("Enter your username.")
    if not code:
        errors["code"] = _("Enter the code your program gave you.")
    if errors:
        raise ValidationError(errors)
    attempt = throttle.hit(
        session,
        _reset_key(name),
        client=client,
        limit=RESET_ATTEMPTS,
        window=LOGIN_WINDOW,
        max_block=LOGIN_MAX_PAUSE,
        now=now,
    )
    if not attempt.allowed:
        raise ValidationError.one("code", paused_message(attempt, codes=True))
    new_hash = hash_password(new, rounds=config.bcrypt_rounds)  # before the update: keep it short
    user = find_user(session, name)
    used = None
    if may_log_in(user, demo_mode=config.demo_mode) and len(code) <= 64 and _giver_still_may(session, user, code, now):
        used = _use_code(session, "reset", code, user_id=user.id, now=now)
    if used is None or user is None:  # (no user, no code used)
        session.rollback()
        message = (
            ngettext(
                "That code doesn't work with this username. It may have been used already or be more than "
                "24 hours old: ask your program for a new one. You have {n} more try before codes for this "
                "username pause for a while.",
                "That code doesn't work with this username. It may have been used already or be more than "
                "24 hours old: ask your program for a new one. You have {n} more tries before codes for this "
                "username pause for a while.",
                attempt.remaining,
            )
            if attempt.remaining
            else _(
                "That code doesn't work with this username. It may have been used already or be more than "
                "24 hours old: ask your program for a new one."
            )
        )
        raise ValidationError.one("code", message.format(n=attempt.remaining))
    user.password_hash = new_hash
    user.must_change_password = False
    user.last_login_at = now
    session.add(user)
    session.flush()
    _bump_session_version(session, id_of(user))
    throttle.clear(session, login_key(name))
    throttle.clear(session, _reset_key(name))
    record(
        session,
        Actor.of(user),
        category=ACCOUNT_CATEGORY,
        action="reset_used",
        participant_id=user.id if user.role == Role.PARTICIPANT.value else None,
        ref=f"user:{user.id}",
    )
    session.commit()
    session.refresh(user)
    return user


# ---- changing one's own password -----------------------------------------------------------------


def change_password(session: Session, *, user_id: int, current: str, new: str, repeat: str, rounds: int) -> int:
    """Change a password (the current one is required); every other login ends. Returns the new
    session version, so this browser session can carry on."""
    user = session.get(AppUser, user_id) if _is_int(user_id) and 0 < user_id < 2**31 else None
    if user is None or not isinstance(current, str) or not check_password(current, user.password_hash):
        raise ValidationError.one("current", _("That is not your current password."))
    errors = _new_password_errors(new, repeat)
    if not errors and new == current:
        errors["new"] = _("Choose a password different from the current one.")
    if errors:
        raise ValidationError(errors)
    return _set_password(session, user, new, rounds=rounds)


def choose_password(session: Session, *, user_id: int, new: str, repeat: str, rounds: int) -> int:
    """The first thing after logging in with a first password from the program: one's own.
    Returns the new session version."""
    user = session.get(AppUser, user_id) if _is_int(user_id) and 0 < user_id < 2**31 else None
    if user is None:
        raise ValidationError.one("new", _("Please log in again."))
    errors = _new_password_errors(new, repeat)
    if not errors and check_password(new, user.password_hash):
        errors["new"] = _("Choose a password different from the one you were given.")
    if errors:
        raise ValidationError(errors)
    return _set_password(session, user, new, rounds=rounds)


def _set_password(session: Session, user: AppUser, new: str, *, rounds: int) -> int:
    user.password_hash = hash_password(new, rounds=rounds)
    user.must_change_password = False
    session.add(user)
    session.flush()
    _bump_session_version(session, id_of(user))
    _void_reset_codes(session, id_of(user), utcnow())
    session.commit()
    session.refresh(user)
    return user.session_version
