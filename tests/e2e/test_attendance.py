"""A therapist before group, on a phone: add a family session, take its roll with taps, see it saved."""

import pytest

from tests.e2e.conftest import fits, settle, signed_in_at

pytestmark = pytest.mark.e2e


def test_take_the_roll_on_a_phone(server, phone, artifacts):
    signed_in_at(phone, server.url, "dr.rivera", "attendance")
    phone.get_by_role("heading", name="Attendance").first.wait_for()
    # A family session at 1 pm today: the demo has none, whatever today's date is.
    # (The expander's own label: on a day without sessions, as every Friday, the notice above it says "Add an
    # individual or family session below" too.)
    phone.get_by_test_id("stExpander").get_by_text("Add an individual or family session", exact=True).click()
    phone.locator(".st-key-one_off_kind button").get_by_text("Family session", exact=True).click()
    phone.get_by_role("button", name="Add session").click()
    settle(phone)
    phone.get_by_text("Added: family session with Alex Morgan", exact=False).wait_for()
    phone.get_by_text("Family session 1:00 PM–2:00 PM", exact=True).click()
    settle(phone)
    phone.get_by_text("0 of 1 recorded", exact=False).wait_for()
    phone.locator("[data-testid='stButtonGroup']", has_text="Alex Morgan").get_by_text("Present", exact=True).click()
    phone.get_by_role("button", name="Save attendance").click()
    settle(phone)
    phone.get_by_text("Saved attendance for 1 participant.").wait_for()
    phone.get_by_text("1 of 1 recorded", exact=False).wait_for()
    assert fits(phone)
    phone.screenshot(path=artifacts / "therapist-attendance-390.png", full_page=True)
