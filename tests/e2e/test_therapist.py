"""A therapist at a desk (1280×800) and on a phone: the caseload needs-first, the alert inbox."""

import pytest

from tests.e2e.conftest import fits, log_in, login_cookie, open_app, settle, signed_in_at

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_caseload_and_inbox(server, browser, artifacts, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        open_app(page, server.url)
        log_in(page, "dr.chen")
        page.get_by_text("attention").first.wait_for()
        page.locator("[data-testid='stDataFrame']").wait_for()
        assert fits(page)
        page.screenshot(path=artifacts / f"therapist-caseload-{width}.png", full_page=True)
        page.get_by_role("link", name="Open the alert inbox").click()
        settle(page)
        page.get_by_text("Dana Okafor").first.wait_for()
        page.screenshot(path=artifacts / f"therapist-alerts-{width}.png", full_page=True)
    finally:
        context.close()


def test_review_at_a_desk(server, browser, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        open_app(page, server.url)
        log_in(page, "dr.rivera")
        assert login_cookie(page)
        page.goto(f"{server.url}/review")          # a therapist's bookmark
        page.get_by_text("Participant review").first.wait_for(timeout=60_000)
        settle(page)
        page.locator("table.iop-grid").wait_for(timeout=60_000)   # eight charts and a grid
        page.locator(".js-plotly-plot").first.wait_for()
        page.screenshot(path=artifacts / "therapist-review-1280.png", full_page=True)
        page.get_by_role("heading", name="Homework").scroll_into_view_if_needed()
        page.get_by_text("Opposite action").first.wait_for()          # the demo's homework for Alex
        page.screenshot(path=artifacts / "therapist-review-1280-homework.png")
        page.get_by_text("Thought records, last 8 weeks").first.scroll_into_view_if_needed()
        page.screenshot(path=artifacts / "therapist-review-1280-practice.png")
    finally:
        context.close()


def test_review_on_a_phone(server, phone, artifacts):
    signed_in_at(phone, server.url, "dr.chen", "review")     # Bailey, first on the caseload
    phone.locator("table.iop-grid").wait_for(timeout=60_000)
    assert fits(phone)
    phone.screenshot(path=artifacts / "therapist-review-390.png")
    phone.get_by_role("heading", name="Homework").scroll_into_view_if_needed()
    phone.get_by_text("Thought record").first.wait_for()
    phone.screenshot(path=artifacts / "therapist-review-390-homework.png")
