"""A therapist at a desk (1280×800) and on a phone: the caseload needs-first, the alert inbox."""

import pytest

from tests.e2e.conftest import fits, settle, signed_in_at

pytestmark = pytest.mark.e2e


def visible_in(page, locator) -> bool:
    """Drawn inside the screen's width (not cut off at the right, as the old table's columns were)."""
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"] + 1


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_caseload_and_inbox(server, devices, artifacts, width, height):
    """#16: at 390 px the caseload showed Participant, Needs and Week only; at 1280 px the centred
    layout cut off GAD-7 and Alerts; rows opened nothing. Every participant's facts are on screen,
    and tapping a name opens their Review."""
    # A page of the worker's browser for this size (at 1280×800 the desk's: its HTTP cache kept), wiped after
    page = devices.page({"viewport": {"width": width, "height": height}})
    try:
        signed_in_at(page, server.url, "dr.chen")
        page.get_by_text("attention").first.wait_for()
        # Each person's card is their link to Review (one element, bordered by ui/layout.py)
        dana = page.locator(".st-key-caseload_rows [data-testid='stPageLink']", has_text="Dana Okafor").first
        dana.wait_for()
        facts = dana.get_by_text("GAD-7")
        assert visible_in(page, facts) and "open alert" in dana.inner_text()  # nothing cut off
        assert "Urgent:" in dana.inner_text()  # what is needed, in words
        assert page.locator(".st-key-caseload_rows [data-testid='stPageLink']").count() == 6
        assert fits(page)
        page.screenshot(path=artifacts / f"therapist-caseload-{width}.png", full_page=True)
        dana.get_by_role("link", name="Dana Okafor").click()  # the card opens her Review
        settle(page)
        page.get_by_text("Participant review").first.wait_for()
        assert "p=" in page.url
        page.locator("table.iop-grid").wait_for(timeout=60_000)
        assert page.get_by_role("combobox", name="Participant").input_value() == "Dana Okafor"  # her record
        # No blank line under the title: on a phone, "Participant review" fills the line and Streamlit's
        # hover "#" link beside it wrapped onto a line of its own (53 px more than the words need).
        title = page.locator("h1", has_text="Participant review")
        words = title.locator("span").first.bounding_box()
        assert words is not None and title.bounding_box()["height"] - words["height"] < 40
        page.screenshot(path=artifacts / f"therapist-review-from-caseload-{width}.png")
        page.go_back()
        settle(page)
        page.get_by_text("attention").first.wait_for()
        page.get_by_role("link", name="Open the alert inbox").click()
        settle(page)
        page.get_by_text("Dana Okafor").first.wait_for()
        page.screenshot(path=artifacts / f"therapist-alerts-{width}.png", full_page=True)
    finally:
        devices.wipe(page)


def test_review_at_a_desk(server, desk, artifacts):
    # A therapist's bookmark, opened with the login cookie (logging in by hand, and the cookie it leaves
    # for dr.rivera, are test_login_flow.py's): one page load, in the desk's browser with its HTTP cache.
    page = desk
    signed_in_at(page, server.url, "dr.rivera", "review")
    page.get_by_text("Participant review").first.wait_for(timeout=60_000)
    page.locator("table.iop-grid").wait_for(timeout=60_000)  # eight charts and a grid
    page.locator(".js-plotly-plot").first.wait_for()
    page.screenshot(path=artifacts / "therapist-review-1280.png", full_page=True)
    page.get_by_role("heading", name="Homework").scroll_into_view_if_needed()
    page.get_by_text("Opposite action").first.wait_for()  # the demo's homework for Alex
    page.screenshot(path=artifacts / "therapist-review-1280-homework.png")
    page.get_by_text("Thought records, last 8 weeks").first.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "therapist-review-1280-practice.png")


def test_review_on_a_phone(server, phone, artifacts):
    signed_in_at(phone, server.url, "dr.chen", "review")  # Bailey, first on the caseload
    phone.locator("table.iop-grid").wait_for(timeout=60_000)
    assert fits(phone)
    phone.screenshot(path=artifacts / "therapist-review-390.png")
    phone.get_by_role("heading", name="Homework").scroll_into_view_if_needed()
    phone.get_by_text("Thought record").first.wait_for()
    phone.screenshot(path=artifacts / "therapist-review-390-homework.png")


def test_review_editors_open_with_one_tap_on_a_phone(server, phone, artifacts):
    """#22: Review draws no form until an editor is asked for. One tap on "Change the goals" opens the
    goals editor for this participant; it saves, the goal reads back above it, and it folds away again."""
    signed_in_at(phone, server.url, "dr.chen", "review")  # Bailey
    phone.locator("table.iop-grid").wait_for(timeout=60_000)
    heading = phone.get_by_role("heading", name="Treatment-plan goals")
    heading.scroll_into_view_if_needed()
    assert phone.get_by_role("button", name="Save the goals").count() == 0  # read first: no form built
    assert phone.get_by_label("Goal 1", exact=True).count() == 0
    opener = phone.get_by_role("button", name="Change the goals").or_(
        phone.get_by_role("button", name="Write the goals")
    )
    opener.first.scroll_into_view_if_needed()
    assert fits(phone)
    phone.screenshot(path=artifacts / "therapist-review-390-editors-closed.png")

    opener.first.click()  # one tap
    settle(phone)
    goal = phone.get_by_label("Goal 1", exact=True)
    goal.wait_for()
    goal.fill("Walk to the pharmacy on my own, twice a week")
    phone.get_by_label("How we'll know (goal 1)", exact=True).fill("Ticked on the card each time")
    goal.scroll_into_view_if_needed()
    assert fits(phone)
    phone.screenshot(path=artifacts / "therapist-review-390-goals-editor-open.png")
    phone.get_by_role("button", name="Save the goals").click()
    settle(phone)
    phone.get_by_text("Goals saved.").first.wait_for()
    # Read back in the plan's read-only list above the editor, which stays open until closed.
    phone.get_by_text("Walk to the pharmacy on my own, twice a week").first.wait_for()
    assert phone.get_by_label("Goal 1", exact=True).input_value() == "Walk to the pharmacy on my own, twice a week"
    phone.screenshot(path=artifacts / "therapist-review-390-goals-saved.png")

    phone.get_by_role("button", name="Close the goals without saving").click()
    settle(phone)
    phone.get_by_role("button", name="Change the goals").wait_for()
    assert phone.get_by_label("Goal 1", exact=True).count() == 0
    # A thought record of this week, open: one element now, a paragraph per part (ui/skills.py).
    record = phone.get_by_text("Automatic thought:").first
    record.scroll_into_view_if_needed()
    assert "Situation:" in record.locator("xpath=ancestor::*[@data-testid='stMarkdownContainer'][1]").inner_text()
    phone.screenshot(path=artifacts / "therapist-review-390-thought-record.png")
