"""A person on a phone: log in as each role, reload, log out — in Debian's Chromium at 390×844.

The login cookie is set and deleted by the server (HttpOnly, SameSite=Lax); a reload logs the
person back in with it; logout kills it everywhere; anything forged or malformed shows the login.
"""

import json
import urllib.error
import urllib.request

import jwt
import pytest

from tests.e2e.conftest import PHONE, Server, fits, log_in, login_cookie, open_app, settle, signed_in_at

pytestmark = pytest.mark.e2e

COOKIE = "iop_companion_login"
HOMES = {
    "alex": "Overall mood today",
    "dr.rivera": "participants assigned to you",
    "pat.morgan": "Shared with you",
    "admin": "Search by name or username",
}


def body(page) -> str:
    return page.inner_text("[data-testid='stMain']")


def reload(page) -> None:
    page.reload()
    page.wait_for_selector("[data-testid='stApp']")
    settle(page)


def cookie_gone(page, timeout_ms: int = 10_000) -> bool:
    """Wait (on the browser's cookie jar, not a fixed sleep) until the login cookie is deleted."""
    for _ in range(timeout_ms // 100):
        if not [c for c in page.context.cookies() if c["name"] == COOKIE]:
            return True
        page.wait_for_timeout(100)
    return False


def log_out(page, server_url: str) -> None:
    page.goto(f"{server_url}/account")
    settle(page)
    page.get_by_role("button", name="Log out").click()
    settle(page)
    page.get_by_text("You are logged out.").wait_for()


@pytest.mark.parametrize("username", HOMES)
def test_log_in_reload_log_out(server, phone, artifacts, username):
    open_app(phone, server.url)
    assert "Log in" in body(phone) and "Crisis help" in body(phone)
    log_in(phone, username)
    phone.get_by_text(HOMES[username]).wait_for()
    assert fits(phone)
    phone.screenshot(path=artifacts / f"home-{username}.png", full_page=True)

    [cookie] = login_cookie(phone)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert COOKIE not in phone.evaluate("document.cookie")  # page scripts cannot read it
    reload(phone)  # a new browser session: the login cookie brings the person back
    phone.get_by_text(HOMES[username]).wait_for()

    log_out(phone, server.url)
    assert cookie_gone(phone), "logout did not delete the cookie"
    reload(phone)
    phone.get_by_role("button", name="Log in").wait_for()
    assert HOMES[username] not in body(phone)


def test_a_bookmark_opened_after_the_login_lapsed_shows_the_login_then_that_screen(server, phone, artifacts):
    """A participant bookmarked My cards; their login has lapsed. The address shows the login (not
    Streamlit's "Page not found" box, which also made the form unusable until closed), and logging
    in opens My cards. The role's first page, opened by its own name (/today), is that page too; another
    role's address (/caseload) opens their own first page."""
    open_app(phone, server.url)  # (a server no session has opened yet serves pages/ by itself)
    open_app(phone, f"{server.url}/my_cards")
    phone.get_by_role("button", name="Log in").wait_for()
    assert phone.get_by_text("Page not found").count() == 0
    log_in(phone, "alex")
    phone.get_by_role("heading", name="My cards").wait_for()
    assert phone.url.endswith("/my_cards")
    assert "Overall mood today" not in body(phone)
    phone.screenshot(path=artifacts / "bookmark-my-cards-after-login.png")

    open_app(phone, f"{server.url}/today")  # a new session: the cookie logs them in
    phone.get_by_text(HOMES["alex"]).wait_for()
    assert phone.get_by_text("Page not found").count() == 0
    assert phone.url.endswith("/today")

    open_app(phone, f"{server.url}/caseload")  # another role's screen: their own first page, at "/"
    phone.get_by_text(HOMES["alex"]).wait_for()
    assert phone.get_by_text("Page not found").count() == 0
    assert phone.url == f"{server.url}/"
    assert "participants assigned to you" not in body(phone)

    log_out(phone, server.url)  # (on My account) logging in again is not a bookmark of My account
    assert phone.url == f"{server.url}/"
    log_in(phone, "alex")
    phone.get_by_text(HOMES["alex"]).wait_for()
    assert "Change password" not in body(phone)


def test_home_login_and_choose_password_typed_in_the_address_bar(server, phone, artifacts):
    """/home, /login and /choose-password are no screen's file: each showed Streamlit's "Page not
    found" box over the screen. Logged out they show the login; logged in, the person's first page
    (at "/"); /choose-password means the password choice only while one must be chosen."""
    open_app(phone, server.url)
    for name in ("home", "login", "choose-password"):
        open_app(phone, f"{server.url}/{name}")
        phone.get_by_role("button", name="Log in").wait_for()
        assert phone.get_by_text("Page not found").count() == 0, name
        phone.screenshot(path=artifacts / f"typed-{name}-logged-out.png")
    log_in(phone, "dana")  # at /choose-password: Dana has her own password, so her first page
    phone.get_by_text(HOMES["alex"]).wait_for()
    assert phone.get_by_text("Page not found").count() == 0
    assert phone.url == f"{server.url}/"
    assert login_cookie(phone), "the re-login cookie was never stored"
    for name in ("home", "login", "choose-password"):
        open_app(phone, f"{server.url}/{name}")  # a new session: the cookie logs her in
        phone.get_by_text(HOMES["alex"]).wait_for()
        assert phone.get_by_text("Page not found").count() == 0, name
        assert phone.url == f"{server.url}/", name
        assert "Choose your own password" not in body(phone)
        phone.screenshot(path=artifacts / f"typed-{name}-logged-in.png")


def test_crisis_help_is_one_tap_from_home(server, phone, artifacts):
    signed_in_at(phone, server.url, "dana")  # her home (logging in by hand is the tests' above)
    phone.get_by_role("button", name="Crisis help — call or text now").click()
    phone.get_by_text("988 Suicide & Crisis Lifeline").wait_for()
    hrefs = [a.get_attribute("href") for a in phone.query_selector_all("a[href^='tel:'], a[href^='sms:']")]
    assert {"tel:988", "sms:988", "tel:911"} <= set(hrefs)
    phone.screenshot(path=artifacts / "crisis-help.png")


def test_a_copied_cookie_stops_working_after_logout(server, phone, desk):
    open_app(phone, server.url)
    log_in(phone, "frankie")
    phone.get_by_text(HOMES["alex"]).wait_for()
    stolen = login_cookie(phone)
    assert stolen, "the login cookie was not set"

    other = desk.context  # another device holding a copy of the cookie (the worker's desktop browser, wiped after)
    assert other is not phone.context and not other.cookies()
    other.add_cookies(stolen)
    page = desk
    open_app(page, server.url)
    page.get_by_text(HOMES["alex"]).wait_for()  # the copy works while the login is live

    log_out(phone, server.url)

    page2 = other.new_page()
    open_app(page2, server.url)
    page2.get_by_role("button", name="Log in").wait_for()
    assert HOMES["alex"] not in body(page2)
    assert cookie_gone(page2), "the dead copy was not deleted"


def test_wrong_password_message_at_phone_width(server, phone, artifacts):
    open_app(phone, server.url)
    log_in(phone, "gray", "not my password", succeeds=False)
    phone.get_by_text("don't match").wait_for()
    assert "4 more tries" in body(phone)
    assert phone.get_by_label("Username", exact=True).input_value() == "gray"
    phone.screenshot(path=artifacts / "login-wrong-password.png")


def _claims(now: int, **extra) -> dict:
    return {"sub": "1", "sv": 1, "iat": now, "exp": now + 3600, **extra}


FORGED = {
    "hs512-header": lambda now: jwt.encode(_claims(now), "iop-companion-demo-cookie-key-not-a-secret", "HS512"),
    "garbage": lambda now: "not-a-token-at-all",
    "wrong-key": lambda now: jwt.encode(_claims(now), "an-attackers-own-key-that-is-long-enough", "HS256"),
    "missing-claims": lambda now: jwt.encode({"sub": "1"}, "iop-companion-demo-cookie-key-not-a-secret", "HS256"),
    "future-iat": lambda now: jwt.encode(
        _claims(now + 10**7, exp=now + 2 * 10**7), "iop-companion-demo-cookie-key-not-a-secret", "HS256"
    ),
}


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("kind", FORGED)
def test_a_forged_or_malformed_cookie_shows_the_login_and_is_deleted(server, phone, artifacts, kind):
    import time

    page = phone  # (the worker's phone, wiped: no cookie but this one)
    page.context.add_cookies([{"name": COOKIE, "value": FORGED[kind](int(time.time())), "url": server.url}])
    open_app(page, server.url)
    page.get_by_role("button", name="Log in").wait_for()
    shown = body(page)
    assert "Something went wrong" not in shown and "can't reach" not in shown
    assert cookie_gone(page), "the bad cookie was not deleted"
    page.screenshot(path=artifacts / f"forged-cookie-{kind}.png")
    log_in(page, "bailey")  # and the person simply logs in
    page.get_by_text(HOMES["alex"]).wait_for()


def _post(url: str, payload: bytes, headers: dict) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=payload, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("set-cookie") or ""
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("set-cookie") or ""


def test_the_cookie_routes_refuse_other_sites_and_bad_codes(server):
    url = f"{server.url}/iop/session"
    good_json = json.dumps({"code": "x" * 43}).encode()
    assert _post(url, good_json, {"Origin": "https://evil.example"}) == (403, "")
    assert _post(url, good_json, {"Sec-Fetch-Site": "cross-site"}) == (403, "")
    assert _post(url, good_json, {}) == (410, "")  # unknown code: no cookie
    assert _post(url, b"not json", {})[0] == 400
    assert _post(url, b"{" + b" " * 5000 + b"}", {})[0] == 413
    assert _post(f"{server.url}/iop/logout", b"{}", {"Origin": "https://evil.example"})[0] == 403
    status, header = _post(f"{server.url}/iop/logout", b"{}", {})
    assert status == 204 and f"{COOKIE}=" in header and "HttpOnly" in header


@pytest.fixture(scope="module")
def counted_server(tmp_path_factory):
    """A fresh server that logs one line per script run (its first page open is one of those counted)."""
    srv = Server(tmp_path_factory.mktemp("counted"), log_runs=True)
    yield srv
    srv.stop()


def test_one_script_run_per_page_open(counted_server, phone):
    """A page open (a fresh server's first, a reload with the cookie, a page by URL) runs the
    script once: nothing on the page triggers a second run (the old cookie component did)."""
    srv = counted_server
    start = srv.script_runs()
    open_app(phone, srv.url)
    phone.get_by_role("button", name="Log in").wait_for()
    assert srv.script_runs() - start == 1
    log_in(phone, "alex")  # the tap runs the script once: its callback logs in, and the run draws home
    phone.get_by_text(HOMES["alex"]).wait_for()
    assert login_cookie(phone)
    assert srv.script_runs() - start == 2
    paths = ("", "progress", "account", "skills", "")
    for path in paths:
        before = srv.script_runs()
        phone.goto(f"{srv.url}/{path}")
        settle(phone)
        phone.get_by_role("button", name="Crisis help — call or text now").wait_for()
        assert srv.script_runs() - before == 1, path
    # A run that came late (after a page had settled) would show in the total.
    assert srv.script_runs() - start == 2 + len(paths)


def test_six_people_log_in_at_once_on_a_fresh_server_each_with_one_tap(browser, tmp_path):
    """The start of a group: six phones open the app on a freshly started server and each person
    taps Log in once, as soon as the form is there. With the old cookie component each page open
    ran the script twice and taps were lost (16 of 18 logged in, in two runs of three rounds; this
    code: 36 of 36). A lost tap is a race, so this catches it often, not always: the deterministic
    check is test_one_script_run_per_page_open (2 runs per open on the old code)."""
    srv = Server(tmp_path / "fresh")
    people = ["alex", "bailey", "casey", "dana", "eli", "frankie"]
    contexts = [browser.new_context(**PHONE) for _ in people]
    try:
        pages = [context.new_page() for context in contexts]
        for page in pages:
            page.goto(srv.url, wait_until="commit")
        for page, username in zip(pages, people, strict=True):
            page.get_by_label("Username", exact=True).fill(username)
            page.get_by_label("Password", exact=True).fill("iop-demo-2026")
            page.get_by_role("button", name="Log in", exact=True).click()
        for page, username in zip(pages, people, strict=True):
            page.get_by_text(HOMES["alex"]).wait_for()
            assert login_cookie(page), username
    finally:
        for context in contexts:
            context.close()
        srv.stop()
