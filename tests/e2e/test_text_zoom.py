"""Text enlarged to 200% (WCAG 1.4.4) on a 390 px phone: nothing scrolls sideways, and the crisis
button's words are all there, wrapped, never cut to "Crisis help — c…"."""

import pytest

from tests.e2e.conftest import fits, go_to, log_in, open_app

pytestmark = pytest.mark.e2e
DOUBLE_TEXT = "html { font-size: 200% !important; }"  # what a browser's text-size setting does to rem
SCREENS = ("My cards", "Check-ups", "Skills", "Practice log", "My progress", "My safety plan", "My account")


def crisis_label_whole(page) -> bool:
    label = page.get_by_role("button", name="Crisis help — call or text now").locator("p")
    return label.evaluate("p => p.scrollWidth <= p.clientWidth + 1 && p.innerText.includes('call or text now')")


def test_200_percent_text_on_a_phone(server, phone, artifacts):
    open_app(phone, server.url)
    phone.add_style_tag(content=DOUBLE_TEXT)
    assert phone.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") == 32
    assert fits(phone), "login screen"
    log_in(phone, "alex")
    assert fits(phone), "Today"
    assert crisis_label_whole(phone)
    phone.get_by_role("button", name="Crisis help — call or text now").scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "text-200-today.png")
    for screen in SCREENS:
        go_to(phone, screen)
        phone.locator("h1").first.wait_for()
        assert fits(phone), screen
        assert crisis_label_whole(phone), screen
    phone.screenshot(path=artifacts / "text-200-last.png")
