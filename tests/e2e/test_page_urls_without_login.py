"""The pages/ hole: a fresh server runs pages/x.py for a first request to /x before any session
has called st.navigation. Every page must then show the login and nothing else."""

import pytest

from tests.e2e.conftest import FreshServers, open_app
from ui.nav import PAGES

pytestmark = pytest.mark.e2e

URLS = sorted({path.removeprefix("pages/").removesuffix(".py") for pages in PAGES.values()
               for path, _, _ in pages})
PAGE_CONTENT = ["Caseload", "Good ", "They share", "Change password", "Create an account",
                "Audit log", "Local crisis lines", "Assign", "Overall mood", "My cards", "Check-ups", "safety plan", "Safety plans", "Search by name", "open alerts", "Acknowledge", "My progress", "Participant review", "Family sharing", "For families",
                "Find a skill", "Paced breathing", "Log a practice", "Practice log", "Save attendance"]


def test_every_page_url_on_a_fresh_server_shows_only_the_login(browser, tmp_path, artifacts):
    with FreshServers(tmp_path, URLS) as servers:   # fresh each time: the hole is the first request
        for name, server in servers:
            context = browser.new_context(viewport={"width": 390, "height": 844})
            try:
                page = context.new_page()
                open_app(page, f"{server.url}/{name}")
                page.get_by_role("button", name="Log in").wait_for()
                main = page.inner_text("[data-testid='stMain']")
                leaked = [text for text in PAGE_CONTENT if text in main]
                assert not leaked, (name, leaked)
                page.screenshot(path=artifacts / f"fresh-server-{name}.png")
            finally:
                context.close()
