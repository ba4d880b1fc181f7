"""core/auth.py: password logins counted before they are checked, login tokens that carry their
own issue time and session version, one-time codes, unlocking."""

import threading
from datetime import timedelta

import jwt
import pytest
from sqlmodel import Session, col, select

from core import auth, config
from core.access import Actor
from core.errors import AccessDenied, ValidationError
from core.models import AppUser, AuditEvent, CaseloadAssignment, OneTimeCode, Throttle, utcnow

RIGHT = "right-password"
HERE, THERE = "198.51.100.7", "203.0.113.50"
REAL_KEY = "a-real-secret-for-these-tests-" + "z" * 20


@pytest.fixture(autouse=True)
def real_cookie_key(monkeypatch):
    """Demo mode (so the demo seed may log in) but a real key, as a demo on a server would have.
    Tests of the public demo key remove it."""
    monkeypatch.setenv("IOP_COOKIE_KEY", REAL_KEY)
    config.settings.cache_clear()


def use_demo_key(monkeypatch):
    monkeypatch.delenv("IOP_COOKIE_KEY")
    config.settings.cache_clear()
    assert config.settings().uses_demo_key


@pytest.mark.parametrize(
    "password, ok",
    [
        ("a" * 7, False),
        ("a" * 8, True),
        ("a" * 72, True),
        ("a" * 73, False),
        ("é" * 36, True),
        ("é" * 37, False),  # 2 bytes each: the limit is bytes, not letters
        (" leading-space", False),
        ("", False),
        ("nul\x00inside!", False),
        (None, False),
        (12345678, False),
    ],
)
def test_password_rules(password, ok):
    assert (auth.password_problem(password) is None) is ok


def test_hash_and_check():
    hashed = auth.hash_password("correct horse", rounds=4)
    assert hashed.startswith("$2")
    assert auth.check_password("correct horse", hashed)
    assert not auth.check_password("wrong horse", hashed)
    assert not auth.check_password("x" * 100, hashed)  # too long: refused, not an error
    assert not auth.check_password("correct horse", "not a hash")
    with pytest.raises(ValidationError):
        auth.hash_password("short", rounds=4)


@pytest.fixture
def user(session):
    u = AppUser(username="alex", name="Alex M", role="participant", password_hash=auth.hash_password(RIGHT, rounds=4))
    session.add(u)
    session.commit()
    return u


class Counting:
    """A password check that counts how often it ran (thread-safe)."""

    def __init__(self):
        self.calls, self._lock = 0, threading.Lock()

    def __call__(self, password, password_hash):
        with self._lock:
            self.calls += 1
        return auth.check_password(password, password_hash)


def login(session, username="alex", password="wrong password", client=HERE, **kw):
    return auth.log_in(session, username=username, password=password, client=client, **kw)


# ---- attempts ---------------------------------------------------------------------------


def test_wrong_passwords_say_how_many_tries_are_left_then_pause_even_the_right_one(session, user):
    messages = [login(session).message for _ in range(5)]
    assert [("4 more tries" in m, "1 more try" in m) for m in messages[:4]] == [
        (True, False),
        (False, False),
        (False, False),
        (False, True),
    ]
    assert "3 more tries" in messages[1] and "2 more tries" in messages[2]
    assert "paused for 15 minutes" in messages[4]
    check = Counting()
    refused = login(session, password=RIGHT, verify=check)
    assert refused.user is None and "paused" in refused.message
    assert check.calls == 0  # a paused attempt checks nothing


def test_the_pause_ends_and_a_right_password_clears_the_count(session, user):
    now = utcnow()
    for i in range(5):
        login(session, now=now + timedelta(seconds=i))
    assert login(session, password=RIGHT, now=now + timedelta(minutes=16)).user is not None
    assert "4 more tries" in login(session, now=now + timedelta(minutes=17)).message


