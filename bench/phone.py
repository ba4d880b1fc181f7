"""What a phone receives and waits for: Debian's Chromium at 390×844, its CPU slowed 4× (CDP
`Emulation.setCPUThrottlingRate`), each page opened in a fresh context (an empty cache, as on a
first visit) with the login cookie already in it.

Bytes are everything the page received: HTTP responses as sent on the wire (`encodedDataLength`,
headers included) and the app's websocket frames. "Interactive" is when the diary card's Save
button is on screen and enabled and Streamlit has finished the run that drew it (tests/e2e's
`settle`, which reads the app's own websocket messages); for the one-line page, when its line is
on screen and its run has finished.
"""

from __future__ import annotations

import base64
import statistics
import time
from dataclasses import dataclass

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, TrackedBrowser, log_in, login_cookie, open_app, settle

THROTTLE = 4
REPEATS = 3


@dataclass
class Load:
    bytes: int
    seconds: float


def _load(browser, url: str, ready, cookies: list[dict]) -> Load:
    context = browser.new_context(**PHONE)
    context.set_default_timeout(120_000)
    if cookies:
        context.add_cookies(cookies)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    received = {"http": 0, "ws": 0}

    def finished(event) -> None:
        received["http"] += int(event.get("encodedDataLength", 0))

    def frame(event) -> None:
        response = event.get("response", {})
        data = response.get("payloadData", "")
        received["ws"] += len(base64.b64decode(data)) if response.get("opcode") == 2 else len(data.encode())

    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.webSocketFrameReceived", frame)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": THROTTLE})
    started = time.perf_counter()
    page.goto(url)
    ready(page)
    settle(page)
    seconds = time.perf_counter() - started
    context.close()
    return Load(received["http"] + received["ws"], seconds)


def _card_ready(page) -> None:
    button = page.get_by_role("button", name="Save my card")
    button.wait_for(state="visible")
    page.wait_for_function(
        "() => [...document.querySelectorAll('button')].some(b => b.innerText.includes('Save my card') && !b.disabled)"
    )


def _chart_ready(page) -> None:
    page.get_by_text("My progress", exact=True).first.wait_for(state="visible")


def _line_ready(page) -> None:
    page.get_by_text("IOP Companion", exact=True).wait_for(state="visible")


def measure(app_url: str, line_url: str, username: str, password: str) -> dict[str, Load]:
    """Median of REPEATS fresh loads of Today, My progress and the one-line page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = TrackedBrowser(p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True))
        context = browser.new_context(**PHONE)
        context.set_default_timeout(60_000)
        page = context.new_page()
        open_app(page, app_url)
        log_in(page, username, password)
        cookies = login_cookie(page)
        context.close()
        if not cookies:
            raise RuntimeError("the bench's phone never got its login cookie")
        loads: dict[str, list[Load]] = {"Today": [], "My progress": [], "one-line page": []}
        for _ in range(REPEATS):  # interleaved, so drift lands on all three alike
            loads["Today"].append(_load(browser, app_url, _card_ready, cookies))
            loads["My progress"].append(_load(browser, f"{app_url}/progress", _chart_ready, cookies))
            loads["one-line page"].append(_load(browser, line_url, _line_ready, []))
        browser.close()
    return {
        name: Load(round(statistics.median(x.bytes for x in found)), statistics.median(x.seconds for x in found))
        for name, found in loads.items()
    }
