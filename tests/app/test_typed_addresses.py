"""Addresses typed into the address bar that are no role's screen: /home, /login, /choose-password.
Each opened Streamlit's "Page not found" over the screen (the default page answers only at "/",
whatever url_path it is given). Now: the login when logged out, the password choice while one must
be chosen, the role's first page when logged in (ui/nav.py: ENTRY, ROOT)."""

import pytest
from sqlmodel import select

from core.models import AppUser
from tests.app.conftest import log_in
from ui.nav import ADDRESSES, ENTRY

FIRST = {
    "alex": "pages/today.py",
    "dr.rivera": "pages/caseload.py",
    "pat.morgan": "pages/family.py",
    "admin": "pages/admin_accounts.py",
}


def test_the_harness_sees_page_not_found_for_an_address_that_is_nowhere(typed, new_app, database_url, demo):
    """(So the tests below cannot pass for want of noticing.)"""
    typed(new_app(), "no-such-screen").run()
    assert len(typed.not_found) == 1


@pytest.mark.parametrize("name", [*ENTRY, *ADDRESSES])
def test_logged_out_every_typed_address_shows_the_login(typed, new_app, database_url, demo, name):
    """Old code: /home, /login and /choose-password showed "Page not found" over the login."""
    at = typed(new_app(), name).run()
    assert at.routed[-1] == "login_screen", at.routed
    assert [b.label for b in at.button if b.label == "Log in"]
    assert typed.not_found == [], name


@pytest.mark.parametrize("username", FIRST)
def test_logged_in_home_login_and_choose_password_open_the_roles_first_page(typed, app, username):
    log_in(app, username)
    for name in ENTRY:
        typed(app, name).run()
        assert app.routed[-1] == FIRST[username], (name, app.routed)
    assert typed.not_found == []


@pytest.mark.parametrize("name", ENTRY)
def test_typed_at_while_logged_out_then_logging_in_opens_the_first_page(typed, new_app, database_url, demo, name):
    at = typed(new_app(), name).run()
    log_in(at, "dr.rivera")
    assert at.routed[-1] == "pages/caseload.py", at.routed
    assert typed.not_found == []


def test_choose_password_means_the_choice_only_while_one_must_be_chosen(typed, new_app, database_url, demo, session):
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    alex.must_change_password = True
    session.add(alex)
    session.commit()
    at = typed(new_app(), "choose-password").run()
    assert at.routed[-1] == "login_screen"  # logged out: the login first
    log_in(at, "alex")
    for name in [*ENTRY, "today", "caseload"]:
        typed(at, name).run()
        assert at.routed[-1] == "choose_password_screen", name
        assert [t.value for t in at.title] == ["Choose your own password"], name
    typed(at, "choose-password").run()
    at.text_input(key="choose_new").input("my own evening words")
    at.text_input(key="choose_repeat").input("my own evening words")
    next(b for b in at.button if b.label == "Save my password").click().run()
    assert at.routed[-1] == "pages/today.py", at.routed  # chosen: the address now means the first page
    typed(at, "choose-password").run()
    assert at.routed[-1] == "pages/today.py", at.routed
    assert typed.not_found == []


def test_every_screens_own_address_still_opens_it_when_logged_in(typed, app):
    log_in(app, "dr.rivera")
    for name in ("caseload", "alerts", "account"):
        typed(app, name).run()
        assert app.routed[-1] == f"pages/{name}.py", app.routed
    typed(app, "today").run()  # another role's screen: the first page, quietly
    assert app.routed[-1] == "pages/caseload.py"
    assert typed.not_found == []