def test_pauses_in_a_row_get_longer(session, user):
    now = utcnow()
    for i in range(5):
        login(session, now=now + timedelta(seconds=i))
    later = now + timedelta(minutes=16)
    messages = [login(session, now=later + timedelta(seconds=i)).message for i in range(5)]
    assert "paused for 30 minutes" in messages[-1]


def test_unknown_usernames_get_exactly_the_same_answers_and_the_same_work(session, user):
    """Nothing tells a real username from a made-up one: same words, same count, one bcrypt each."""
    known, unknown = Counting(), Counting()
    for_alex = [login(session, "alex", verify=known).message for _ in range(6)]
    for_nobody = [login(session, "nobody-here", verify=unknown).message for _ in range(6)]
    assert for_alex == for_nobody
    assert known.calls == unknown.calls == 5


def test_inactive_and_out_of_mode_demo_accounts_look_like_a_wrong_password(session, user, monkeypatch):
    user.is_active = False
    session.add(user)
    session.commit()
    assert login(session, password=RIGHT).message == login(session, "nobody", password=RIGHT).message
    user.is_active, user.is_demo = True, True
    session.add(user)
    session.commit()
    monkeypatch.setenv("IOP_DEMO_MODE", "false")
    config.settings.cache_clear()
    assert login(session, password=RIGHT, client="x").user is None


def test_someone_elses_guesses_pause_only_their_own_place_and_spare_the_owners_login(session, user):
    token = auth.login_token(user)  # the owner is logged in on their phone
    for _ in range(7):
        login(session, client=THERE)  # an attacker elsewhere
    assert "paused" in login(session, password=RIGHT, client=THERE).message
    assert auth.user_for_token(session, token).id == user.id  # the owner's login carries on
    assert login(session, password=RIGHT, client=HERE).user.id == user.id  # and they can log in


@pytest.mark.parametrize("username", ["", "   ", None, "x" * 10_000, "alex\x00", "ALEX ", "é" * 50])
def test_odd_usernames_never_raise(session, user, username):
    result = login(session, username, password=RIGHT)
    assert (result.user is not None) is (username == "ALEX ")


def test_twenty_simultaneous_guesses_check_at_most_the_limit_then_the_right_password_is_refused(engine, user):
    """20 browsers guessing at once from one place (threads released by a barrier): the attempt is
    counted before bcrypt runs, so only 5 are checked and the right password is then refused."""
    check, barrier, results, errors = Counting(), threading.Barrier(20), [], []

    def guess(n):
        try:
            with Session(engine, expire_on_commit=False) as own:
                barrier.wait()
                results.append(login(own, password=f"guess {n:02d}", verify=check))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert check.calls == auth.LOGIN_ATTEMPTS
    assert sum("paused" in r.message for r in results) >= 20 - auth.LOGIN_ATTEMPTS + 1
    with Session(engine, expire_on_commit=False) as after:
        assert after.exec(select(Throttle.hits)).one() == auth.LOGIN_ATTEMPTS
        right = login(after, password=RIGHT, verify=check)
    assert right.user is None and "paused" in right.message
    assert check.calls == auth.LOGIN_ATTEMPTS


# ---- login tokens ---------------------------------------------------------------------------


def test_a_token_logs_its_account_in_until_logout_ends_it_everywhere(session, user):
    token = auth.login_token(user)
    assert auth.user_for_token(session, token).id == user.id
    auth.end_all_sessions(session, user.id)
    session.commit()
    session.refresh(user)
    assert auth.user_for_token(session, token) is None
    assert auth.user_for_token(session, auth.login_token(user)).id == user.id


def test_a_password_change_ends_older_tokens_and_keeps_this_session(session, user):
    token, version = auth.login_token(user), user.session_version
    new_version = auth.change_password(
        session, user_id=user.id, current=RIGHT, new="a brand new one", repeat="a brand new one", rounds=4
    )
    assert new_version == version + 1
    assert auth.user_for_token(session, token) is None
    assert auth.session_is_current(user, new_version, demo_mode=True)
    assert not auth.session_is_current(user, version, demo_mode=True)
    assert auth.check_password("a brand new one", user.password_hash)


