"""The pages/ hole: a fresh server runs pages/x.py for a first request to /x before any session
has called st.navigation. Every page must then show the login and nothing else."""

import pytest

from tests.e2e.conftest import Server, open_app
from ui.nav import PAGES

pytestmark = pytest.mark.e2e

URLS = sorted({path.removeprefix("pages/").removesuffix(".py") for pages in PAGES.values() for path, _, _ in pages})
PAGE_CONTENT = [
    "Caseload",
    "Good ",
    "They share",
    "Change password",
    "Create an account",
    "Audit log",
    "Local crisis lines",
    "Assign",
    "Overall mood",
    "My cards",
    "Check-ups",
    "safety plan",
    "Safety plans",
    "Search by name",
    "open alerts",
    "Acknowledge",
    "My progress",
    "Participant review",
    "Family sharing",
    "For families",
    "Find a skill",
    "Paced breathing",
    "Log a practice",
    "Practice log",
    "Save attendance",
    "Your private calendar",
    "Where mail goes",
]


def test_every_page_url_on_a_fresh_server_shows_only_the_login(browser, tmp_path, artifacts):
    """One fresh server, never sent to "/": until some session runs app.py (and so st.navigation),
    Streamlit's legacy loader runs pages/x.py itself for every request to /x, from anyone. Each
    visit checks it really took that path (the legacy loader's page list is in the sidebar), so a
    server that had left the hole would fail here instead of passing for the wrong reason."""
    server = Server(tmp_path / "fresh")
    context = browser.new_context(viewport={"width": 390, "height": 844})  # no cookie: nobody logged in
    try:
        page = context.new_page()
        for name in URLS:
            open_app(page, f"{server.url}/{name}")  # a new Streamlit session each time
            page.get_by_role("button", name="Log in").wait_for()
            # The legacy loader lists pages/ in the sidebar (while client.showSidebarNavigation is on).
            assert page.locator("[data-testid='stSidebarNav'] a").count() > 0, f"/{name} went through app.py"
            main = page.inner_text("[data-testid='stMain']")
            leaked = [text for text in PAGE_CONTENT if text in main]
            if leaked or name == URLS[0]:  # the login, once (the same screen each time), and any page that leaked
                page.screenshot(path=artifacts / f"fresh-server-{name}.png")
            assert not leaked, (name, leaked)
    finally:
        context.close()
        server.stop()
