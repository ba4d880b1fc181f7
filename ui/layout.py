"""Page set-up, the chrome around every logged-in screen, and the calm error boundary."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from core import db
from core.access import Actor
from core.checkups import questionnaires
from core.content import family_sections
from core.errors import AccessDenied
from core.i18n import LANGUAGES
from core.models import Role
from core.screening import all_phrases
from core.skills import catalogue
from ui import crisis, nav
from ui.i18n import N_, _
from ui.text import md

log = logging.getLogger("iop")

DB_DOWN = N_(
    "We can't reach our records right now. Nothing you see here was lost — please try "
    "again in a minute. If you need help now, the crisis lines are above."
)
UNEXPECTED = N_(
    "Something went wrong on our side and has been logged. Please try again; if it keeps happening, tell your program."
)


# Served from this machine, never from a font host: the app must work on a clinic network that
# reaches nothing outside (a Material-icon favicon is fetched from fonts.gstatic.com).
FAVICON = Path(__file__).resolve().parents[1] / "static" / "favicon.png"

# Phone first: less empty space above the content, and the login-cookie requests (ui/auth.py)
# take no room in the layout. "Press Ctrl+Enter to submit form" under a text box means nothing on
# a phone (and is noise on a desktop): every form here has its own Save button.
# Tap targets (tests/e2e/test_tap_targets.py measures them): every control a person taps is at least
# 44×44 CSS px (WCAG 2.5.5), for a shaking hand on a phone: crisis call/text links, page links,
# buttons, the 0–10 and 0–5 rating buttons, and the whole label row of a toggle or checkbox.
# Under 768 px (Streamlit's own phone breakpoint, where its top navigation folds into a sidebar
# behind a bare "»" button) the pages are behind our labelled "Menu" button instead (ui/nav.py),
# and the sidebar is not drawn at all: folded away, its links were still the first eleven stops
# of the keyboard's Tab, invisible, before the crisis button.
# The caseload's cards (pages/caseload.py) wrap in one row: three to a line on a desktop, one on a
# phone, in the same needs-first order.
# Headings carry no "#" link: it is a hover affordance for documentation sites, here an extra stop for
# the keyboard's Tab on every heading, and on a phone a title that fills the line ("Participant review")
# wrapped its invisible link onto a blank second line of its own, 70 px of an 844 px screen.
# Expanders open and close at once. Streamlit's own script animates an expander's height (half a
# second, its content clipped meanwhile; again whenever the content changes size while it is open) by
# writing the <details>' inline height as the animation starts and clearing it in the animation's
# "finish" event, which Chromium dispatches with the next frame: in between, the height the animation
# started from is back (as low as the bare header), and whatever lies below the expander moves up under
# the finger for a frame, longer on a busy phone. A tap on the expander's last button in that moment
# met the accounts table instead ("Create account" lost: tests/e2e/test_settle.py). An !important
# height outranks both the animation and the inline height, so an expander is always as tall as what it
# shows; while it closes (its content `inert` from the tap on) the content is hidden at once, as it
# would otherwise stay for the half second before Streamlit closes the <details>.
# Captions: Streamlit draws them in the text colour at 60% opacity, 2.8:1 on our background
# (axe color-contrast asks 4.5:1); #4b5558 at full opacity on #fbfaf7 is about 7:1.
_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; padding-bottom: 3rem; }
.st-key-auth_components { display: none; }
[data-testid="InputInstructions"] { display: none; }
a[href^="tel:"], a[href^="sms:"] { display: inline-flex; align-items: center; gap: 0.25rem;
  min-height: 44px; min-width: 44px; padding: 0 0.5rem; }
[data-testid="stPageLink-NavLink"] { min-height: 44px; align-items: center; }
[data-testid="stButtonGroup"] button { min-height: 44px; min-width: 44px; }
[data-testid="stCheckbox"] label { min-height: 44px; align-items: center; }
[data-testid="stBaseButton-secondary"], [data-testid="stBaseButton-primary"],
[data-testid="stBaseButton-secondaryFormSubmit"], [data-testid="stBaseButton-primaryFormSubmit"],
[data-testid="stPopoverButton"], [data-testid="stExpanderToggleIcon"] { min-height: 44px; }
[data-testid="stExpander"] summary { min-height: 44px; }
[data-testid="stExpander"] > details { height: auto !important; overflow: visible !important; }
[data-testid="stExpanderDetails"][inert] { display: none; }
[data-testid="stCaptionContainer"] { opacity: 1; color: #4b5558; }
[data-testid="stHeaderActionElements"] { display: none; }
[data-testid="stTimeInput"] [role="spinbutton"], [data-testid="stDateInput"] [role="spinbutton"] {
  display: inline-block; min-width: 24px; min-height: 24px;
  text-align: center; }
.st-key-caseload_rows > [data-testid="stElementContainer"] { flex: 1 1 18rem; }
@media (min-width: 768px) { .st-key-caseload_rows > [data-testid="stElementContainer"] {
  flex-basis: 20rem; max-width: calc((100% - 2rem) / 3); } }
.st-key-caseload_rows [data-testid="stPageLink-NavLink"] { border: 1px solid rgba(49, 51, 63, 0.2);
  border-radius: 0.5rem; padding: 0.75rem 1rem; align-items: flex-start; height: 100%; }
.st-key-caseload_rows [data-testid="stPageLink-NavLink"] * { white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; }
@media (max-width: 767.98px) { [data-testid="stExpandSidebarButton"], [data-testid="stSidebar"] { display: none; } }
@media (min-width: 768px) { [class*="st-key-nav_menu_"] { display: none; } }
</style>"""


