"""A therapist at a desk (1280×800) and on a phone: the caseload needs-first, the alert inbox."""

import pytest

from tests.e2e.conftest import log_in, open_app, settle

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
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.screenshot(path=artifacts / f"therapist-caseload-{width}.png", full_page=True)
        page.get_by_role("link", name="Open the alert inbox").click()
        settle(page)
        page.get_by_text("Dana Okafor").first.wait_for()
        page.screenshot(path=artifacts / f"therapist-alerts-{width}.png", full_page=True)
    finally:
        context.close()
