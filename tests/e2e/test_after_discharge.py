"""A participant discharged past the program's access period, on a phone (390x844): Today's closing
word with who to contact, a menu of what they still use, and the same closing word on a screen opened
by its old address — never a refusal; the crisis button on every screen."""

import sqlite3

import pytest

from tests.e2e.conftest import fits, login_cookie, settle, signed_in_at
from tests.e2e.test_accessibility import blocking

pytestmark = pytest.mark.e2e


def _access_days(server, days: int) -> None:
    with sqlite3.connect(server.data_dir / "iop.db") as db:
        db.execute(
            "UPDATE program SET discharge_access_days = ?"
            " WHERE id = (SELECT program_id FROM app_user WHERE username = 'sam')",
            (days,),
        )


@pytest.fixture
def reading(server):
    """Sam, discharged a week ago, within the program's 90 days."""
    _access_days(server, 90)
    return server


@pytest.fixture
def closed(server):
    """Sam (discharged a week ago) past the access period: this program gives 0 days after discharge.
    (This module's database: `server` puts the seeded demo back before each module.)"""
    _access_days(server, 0)
    return server


def test_after_the_period_today_the_menu_and_an_old_address(closed, phone, artifacts):
    signed_in_at(phone, closed.url, "sam")
    phone.get_by_text("Your time in the program has ended", exact=False).wait_for()
    phone.get_by_text("Your therapist was", exact=False).wait_for()
    assert phone.get_by_text("You can still read", exact=False).count() == 0
    assert phone.get_by_role("button", name="Crisis help", exact=False).first.is_visible()
    assert fits(phone)
    phone.screenshot(path=artifacts / "discharged-after-today-390.png", full_page=True)
    assert blocking(phone, "closing word") == []  # axe: no serious or critical WCAG violation

    phone.locator("[class*='st-key-nav_menu_']").get_by_role("button", name="Menu").click()
    body = phone.get_by_test_id("stPopoverBody")
    body.get_by_role("link").first.wait_for()  # (the menu's links are drawn by the run its opening starts)
    settle(phone)
    links = [t.strip() for t in body.get_by_role("link").all_inner_texts()]
    assert [link.split("\n")[-1].strip() for link in links] == [
        "Today",
        "Skills",
        "Coping tools",
        "Family sharing",
        "My account",
    ]
    phone.screenshot(path=artifacts / "discharged-after-menu-390.png")
    assert login_cookie(phone), "the re-login cookie was never stored"

    for address in ("checkups", "safety_plan", "my_cards"):
        phone.goto(f"{closed.url}/{address}")  # a new session: logged in again by the cookie
        settle(phone)
        phone.get_by_text("Your time in the program has ended", exact=False).wait_for()
        assert phone.get_by_text("You don't have access", exact=False).count() == 0
        assert phone.get_by_role("button", name="Crisis help", exact=False).first.is_visible()
        assert fits(phone)
        assert phone.get_by_role("heading", name="Check-ups").count() == 0
        assert phone.url.rstrip("/").endswith(address)  # that screen, routed, showing the closing word
    phone.screenshot(path=artifacts / "discharged-after-old-address-390.png", full_page=True)


def test_an_address_that_is_no_screen(closed, phone, artifacts):
    """Not one of their screens at all: the router has no such page, so Streamlit says "Page not found"
    in its own dialog (as for everyone) and runs the main page — Today's closing word, underneath."""
    signed_in_at(phone, closed.url, "sam")
    phone.goto(f"{closed.url}/caseload")  # a therapist's screen, and one that does not exist
    settle(phone)
    phone.screenshot(path=artifacts / "discharged-after-no-such-address-390.png", full_page=True)
    phone.get_by_text("Your time in the program has ended", exact=False).wait_for()


def test_the_desktop_top_bar_offers_the_same_four(closed, desk, artifacts):
    signed_in_at(desk, closed.url, "sam")
    desk.get_by_text("Your time in the program has ended", exact=False).wait_for()
    titles = [t.strip() for t in desk.get_by_test_id("stTopNavLink").all_inner_texts()]
    assert [t.split("\n")[-1].strip() for t in titles] == [
        "Today",
        "Skills",
        "Coping tools",
        "Family sharing",
        "My account",
    ]
    desk.screenshot(path=artifacts / "discharged-after-desk-1280.png")


def test_within_the_period_the_plans_are_one_tap_away(reading, phone, artifacts):
    signed_in_at(phone, reading.url, "sam")
    phone.get_by_text("You can still read your cards", exact=False).wait_for()
    phone.screenshot(path=artifacts / "discharged-within-today-390.png", full_page=True)
    phone.get_by_role("link", name="My aftercare plan").click()
    settle(phone)
    phone.get_by_role("heading", name="My aftercare plan").wait_for()
    assert phone.get_by_role("tab", name="Edit").count() == 0
    assert fits(phone)
