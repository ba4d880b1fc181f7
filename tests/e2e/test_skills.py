"""On a phone: find a skill by situation, open it, log a practice; run the breathing tool for a
few seconds and watch it count down without the page reloading."""

import re

import pytest

from tests.e2e.conftest import fits, settle, signed_in_at

pytestmark = pytest.mark.e2e


def tap(page, key_start: str, option: str) -> None:
    """Tap an option of the pill / segmented control whose key starts with `key_start`."""
    page.locator(f"[class*='st-key-{key_start}'] button").get_by_text(option, exact=True).click()


def test_find_a_skill_open_it_and_log_a_practice(server, phone, artifacts):
    signed_in_at(phone, server.url, "frankie", "skills")
    phone.get_by_role("heading", name="All skills").wait_for()
    phone.screenshot(path=artifacts / "skills-library.png", full_page=True)
    search = phone.get_by_label("Find a skill")
    search.fill("craving")
    search.press("Enter")
    settle(phone)
    phone.get_by_role("button", name="Urge surfing").first.click()
    settle(phone)
    phone.get_by_role("heading", name="Urge surfing").first.wait_for()
    phone.get_by_text("When it helps").wait_for()
    assert fits(phone)
    phone.screenshot(path=artifacts / "skill-page-urge-surfing.png", full_page=True)

    phone.get_by_text("Log a practice of this skill").click()
    phone.get_by_label("Situation (a few words)").fill("craving after dinner")
    tap(phone, "before_log_urge_surfing", "7")
    tap(phone, "after_log_urge_surfing", "3")
    tap(phone, "helped_log_urge_surfing", "Yes")
    phone.get_by_role("button", name="Save practice").click()
    settle(phone)
    phone.get_by_text("Practice of Urge surfing saved. It went from 7 to 3.").wait_for()
    phone.screenshot(path=artifacts / "skill-practice-saved.png", full_page=True)

    phone.goto(f"{server.url}/practice")
    settle(phone)
    phone.get_by_test_id("stMain").get_by_text("Practice log").first.wait_for()  # not the (hidden) sidebar's link
    phone.get_by_text("Distress before → after practice").first.wait_for()  # the helpfulness chart
    assert fits(phone)
    phone.screenshot(path=artifacts / "practice-log.png", full_page=True)
    phone.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "practice-log-helpfulness.png")


def shown_by_css(page, testid: str) -> str:
    """What a timer element shows: its text is drawn by the browser's CSS (ui/animation.py)."""
    return page.evaluate(f"""() => getComputedStyle(document.querySelector("[data-testid='{testid}']"), '::after')
                              .content.replace(/^"|"$/g, '')""")


def time_left(page) -> int:
    minutes, seconds = re.search(r"(\d+):(\d\d) left", shown_by_css(page, "time-left")).groups()
    return int(minutes) * 60 + int(seconds)


def test_the_breathing_tool_counts_down_on_the_page(server, phone, artifacts):
    """The browser counts, smoothly: between "Breathe in" and "Breathe out" the server is not asked
    for anything (the old tool reran on the server every second, and stuttered)."""
    signed_in_at(phone, server.url, "gray", "tools?tool=breathing")
    tap(phone, "tool_breathing_minutes", "1 min")
    settle(phone)
    phone.get_by_role("button", name="Start breathing").click()
    settle(phone)
    phone.get_by_test_id("breathing-animation").wait_for()
    assert shown_by_css(phone, "breath-phase").startswith("Breathe in")
    first = time_left(phone)
    runs = phone.evaluate("() => window.__iopRuns.seq")
    phone.screenshot(path=artifacts / "breathing-running.png")
    phone.wait_for_function(
        """() => getComputedStyle(document.querySelector("[data-testid='breath-phase']"),
                                     '::after').content.includes('Breathe out')""",
        timeout=15_000,
    )
    phone.screenshot(path=artifacts / "breathing-out.png")
    assert phone.evaluate("() => window.__iopRuns.seq") == runs  # no server round trip per second
    assert time_left(phone) <= first - 3 and fits(phone)
    phone.get_by_role("button", name="Stop").click()
    settle(phone)
    phone.get_by_text(re.compile("You breathed for 0:0[3-9]|You breathed for 0:[1-5]")).wait_for()
    phone.screenshot(path=artifacts / "breathing-done.png")
