"""IOP Companion: the router. Page config, login, then the pages of the user's role.

`streamlit run app.py` finds the module-level `app` below (an `st.App` with the two login-cookie
routes of ui/session_routes.py) and serves it; Streamlit then runs this same file as `__main__`
for every browser session, which calls `main()`.
"""

import logging
import os

import streamlit as st

from core import db
from core.config import ConfigError, settings
from core.skills import CatalogueError
from ui import auth, collector, crisis, feed_routes, i18n, layout, nav, run_order, session_routes, theme_once
from ui.i18n import _

log = logging.getLogger("iop")


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("IOP_LOG_LEVEL", "INFO").upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    log.debug("script run")  # one per run: tests count them (one per page open)
    layout.configure_page()
    i18n.apply()  # the login screen's choice, until the account is known

    try:
        settings()
    except ConfigError as exc:
        st.error(f"IOP Companion is not configured safely, so it will not start: {exc}")
        st.stop()

    try:  # the content files are read and checked once per process, naming a broken file
        layout.check_content()
    except CatalogueError as exc:
        st.error(f"IOP Companion's content has a problem, so it will not start: {exc}")
        crisis.resources_panel(program_id=None, fallback=True)
        st.stop()

    # One unit of work for the whole run: every session_scope() below (the login check, the page,
    # the crisis lines) shares its session; one commit at the end writes the run's audit events.
    with db.unit_of_work():
        actor = None
        try:
            actor = auth.current_actor()
        except Exception as exc:  # a calm message and the crisis lines, never a traceback
            log.exception("could not check the login")
            db.fail()
            st.error(_(layout.DB_DOWN if layout.is_database_error(exc) else layout.UNEXPECTED))
            crisis.resources_panel(program_id=None, fallback=True)
            st.stop()

        i18n.apply()  # the account's language (participants and family), else English
        if actor is None:
            nav.forget()
            page = st.navigation(
                nav.everywhere(
                    auth.login_screen,
                    title=_("Log in"),
                    icon=":material/login:",
                    bookmarks=auth.bookmarks_open(),
                ),
                position="hidden",
            )
        elif auth.must_choose_password():
            page = st.navigation(
                nav.everywhere(
                    auth.choose_password_screen,
                    title=_("Choose your password"),
                    icon=":material/key:",
                ),
                position="hidden",
            )
            crisis.crisis_button(actor.program_id)  # crisis help first, as on every screen
        else:
            pages = nav.pages_for(actor)
            page = st.navigation(pages, position="top")
            if auth.opens_home() and page is not pages[0]:
                st.switch_page(pages[0])
            layout.chrome(actor, here=page.url_path)

        with auth.routed(actor):
            layout.run_safely(page.run)


if __name__ == "__main__":  # Streamlit runs this file as __main__ for each session
    main()
else:  # `streamlit run app.py` imports it to serve `app`
    run_order.install()  # every tap's run reaches the browser (ui/run_order.py)
    collector.tune()  # fewer, cheaper garbage collections in every rerun (ui/collector.py)
    theme_once.install()  # the theme of the message that starts every run, worked out once (ui/theme_once.py)
    app = st.App(os.path.abspath(__file__), routes=session_routes.ROUTES + feed_routes.ROUTES)  # + the calendar feed
