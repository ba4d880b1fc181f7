"""With a keyboard alone (a switch, a screen reader, a tremor that makes a touch screen hard): crisis
help is the first control the Tab key reaches, and the diary card can be filled in and saved."""

import sqlite3

import pytest

from tests.e2e.conftest import settle, signed_in_at

pytestmark = pytest.mark.e2e

FOCUSED = """() => { const e = document.activeElement;
  const keyed = e.closest("[class*='st-key-']");
  return {tag: e.tagName, testid: e.getAttribute('data-testid'), text: (e.innerText || '').trim(),
          checked: e.getAttribute('aria-checked'),
          key: keyed ? [...keyed.classList].find(c => c.startsWith('st-key-')).slice(7) : ''}; }"""


def tab(page) -> dict:
    page.keyboard.press("Tab")
    return page.evaluate(FOCUSED)


def next_control(page) -> dict:
    """Tab to the next control: a button, link or field (Chromium also stops on the scrolling main
    area so that the arrow keys can scroll it; that is not a control)."""
    focused = tab(page)
    while focused["tag"] not in ("A", "BUTTON", "INPUT", "TEXTAREA", "SELECT", "SUMMARY"):
        assert focused["tag"] == "MAIN", focused
        focused = tab(page)
    return focused


def tab_until(page, key_prefix: str, limit: int = 40) -> dict:
    """Press Tab until the focus is in the control whose key starts with `key_prefix`."""
    for _ in range(limit):
        focused = tab(page)
        if focused["key"].startswith(key_prefix):
            return focused
    raise AssertionError(f"{limit} presses of Tab never reached {key_prefix}")


@pytest.mark.parametrize("username,path", [("alex", "my_cards"), ("dr.rivera", "alerts")])
def test_on_a_phone_crisis_help_is_the_first_control_after_the_skip_link(server, phone, username, path):
    page = phone
    signed_in_at(page, server.url, username, path)
    page.locator("h1").first.wait_for()
    assert tab(page)["testid"] == "stSkipToContent"
    focused = next_control(page)
    assert focused["key"] == "crisis_bar" and "Crisis help — call or text now" in focused["text"], focused
    page.keyboard.press("Enter")  # and it opens with the keyboard
    page.get_by_test_id("stPopoverBody").locator("a[href^='tel:']").first.wait_for()


def test_at_a_desk_the_skip_link_lands_just_before_crisis_help(server, desk):
    page = desk
    signed_in_at(page, server.url, "dr.rivera", "alerts")
    page.locator("h1").first.wait_for()
    assert tab(page)["testid"] == "stSkipToContent"
    page.keyboard.press("Enter")  # past the row of page links along the top
    focused = next_control(page)
    assert focused["key"] == "crisis_bar" and "Crisis help — call or text now" in focused["text"], focused


def test_the_diary_card_is_filled_and_saved_with_the_keyboard_alone(server, phone, artifacts):
    """casey has no card today. Tab moves between questions, the arrow keys along a scale, Space
    chooses; typing fills the sleep box; Enter on Save saves."""
    page = phone
    signed_in_at(page, server.url, "casey", "")
    page.locator("[class*='st-key-mood_'] button").first.wait_for()

    focused = tab_until(page, "mood_")
    day = focused["key"].removeprefix("mood_")
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    settle(page)
    assert page.locator(f".st-key-mood_{day} [aria-checked='true']").inner_text() == "7"

    tab_until(page, f"sadness_{day}")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    settle(page)

    tab_until(page, f"sleep_{day}")
    page.keyboard.type("6.5")
    tab_until(page, f"save_{day}")
    page.keyboard.press("Enter")
    settle(page)
    page.get_by_text("Thank you for checking in").wait_for()
    page.screenshot(path=artifacts / "keyboard-card-saved.png")

    with sqlite3.connect(server.data_dir / "iop.db") as db:
        saved = db.execute(
            "SELECT c.mood, c.sadness, c.sleep_hours FROM diary_card c JOIN app_user u "
            "ON u.id = c.participant_id WHERE u.username = 'casey' AND c.day = ?",
            (day,),
        ).fetchall()
    assert saved == [(7, 3, 6.5)]