def test_lowering_the_expiry_setting_shortens_tokens_and_revives_nothing(session, user, monkeypatch):
    now = utcnow()
    old = auth.login_token(user, now=now - timedelta(days=3))  # a 7-day cookie, 3 days old
    assert auth.user_for_token(session, old, now=now).id == user.id
    monkeypatch.setenv("IOP_COOKIE_EXPIRY_DAYS", "2")
    config.settings.cache_clear()
    assert auth.user_for_token(session, old, now=now) is None  # too old for today's setting
    monkeypatch.setenv("IOP_COOKIE_EXPIRY_DAYS", "7")
    config.settings.cache_clear()
    logged_out = auth.login_token(user, now=now - timedelta(hours=1))
    auth.end_all_sessions(session, user.id)
    session.commit()
    for days in ("7", "1", "0.01"):
        monkeypatch.setenv("IOP_COOKIE_EXPIRY_DAYS", days)
        config.settings.cache_clear()
        assert auth.user_for_token(session, logged_out, now=now) is None, days


def forge(claims, key=None, algorithm="HS256", headers=None):
    return jwt.encode(claims, key or config.settings().cookie_key, algorithm=algorithm, headers=headers)


@pytest.mark.parametrize(
    "make",
    [
        lambda u, now: forge(
            {"sub": str(u.id), "sv": u.session_version, "iat": now, "exp": now + 60}, algorithm="HS512"
        ),
        lambda u, now: forge({"sub": str(u.id), "sv": u.session_version, "iat": now, "exp": now + 60}, key="k" * 40),
        lambda u, now: forge({"sub": str(u.id), "sv": u.session_version, "exp": now + 60}),  # no iat
        lambda u, now: forge({"sub": str(u.id), "iat": now, "exp": now + 60}),  # no version
        lambda u, now: forge({"sv": u.session_version, "iat": now, "exp": now + 60}),  # no account
        lambda u, now: forge({"sub": str(u.id), "sv": u.session_version, "iat": now}),  # no expiry
        lambda u, now: forge(
            {"sub": str(u.id), "sv": u.session_version, "iat": now + 86400 * 30, "exp": now + 86400 * 60}
        ),  # from the future
        lambda u, now: forge(
            {"sub": str(u.id), "sv": u.session_version, "iat": now - 86400 * 30, "exp": now + 86400 * 30}
        ),  # older than the setting
        lambda u, now: forge({"sub": str(u.id), "sv": u.session_version - 1, "iat": now, "exp": now + 60}),
        lambda u, now: forge({"sub": str(u.id), "sv": True, "iat": now, "exp": now + 60}),
        lambda u, now: forge({"sub": str(u.id), "sv": str(u.session_version), "iat": now, "exp": now + 60}),
        lambda u, now: forge({"sub": "1 OR 1=1", "sv": 1, "iat": now, "exp": now + 60}),
        lambda u, now: forge({"sub": "99999", "sv": 1, "iat": now, "exp": now + 60}),
        lambda u, now: forge({"sub": str(u.id), "sv": u.session_version, "iat": now - 120, "exp": now - 60}),
        lambda u, now: forge({"username": "alex", "exp_date": now + 86400}),  # the first release's cookie
        lambda u, now: jwt.encode(
            {"sub": str(u.id), "sv": u.session_version, "iat": now, "exp": now + 60}, None, algorithm="none"
        ),
        lambda u, now: "garbage",
        lambda u, now: "a.b.c",
        lambda u, now: "",
        lambda u, now: "\x00" * 10,
        lambda u, now: "é.é.é",
        lambda u, now: "x" * 100_000,
        lambda u, now: None,
        lambda u, now: 12345,
        lambda u, now: b"bytes",
    ],
)
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_anything_but_an_exact_token_is_refused_without_an_error(session, user, make):
    now = int(utcnow().timestamp())
    assert auth.user_for_token(session, make(user, now)) is None


