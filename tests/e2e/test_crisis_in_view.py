"""The crisis response must be seen, not scrolled to: on a 390×844 phone, the moment a high-risk
diary card or a PHQ-9 with item 9 above "Not at all" is saved — even one refused for a blank
answer — the first crisis line to call is inside the screen."""

import pytest

from tests.e2e.conftest import PHONE, settle, signed_in_at

pytestmark = pytest.mark.e2e
WIDTH, HEIGHT = PHONE["viewport"]["width"], PHONE["viewport"]["height"]


def tap(page, key: str, option: str) -> None:
    page.locator(f".st-key-{key} button").get_by_text(option, exact=True).click()


def first_call_link_in_view(page) -> dict:
    """The first tel: link of the crisis response, and that it lies inside the phone's screen."""
    dialog = page.locator(".st-key-risk_dialog")
    dialog.wait_for()
    link = dialog.locator("a[href^='tel:']").first
    link.wait_for()
    box = link.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    return {"href": link.get_attribute("href"), **box}


def test_a_high_risk_card_puts_the_crisis_lines_in_view(server, phone, artifacts):
    signed_in_at(phone, server.url, "frankie")
    classes = phone.locator("[class*='st-key-mood_']").first.get_attribute("class")
    day = next(c for c in classes.split() if c.startswith("st-key-mood_")).removeprefix("st-key-mood_")
    tap(phone, f"mood_{day}", "2")
    tap(phone, f"urge_suicidal_thoughts_{day}", "5")
    phone.get_by_role("button", name="Save my card").click()
    settle(phone)
    found = first_call_link_in_view(phone)
    assert found["href"].startswith("tel:") and "%" not in found["href"]
    dialog = phone.locator(".st-key-risk_dialog").inner_text()
    assert "not watched in real time" in dialog and "Thank you for checking in" not in dialog
    assert "tonight" not in phone.locator("body").inner_text()
    assert phone.get_by_text("Thank you for checking in").count() == 0
    phone.screenshot(path=artifacts / "crisis-in-view-after-card.png")


def test_a_phq9_with_item9_and_a_blank_item_puts_the_crisis_lines_in_view(server, phone, artifacts):
    signed_in_at(phone, server.url, "indigo")
    phone.get_by_role("link", name="Take it now").click()
    settle(phone)
    phone.get_by_text("Mood check-up (PHQ-9)").wait_for()
    answers = [
        "Several days",
        None,
        "Several days",
        "More than half the days",
        "Not at all",
        "Several days",
        "Not at all",
        "Not at all",
        "More than half the days",
    ]  # item 2 left blank, item 9 positive
    for index, choice in enumerate(answers):
        if choice is not None:
            phone.locator(f".st-key-phq9_item_{index}").get_by_text(choice, exact=True).click()
    phone.get_by_role("button", name="Submit check-up").click()
    settle(phone)
    found = first_call_link_in_view(phone)
    assert found["href"].startswith("tel:")
    phone.screenshot(path=artifacts / "crisis-in-view-after-phq9-item9-blank-item.png")
    # Closing the dialog leaves the answers, the marked blank item, and the panel at the top.
    phone.locator(".st-key-risk_dialog").get_by_role("button", name="Close").click()
    settle(phone)
    assert phone.locator(".st-key-risk_panel").count() == 1
    assert phone.get_by_text("Please answer this one too").count() == 1
    assert phone.locator(".st-key-phq9_item_0 input:checked").count() == 1
    phone.screenshot(path=artifacts / "crisis-panel-kept-after-closing.png", full_page=True)
