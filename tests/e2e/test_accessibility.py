"""axe-core (WCAG 2.0–2.2 A and AA rules) on every screen of every role in the real browser: at
390×844 for everyone, and at 1280×800 for the therapist's and the admin's screens, in the states
that matter (an empty card, a card refused with its messages, the crisis response open, the crisis
lines and the menu open, charts drawn). No serious or critical violation is allowed except the few
in ACCEPTED, each listed in the README with its reason and the upstream issue.

Run time is kept bounded: one server for the module, one logged-in page per role and size, and
screens reached through the app's own menu rather than a fresh login each."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from core.models import Role
from tests.e2e.conftest import DESK, PHONE, go_to, open_app, settle, signed_in_at
from ui.nav import PAGES

pytestmark = pytest.mark.e2e
AXE = Axe()
OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
BLOCKING = {"serious", "critical"}
CHARTS = {"My progress", "Review", "Family home"}  # screens that draw charts
# (axe rule, CSS selector axe names for the element): Streamlit-internal markup we cannot change.
# Each is in README.md ("Accessibility") with the reason and the upstream issue.
ACCEPTED: set[tuple[str, str]] = set()


def blocking(page, where: str) -> list[str]:
    """The serious and critical axe violations on the page now, minus the accepted ones."""
    found = []
    # Streamlit dims the last run's elements while a new run is drawn ("stale"): contrast is
    # judged on the page at rest, so wait until nothing is dimmed.
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')")
    for violation in axe_run(page)["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        nodes = [
            " ".join(node["target"])
            for node in violation["nodes"]
            if not any((violation["id"], target) in ACCEPTED for target in node["target"])
        ]
        if nodes:
            found.append(
                f"{where}: {violation['id']} ({violation['impact']}) {violation['help']}: {nodes[:6]}"
                f"\n    {violation['nodes'][0]['html'][:200]}"
            )
    return found


def axe_run(page) -> dict:
    """axe's results for the page now. axe-core (~550 kB of script) is put into the page once per
    document, not before every check as `Axe.run` does: the app's screens are one document (the menu
    changes page without loading another), so a walk of ten screens compiled and ran it ten times
    over, about 0.08 CPU-s each in the browser."""
    if not page.evaluate("() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        page.evaluate(AXE.axe_script)
    return page.evaluate("(options) => axe.run(document, options)", OPTIONS)


def screen_titles(role: Role) -> list[str]:
    return [title for _, title, _ in PAGES[role]]


def walk(page, role: Role, where: str, *, phone: bool, artifacts, states=None) -> list[str]:
    """Every screen of the role through its menu (the phone's Menu, the desktop's top bar), starting
    on the first, the role's home, where the login left the page."""
    problems = []
    for index, title in enumerate(screen_titles(role)):
        if index == 0:
            pass
        elif phone:
            try:
                go_to(page, title)
            except Exception:
                page.screenshot(path=artifacts / f"FAILED-axe-{where}-{title}.png".replace(" ", "-"))
                raise
        else:
            page.get_by_test_id("stTopNavLink").filter(has_text=title).first.click()
            settle(page)
        page.locator("h1").first.wait_for()
        if title in CHARTS:  # charts drawn, and their tables of numbers opened
            page.locator(".js-plotly-plot .main-svg").first.wait_for()
            page.get_by_text("The numbers behind").first.click()  # the table is drawn once opened (a rerun)
            settle(page)
            page.get_by_test_id("stTable").first.wait_for()
            page.get_by_test_id("stTable").first.scroll_into_view_if_needed()
            page.screenshot(path=artifacts / f"axe-{where}-{title}-table.png".replace(" ", "-"))
        problems += blocking(page, f"{where} {title}")
        for state in (states or {}).get(title, []):
            problems += state(page, f"{where} {title}")
    return problems


def report(problems: list[str]) -> None:
    assert not problems, "axe found serious/critical violations:\n" + "\n".join(problems)


@pytest.fixture
def pages(devices):
    """new(size): a page of the module's phone or desktop browser, wiped after the test, pass or
    fail (conftest.Devices: the same browser context per size, its HTTP cache kept)."""
    made = []

    def new(size: dict):
        made.append(devices.page(size))
        return made[-1]

    yield new
    for page in made:
        devices.wipe(page)


def log_in_as(pages, size: dict, server_url: str, username: str):
    page = pages(size)
    signed_in_at(page, server_url, username)
    return page


