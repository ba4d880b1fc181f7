"""Logging in through the real app script, role by role."""

import pytest

from tests.app.conftest import log_in, texts
from ui.nav import PAGES
from core.models import Role

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
PAGE_TITLES = {"pages/today.py": "Good ", "pages/my_cards.py": "My cards", "pages/checkups.py": "Check-ups",
               "pages/safety_plan.py": "My safety plan", "pages/safety_plans.py": "Safety plans",
               "pages/caseload.py": "Caseload", "pages/alerts.py": "Alerts",
               "pages/progress.py": "My progress", "pages/sharing.py": "Family sharing", "pages/review.py": "Participant review",
               "pages/family.py": "Hello, ", "pages/skills.py": "Skills", "pages/tools.py": "Coping tools",
               "pages/practice.py": "Practice log", "pages/attendance.py": "Attendance",
               "pages/account.py": "My account", "pages/admin_accounts.py": "Accounts",
               "pages/admin_assign.py": "Caseloads", "pages/admin_audit.py": "Audit log",
               "pages/admin_program.py": "Program"}


@pytest.mark.parametrize("username, role", [("alex", Role.PARTICIPANT), ("dr.rivera", Role.THERAPIST),
                                            ("pat.morgan", Role.FAMILY), ("admin", Role.ADMIN)])
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


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(app):
    for _ in range(4):
        log_in(app, "bailey", "wrong password")
        assert "don't match" in texts(app)
    log_in(app, "bailey", "wrong password")
    assert "locked" in texts(app) and "15 minutes" in texts(app)
    log_in(app, "bailey")  # the correct password, still refused
    assert "locked" in texts(app)
    assert app.title[0].value == "IOP Companion"


def test_logout_returns_to_the_login(app):
    log_in(app, "alex")
    app.switch_page("pages/account.py").run()
    next(b for b in app.button if b.label == "Log out").click()
    app.run()
    assert app.title[0].value == "IOP Companion"
    assert "logged out" in texts(app)


def test_password_change_from_my_account(app):
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
