"""In Chromium: Markdown and HTML typed into names, relationships, contacts, thought records,
homework and alert notes, a consent's purpose and the program's own settings are shown as text —
no image or link from them reaches the page, and the browser never asks evil.example for anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from core import db
from core.models import AppUser
from tests.e2e.conftest import DESK, settle, signed_in_at
from tests.hostile_text import IMG, plant

pytestmark = pytest.mark.e2e
WORD_JOINER = "\u2060"
OPEN_ME = "[data-testid='stExpander'] details:not([open]) > summary"
SHOWN = "[data-testid='stMarkdownContainer']:visible"
# (Streamlit's own heading anchors link to "#<slug of the heading>" on the same page: not a payload.)
FROM_PAYLOAD = "img[src*='evil'], a[href*='evil']:not([href^='#']), source[srcset*='evil']"


@pytest.fixture(scope="module")
def hostile_server(own_server):  # its own: the program's name is planted beneath the server's settings cache
    server = own_server
    engine = db.make_engine(f"sqlite:///{Path(server.env['IOP_DATA_DIR']) / 'iop.db'}")
    with Session(engine, expire_on_commit=False) as session:
        plant(session)
        alex_id = session.exec(select(AppUser.id).where(AppUser.username == "alex")).one()
    engine.dispose()
    server.alex_id = alex_id
    return server


def watch(page) -> list[str]:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "evil" in request.url else None)
    return asked


def open_all(page) -> None:
    """Unfold every folded section, so what is inside is drawn too."""
    folded = page.locator(OPEN_ME).filter(visible=True)  # (one inside a closed popover waits for it)
    for _ in range(folded.count()):
        folded.first.click()


def shown_as_text(page) -> str:
    return page.inner_text("[data-testid='stApp']").replace(WORD_JOINER, "")


SCREENS = [
    ("alex", "", "participant-today"),
    ("alex", "sharing", "participant-sharing"),
    ("alex", "safety_plan", "participant-safety-plan"),
    ("alex", "practice", "participant-practice"),
    ("pat.morgan", "", "family-home"),
]


@pytest.mark.parametrize("username, path, shot", SCREENS)
def test_typed_markdown_stays_text_on_a_phone(hostile_server, phone, artifacts, username, path, shot):
    asked = watch(phone)
    signed_in_at(phone, hostile_server.url, username, path)
    open_all(phone)
    settle(phone)
    leaks = phone.eval_on_selector_all(
        FROM_PAYLOAD,
        "els => els.map(e => (e.closest('[data-testid]') || e)"
        ".getAttribute('data-testid') + ' ' + e.outerHTML.slice(0, 120))",
    )
    assert leaks == []
    assert IMG in shown_as_text(phone)  # the payload is there, as the characters typed
    assert asked == []
    phone.locator(SHOWN).filter(has_text="evil.example").first.scroll_into_view_if_needed()  # the payload
    phone.screenshot(path=artifacts / f"hostile-{shot}.png")


def test_typed_markdown_stays_text_on_the_therapists_review(hostile_server, browser, artifacts):
    context = browser.new_context(**DESK)
    context.set_default_timeout(20_000)
    desk = context.new_page()
    try:
        asked = watch(desk)
        signed_in_at(desk, hostile_server.url, "dr.rivera", f"review?p={hostile_server.alex_id}")
        desk.get_by_text("Thought records, last 8 weeks").wait_for()
        open_all(desk)
        settle(desk)
        assert desk.locator(FROM_PAYLOAD).count() == 0
        assert desk.locator("img, a:not([href^='#'])").filter(has_text="evil").count() == 0
        text = shown_as_text(desk)
        assert IMG in text and "[a](http://evil.example/l)" in text and "<img src=http://evil.example/h.gif>" in text
        assert ":material/skull:" in text and ":red[EVILRED]" in text and "$EVILMATH$" in text
        assert asked == []
        desk.locator(SHOWN).filter(has_text="Automatic thought").first.scroll_into_view_if_needed()
        desk.screenshot(path=artifacts / "hostile-therapist-review.png")
    finally:
        context.close()
