"""Taking a GAD-7 on a phone, tap by tap."""

import pytest

from tests.e2e.conftest import fits, settle, signed_in_at

pytestmark = pytest.mark.e2e


def test_take_a_gad7_on_a_phone(server, phone, artifacts):
    signed_in_at(phone, server.url, "harper")
    phone.get_by_role("link", name="Take it now").click()
    settle(phone)
    phone.locator(".st-key-checkup_kind button").get_by_text("GAD-7", exact=True).click()
    settle(phone)
    phone.get_by_text("Worry check-up (GAD-7)").wait_for()
    choices = [
        "Several days",
        "Several days",
        "More than half the days",
        "Not at all",
        "Not at all",
        "Several days",
        "Not at all",
    ]
    for index, choice in enumerate(choices):
        phone.locator(f".st-key-gad7_item_{index}").get_by_text(choice, exact=True).click()
    phone.locator(".st-key-gad7_function").get_by_text("Somewhat difficult", exact=True).click()
    phone.get_by_role("button", name="Submit check-up").click()
    settle(phone)
    result = phone.locator(".st-key-result_gad7")
    result.wait_for()
    assert "GAD-7: 5 of 21 — Mild" in result.inner_text()
    result.scroll_into_view_if_needed()
    assert fits(phone)
    phone.screenshot(path=artifacts / "checkup-gad7-result.png")
