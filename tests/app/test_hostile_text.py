"""Markdown and HTML typed into every field, rendered through every screen that shows it: the
Markdown each element is given must carry the text escaped (no image, link, HTML, bare address,
icon, colour or maths survives). The real-browser check of the same is tests/e2e/test_hostile_text.py."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.models import AppUser
from tests.app.conftest import log_in, open_tables
from tests.hostile_text import DANGEROUS, MARKER, plant

# Streamlit renders these as Markdown: bodies, labels, and the options of radios and pills/segments.
BODIES = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "toast")
LABELLED = (
    "button",
    "text_input",
    "text_area",
    "number_input",
    "selectbox",
    "multiselect",
    "radio",
    "checkbox",
    "toggle",
    "date_input",
    "slider",
    "select_slider",
    "button_group",
    "download_button",
    "metric",
)


def markdown_sources(at) -> list[str]:
    sources = [str(e.value) for kind in BODIES for e in at.get(kind)]
    for kind in LABELLED:
        for widget in at.get(kind):
            sources += [str(getattr(widget, "label", "")), str(getattr(widget.proto, "help", ""))]
    for kind in ("radio", "button_group", "select_slider"):
        sources += [str(o) for w in at.get(kind) for o in w.options]
    sources += [e.label for e in at.expander] + [t.label for t in at.tabs]
    for table in at.get("table"):
        frame = table.value
        sources += [str(v) for v in frame.to_numpy().ravel()] + [str(c) for c in frame.columns]
    return sources


@pytest.fixture
def hostile(app, session):
    plant(session)
    return app


SCREENS = [
    ("alex", "pages/today.py"),
    ("alex", "pages/sharing.py"),
    ("alex", "pages/safety_plan.py"),
    ("alex", "pages/practice.py"),
    ("alex", "pages/skills.py"),
    ("alex", "pages/account.py"),
    ("dr.rivera", "pages/review.py"),
    ("dr.rivera", "pages/alerts.py"),
    ("dr.rivera", "pages/safety_plans.py"),
    ("dr.rivera", "pages/attendance.py"),
    ("dr.rivera", "pages/caseload.py"),
    ("pat.morgan", "pages/family.py"),
    ("admin", "pages/admin_assign.py"),
    ("admin", "pages/admin_audit.py"),
    ("admin", "pages/admin_program.py"),
    ("admin", "pages/admin_accounts.py"),
]


def render(at, session, username, page) -> list[str]:
    """Log in, open the screen; return the Markdown sources that carry a payload, all escaped."""
    at = log_in(at, username)
    if page == "pages/review.py":
        at.query_params["p"] = str(session.exec(select(AppUser.id).where(AppUser.username == "alex")).one())
    at.switch_page(page).run()
    assert not at.exception, at.exception
    open_tables(at)  # the charts' tables of numbers (target labels, names in titles), drawn once opened
    assert not at.exception, at.exception
    carrying = [s for s in markdown_sources(at) if MARKER in s]
    unescaped = [s for s in carrying if DANGEROUS.search(s)]
    assert unescaped == [], unescaped[:3]
    return carrying


@pytest.mark.parametrize("username, page", SCREENS)
def test_typed_markdown_is_shown_as_text_on_every_screen(hostile, session, username, page):
    render(hostile, session, username, page)


# Screens where the payload must actually be on screen (so the check above is not vacuous).
MUST_SHOW = {
    ("alex", "pages/today.py"): 3,  # greeting, program name, the target's label
    ("alex", "pages/sharing.py"): 3,  # family member, relationship, pending invitation
    ("alex", "pages/safety_plan.py"): 1,  # a contact's name
    ("alex", "pages/practice.py"): 1,  # the thought record
    ("dr.rivera", "pages/review.py"): 5,  # thought record, homework note, alert note, family, names
    ("dr.rivera", "pages/alerts.py"): 1,
    ("dr.rivera", "pages/safety_plans.py"): 1,
    ("pat.morgan", "pages/family.py"): 4,  # name, relationship, purpose, program, safety-plan contact
    ("admin", "pages/admin_assign.py"): 2,
}


@pytest.mark.parametrize("username, page", sorted(MUST_SHOW))
def test_the_payload_is_really_rendered_there(hostile, session, username, page):
    carrying = render(hostile, session, username, page)
    assert len(carrying) >= MUST_SHOW[(username, page)], carrying
