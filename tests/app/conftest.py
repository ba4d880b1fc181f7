"""AppTest fixtures: the real app.py, routed exactly as the server routes it, on the test database.

Why a harness at all: with a `pages/` folder beside app.py, Streamlit keeps its old multipage
loader switched on until some session calls `st.navigation` (`PagesManager.uses_pages_directory`).
The real server switches it off for good on its first run of app.py. AppTest switches it back on
before *every* run, so `switch_page("pages/x.py")` would run pages/x.py on its own: no app.py, no
role menu (ui/nav.py), no calm-error boundary (ui/layout.run_safely). `routed_app` switches it off
again right after AppTest resets it, so every page runs inside app.py, as users get it.

After every run (every `.run()`, `.click().run()`, `switch_page(...).run()`) the harness also
checks what a person would have seen: no traceback (`at.exception`), no calm "something went
wrong" box (the boundary catches what used to be a traceback, so that is the new failure), and that
app.py's router really ran the page (`at.routed` names the pages it ran) — or that the run was a
fragment's alone (`at.fragment_runs` counts them), which never goes through app.py.

Fragment runs: AppTest runs the whole script for a widget's interaction (a browser reruns only the
fragment the widget is in), but a callback's `st.rerun("<fragment key>")` makes its run the
fragment's alone, as on a server (the diary card's Save, ui/diary.py). Its screen is then what a
browser shows: the last run's elements, with the fragment's replaced by what its run drew.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import pytest
import streamlit as st
from streamlit.commands import navigation
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import ScriptRunnerEvent
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest, app_test, local_script_runner
from streamlit.testing.v1.element_tree import parse_tree_from_messages
from streamlit.testing.v1.local_script_runner import LocalScriptRunner

from tests.e2e.conftest import DEMO_PASSWORD, ROOT

APP = ROOT / "app.py"


class RoutedAppTest(AppTest):
    """AppTest whose every run is checked: through app.py's router, no traceback, no calm error box.

    `calm_error_expected`: the test breaks something on purpose and checks the calm box itself.
    `router_expected`: False where app.py stops before routing (a refused config, broken content).
    """

    calm_error_expected = False
    router_expected = True

    # A deadline for a hung run, not a wait: a worker's first run imports every page's modules, and
    # with two test phases of two workers each on a busy 2-core machine that alone took over 30 s.
    def __init__(self, script_path: str | Path = APP, *, default_timeout: float = 120, **kwargs):
        super().__init__(script_path, default_timeout=default_timeout, **kwargs)
        self.routed: list[str] = []  # each page app.py's router ran, in order
        self.fragment_runs = 0  # runs that were a fragment's alone (never through app.py)
        self.last_run_fragment = False
        self._fragment_asked: str | None = None  # run_in_fragment's: the next run is this fragment's alone
        self._shown: list = []  # the ForwardMsgs behind the screen (a fragment's run replaces its own)
        # AppTest scans every installed package for components on each new instance (~0.7 s);
        # a server scans once per process, and so do we.
        self._bidi_component_manager = _components()

    def _run(self, widget_state=None, timeout=None) -> AppTest:
        from ui import layout

        before = len(self.routed)
        _current_app.append(self)
        owner = self

        class Runner(_ScreenKeepingRunner):
            app = owner

        app_test.LocalScriptRunner = Runner  # type: ignore[misc]  # (AppTest makes one runner per run)
        try:
            result = super()._run(widget_state, timeout=timeout)
        finally:
            app_test.LocalScriptRunner = LocalScriptRunner  # type: ignore[misc]
            _current_app.pop()
        assert not self.exception, f"a traceback reached the screen: {[e.value for e in self.exception]}"
        calm_boxes = {m for text in (layout.UNEXPECTED, layout.DB_DOWN) for m in (text, _spanish(text))}
        calm = [e.value for e in self.error if e.value in calm_boxes]
        if not self.calm_error_expected:
            assert not calm, (
                "the page failed and showed the calm error box instead; the traceback is in "
                f"the captured log ('iop' logger): {calm}"
            )
        if self.router_expected and not self.last_run_fragment:
            assert len(self.routed) > before, "this run never went through app.py's router (ui.layout.run_safely)"
        return result

    def run_in_fragment(self, key: str) -> AppTest:
        """The run a browser asks for after a tap on a widget inside the fragment `key` (`@st.fragment(
        key=...)`): that fragment's alone, with every widget's value (AppTest's own `.run()` after a
        widget's change runs the whole script)."""
        self._fragment_asked = key
        try:
            return self.run()
        finally:
            self._fragment_asked = None


_current_app: list[RoutedAppTest] = []


def unrouted_app(script: Path, *, default_timeout: float = 30) -> AppTest:
    """A plain AppTest of `script`, not through the harness (as a fresh server runs pages/x.py by itself),
    with the process's component scan (see RoutedAppTest.__init__)."""
    at = AppTest.from_file(str(script), default_timeout=default_timeout)
    at._bidi_component_manager = _components()
    return at


class _ScreenKeepingRunner(LocalScriptRunner):
    """AppTest's runner, keeping the screen across runs as a browser does: a whole run replaces it,
    a fragment's run replaces that fragment's elements only (see the module doc)."""

    app: RoutedAppTest

    def request_rerun(self, rerun_data):
        asked = super().request_rerun(rerun_data)
        if self.app._fragment_asked:  # (a widget's run in a fragment: not scoped by a callback's st.rerun)
            # The runner starts with a whole run pending, which would absorb a fragment's request: the
            # pending request becomes the fragment's.
            requests = self._requests
            with requests._lock:
                requests._rerun_data = dataclasses.replace(
                    requests._rerun_data,
                    fragment_id_queue=self._fragment_storage.resolve_target(self.app._fragment_asked),
                )
        return asked

    def run(self, *args, **kwargs):
        tree = super().run(*args, **kwargs)
        started = [
            data
            for event, data in zip(self.events, self.event_data, strict=True)
            if event == ScriptRunnerEvent.SCRIPT_STARTED
        ]
        # A fragment's run may end in st.rerun() and a whole run after it (in the same AppTest run).
        alone = [set(data.get("fragment_ids_this_run") or []) for data in started]
        self.app.fragment_runs += sum(1 for ids in alone if ids)
        fragments = alone[-1] if alone else set()
        messages = list(self.forward_msgs())
        self.app.last_run_fragment = bool(fragments)
        if fragments:  # (a fragment's run draws the fragments nested in it afresh too)
            storage = self._fragment_storage

            def redrawn(m) -> bool:
                fid = m.delta.fragment_id if m.HasField("delta") else ""
                return bool(fid) and (fid in fragments or storage.has_ancestor_in(fid, fragments))

            kept = [m for m in self.app._shown if not redrawn(m)]
            messages = kept + messages
            tree = parse_tree_from_messages(messages)
        self.app._shown = messages
        return tree


def _spanish(text: str) -> str:
    """The calm boxes as a Spanish reader sees them (tests/app/test_spanish.py runs in Spanish)."""
    from core import i18n

    return i18n.translator("es").gettext(text)


_SCRIPTS = ScriptCache()


@pytest.fixture(scope="session", autouse=True)
def as_a_server_runs():
    """Every AppTest run shares one ScriptCache, as a server's runs do (one per process): AppTest made two new
    ones per `.run()`, so app.py and the page were read, given Streamlit's "magic" (an AST rewrite) and compiled
    again on every run (~3 ms for app.py, 5-18 ms a page). Nothing here writes a script: a path is compiled
    once, from the file as it is."""
    with pytest.MonkeyPatch.context() as mp:
        for module in (app_test, local_script_runner):
            mp.setattr(module, "ScriptCache", lambda: _SCRIPTS)
        yield


@functools.cache
def _components():
    from streamlit.components.v2.component_manager import BidiComponentManager

    manager = BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    return manager


@pytest.fixture
def report_routes(monkeypatch):
    """app.py's boundary (ui.layout.run_safely) reports each page it runs to the RoutedAppTest
    running it, in `at.routed`."""
    from ui import layout

    run_safely = layout.run_safely

    def reporting(action):
        page = getattr(getattr(action, "__self__", None), "_page", None)
        if _current_app:
            _current_app[-1].routed.append(
                str(Path(page).relative_to(ROOT)) if isinstance(page, Path) else getattr(page, "__name__", "?")
            )
        return run_safely(action)

    monkeypatch.setattr(layout, "run_safely", reporting)
    yield
    _current_app.clear()


@pytest.fixture
def routed(monkeypatch, report_routes):
    """Every AppTest run behaves like the server after its first run of app.py (see the module doc)."""
    initialise = PagesManager.__init__

    def as_the_server_does(self, *args, **kwargs):
        initialise(self, *args, **kwargs)  # AppTest set the flag to None; this set it from pages/
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", as_the_server_does)


@pytest.fixture
def no_cookie(monkeypatch):
    """AppTest has no browser: the re-login cookie is never there."""
    from streamlit_authenticator.models.cookie_model import CookieModel

    monkeypatch.setattr(CookieModel, "get_cookie", lambda self: None)
    st.cache_data.clear()


@pytest.fixture
def new_app(routed, no_cookie):
    """Make a RoutedAppTest of app.py (not yet run), for tests that set things up first."""
    return RoutedAppTest


@pytest.fixture
def app(database_url, demo, new_app):
    """A fresh app session on the seeded demo database, logged out, run once."""
    return new_app().run()


def log_in(at: AppTest, username: str, password: str = DEMO_PASSWORD) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click()  # the form's only button: Log in
    return at.run()


def open_page(at: RoutedAppTest, path: str) -> RoutedAppTest:
    """Go to a page the way the menu does, and check app.py's router ran that very page."""
    at.switch_page(path).run()
    assert at.routed[-1] == path, f"app.py's router ran {at.routed[-1]!r}, not {path!r}"
    return at


def open_menu(at: AppTest, *, open: bool = True) -> AppTest:
    """Tap "Menu" (a phone's list of the role's pages, ui/nav.py), whose links are drawn only while it
    is open. AppTest sends no popover state, so this does what the popover's own on_change does
    (ui/nav.py `_opened`). Each page has a menu of its own, and only this page's is a widget now."""
    from ui import nav

    [key] = [k for k in at.session_state if str(k).startswith("nav_menu_") and k != nav._OPENED]
    at.session_state[key] = open
    at.session_state[nav._OPENED] = key
    return at.run()


def open_tables(at: AppTest) -> AppTest:
    """Open every chart's folded table of numbers ("The numbers behind …", ui/charts.py), drawn only
    once opened, as tapping each would; a run then draws them."""
    for key in [k for k in at.session_state if str(k).startswith("numbers_")]:
        at.session_state[key] = True
    return at.run()


def texts(at: AppTest) -> str:
    parts = [
        e.value
        for e in (*at.title, *at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.success, *at.subheader)
    ]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def typed(monkeypatch):
    """`typed(at, "home")` makes the next run the browser's request for /home: a page *name* from the
    address bar, no page hash (AppTest's own runs send a hash, which never meets "Page not found":
    an unknown hash falls back to the default page quietly). Each "Page not found" the router sends
    is counted in `typed.not_found`."""
    wanted: list[str] = []
    request_rerun = LocalScriptRunner.request_rerun

    def as_typed(self, rerun_data):
        if wanted:
            rerun_data = dataclasses.replace(rerun_data, page_name=wanted.pop(), page_script_hash="")
        return request_rerun(self, rerun_data)

    monkeypatch.setattr(LocalScriptRunner, "request_rerun", as_typed)
    monkeypatch.setattr(navigation, "send_page_not_found", lambda ctx: typed_at.not_found.append(ctx))

    def typed_at(at, name: str):
        wanted[:] = [name]
        at._page_hash = ""
        return at

    typed_at.not_found = []
    return typed_at