@functools.cache
def check_content() -> None:
    """Read and check every content file, once per process (app.py calls this on every run; a
    broken file raises CatalogueError naming it, and is read again until it is fixed)."""
    for language in LANGUAGES:  # English, and each translation that exists (checked against it)
        catalogue(language)
        questionnaires(language)
        family_sections(language)
    all_phrases()


def is_database_error(exc: BaseException) -> bool:
    return isinstance(exc, SQLAlchemyError)


def configure_page(title: str = "IOP Companion") -> None:
    st.set_page_config(page_title=title, page_icon=FAVICON, layout="centered", initial_sidebar_state="collapsed")
    st.html(_CSS)


def wide() -> None:
    """Therapists' tables and charts use the whole width of a desktop screen (a phone is the same)."""
    st.set_page_config(layout="wide")


def chrome(actor: Actor, here: str | None = None) -> None:
    """What every logged-in screen has: crisis help at the top, the first control a keyboard reaches
    (and, for a participant, their safety plan one tap away beside it), on a phone the "Menu" of
    the role's pages, and who you are in the sidebar. `here` names the page being drawn."""
    with st.container(horizontal=True, key="crisis_bar"):
        crisis.crisis_button(actor.program_id)
        nav.menu(actor, here)
        if actor.role is Role.PARTICIPANT and nav.offered(actor, "pages/safety_plan.py", nav.remaining(actor)):
            st.page_link(
                nav.page_of(actor, "pages/safety_plan.py"),
                label=_("My safety plan"),
                icon=":material/health_and_safety:",
            )
    with st.sidebar:
        st.caption(_("Logged in as **{name}** · {role}").format(name=md(actor.name), role=_(actor.role.label)))


def run_safely(action: Callable[[], None]) -> None:
    """Run a page; turn failures into calm messages (logged with the traceback, never shown)."""
    try:
        action()
    except AccessDenied as exc:
        st.warning(_(str(exc)))  # (core's refusal, in the reader's language)
    except SQLAlchemyError:
        log.exception("database error")
        db.fail()  # this run's unfinished writes are undone; what it showed is still audited
        st.error(_(DB_DOWN))
    except Exception:  # the last line of defence before a traceback reaches a person
        log.exception("unexpected error")
        db.fail()
        st.error(_(UNEXPECTED))
