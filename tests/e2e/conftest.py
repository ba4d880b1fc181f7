"""Real-browser fixtures: the real server (`streamlit run`) on a fresh seeded database, and
Debian's Chromium at a 390×844 phone viewport. Screenshots go to $IOP_ARTIFACTS/screenshots."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 800}}
DEMO_PASSWORD = "iop-demo-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `streamlit run app.py` process on its own seeded SQLite database."""

    def __init__(self, data_dir: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "IOP_DATA_DIR": str(data_dir), "IOP_BCRYPT_ROUNDS": "4",
                    "IOP_SECRETS_FILE": str(data_dir / "none.toml")}
        for name in ("DATABASE_URL", "IOP_COOKIE_KEY", "IOP_DEMO_MODE"):
            self.env.pop(name, None)
        data_dir.mkdir(parents=True, exist_ok=True)
        for step in (["-m", "alembic", "upgrade", "head"], ["-m", "core.seed"]):
            subprocess.run([sys.executable, *step], cwd=ROOT, env=self.env, check=True,
                           capture_output=True)
        self.log = open(data_dir / "server.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(self.port),
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not start; see {data_dir / 'server.log'}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = Path(os.environ.get("IOP_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("FAILED-*.png"):   # from an earlier run
        stale.unlink()
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("server"))
    yield srv
    srv.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    setattr(item, f"rep_{call.when}", outcome.get_result())


def _page(browser, request, artifacts, options: dict):
    """A page of the given size; if the test fails, a screenshot of what the person saw is kept."""
    context = browser.new_context(**options)
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        page.screenshot(path=artifacts / f"FAILED-{request.node.name}.png", full_page=True)
    context.close()


@pytest.fixture
def phone(browser, request, artifacts):
    """A 390×844 phone, touch and all."""
    yield from _page(browser, request, artifacts, PHONE)


@pytest.fixture
def desk(browser, request, artifacts):
    """A therapist's 1280×800 desktop browser."""
    yield from _page(browser, request, artifacts, DESK)


def settle(page) -> None:
    """Wait until Streamlit has finished the current run (never a fixed sleep)."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           state="attached")
    page.wait_for_timeout(100)  # let the last deltas paint (not a wait for state)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           state="attached")


def open_app(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp']")
    settle(page)


def log_in(page, username: str, password: str = DEMO_PASSWORD, *, succeeds: bool = True) -> None:
    """Type and tap once, as a person does. (The first tap used to be lost now and then: the
    cookie component mounted after the first render and its rerun swallowed the tap; the login
    page now has no component, and a page open is one run.)"""
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    button = page.get_by_role("button", name="Log in", exact=True)
    button.click()
    if succeeds:  # the login form goes away once the person's home has been drawn
        button.wait_for(state="detached")
    settle(page)


def login_cookie(page, timeout_s: float = 15) -> list[dict]:
    """The login cookie, once the browser has stored it (the server sets it, HttpOnly, when the
    page posts its one-time hand-off code right after the login)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [c for c in page.context.cookies() if c["name"] == "iop_companion_login"]
        if found:
            return found
        page.wait_for_timeout(100)
    return []


def signed_in_at(page, server_url: str, username: str, path: str) -> None:
    """Log in as `username`, then open `path` by URL (a new session, so it needs the cookie)."""
    open_app(page, server_url)
    log_in(page, username)
    assert login_cookie(page), "the re-login cookie was never stored"
    page.goto(f"{server_url}/{path.lstrip('/')}")
    settle(page)


def fits(page) -> bool:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