def crisis_open(page, where: str) -> list[str]:
    page.locator(".st-key-crisis_bar").get_by_role("button", name="Crisis help — call or text now").click()
    page.get_by_test_id("stPopoverBody").locator("a[href^='tel:']").first.wait_for()
    found = blocking(page, f"{where} (crisis lines open)")
    page.keyboard.press("Escape")
    page.get_by_test_id("stPopoverBody").wait_for(state="detached")
    return found


def menu_open(page, where: str) -> list[str]:
    page.locator("[class*='st-key-nav_menu_']").get_by_role("button", name="Menu").click()
    page.get_by_test_id("stPopoverBody").get_by_role("link").first.wait_for()
    found = blocking(page, f"{where} (menu open)")
    page.keyboard.press("Escape")
    page.get_by_test_id("stPopoverBody").wait_for(state="detached")
    return found


def test_login_screen(server, pages, artifacts):
    page = pages(PHONE)
    open_app(page, server.url)
    problems = blocking(page, "login 390")
    page.get_by_label("Username", exact=True).fill("nobody")
    page.get_by_label("Password", exact=True).fill("wrong")
    page.get_by_role("button", name="Log in", exact=True).click()
    settle(page)
    problems += blocking(page, "login 390 (refused)")
    page.screenshot(path=artifacts / "axe-login-refused.png")
    report(problems)


def test_participant_screens_on_a_phone(server, pages, artifacts):
    """casey has no card today: the card is empty; Save shows the messages beside the fields."""
    page = log_in_as(pages, PHONE, server.url, "casey")

    def refused_card(page, where):
        page.get_by_role("button", name="Save my card").click()
        settle(page)
        page.get_by_text("Choose your mood").first.wait_for()
        page.screenshot(path=artifacts / "axe-card-refused.png")
        return blocking(page, f"{where} (card refused)")

    problems = blocking(page, "participant 390 Today (empty card)")
    problems += crisis_open(page, "participant 390 Today") + menu_open(page, "participant 390 Today")
    problems += refused_card(page, "participant 390 Today")
    problems += walk(page, Role.PARTICIPANT, "participant 390", phone=True, artifacts=artifacts)
    report(problems)


def test_the_crisis_response_after_a_high_risk_card(server, pages, artifacts):
    page = log_in_as(pages, PHONE, server.url, "frankie")
    classes = page.locator("[class*='st-key-mood_']").first.get_attribute("class")
    day = next(c for c in classes.split() if c.startswith("st-key-mood_")).removeprefix("st-key-mood_")
    page.locator(f".st-key-mood_{day} button").get_by_text("2", exact=True).click()
    page.locator(f".st-key-urge_suicidal_thoughts_{day} button").get_by_text("5", exact=True).click()
    page.get_by_role("button", name="Save my card").click()
    settle(page)
    page.locator(".st-key-risk_dialog a[href^='tel:']").first.wait_for()
    problems = blocking(page, "participant 390 risk dialog open")
    page.screenshot(path=artifacts / "axe-risk-dialog.png")
    page.locator(".st-key-risk_dialog").get_by_role("button", name="Close").click()
    settle(page)
    page.locator(".st-key-risk_panel").wait_for()
    problems += blocking(page, "participant 390 risk panel kept")
    report(problems)


@pytest.mark.parametrize("size", ["phone", "desk"])
def test_therapist_screens(server, pages, artifacts, size):
    page = log_in_as(pages, PHONE if size == "phone" else DESK, server.url, "dr.rivera")
    problems = walk(page, Role.THERAPIST, f"therapist {size}", phone=size == "phone", artifacts=artifacts)
    page.screenshot(path=artifacts / f"axe-therapist-{size}-last.png")
    report(problems)


def test_family_screens_on_a_phone(server, pages, artifacts):
    page = log_in_as(pages, PHONE, server.url, "pat.morgan")
    problems = walk(page, Role.FAMILY, "family 390", phone=True, artifacts=artifacts)
    report(problems)


@pytest.mark.parametrize("size", ["phone", "desk"])
def test_admin_screens(server, pages, artifacts, size):
    page = log_in_as(pages, PHONE if size == "phone" else DESK, server.url, "admin")
    problems = walk(page, Role.ADMIN, f"admin {size}", phone=size == "phone", artifacts=artifacts)
    report(problems)