def test_the_public_demo_key_vouches_for_demo_accounts_only(session, user, monkeypatch):
    use_demo_key(monkeypatch)
    forged = forge(
        {
            "sub": str(user.id),
            "sv": user.session_version,
            "iat": int(utcnow().timestamp()),
            "exp": int(utcnow().timestamp()) + 60,
        }
    )
    assert auth.user_for_token(session, forged) is None  # a real account: never by the demo key
    assert not auth.cookie_allowed(user) and auth.issue_login_handoff(session, user) is None
    user.is_demo = True
    session.add(user)
    session.commit()
    assert auth.user_for_token(session, forged).id == user.id


def test_with_a_real_key_tokens_for_real_accounts_work_and_demo_key_forgeries_do_not(session, user, monkeypatch):
    monkeypatch.setenv("IOP_DEMO_MODE", "false")
    config.settings.cache_clear()
    assert auth.user_for_token(session, auth.login_token(user)).id == user.id
    forged = forge(
        {
            "sub": str(user.id),
            "sv": user.session_version,
            "iat": int(utcnow().timestamp()),
            "exp": int(utcnow().timestamp()) + 60,
        },
        key=config.DEFAULT_COOKIE_KEY,
    )
    assert auth.user_for_token(session, forged) is None


def test_deactivation_ends_tokens_and_reactivation_revives_none(session, demo):
    from core import accounts

    admin = Actor.of(session.exec(select(AppUser).where(AppUser.username == "admin")).one())
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    token = auth.login_token(alex)
    accounts.set_active(session, admin, user_id=alex.id, active=False)
    session.commit()
    assert auth.user_for_token(session, token) is None
    accounts.set_active(session, admin, user_id=alex.id, active=True)
    session.commit()
    assert auth.user_for_token(session, token) is None


# ---- the login-cookie hand-off ------------------------------------------------------------------


@pytest.fixture
def demo_user(session, user, monkeypatch):
    """A demo account under the public demo key, as `make run` has it."""
    use_demo_key(monkeypatch)
    user.is_demo = True
    session.add(user)
    session.commit()
    return user


def test_a_hand_off_code_turns_into_a_token_once(session, demo_user):
    code = auth.issue_login_handoff(session, demo_user)
    assert auth.handoff_pending(session, code)
    token = auth.redeem_login_handoff(session, code)
    assert auth.user_for_token(session, token).id == demo_user.id
    assert not auth.handoff_pending(session, code)
    assert auth.redeem_login_handoff(session, code) is None
    stored = session.exec(select(OneTimeCode)).one()
    assert code not in (stored.code_hash,) and len(stored.code_hash) == 64


def test_a_hand_off_code_expires_in_minutes_and_odd_codes_are_refused(session, demo_user):
    code = auth.issue_login_handoff(session, demo_user)
    assert auth.redeem_login_handoff(session, code, now=utcnow() + timedelta(minutes=3)) is None
    for odd in (None, "", "x" * 1000, "\x00", "é", 42):
        assert auth.redeem_login_handoff(session, odd) is None


def test_twenty_simultaneous_exchanges_of_one_hand_off_make_one_token(engine, session, demo_user):
    code, barrier, tokens, errors = auth.issue_login_handoff(session, demo_user), threading.Barrier(20), [], []

    def exchange():
        try:
            with Session(engine, expire_on_commit=False) as own:
                barrier.wait()
                tokens.append(auth.redeem_login_handoff(own, code))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=exchange) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(t is not None for t in tokens) == 1


# ---- reset codes, unlocking, first passwords -------------------------------------------------------


