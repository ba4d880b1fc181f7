"""Logging in through the real app script, role by role."""

import jwt
import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core import auth as core_auth
from core import config, db
from core.access import Actor
from core.models import AppUser, AuditEvent, Role, utcnow
from tests.app.conftest import DEMO_PASSWORD, log_in, texts, unrouted_app
from tests.e2e.conftest import ROOT
from tests.hostile_text import DANGEROUS
from ui import auth as ui_auth
from ui import layout
from ui.nav import PAGES
from ui.text import md

HOMES = {
    "alex": ("Good", "Evening Adult IOP"),
    "dr.rivera": ("Caseload", "6 participants assigned to you"),
    "pat.morgan": ("Hello, Pat", "Mood trend (weekly averages)"),
    "admin": ("Accounts", None),
}


def test_logged_out_sees_only_the_login_and_the_crisis_lines(app):
    assert [t.value for t in app.title] == ["IOP Companion"]
    assert {"login_username", "login_password"} <= {box.key for box in app.text_input}
    shown = texts(app)
    assert "988" in shown and "not watched in real time" in shown
    assert "Caseload" not in shown and "Accounts" not in shown


@pytest.mark.parametrize("username", HOMES)
def test_each_demo_role_logs_in_to_its_home(app, username):
    log_in(app, username)
    title, line = HOMES[username]
    assert not app.exception
    assert app.title[0].value.startswith(title)
    if line:
        assert line in texts(app)


# The title each page shows first, so a test can tell which page rendered.
PAGE_TITLES = {
    "pages/today.py": "Good ",
    "pages/my_cards.py": "My cards",
    "pages/checkups.py": "Check-ups",
    "pages/safety_plan.py": "My safety plan",
    "pages/aftercare.py": "My aftercare plan",
    "pages/safety_plans.py": "Safety plans",
    "pages/caseload.py": "Caseload",
    "pages/alerts.py": "Alerts",
    "pages/progress.py": "My progress",
    "pages/sharing.py": "Family sharing",
    "pages/review.py": "Participant review",
    "pages/family.py": "Hello, ",
    "pages/skills.py": "Skills",
    "pages/tools.py": "Coping tools",
    "pages/practice.py": "Practice log",
    "pages/attendance.py": "Attendance",
    "pages/account.py": "My account",
    "pages/admin_accounts.py": "Accounts",
    "pages/admin_assign.py": "Caseloads",
    "pages/admin_audit.py": "Audit log",
    "pages/admin_program.py": "Program",
    "pages/admin_messages.py": "Messages",
    "pages/admin_schedule.py": "Schedule",
    "pages/enrolment.py": "Enrolment",
    "pages/dashboard.py": "Program dashboard",
    "pages/notifications.py": ("Reminders", "Notifications"),
}  # (participants, therapists)


@pytest.mark.parametrize(
    "username, role",
    [("alex", Role.PARTICIPANT), ("dr.rivera", Role.THERAPIST), ("pat.morgan", Role.FAMILY), ("admin", Role.ADMIN)],
)
def test_each_role_reaches_its_pages_and_no_other(app, username, role):
    log_in(app, username)
    mine = {path for path, _, _ in PAGES[role]}
    assert set(PAGE_TITLES) == {path for pages in PAGES.values() for path, _, _ in pages}
    for path, title in PAGE_TITLES.items():
        try:
            app.switch_page(path).run()
        except ValueError as exc:  # AppTest: not in this session's navigation at all
            assert path not in mine and "Could not find a navigation page" in str(exc), path
            continue
        assert not app.exception, path
        shown = [t.value for t in app.title]
        if path in mine:
            assert shown and shown[0].startswith(title), (path, shown)
        else:
            assert not any(t.startswith(title) for t in shown), (path, shown)


def test_wrong_password_keeps_the_username_and_says_so(app):
    log_in(app, "alex", "not-the-password")
    assert "don't match" in texts(app)
    assert app.text_input(key="login_username").value == "alex"
    assert app.title[0].value == "IOP Companion"


