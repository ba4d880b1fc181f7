"""What a new user hit on a phone (#16), in Debian's Chromium at 390×844: answers kept when
switching between Today and Yesterday, a pasted note longer than the limit kept (not an empty box)
with how much to cut, no "Press Ctrl+Enter" under the note, and nothing fetched from outside."""

import pytest

from core import clinical
from tests.e2e.conftest import log_in, open_app, settle, signed_in_at

pytestmark = pytest.mark.e2e


def tap(page, key: str, option: str) -> None:
    page.locator(f".st-key-{key} button").get_by_text(option, exact=True).click()
    settle(page)


def chosen(page, key: str) -> list[str]:
    """The options shown as selected in a keyed pills / segmented control."""
    return [b.inner_text().strip() for b in page.locator(f".st-key-{key} button[aria-checked='true']").all()]


def today_of(page) -> str:
    classes = page.locator("[class*='st-key-mood_']").first.get_attribute("class")
    return next(c for c in classes.split() if c.startswith("st-key-mood_")).removeprefix("st-key-mood_")


def test_unsaved_answers_survive_switching_days_on_a_phone(server, phone, artifacts):
    signed_in_at(phone, server.url, "frankie")
    day = today_of(phone)
    tap(phone, f"mood_{day}", "6")
    tap(phone, f"sadness_{day}", "3")
    assert chosen(phone, f"mood_{day}") == ["6"]
    tap(phone, "card_day", "Yesterday")
    phone.get_by_text("Overall mood yesterday").wait_for()  # not "today" on yesterday's card
    phone.screenshot(path=artifacts / "diary-yesterday-390.png")
    tap(phone, "card_day", "Today •")  # marked: answers not saved yet
    phone.locator(f".st-key-mood_{day}").wait_for()  # today's card is drawn again
    assert chosen(phone, f"mood_{day}") == ["6"]
    assert chosen(phone, f"sadness_{day}") == ["3"]
    phone.screenshot(path=artifacts / "diary-draft-kept-390.png")


def test_a_pasted_long_note_is_kept_and_says_how_much_to_cut(server, phone, artifacts):
    signed_in_at(phone, server.url, "harper")
    day = today_of(phone)
    note = phone.locator(f".st-key-note_{day} textarea")
    note.click()
    pasted = "I kept writing. " * 200  # 3,200 characters, one paste
    phone.keyboard.insert_text(pasted)
    assert phone.get_by_text("Press Ctrl+Enter").count() == 0 or not phone.get_by_text("Press Ctrl+Enter").is_visible()
    phone.locator(f".st-key-mood_{day}").click(position={"x": 5, "y": 5})  # leave the box, as a thumb does
    settle(phone)
    assert note.input_value() == pasted  # the old box came back empty
    over = len(pasted) - clinical.NOTE_MAX_CHARS
    phone.get_by_text(f"Please cut {over:,} characters").wait_for()
    phone.get_by_text(f"Please cut {over:,} characters").scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "diary-long-note-390.png")


def test_the_note_shows_no_keyboard_shortcut_on_a_phone(server, phone):
    signed_in_at(phone, server.url, "jordan")
    day = today_of(phone)
    note = phone.locator(f".st-key-note_{day} textarea")
    note.click()
    phone.keyboard.type("a quiet evening")
    assert note.input_value() == "a quiet evening"
    instructions = phone.locator("[data-testid='InputInstructions']")
    assert instructions.count() == 0 or not instructions.first.is_visible()
    assert "Ctrl+Enter" not in phone.locator(f".st-key-note_{day}").inner_text()


def test_nothing_is_fetched_from_outside_this_machine(server, fresh_phone):
    """#16: the favicon came from fonts.gstatic.com; a clinic network may reach nothing outside.
    Every request a participant's phone makes, on the screens with icons, fonts and charts, goes
    to the app's own server. (A phone never used before: nothing it would ask for comes from a cache.)"""
    seen: list[str] = []
    fresh_phone.on("request", lambda request: seen.append(request.url))
    open_app(fresh_phone, server.url)
    log_in(fresh_phone, "alex")
    for path in ("progress", "tools?tool=breathing", "skills", "safety_plan", "checkups"):
        fresh_phone.goto(f"{server.url}/{path}")
        settle(fresh_phone)
    fresh_phone.locator(".js-plotly-plot").count()
    outside = sorted(
        {url.split("?")[0] for url in seen if not url.startswith((server.url, "data:", "blob:", "about:"))}
    )
    assert outside == [], outside
    icon = fresh_phone.evaluate("() => [...document.querySelectorAll(\"link[rel*='icon']\")].map(l => l.href)")
    assert icon and all(href.startswith(server.url) or href.startswith("data:") for href in icon), icon