def actor(session, username):
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def redeem(session, username, code, new="a new beginning", repeat=None, client=HERE, **kw):
    return auth.redeem_reset_code(
        session, username=username, code=code, new=new, repeat=new if repeat is None else repeat, client=client, **kw
    )


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: c,
        lambda c: c.lower(),
        lambda c: c.replace("-", ""),
        lambda c: " ".join(c.replace("-", "")).lower(),
        lambda c: f"  {c}  ",
    ],
)
def test_a_reset_code_works_with_or_without_dashes_and_spaces_in_any_case(session, demo, typed):
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    token = auth.login_token(alex)
    issued = auth.issue_reset_code(session, actor(session, "admin"), user_id=alex.id)
    assert len(issued.code) == 14 and issued.code.count("-") == 2
    user = redeem(session, "alex", typed(issued.code))
    assert user.id == alex.id and auth.check_password("a new beginning", user.password_hash)
    assert auth.user_for_token(session, token) is None  # older logins end
    with pytest.raises(ValidationError) as again:
        redeem(session, "alex", issued.code, new="another new one")
    assert "used already" in again.value.fields["code"]


def test_a_reset_code_is_stored_as_an_hmac_and_expires_after_a_day(session, demo):
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    issued = auth.issue_reset_code(session, actor(session, "admin"), user_id=alex.id)
    stored = session.exec(select(OneTimeCode).where(OneTimeCode.purpose == "reset")).one()
    assert issued.code.replace("-", "") not in stored.code_hash
    assert stored.code_hash == auth._code_hash("reset", auth.normalize_code(issued.code))
    with pytest.raises(ValidationError):
        redeem(session, "alex", issued.code, now=utcnow() + timedelta(hours=24, minutes=1))


def test_a_reset_code_works_only_for_its_own_account_and_a_new_code_replaces_the_old(session, demo):
    admin, alex = actor(session, "admin"), actor(session, "alex")
    first = auth.issue_reset_code(session, admin, user_id=alex.id)
    second = auth.issue_reset_code(session, admin, user_id=alex.id)
    with pytest.raises(ValidationError):
        redeem(session, "bailey", second.code)
    with pytest.raises(ValidationError):
        redeem(session, "alex", first.code)
    assert redeem(session, "alex", second.code).username == "alex"


def test_a_bad_new_password_keeps_the_code_usable(session, demo):
    issued = auth.issue_reset_code(session, actor(session, "admin"), user_id=actor(session, "alex").id)
    with pytest.raises(ValidationError) as caught:
        redeem(session, "alex", issued.code, new="short")
    assert set(caught.value.fields) == {"new"}
    with pytest.raises(ValidationError) as caught:
        redeem(session, "alex", issued.code, new="long enough one", repeat="long enough two")
    assert set(caught.value.fields) == {"repeat"}
    assert redeem(session, "alex", issued.code).username == "alex"


def test_guessing_reset_codes_is_paused_like_passwords(session, demo):
    issued = auth.issue_reset_code(session, actor(session, "admin"), user_id=actor(session, "alex").id)
    for n in range(auth.RESET_ATTEMPTS):
        with pytest.raises(ValidationError):
            redeem(session, "alex", f"AAAA-AAAA-AAA{n}")
    with pytest.raises(ValidationError) as caught:
        redeem(session, "alex", issued.code)
    assert "paused" in caught.value.fields["code"]
    assert redeem(session, "alex", issued.code, client=THERE).username == "alex"


def test_twenty_simultaneous_uses_of_one_reset_code_set_one_password(engine, session, demo):
    issued = auth.issue_reset_code(session, actor(session, "admin"), user_id=actor(session, "alex").id)
    barrier, done, refused, errors = threading.Barrier(20), [], [], []

    def use(n):
        try:
            with Session(engine, expire_on_commit=False) as own:
                barrier.wait()
                done.append(redeem(own, "alex", issued.code, new=f"new password {n:02d}", client=f"c{n}"))
        except ValidationError:
            refused.append(n)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=use, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(done) == 1 and len(refused) == 19
    with Session(engine) as check:
        alex = check.exec(select(AppUser).where(AppUser.username == "alex")).one()
        winner = done[0].password_hash
        assert alex.password_hash == winner