def test_a_login_is_one_run_of_the_router_which_draws_home(app):
    """Log in's callback checks the password before the script runs: the tap's run is the person's
    home, not a run of the login screen that starts another (`st.rerun`), as it was."""
    before = len(app.routed)
    log_in(app, "alex")
    assert app.routed[before:] == ["pages/today.py"]
    assert app.title[0].value.startswith("Good")


def test_a_refused_login_is_one_run_too_and_says_why_under_the_form(app):
    before = len(app.routed)
    log_in(app, "alex", "not-the-password")
    assert app.routed[before:] == ["login_screen"]
    [refused] = [e.value for e in app.error]
    assert "don't match" in refused and "4 more tries" in refused


def test_a_database_error_while_logging_in_is_the_calm_message_under_the_login(app, monkeypatch):
    """The login's own writes fail (the login check before them worked): the calm message, the form
    with the username kept, no traceback; raised from Log in's callback, it is shown by the run."""
    from sqlalchemy.exc import OperationalError

    def down(*_args, **_kwargs):
        raise OperationalError("INSERT INTO throttle ...", {}, Exception("database is locked"))

    monkeypatch.setattr(core_auth, "log_in", down)
    app.calm_error_expected = True
    log_in(app, "alex")
    assert not app.exception
    assert [e.value for e in app.error] == [layout.DB_DOWN]
    assert app.title[0].value == "IOP Companion"
    assert app.text_input(key="login_username").value == "alex"
    assert ui_auth.USER_ID not in app.session_state


def test_five_wrong_passwords_pause_logging_in_even_for_the_right_one(app):
    for left in ("4 more tries", "3 more tries", "2 more tries", "1 more try"):
        log_in(app, "bailey", "wrong password")
        assert "don't match" in texts(app) and left in texts(app)
    log_in(app, "bailey", "wrong password")
    assert "paused for 15 minutes" in texts(app)
    log_in(app, "bailey")  # the correct password, still refused
    assert "paused" in texts(app)
    assert app.title[0].value == "IOP Companion"


def test_an_unknown_username_gets_word_for_word_the_same_answers(app):
    answers = {}
    for name in ("bailey", "no-such-person"):
        answers[name] = []
        for _ in range(6):
            log_in(app, name, "wrong password")
            answers[name].append([e.value for e in app.error])
    assert answers["bailey"] == answers["no-such-person"]
    assert "paused" in answers["bailey"][-1][0]


def test_logout_returns_to_the_login(app):
    log_in(app, "alex")
    app.switch_page("pages/account.py").run()
    next(b for b in app.button if b.label == "Log out").click()
    app.run()
    assert app.title[0].value == "IOP Companion"
    assert "logged out" in texts(app)


def test_password_change_from_my_account(app, session):
    log_in(app, "casey")
    app.switch_page("pages/account.py").run()
    app.text_input[0].input("iop-demo-2026")
    app.text_input[1].input("short")
    app.text_input[2].input("short")
    next(b for b in app.button if b.label == "Change password").click()
    app.run()
    assert "at least 8" in texts(app)
    assert app.text_input[1].value == "short"  # what was typed is kept
    app.text_input[1].input("a calmer evening")
    app.text_input[2].input("a calmer evening")
    next(b for b in app.button if b.label == "Change password").click()
    app.run()
    assert "Your password is changed" in texts(app)
    assert app.title[0].value == "My account"  # still logged in here
    assert posts(app, "/iop/session")  # with a fresh cookie for this browser
    app.switch_page("pages/today.py").run()
    assert app.title[0].value.startswith("Good")


def test_my_account_shows_a_typed_name_as_plain_text(app, session):
    alex = user_named(session, "alex")
    alex.name = "![x](https://evil.example/x.png) [click](https://evil.example)"
    session.add(alex)
    session.commit()
    log_in(app, "alex")
    app.switch_page("pages/account.py").run()
    line = next(m.value for m in app.markdown if "username" in m.value)
    assert md(alex.name) in line and not DANGEROUS.search(line)


