"""A person on a phone: log in as each role, reload, log out — in Debian's Chromium at 390×844."""

import pytest

from tests.e2e.conftest import PHONE, fits, log_in, login_cookie, open_app, settle

pytestmark = pytest.mark.e2e

HOMES = {"alex": "Overall mood today", "dr.rivera": "participants assigned to you",
         "pat.morgan": "Shared with you", "admin": "Search by name or username"}


def body(page) -> str:
    return page.inner_text("[data-testid='stMain']")


def reload(page) -> None:
    page.reload()
    page.wait_for_selector("[data-testid='stApp']")
    settle(page)


@pytest.mark.parametrize("username", HOMES)
def test_log_in_reload_log_out(server, phone, artifacts, username):
    open_app(phone, server.url)
    assert "Log in" in body(phone) and "Crisis help" in body(phone)
    log_in(phone, username)
    phone.get_by_text(HOMES[username]).wait_for()
    assert fits(phone)
    phone.screenshot(path=artifacts / f"home-{username}.png", full_page=True)

    assert login_cookie(phone)
    reload(phone)  # a new browser session: the login cookie brings the person back
    phone.get_by_text(HOMES[username]).wait_for()

    phone.goto(f"{server.url}/account")
    settle(phone)
    phone.get_by_role("button", name="Log out").click()
    settle(phone)
    phone.get_by_text("You are logged out.").wait_for()
    reload(phone)
    phone.get_by_role("button", name="Log in").wait_for()
    assert HOMES[username] not in body(phone)


def test_crisis_help_is_one_tap_from_home(server, phone, artifacts):
    open_app(phone, server.url)
    log_in(phone, "dana")
    phone.get_by_test_id("stPopoverButton").click()
    phone.get_by_text("988 Suicide & Crisis Lifeline").wait_for()
    hrefs = [a.get_attribute("href") for a in phone.query_selector_all("a[href^='tel:'], a[href^='sms:']")]
    assert {"tel:988", "sms:988", "tel:911"} <= set(hrefs)
    phone.screenshot(path=artifacts / "crisis-help.png")


def test_a_copied_cookie_stops_working_after_logout(server, browser, phone):
    open_app(phone, server.url)
    log_in(phone, "frankie")
    phone.get_by_text(HOMES["alex"]).wait_for()
    stolen = login_cookie(phone)
    assert stolen, "the login cookie was not set"

    other = browser.new_context(**PHONE)  # another device holding a copy of the cookie
    try:
        other.add_cookies(stolen)
        page = other.new_page()
        open_app(page, server.url)
        page.get_by_text(HOMES["alex"]).wait_for()  # the copy works while the login is live

        phone.goto(f"{server.url}/account")
        settle(phone)
        phone.get_by_role("button", name="Log out").click()
        settle(phone)

        page2 = other.new_page()
        open_app(page2, server.url)
        page2.get_by_role("button", name="Log in").wait_for()
        assert HOMES["alex"] not in body(page2)
    finally:
        other.close()


def test_wrong_password_message_at_phone_width(server, phone, artifacts):
    open_app(phone, server.url)
    log_in(phone, "gray", "not my password", succeeds=False)
    phone.get_by_text("don't match").wait_for()
    assert phone.get_by_label("Username", exact=True).input_value() == "gray"
    phone.screenshot(path=artifacts / "login-wrong-password.png")
