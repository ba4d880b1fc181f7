"""Account recovery on a phone, in Debian's Chromium at 390×844: the admin gives a reset code,
the person sets a new password with it and logs in; a paused login is unlocked."""

import pytest

from tests.e2e.conftest import log_in, login_cookie, open_app, settle, signed_in_at

pytestmark = pytest.mark.e2e

HOME = "Overall mood today"


def body(page) -> str:
    return page.inner_text("[data-testid='stMain']")


def log_out(page, url: str) -> None:
    page.goto(f"{url}/account")
    settle(page)
    page.get_by_role("button", name="Log out").click()
    settle(page)
    page.get_by_text("You are logged out.").wait_for()


def choose_login_of(page, username: str) -> None:
    """Pick a person in the "Whose login" box: type to narrow the long list, Enter to choose.
    (After the accounts table has drawn: its grid loads late and moves everything below it.)"""
    page.get_by_test_id("stDataFrame").locator("canvas").first.wait_for()
    box = page.get_by_role("combobox", name="Whose login")
    box.scroll_into_view_if_needed()
    box.click()
    box.fill(username)
    page.get_by_role("option").filter(has_text=f"({username})").wait_for()
    page.keyboard.press("Enter")
    settle(page)
    page.get_by_role("button", name="Give a reset code").wait_for()
    assert f"({username})" in box.input_value()


def test_admin_gives_a_reset_code_and_the_person_logs_in_with_a_new_password(server, phone, artifacts):
    signed_in_at(phone, server.url, "admin")  # (the admin's own login is not what this is about)
    phone.get_by_text("Forgotten password or paused login").scroll_into_view_if_needed()
    choose_login_of(phone, "gray")
    phone.get_by_role("button", name="Give a reset code").click()
    settle(phone)
    code = phone.get_by_test_id("stCode").inner_text().strip()
    assert len(code) == 14 and code.count("-") == 2, code
    phone.get_by_test_id("stCode").scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "reset-code-issued.png")
    log_out(phone, server.url)

    # Gray, on the login screen, types the code the way a person might: lower case, spaces.
    phone.get_by_text("I have a reset code").click()
    phone.get_by_role("textbox", name="Your username").fill("Gray")
    phone.get_by_role("textbox", name="Reset code").fill(code.lower().replace("-", " "))
    phone.get_by_role("textbox", name="New password", exact=True).fill("a quieter evening")
    phone.get_by_role("textbox", name="New password again").fill("a quieter evening")
    phone.screenshot(path=artifacts / "reset-code-typed.png", full_page=True)
    phone.get_by_role("button", name="Set my password and log in").click()
    phone.get_by_text(HOME).wait_for()
    settle(phone)
    assert login_cookie(phone), "the login cookie was not set after the reset"
    phone.screenshot(path=artifacts / "reset-code-home.png")

    phone.reload()
    settle(phone)
    phone.get_by_text(HOME).wait_for()  # the cookie carries the new login
    log_out(phone, server.url)
    log_in(phone, "gray", "iop-demo-2026", succeeds=False)
    phone.get_by_text("don't match").wait_for()  # the old password is gone
    log_in(phone, "gray", "a quieter evening")
    phone.get_by_text(HOME).wait_for()


def test_a_paused_login_is_unlocked_by_the_admin(server, phone, desk, artifacts):
    """Lee guesses on a phone; the admin unlocks it at the front desk's computer (both browsers of the
    worker, their HTTP caches kept: conftest.Devices)."""
    page = phone
    open_app(page, server.url)
    for _ in range(5):
        log_in(page, "lee", "a wrong guess", succeeds=False)
    page.get_by_text("paused for 15 minutes").wait_for()
    page.screenshot(path=artifacts / "login-paused.png")

    signed_in_at(desk, server.url, "admin")
    choose_login_of(desk, "lee")
    desk.get_by_role("button", name="Unlock logging in").click()
    settle(desk)
    desk.get_by_text("Logging in is unlocked").wait_for()

    log_in(page, "lee")
    page.get_by_text(HOME).wait_for()


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory):
    """Demo data, but a real cookie key (as a deployment has): real accounts get login cookies."""
    from tests.e2e.conftest import Server

    folder = tmp_path_factory.mktemp("keyed")
    (folder / "none.toml").write_text(
        'cookie_key = "an-e2e-cookie-key-that-is-long-and-random-enough"\ndemo_mode = true\n'
    )
    srv = Server(folder)
    yield srv
    srv.stop()


def test_a_new_account_chooses_its_own_password_before_anything_else(keyed_server, phone, artifacts):
    server = keyed_server
    open_app(phone, server.url)
    log_in(phone, "admin")
    phone.get_by_text("Create an account").click()
    phone.get_by_role("textbox", name="Full name").fill("Quinn Rivers")
    phone.get_by_role("textbox", name="Username", exact=True).fill("quinn")
    phone.get_by_role("textbox", name="First password").fill("from the front desk")
    phone.get_by_role("button", name="Create account").click()
    phone.get_by_text("Account created for Quinn Rivers").wait_for()
    log_out(phone, server.url)

    log_in(phone, "quinn", "from the front desk")
    phone.get_by_text("Choose your own password").wait_for()
    assert login_cookie(phone)
    shown = body(phone)
    assert HOME not in shown and "Crisis help" in shown
    phone.goto(f"{server.url}/progress")  # no way round it by URL
    settle(phone)
    phone.get_by_text("Choose your own password").wait_for()
    assert "My progress" not in body(phone)
    assert phone.get_by_text("Page not found").count() == 0  # the password screen is at every address
    phone.screenshot(path=artifacts / "choose-own-password.png")
    phone.get_by_role("textbox", name="New password", exact=True).fill("my own quiet words")
    phone.get_by_role("textbox", name="New password again").fill("my own quiet words")
    phone.get_by_role("button", name="Save my password").click()
    phone.get_by_role("heading", name="My progress").wait_for()  # then the screen the address asked for
    phone.goto(server.url)
    phone.get_by_text(HOME).wait_for()