# ---- the login cookie -----------------------------------------------------------------------------


def posts(at, path: str) -> bool:
    """Whether this run asks the browser to POST to one of the cookie routes."""
    return any(path in h.proto.body for h in at.get("html"))


def user_named(session, username: str) -> AppUser:
    return session.exec(select(AppUser).where(AppUser.username == username)).one()


def fresh_app(monkeypatch, cookie: str | None = None) -> AppTest:
    """A new browser session (a reload, a new tab) that sends `cookie`."""
    monkeypatch.setattr(ui_auth, "_browser_cookie", lambda: cookie)
    return unrouted_app(ROOT / "app.py").run()


def test_a_password_login_asks_the_server_for_the_cookie_once(app, session):
    log_in(app, "alex")
    assert posts(app, "/iop/session")
    code = app.session_state[ui_auth.HANDOFF]
    token = core_auth.redeem_login_handoff(session, code)  # what the route does for the browser
    assert core_auth.user_for_token(session, token).username == "alex"
    app.run()
    assert not posts(app, "/iop/session")  # exchanged: nothing more to ask
    assert app.title[0].value.startswith("Good")


def test_a_logins_own_run_posts_its_new_hand_off_without_asking_the_database_about_it(app, database_url):
    """The code was written by the login a moment before its run: nothing can have exchanged it yet (the page
    has not posted it), so that run posts it without reading it back. A later run still asks."""
    engine = db.engine_for(database_url)
    app.text_input(key="login_username").input("alex")
    app.text_input(key="login_password").input(DEMO_PASSWORD)
    app.button[0].click()
    with db.counting(engine) as seen:
        app.run()
    assert app.title[0].value.startswith("Good") and posts(app, "/iop/session")
    codes = [s.split()[0] for s in seen.sql if "one_time_code" in s]
    assert "INSERT" in codes and "SELECT" not in codes, codes  # (the new code written, never read back)
    with db.counting(engine) as seen:
        app.run()  # not exchanged yet (AppTest has no browser): asked, and posted again
    assert posts(app, "/iop/session")
    assert [s.split()[0] for s in seen.sql if "one_time_code" in s] == ["SELECT"]


def test_a_valid_cookie_logs_a_new_session_in(app, session, monkeypatch):
    token = core_auth.login_token(user_named(session, "dr.rivera"))
    at = fresh_app(monkeypatch, token)
    assert not at.exception
    assert at.title[0].value == "Caseload"
    assert not posts(at, "/iop/logout")


BAD_COOKIES = {
    "hs512": lambda u: jwt.encode(
        {"sub": str(u.id), "sv": u.session_version, "iat": NOW(), "exp": NOW() + 60},
        config.settings().cookie_key,
        algorithm="HS512",
    ),
    "garbage": lambda u: "definitely-not-a-token",
    "wrong key": lambda u: jwt.encode(
        {"sub": str(u.id), "sv": u.session_version, "iat": NOW(), "exp": NOW() + 60}, "k" * 40, algorithm="HS256"
    ),
    "no version": lambda u: jwt.encode(
        {"sub": str(u.id), "iat": NOW(), "exp": NOW() + 60}, config.settings().cookie_key, algorithm="HS256"
    ),
    "future iat": lambda u: jwt.encode(
        {"sub": str(u.id), "sv": u.session_version, "iat": NOW() + 10**6, "exp": NOW() + 2 * 10**6},
        config.settings().cookie_key,
        algorithm="HS256",
    ),
    "first release": lambda u: jwt.encode(
        {"username": u.username, "exp_date": NOW() + 86400}, config.settings().cookie_key, algorithm="HS256"
    ),
}


