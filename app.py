"""IOP Companion: the router. Page config, login, then the pages of the user's role."""

import logging

import streamlit as st

from core.checkups import questionnaires
from core.config import ConfigError, settings
from core.screening import load_phrases
from core.skills import CatalogueError, catalogue
from ui import auth, crisis, layout, nav

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
layout.configure_page()

try:
    settings()
except ConfigError as exc:
    st.error(f"IOP Companion is not configured safely, so it will not start: {exc}")
    st.stop()

try:  # the content files are checked once per process (both loaders cache), naming a broken file
    catalogue()
    questionnaires()
    load_phrases()
except CatalogueError as exc:
    st.error(f"IOP Companion's content has a problem, so it will not start: {exc}")
    crisis.resources_panel(program_id=None, fallback=True)
    st.stop()

actor = None
try:
    actor = auth.current_actor()
except Exception as exc:  # noqa: BLE001 - a calm message and the crisis lines, never a traceback
    logging.getLogger("iop").exception("could not check the login")
    st.error(layout.DB_DOWN if layout.is_database_error(exc) else layout.UNEXPECTED)
    crisis.resources_panel(program_id=None, fallback=True)
    st.stop()

if actor is None:
    page = st.navigation([st.Page(auth.login_screen, title="Log in", icon=":material/login:", url_path="login")],
                         position="hidden")
else:
    page = st.navigation(nav.pages_for(actor.role), position="top")
    layout.chrome(actor)

with auth.routed(actor):
    layout.run_safely(page.run)
