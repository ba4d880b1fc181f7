"""On a phone, with taps only: fill in today's card, save it, see the confirmation; a risky card
shows the crisis lines at once; the week grid fits the screen."""

from datetime import date

import pytest

from tests.e2e.conftest import fits, log_in, login_cookie, open_app, settle

pytestmark = pytest.mark.e2e


def tap(page, key: str, option: str) -> None:
    """Tap one option of a keyed pill / segmented control (Streamlit puts the key in a class)."""
    page.locator(f".st-key-{key} button").get_by_text(option, exact=True).click()


def today_of(page) -> str:
    classes = page.locator("[class*='st-key-mood_']").first.get_attribute("class")
    return next(c for c in classes.split() if c.startswith("st-key-mood_")).removeprefix("st-key-mood_")


def save(page) -> None:
    page.get_by_role("button", name="Save my card").click()
    settle(page)


def test_fill_a_card_with_taps_and_see_it_in_the_week(server, phone, artifacts):
    open_app(phone, server.url)
    log_in(phone, "jordan")
    day = today_of(phone)
    tap(phone, f"mood_{day}", "7")
    tap(phone, f"sadness_{day}", "2")
    tap(phone, f"joy_{day}", "4")
    tap(phone, f"urge_substance_use_{day}", "1")
    tap(phone, f"medication_{day}", "Yes")
    phone.screenshot(path=artifacts / "diary-card-filled.png")
    save(phone)
    phone.get_by_text("Saved. Thank you for checking in.").wait_for()
    phone.get_by_text("will see this card").scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "diary-card-saved.png")
    assert fits(phone)

    assert login_cookie(phone)  # opening a URL starts a new session: it needs the login cookie
    phone.goto(f"{server.url}/my_cards")
    settle(phone)
    grid = phone.locator("table.iop-grid")
    grid.wait_for()
    # The week ends today (the last column); the demo leaves today empty, so only this save filled it.
    assert grid.locator("thead th").last.inner_text().split() == [
        f"{date.fromisoformat(day):%a}",
        str(date.fromisoformat(day).day),
    ]
    today_column = {
        row: grid.locator("tr", has_text=row).first.locator("td").last.inner_text()
        for row in ("Mood", "Sadness", "Joy")
    }
    assert today_column == {"Mood": "7", "Sadness": "2", "Joy": "4"}
    assert fits(phone)
    phone.screenshot(path=artifacts / "diary-history-week.png", full_page=True)


def test_a_risky_card_shows_crisis_lines_and_the_safety_steps(server, phone, artifacts):
    open_app(phone, server.url)
    log_in(phone, "lee")
    day = today_of(phone)
    tap(phone, f"mood_{day}", "2")
    tap(phone, f"urge_suicidal_thoughts_{day}", "4")
    save(phone)
    panel = phone.locator(".st-key-risk_panel")
    panel.get_by_text("You don't have to get through this alone").wait_for()
    assert "not watched in real time" in panel.inner_text()
    hrefs = [a.get_attribute("href") for a in panel.locator("a").all()]
    assert "tel:988" in hrefs and "tel:911" in hrefs
    panel.scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "diary-risk-panel.png")