def NOW() -> int:
    return int(utcnow().timestamp())


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("kind", BAD_COOKIES)
def test_a_forged_or_malformed_cookie_shows_the_login_and_is_deleted(app, session, monkeypatch, kind):
    at = fresh_app(monkeypatch, BAD_COOKIES[kind](user_named(session, "alex")))
    assert not at.exception
    assert at.title[0].value == "IOP Companion" and at.text_input(key="login_username") is not None
    assert layout.UNEXPECTED not in texts(at) and layout.DB_DOWN not in texts(at)
    assert posts(at, "/iop/logout")
    log_in(at, "alex")  # and the person can simply log in
    assert at.title[0].value.startswith("Good")
    assert not posts(at, "/iop/logout")


def test_logout_deletes_the_cookie_and_copies_of_it_stop_working(app, session, monkeypatch):
    log_in(app, "alex")
    token = core_auth.redeem_login_handoff(session, app.session_state[ui_auth.HANDOFF])
    app.switch_page("pages/account.py").run()
    next(b for b in app.button if b.label == "Log out").click()
    app.run()
    assert posts(app, "/iop/logout") and "logged out" in texts(app)
    copy = fresh_app(monkeypatch, token)
    assert copy.title[0].value == "IOP Companion" and posts(copy, "/iop/logout")


def test_a_session_signed_out_elsewhere_shows_the_login_on_its_next_tap(app, session):
    log_in(app, "alex")
    core_auth.end_all_sessions(session, user_named(session, "alex").id)
    session.commit()
    app.run()
    assert app.title[0].value == "IOP Companion" and "signed out" in texts(app)
    # Not deleted from here: another tab of this browser may hold a newer, valid cookie.
    assert not posts(app, "/iop/logout")


# ---- first passwords, reset codes, unlocking --------------------------------------------------


def choose(at, new: str, repeat: str | None = None) -> None:
    at.text_input(key="choose_new").input(new)
    at.text_input(key="choose_repeat").input(new if repeat is None else repeat)
    next(b for b in at.button if b.label == "Save my password").click()
    at.run()


def test_a_new_account_chooses_its_own_password_before_anything_else(app, session, monkeypatch):
    from core import accounts

    monkeypatch.setenv("IOP_COOKIE_KEY", "a-real-key-so-real-accounts-get-cookies-" + "x" * 10)
    config.settings.cache_clear()

    admin = Actor.of(user_named(session, "admin"))
    accounts.create_account(
        session,
        admin,
        username="quinn",
        name="Quinn Rivers",
        role="participant",
        password="from the desk",
        rounds=4,
        therapist_id=user_named(session, "dr.rivera").id,
    )
    session.commit()
    at = fresh_app(monkeypatch)
    log_in(at, "quinn", "from the desk")
    assert at.title[0].value == "Choose your own password"
    assert "988" in texts(at)  # crisis help is still one tap away
    for path in ("pages/today.py", "pages/my_cards.py"):
        with pytest.raises(ValueError):  # no other page is in this session's navigation
            at.switch_page(path).run()
    choose(at, "from the desk")
    assert "different from the one you were given" in texts(at)
    choose(at, "my own evening words", "my own evening wordz")
    assert "not the same" in texts(at)
    choose(at, "my own evening words")
    assert not at.exception
    assert at.title[0].value.startswith("Good") and posts(at, "/iop/session")


def test_a_page_opened_directly_still_asks_for_the_new_password_first(session, monkeypatch, app):
    """A fresh server runs pages/x.py without app.py: the guard must ask for the password too."""
    user = user_named(session, "casey")
    user.must_change_password = True
    session.add(user)
    session.commit()
    monkeypatch.setattr(ui_auth, "_browser_cookie", lambda: core_auth.login_token(user))
    at = unrouted_app(ROOT / "pages" / "today.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Choose your own password"]


def pick(at, session, username: str, key: str):
    at.selectbox(key=f"{key}_who").set_value(user_named(session, username).id).run()


def press(at, label: str) -> None:
    next(b for b in at.button if b.label == label).click()
    at.run()


def use_reset_code(at, username: str, code: str, new: str = "a calmer evening") -> None:
    at.text_input(key="reset_username").input(username)
    at.text_input(key="reset_code").input(code)
    at.text_input(key="reset_new").input(new)
    at.text_input(key="reset_repeat").input(new)
    press(at, "Set my password and log in")