def test_who_may_issue_reset_codes_and_unlock_and_every_decision_is_audited(session, demo):
    alex = actor(session, "alex")
    therapist_id = session.exec(
        select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == alex.id)
    ).one()
    own = session.get(AppUser, therapist_id)
    other = session.exec(select(AppUser).where(AppUser.role == "therapist", AppUser.id != therapist_id)).first()
    assert auth.issue_reset_code(session, Actor.of(own), user_id=alex.id).username == "alex"
    auth.unlock(session, Actor.of(own), user_id=alex.id)
    refusals = [
        (Actor.of(other), alex.id),
        (alex, alex.id),
        (actor(session, "pat.morgan"), alex.id),
        (Actor.of(own), actor(session, "dr.chen" if own.username != "dr.chen" else "dr.rivera").id),
        (actor(session, "admin"), actor(session, "admin").id),
        (actor(session, "admin"), 999_999),
        (actor(session, "admin"), "1"),
    ]
    for who, target in refusals:
        with pytest.raises(AccessDenied):
            auth.issue_reset_code(session, who, user_id=target)
        with pytest.raises(AccessDenied):
            auth.unlock(session, who, user_id=target)
    rows = session.exec(  # (in the order they were written: a table's rows come in no set order without one)
        select(AuditEvent).where(AuditEvent.category == auth.ACCOUNT_CATEGORY).order_by(col(AuditEvent.id))
    ).all()
    assert [(r.action, r.allowed) for r in rows[:2]] == [("reset_code", True), ("unlock", True)]
    assert sum(not r.allowed for r in rows) == 2 * len(refusals)
    assert all(r.participant_id in (alex.id, None) for r in rows)
    # no clinical content: an account reference at most, and a fixed code for each refusal
    assert {r.ref for r in rows if r.allowed} == {f"user:{alex.id}"}
    assert all(r.ref == "" or r.ref.startswith("user:") for r in rows)
    assert all(r.reason for r in rows if not r.allowed) and not any(r.reason for r in rows if r.allowed)
    assert rows[0].actor_id == own.id and rows[0].participant_id == alex.id
    assert session.exec(select(OneTimeCode).where(OneTimeCode.purpose == "reset")).one().issued_by_id == own.id


def test_unlock_lifts_the_pause_from_every_place(session, demo):
    for client in (HERE, THERE):
        for _ in range(5):
            login(session, "bailey", client=client)
    assert auth.paused_usernames(session, ["bailey", "alex"]) == {"bailey"}
    assert auth.unlock(session, actor(session, "admin"), user_id=actor(session, "bailey").id) == 2
    assert auth.paused_usernames(session, ["bailey"]) == set()
    assert login(session, "bailey", password="iop-demo-2026", client=HERE).user is not None


def test_a_new_account_must_choose_its_own_password(session, demo):
    from core import accounts

    user = accounts.create_account(
        session,
        actor(session, "admin"),
        username="quinn",
        name="Quinn R",
        role="participant",
        password="first password",
        rounds=4,
    )
    session.commit()
    assert user.must_change_password
    with pytest.raises(ValidationError) as same:
        auth.choose_password(session, user_id=user.id, new="first password", repeat="first password", rounds=4)
    assert "different" in same.value.fields["new"]
    version = auth.choose_password(session, user_id=user.id, new="my own words", repeat="my own words", rounds=4)
    assert version == 2 and not user.must_change_password
    assert auth.check_password("my own words", user.password_hash)


@pytest.mark.parametrize(
    "current, new, repeat, field",
    [
        ("wrong", "a brand new one", "a brand new one", "current"),
        (None, "a brand new one", "a brand new one", "current"),
        (RIGHT, "short", "short", "new"),
        (RIGHT, "a brand new one", "a different one", "repeat"),
        (RIGHT, RIGHT, RIGHT, "new"),
    ],
)
def test_password_change_refusals_name_the_field(session, user, current, new, repeat, field):
    with pytest.raises(ValidationError) as caught:
        auth.change_password(session, user_id=user.id, current=current, new=new, repeat=repeat, rounds=4)
    assert field in caught.value.fields


