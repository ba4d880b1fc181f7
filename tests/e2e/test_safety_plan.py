"""On a phone: from any screen, one tap reaches the safety plan and the crisis lines."""

import pytest

from tests.e2e.conftest import fits, go_to, settle, signed_in_at

pytestmark = pytest.mark.e2e


def test_one_tap_from_every_participant_screen_to_the_plan(server, phone, artifacts):
    signed_in_at(phone, server.url, "dana")
    for screen in ("Today", "My cards", "Check-ups", "My account"):
        if screen != "Today":
            go_to(phone, screen)
        link = phone.locator(".st-key-crisis_bar").get_by_role("link", name="My safety plan")
        link.wait_for()  # times out (and fails) if a screen lacks it
        phone.locator(".st-key-crisis_bar").get_by_role("button", name="Crisis help — call or text now").wait_for()
    link.click()
    settle(phone)
    phone.get_by_text("Jamie (partner)").first.wait_for()
    hrefs = [a.get_attribute("href") for a in phone.locator("[data-testid='stMain'] a").all()]
    assert "tel:5550118" in hrefs and "sms:5550118" in hrefs
    assert fits(phone)
    phone.screenshot(path=artifacts / "safety-plan.png", full_page=True)
    phone.get_by_text("Need help right now? Crisis lines").click()
    phone.get_by_text("988 Suicide & Crisis Lifeline").first.wait_for()
    phone.screenshot(path=artifacts / "safety-plan-crisis-lines.png")
