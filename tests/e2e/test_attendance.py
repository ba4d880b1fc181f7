"""A therapist before group, on a phone: take the roll with taps, see it saved."""

import pytest

from tests.e2e.conftest import fits, settle, signed_in_at

pytestmark = pytest.mark.e2e


def test_take_the_roll_on_a_phone(server, phone, artifacts):
    signed_in_at(phone, server.url, "dr.rivera", "attendance")
    phone.get_by_role("heading", name="Attendance").first.wait_for()
    # A family session: nothing is recorded for it in the demo data, whatever today's date is.
    phone.get_by_text("Family session", exact=True).click()
    settle(phone)
    phone.get_by_text("0 of 6 recorded", exact=False).wait_for()
    for name, status in (("Alex Morgan", "Attended"), ("Casey Nguyen", "Missed"), ("Eli Santos", "Late")):
        phone.locator("[data-testid='stButtonGroup']", has_text=name).get_by_text(status, exact=True).click()
    phone.get_by_role("button", name="Save attendance").click()
    settle(phone)
    phone.get_by_text("Saved attendance for 3 participants.").wait_for()
    phone.get_by_text("3 of 6 recorded", exact=False).wait_for()
    assert fits(phone)
    phone.screenshot(path=artifacts / "therapist-attendance-390.png", full_page=True)