def test_streamlit_authenticators_public_hasher_checks_our_hashes():
    """The one call we rely on from streamlit-authenticator (a fixed dependency): Hasher.check_pw."""
    from streamlit_authenticator import Hasher

    hashed = auth.hash_password("correct horse", rounds=4)
    assert Hasher.check_pw("correct horse", hashed) is True
    assert Hasher.check_pw("wrong horse", hashed) is False
    assert Hasher.is_hash(hashed)
    counted = Counting()
    assert auth._verify(lambda p, h: Hasher.check_pw(p, h) and counted(p, h), "correct horse", hashed)


@pytest.mark.parametrize(
    "username, code, new",
    [
        ("alex", "\x00" * 12, "a new beginning"),
        ("alex", "x" * 10_000, "a new beginning"),
        ("alex", None, "a new beginning"),
        (None, "ABCD-EFGH-JKLM", "a new beginning"),
        ("alex\x00", "ABCD-EFGH-JKLM", "a new beginning"),
        ("alex", "ABCD-EFGH-JKLM", None),
        ("alex", "ABCD-EFGH-JKLM", "nul\x00in the password"),
        ("x" * 5000, "ABCD", "a new beginning"),
    ],
)
def test_odd_reset_input_is_a_message_beside_a_field_never_an_error(session, demo, username, code, new):
    with pytest.raises(ValidationError) as caught:
        auth.redeem_reset_code(session, username=username, code=code, new=new, repeat=new, client=HERE)
    assert set(caught.value.fields) <= {"username", "code", "new", "repeat"}


def test_logins_prune_the_dead_rows_once_in_a_while_not_each_time(session, demo_user, monkeypatch):
    """The throttle's long-quiet rows and codes expired a week ago are deleted by a login at most once every
    PRUNE_EVERY per process (they were two DELETEs in every login): still deleted, and nothing live with them."""
    from core import db

    monkeypatch.setattr(auth, "_pruned_at", {})
    now = utcnow()
    long_ago = now - timedelta(days=30)

    def dead_rows() -> None:
        session.add(Throttle(key="login:gone", client=THERE, hits=2, window_started_at=long_ago, strikes=0))
        session.add(
            OneTimeCode(
                purpose="login", code_hash="d" * 64, user_id=demo_user.id, created_at=long_ago, expires_at=long_ago
            )
        )
        session.commit()

    def deletes(at) -> list[str]:
        with db.counting(session.get_bind()) as seen:
            assert login(session, username=demo_user.username, password=RIGHT, now=at).user is not None
            auth.issue_login_handoff(session, demo_user, now=at)
        return [s.split("WHERE")[0].split()[-1] for s in seen.sql if s.lstrip().upper().startswith("DELETE")]

    dead_rows()
    assert sorted(deletes(now)) == ["one_time_code", "throttle", "throttle"]  # (its own clear, and the prune)
    assert session.exec(select(Throttle).where(Throttle.key == "login:gone")).first() is None
    assert session.exec(select(OneTimeCode).where(OneTimeCode.code_hash == "d" * 64)).first() is None
    dead_rows()
    assert deletes(now + timedelta(minutes=3)) == ["throttle"]  # the login's own clear alone
    assert session.exec(select(OneTimeCode).where(OneTimeCode.code_hash == "d" * 64)).first() is not None
    assert sorted(deletes(now + auth.PRUNE_EVERY + timedelta(minutes=1))) == ["one_time_code", "throttle", "throttle"]
    assert session.exec(select(Throttle).where(Throttle.key == "login:gone")).first() is None
    assert session.exec(select(OneTimeCode).where(OneTimeCode.code_hash == "d" * 64)).first() is None
    assert len(session.exec(select(OneTimeCode).where(col(OneTimeCode.used_at).is_(None))).all()) >= 3  # the live ones
