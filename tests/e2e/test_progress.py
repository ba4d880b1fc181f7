"""A participant looks at "My progress" on a phone, and on a laptop at home: charts that fit,
each with one plain sentence under it, and a period picker that changes both."""

import pytest

from tests.e2e.conftest import fits, log_in, open_app, settle

pytestmark = pytest.mark.e2e


def open_progress(page, server_url: str, *, phone: bool) -> None:
    open_app(page, server_url)
    log_in(page, "alex")
    if phone:   # on a phone the page list sits behind the menu button
        page.get_by_test_id("stExpandSidebarButton").click()
        page.get_by_test_id("stSidebar").get_by_role("link", name="My progress").click()
        settle(page)
        page.get_by_test_id("stSidebarHeader").get_by_role("button").click()
        page.wait_for_function("() => { const bar = document.querySelector('[data-testid=stSidebar]');"
                               " return !bar || bar.getBoundingClientRect().right <= 1; }")  # slid away
    else:       # wide screens show the pages along the top
        page.get_by_role("link", name="My progress").first.click()
        settle(page)
    page.locator(".js-plotly-plot").first.wait_for()


def test_my_progress_on_a_phone(server, phone, artifacts):
    open_progress(phone, server.url, phone=True)
    phone.get_by_text("Your mood averaged").wait_for()
    assert fits(phone)
    phone.screenshot(path=artifacts / "participant-progress-390.png")
    phone.locator(".js-plotly-plot").nth(1).scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "participant-progress-390-urges.png")
    for emotion in ("Sadness", "Anxiety / fear", "Anger", "Joy"):   # leave Shame alone on the chart
        phone.locator("[class*='st-key-progress_emotions'] button").get_by_text(emotion, exact=True).click()
    settle(phone)
    chart = phone.locator(".js-plotly-plot", has_text="Shame at its strongest")
    chart.wait_for()
    assert chart.locator(".scatterlayer .trace").count() == 1
    chart.scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "participant-progress-390-emotions.png")


def test_my_progress_at_a_desk_whole_program(server, desk, artifacts):
    open_progress(desk, server.url, phone=False)
    two_weeks = desk.get_by_text("diary cards in this period").inner_text()
    desk.locator("[class*='st-key-progress_period'] button").get_by_text("Whole program", exact=True).click()
    settle(desk)
    whole = desk.get_by_text("diary cards in this period").inner_text()
    count = lambda text: int(text.split("You filled in ")[1].split(" ")[0])  # noqa: E731
    assert count(whole) > count(two_weeks)           # the sentence follows the period chosen
    assert desk.locator(".js-plotly-plot").count() >= 9
    assert fits(desk)
    desk.screenshot(path=artifacts / "participant-progress-1280.png")
    desk.get_by_text("Your latest PHQ-9 score is").scroll_into_view_if_needed()
    desk.screenshot(path=artifacts / "participant-progress-1280-checkups.png")