def test_admin_gives_a_reset_code_and_the_person_sets_a_new_password_with_it(app, session, monkeypatch):
    log_in(app, "admin")
    pick(app, session, "gray", "admin_reset")
    press(app, "Give a reset code")
    code = app.code[0].value
    assert len(code) == 14 and "Reset code for" in texts(app)
    audit = session.exec(
        select(AuditEvent).where(AuditEvent.category == "accounts", AuditEvent.action == "reset_code")
    ).one()
    gray = user_named(session, "gray")
    assert (audit.allowed, audit.participant_id, audit.ref) == (True, gray.id, f"user:{gray.id}")

    person = fresh_app(monkeypatch)
    use_reset_code(person, "gray", "nope-nope-nope")
    assert "doesn't work with this username" in texts(person)
    assert person.text_input(key="reset_new").value == "a calmer evening"  # what was typed is kept
    use_reset_code(person, "gray", code.lower().replace("-", " "))
    assert not person.exception
    assert person.title[0].value.startswith("Good") and posts(person, "/iop/session")
    again = fresh_app(monkeypatch)
    log_in(again, "gray", "a calmer evening")
    assert again.title[0].value.startswith("Good")


def test_the_admin_sees_a_paused_login_and_unlocks_it(app, session, monkeypatch):
    guesser = fresh_app(monkeypatch)
    for _ in range(5):
        log_in(guesser, "kai", "wrong password")
    assert "paused" in texts(guesser)
    log_in(app, "admin")
    rows = app.dataframe[0].value
    assert list(rows.loc[rows["Username"] == "kai", "Login paused"]) == ["yes"]
    pick(app, session, "kai", "admin_reset")
    press(app, "Unlock logging in")
    assert "Logging in is unlocked" in texts(app)
    log_in(guesser, "kai")
    assert guesser.title[0].value.startswith("Good")


def test_a_therapist_resets_only_their_own_caseload(app, session):
    log_in(app, "dr.rivera")
    app.session_state["caseload_reset_open"] = True  # "Forgotten password or paused login", opened
    app.run()
    box = app.selectbox(key="caseload_reset_who")
    mine = {p.name for p in accounts_of(session, "dr.rivera")}
    assert set(box.options) == mine and mine
    box.set_value(user_named(session, "alex").id).run()
    press(app, "Give a reset code")
    assert len(app.code[0].value) == 14


def accounts_of(session, therapist: str):
    from core import accounts

    return accounts.caseload_for(session, Actor.of(user_named(session, therapist)))


def login_form_position(at) -> int:
    return next(
        i
        for i, child in at.main.children.items()
        if getattr(child, "type", None) == "form" and child.proto.form.form_id == "login"
    )


def test_the_login_form_keeps_its_place_when_the_logged_out_notice_goes(app):
    """A form that moves between runs is drawn twice (stale and new) while the login run works:
    two Log in buttons on a phone, one of them dead."""
    log_in(app, "alex")
    app.switch_page("pages/account.py").run()
    next(b for b in app.button if b.label == "Log out").click()
    app.run()
    assert "logged out" in texts(app)
    with_notice = login_form_position(app)
    log_in(app, "alex", "a wrong password")  # the notice goes once a login is tried
    log_in(app, "alex", "a wrong password")
    assert "logged out" not in texts(app)
    assert login_form_position(app) == with_notice


def test_a_session_opened_with_a_cookie_and_signed_out_elsewhere_leaves_the_cookie_alone(app, session, monkeypatch):
    alex = user_named(session, "alex")
    at = fresh_app(monkeypatch, core_auth.login_token(alex))
    assert at.title[0].value.startswith("Good")
    core_auth.end_all_sessions(session, alex.id)  # logged out on another device
    session.commit()
    at.run()
    assert "signed out" in texts(at)
    at.run()  # the dead cookie it was opened with is not looked at again, nor deleted from here
    assert at.title[0].value == "IOP Companion" and not posts(at, "/iop/logout")
