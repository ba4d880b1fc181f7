"""Tap targets a shaking thumb can hit: on a 390×844 phone every control below measures at least
44×44 CSS px in the real browser (WCAG 2.5.5), crisis links first. Measured before this test
existed (#21): crisis tel:/sms: links 21 tall, "My safety plan" 28 tall, the menu a 28×28 "»",
the card's 0–10 rating buttons 33×32, the "Acted on it" toggle 21 tall."""

import pytest

from tests.e2e.conftest import settle, signed_in_at

pytestmark = pytest.mark.e2e
MIN = 44


def sizes(locator) -> list[dict]:
    """The on-screen box of every match (scrolled into view first: Streamlit lays out lazily)."""
    boxes = []
    for one in locator.all():
        one.scroll_into_view_if_needed()
        box = one.bounding_box()
        assert box is not None, f"{one} is not drawn"
        boxes.append({"text": one.inner_text().strip()[:40], "w": round(box["width"], 1), "h": round(box["height"], 1)})
    return boxes


def assert_big_enough(what: str, boxes: list[dict]) -> None:
    assert boxes, f"no {what} on the screen"
    small = [b for b in boxes if b["w"] < MIN or b["h"] < MIN]
    assert not small, f"{what} smaller than {MIN}×{MIN}: {small}"
    print(f"{what}: {len(boxes)} measured, smallest {min(b['w'] for b in boxes)}×{min(b['h'] for b in boxes)}")


def test_every_crisis_card_and_menu_control_is_at_least_44_px(server, phone, artifacts):
    signed_in_at(phone, server.url, "alex")
    bar = phone.locator(".st-key-crisis_bar")

    crisis = bar.get_by_role("button", name="Crisis help — call or text now")
    assert_big_enough("crisis button", sizes(crisis))
    crisis.click()
    body = phone.get_by_test_id("stPopoverBody")
    body.locator("a[href^='tel:']").first.wait_for()
    links = body.locator("a[href^='tel:'], a[href^='sms:']")
    assert links.count() >= 3 and body.locator("a[href^='sms:']").count() >= 1
    assert_big_enough("crisis tel:/sms: links", sizes(links))
    phone.screenshot(path=artifacts / "tap-targets-crisis-open.png")
    phone.keyboard.press("Escape")
    body.wait_for(state="detached")

    assert_big_enough("'My safety plan' link", sizes(bar.get_by_role("link", name="My safety plan")))
    menu = bar.get_by_role("button", name="Menu")
    assert_big_enough("menu button", sizes(menu))
    assert phone.get_by_test_id("stExpandSidebarButton").is_hidden()  # no bare "»" beside it

    mood = phone.locator("[class*='st-key-mood_'] [data-testid='stButtonGroup'] button")
    assert mood.count() == 11  # 0..10
    assert_big_enough("mood 0–10 rating buttons", sizes(mood))
    scales = phone.locator("[class*='st-key-sadness_'] button, [class*='st-key-urge_'] button")
    assert scales.count() >= 12
    assert_big_enough("emotion and urge 0–5 buttons", sizes(scales))
    acted = phone.locator("[class*='st-key-acted_'] label")
    assert_big_enough("'Acted on it' toggles", sizes(acted))
    acted.first.scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "tap-targets-card.png")

    save = phone.get_by_role("button", name="Save my card")
    assert_big_enough("save button", sizes(save))


def test_the_menu_is_labelled_and_one_tap_opens_a_page(server, phone, artifacts):
    """Tap "Menu", tap a page: the page opens and the menu has gone (no third tap to close it)."""
    signed_in_at(phone, server.url, "alex")
    phone.get_by_role("button", name="Menu").click()
    body = phone.get_by_test_id("stPopoverBody")
    pages = body.get_by_role("link")
    pages.first.wait_for()
    assert [p.inner_text().split("\n")[-1].strip() for p in pages.all()][:3] == ["Today", "My cards", "Check-ups"]
    assert_big_enough("menu's page links", sizes(pages))
    phone.screenshot(path=artifacts / "tap-targets-menu-open.png")
    body.get_by_role("link", name="My cards").click()
    settle(phone)
    phone.get_by_role("heading", name="My cards").wait_for()
    assert phone.get_by_test_id("stPopoverBody").count() == 0, "the menu stayed open over the new page"
    phone.get_by_role("button", name="Menu").click()
    phone.get_by_test_id("stPopoverBody").get_by_role("link", name="My progress").click()
    settle(phone)
    phone.get_by_role("heading", name="My progress").wait_for()
    assert phone.get_by_test_id("stPopoverBody").count() == 0
    phone.screenshot(path=artifacts / "tap-targets-after-menu.png")
    # Tapping the page you are already on closes the menu too (it used to stay open over the page).
    phone.get_by_role("button", name="Menu").click()
    phone.get_by_test_id("stPopoverBody").get_by_role("link", name="My progress").click()
    settle(phone)
    phone.get_by_test_id("stPopoverBody").wait_for(state="detached")
    phone.get_by_role("heading", name="My progress").wait_for()
