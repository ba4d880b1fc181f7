"""A participant's Today on a phone shows the next session of the program's schedule, its topic
and the week of the program."""

import re

import pytest

from tests.e2e.conftest import fits, settle, signed_in_at

pytestmark = pytest.mark.e2e


def test_today_shows_the_next_session_and_the_week(server, phone, artifacts):
    signed_in_at(phone, server.url, "alex")
    settle(phone)
    phone.get_by_text("Next session:", exact=False).wait_for()
    paragraph = phone.locator("[data-testid='stMarkdownContainer']", has_text="Next session:").first
    line = paragraph.inner_text()
    assert re.search(r"Next session: (Group · (DBT skills|Relapse prevention|Process group)|Individual) — ", line)
    phone.get_by_text(re.compile(r"Week \d+ of 10")).wait_for()
    box = paragraph.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844  # on the first screen, without scrolling
    assert fits(phone)
    phone.screenshot(path=artifacts / "today-next-session-390.png")
