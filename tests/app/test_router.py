"""The AppTest harness runs every page through app.py, as the server does after login; a page that
breaks shows the calm message and the crisis lines, never a traceback."""

import logging

import pytest
from sqlalchemy.exc import OperationalError

from core.models import Role
from tests.app.conftest import RoutedAppTest, log_in, open_page, texts
from ui import layout
from ui.nav import PAGES

ROLES = {"alex": Role.PARTICIPANT, "dr.chen": Role.THERAPIST, "pat.morgan": Role.FAMILY, "admin": Role.ADMIN}


@pytest.mark.parametrize("username", ROLES)
def test_every_page_of_every_role_is_run_by_app_py(app, username):
    log_in(app, username)
    assert app.routed[0] == "login_screen" and app.routed[-1] == PAGES[ROLES[username]][0][0]  # then home
    for path, _title, _ in PAGES[ROLES[username]]:
        open_page(app, path)  # asserts the router ran exactly this file
        assert any(c.value.startswith("Logged in as") for c in app.sidebar.caption), path


@pytest.mark.parametrize(
    "failure, message",
    [
        (RuntimeError("boom: secret detail from deep inside"), layout.UNEXPECTED),
        (OperationalError("SELECT secret FROM diary_card", {}, Exception("connection refused")), layout.DB_DOWN),
    ],
)
def test_a_page_that_raises_shows_the_calm_message_and_the_crisis_lines(app, monkeypatch, caplog, failure, message):
    from core import diary

    log_in(app, "alex")

    def broken(*_args, **_kwargs):
        raise failure

    app.calm_error_expected = True
    with monkeypatch.context() as patch, caplog.at_level(logging.ERROR, logger="iop"):
        patch.setattr(diary, "cards_between", broken)
        open_page(app, "pages/my_cards.py")
    assert [e.value for e in app.error] == [message]
    assert app.title[0].value == "My cards"  # the page got as far as it could
    crisis = app.get("popover")[0]
    assert crisis.proto.popover.label.startswith("Crisis help")
    lines = " ".join(m.value for m in crisis.markdown)
    assert "tel:988" in lines and "tel:911" in lines
    shown = texts(app) + " ".join(str(t.value) for t in app.text) + " ".join(str(c.value) for c in app.code)
    assert "secret" not in shown and "Traceback" not in shown and not app.exception
    logged = [r for r in caplog.records if r.name == "iop" and r.exc_info]
    assert logged and logged[-1].exc_info[1] is failure  # kept for the team, with its traceback

    app.calm_error_expected = False  # the person moves on: the menu still works
    open_page(app, "pages/today.py")
    assert app.title[0].value.startswith("Good ")


def test_the_harness_fails_a_run_that_shows_the_calm_box_unexpectedly(app, monkeypatch):
    from core import diary

    log_in(app, "alex")
    monkeypatch.setattr(diary, "cards_between", lambda *a, **k: 1 / 0)
    with pytest.raises(AssertionError, match="calm error box"):
        app.switch_page("pages/my_cards.py").run()


def test_the_harness_fails_a_run_that_bypasses_the_router(database_url, demo, no_cookie, report_routes):
    """Without `routed`, Streamlit's AppTest runs pages/x.py on its own after switch_page (a pages/
    folder sits beside app.py), and the harness must say so. If the page below ever goes through
    app.py without `routed`, Streamlit changed how AppTest loads pages: look at conftest.py again."""
    at = RoutedAppTest().run()
    log_in(at, "alex")
    with pytest.raises(AssertionError, match="never went through app.py's router"):
        at.switch_page("pages/my_cards.py").run()
    assert at.title[0].value == "My cards"  # drawn all the same, without app.py
