"""On phones: a participant shares their mood trend, the family member sees it, the participant
stops sharing, and the family member no longer sees it."""

import pytest

from tests.e2e.conftest import PHONE, settle, signed_in_at

pytestmark = pytest.mark.e2e


def test_share_see_revoke(server, browser, phone, artifacts):
    signed_in_at(phone, server.url, "dana", "sharing")  # the participant (not through Today's card and the menu)
    mood = phone.get_by_test_id("stExpander").filter(has_text="Share: Mood trend (weekly averages)")
    mood.get_by_text("Share: Mood trend (weekly averages)").click()
    mood.get_by_role("group", name="Until").wait_for()  # the consent drawn, as a person reads it before tapping
    settle(phone)
    mood.get_by_role("button", name="Share with Jamie").click()  # the button of this expander
    settle(phone)
    phone.get_by_text("Mood trend (weekly averages) — until").wait_for()
    phone.screenshot(path=artifacts / "sharing-participant.png", full_page=True)

    family = browser.new_context(**PHONE)  # the family member, on their own phone
    family.set_default_timeout(20_000)
    relative = family.new_page()
    try:
        signed_in_at(relative, server.url, "jamie.okafor")
        relative.get_by_text("Dana's mood, weekly average").first.wait_for()  # the chart's title, and its table's
        relative.screenshot(path=artifacts / "family-sees-mood-trend.png", full_page=True)

        phone.get_by_role("button", name="Stop").first.click()
        settle(phone)
        phone.get_by_text("Share: Mood trend (weekly averages)").wait_for()

        relative.reload()
        relative.wait_for_selector("[data-testid='stApp']")
        settle(relative)
        relative.get_by_text("isn't sharing anything with you right now").wait_for()
        assert relative.get_by_text("Dana's mood, weekly average").count() == 0
        relative.screenshot(path=artifacts / "family-after-revoke.png", full_page=True)
    finally:
        family.close()
