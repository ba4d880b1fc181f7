"""Real-browser fixtures: the real server (`streamlit run`) on a fresh seeded database, and
Debian's Chromium at a 390×844 phone viewport. Screenshots go to $IOP_ARTIFACTS/screenshots."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Debian's chromium-headless-shell: the same Chromium build as /usr/bin/chromium (Debian's `chromium` source
# package, the same version), without the desktop browser's window layer; Playwright's own choice for headless
# runs. Side by side it used 3-12% less CPU (its browser process half). scripts/system-deps.sh installs it.
# IOP_CHROMIUM=/usr/bin/chromium runs the tests in the full browser instead (or another build, to measure it).
CHROMIUM = os.environ.get("IOP_CHROMIUM", "/usr/bin/chromium-headless-shell")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Chromium 15x preloads its address bar's popup (two chrome://omnibox-popup.top-chrome pages, in a
    # renderer of their own) for every new window, so for every browser context: ~0.6 s of CPU per
    # context, a quarter of a first page open, for a bar a headless browser never shows. Chromium
    # keeps only the last --disable-features, so Playwright's own list (chromiumSwitches in Playwright 1.65) is
    # repeated here.
    "--disable-features="
    + ",".join(
        [
            *("AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades"),
            *("HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding"),
            *("ThirdPartyStoragePartitioning", "AvoidCorsURLLoaderRestartOnRedirect", "TcpPortRandomizationWin"),
            *("OptimizationHints", "NetworkTimeServiceQuerying", "AimEnabled", "PreconnectToSearch"),
            *("WebUIOmniboxPopup", "WebUIOmniboxAimPopup"),
        ]
    ),
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 800}}
DEMO_PASSWORD = "iop-demo-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed_template(folder: Path) -> Path:
    """`make run`'s database (`alembic upgrade head`, then `python -m core.seed`), built once."""
    env = _server_env(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for step in (["-m", "alembic", "upgrade", "head"], ["-m", "core.seed"]):
        subprocess.run([sys.executable, *step], cwd=ROOT, env=env, check=True, capture_output=True)
    return folder / "iop.db"


def _server_env(data_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "IOP_DATA_DIR": str(data_dir),
        "IOP_BCRYPT_ROUNDS": "4",
        "IOP_SECRETS_FILE": str(data_dir / "none.toml"),
    }
    for name in ("DATABASE_URL", "IOP_COOKIE_KEY", "IOP_DEMO_MODE"):
        env.pop(name, None)
    return env


_STARTED = time.time()  # when this pytest process (a worker, with xdist) loaded the e2e fixtures
_servers: dict[str, Server] = {}  # every Server this process started, by address (signed_in_at)
_template: list[Path] = []  # the seeded database every Server copies (_demo_template)


class Server:
    """One `streamlit run app.py` process on its own copy of the seeded demo database."""

    def __init__(self, data_dir: Path, *, log_runs: bool = False):
        """`log_runs`: the app logs one line per script run (IOP_LOG_LEVEL=DEBUG), which `script_runs` counts."""
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        _servers[self.url] = self
        self.env = _server_env(data_dir)
        if log_runs:
            self.env["IOP_LOG_LEVEL"] = "DEBUG"
        data_dir.mkdir(parents=True, exist_ok=True)
        if not _template:  # a Server made outside pytest: its own template
            _template.append(_seed_template(Path(tempfile.mkdtemp(prefix="iop-e2e-template-"))))
        self._copy_demo()
        self.log = open(data_dir / "server.log", "w")  # noqa: SIM115 - open while the server runs; stop() closes it
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(self.port),
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_until_ready()

    def script_runs(self) -> int:
        """How many times app.py has run on this server so far (a fragment's run is not one): needs `log_runs`."""
        assert self.env.get("IOP_LOG_LEVEL") == "DEBUG", "this server does not log its runs (log_runs)"
        with open(self.log.name) as log:
            return log.read().count("iop: script run")

    def _copy_demo(self) -> None:
        source, copy = sqlite3.connect(_template[0]), sqlite3.connect(self.data_dir / "iop.db")
        with contextlib.closing(source), contextlib.closing(copy):
            source.backup(copy)  # a consistent copy, whatever journal mode either file is in

    def reset(self) -> None:
        """Put the seeded demo back under the running server: SQLite's backup writes every page of
        the template into the live file (in one transaction, under its locks), and the server's
        connections read the new pages from their next transaction on. The tests before have ended
        (their pages closed, each settled), so no run of theirs is writing."""
        self._copy_demo()

    def wait_until_ready(self, timeout_s: float = 120) -> None:  # a deadline, not a wait: ready is /_stcore/health
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1).read() == b"ok":
                    return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)  # polling the health endpoint of a server still importing
        self.stop()
        raise RuntimeError(f"streamlit did not start; see {self.data_dir / 'server.log'}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session", autouse=True)
def _demo_template(tmp_path_factory):
    """`make run`'s database, built once per run for every worker (the first to ask builds it under a
    file lock, in the run's temporary folder; it was built once per worker)."""
    from tests.conftest import _once_per_run

    built = _once_per_run(tmp_path_factory, "e2e-demo", lambda folder: {"db": str(_seed_template(folder))})
    _template[:] = [Path(built["db"])]
    yield
    _template.clear()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = Path(os.environ.get("IOP_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("FAILED-*.png"):  # from an earlier run (not another worker's, of this run)
        if stale.stat().st_mtime < _STARTED:
            stale.unlink(missing_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


class TrackedBrowser:
    """Debian's Chromium, whose every new context can tell when Streamlit has answered (settle)."""

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.add_init_script(script=RUN_TRACKER)
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield TrackedBrowser(chromium)
        chromium.close()


class SlowLink:
    """A phone on a slow network: a TCP relay in front of a server whose answers (server to
    browser) each arrive `latency_s` late, in order; what the browser sends goes straight through.
    It widens the gap between a tap and the screen's answer, where a wait that does not wait on
    the app's own state returns too early (tests/e2e/test_settle.py)."""

    def __init__(self, upstream_port: int, latency_s: float):
        import asyncio
        import threading

        self.latency_s = latency_s
        self._upstream = upstream_port
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)
        self.url = f"http://127.0.0.1:{self.port}"

    def _serve(self, ready) -> None:
        import asyncio

        async def pipe(reader, writer, delay: float) -> None:
            queue: asyncio.Queue = asyncio.Queue()

            async def deliver() -> None:
                while (item := await queue.get()) is not None:
                    due, chunk = item
                    await asyncio.sleep(max(0.0, due - self._loop.time()))  # the link's latency
                    writer.write(chunk)
                    await writer.drain()
                writer.close()

            delivering = asyncio.ensure_future(deliver())
            try:
                while chunk := await reader.read(65536):
                    queue.put_nowait((self._loop.time() + delay, chunk))
            except OSError:
                pass
            queue.put_nowait(None)
            await delivering

        async def relay(browser_reader, browser_writer) -> None:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self._upstream)
            await asyncio.gather(
                pipe(browser_reader, server_writer, 0.0),
                pipe(server_reader, browser_writer, self.latency_s),
                return_exceptions=True,
            )

        async def start() -> None:
            self._server = await asyncio.start_server(relay, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()

        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(start())
        self._loop.run_forever()
        # Stopped (close()): end the relays still open here, then the loop, so no coroutine of it is
        # left for the garbage collector to finish on a closed loop (pytest's "Event loop is closed").
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.close()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="session")
def _shared_server(tmp_path_factory):
    """One `streamlit run` per worker, shared by the modules that run there (see `server`); it logs its
    script runs, which tests count (Server.script_runs)."""
    srv = Server(tmp_path_factory.mktemp("server"), log_runs=True)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def server(_shared_server):
    """The demo as `make run` seeds it, for this module: the worker's server, its database put back to
    the seeded demo before each module (Server.reset). A server of its own per module cost ~3 s of CPU
    (starting Streamlit, importing the app's pages on the first run) and a new browser cache. A module
    that changes what a server keeps in memory across runs (the program's settings, cached for
    PROGRAM_CACHE_SECONDS, when written straight to the database) uses `own_server`."""
    _shared_server.reset()
    yield _shared_server


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A server of this module's own, started on the seeded demo and stopped after the module."""
    srv = Server(tmp_path_factory.mktemp("server"))
    yield srv
    srv.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    setattr(item, f"rep_{call.when}", outcome.get_result())


# Everything a browser keeps for a site except its HTTP cache (Storage.clearDataForOrigin's types).
SITE_DATA = (
    "cookies,file_systems,indexeddb,local_storage,shader_cache,websql,service_workers,cache_storage,"
    "shared_storage,storage_buckets"
)


FRESH_CONTEXTS = os.environ.get("IOP_E2E_FRESH_CONTEXTS") == "1"  # to measure what reusing contexts saves


class Devices:
    """The phone and the desktop browser of one worker: one browser context per size, handed to
    each test as a new page after everything the last test left in it is wiped (its pages closed;
    cookies, localStorage, sessionStorage, IndexedDB... of every site it opened), so each test starts
    logged out with nothing stored, as on a fresh device. Only the HTTP cache is kept: Streamlit's
    JavaScript (a few MB) is then downloaded and compiled once per server (the modules of a worker share
    one: `server`) instead of once per test, which was most of Chromium's CPU in the suite (a new context
    cost ~1 s of CPU more per page open than a new page in a used one). A test about a fresh browser uses
    `browser.new_context`."""

    def __init__(self, browser):
        self._browser = browser
        self._contexts: dict[str, object] = {}
        self._sites: dict[str, set[str]] = {}

    def page(self, options: dict):
        key = repr(sorted(options.items()))
        if FRESH_CONTEXTS and key in self._contexts:  # measuring: a context of its own per test, as before
            self._contexts.pop(key).close()
        context = self._contexts.get(key)
        if context is None:
            context = self._contexts[key] = self._browser.new_context(**options)
            self._sites[key] = set()
        context.set_default_timeout(20_000)
        page = context.new_page()
        sites = self._sites[key]
        page.on("framenavigated", lambda frame: sites.add(_site(frame.url)))
        return page

    def wipe(self, page) -> None:
        """Close the test's pages and clear what the sites it opened stored (not the HTTP cache)."""
        context = page.context
        key = next(k for k, c in self._contexts.items() if c is context)
        sites = self._sites[key]
        if sites - {""}:
            probe = page if not page.is_closed() else context.new_page()
            cdp = context.new_cdp_session(probe)
            for site in sites - {""}:
                cdp.send("Storage.clearDataForOrigin", {"origin": site, "storageTypes": SITE_DATA})
            cdp.detach()
        sites.clear()
        context.clear_cookies()
        context.clear_permissions()
        for open_page in context.pages:
            open_page.close()
        assert not context.cookies(), "a cookie outlived the wipe"

    def close(self) -> None:
        for context in self._contexts.values():
            context.close()
        self._contexts.clear()


def _site(url: str) -> str:
    """The origin of an http(s) address ("" for about:blank, data: ...)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""


@pytest.fixture(scope="session")
def devices(browser):
    made = Devices(browser)
    yield made
    made.close()


def _keep_failure(page, artifacts: Path, name: str) -> None:
    """What a failed test's page showed: a screenshot, the whole page's text (a screenshot shows one
    screenful), and where its Streamlit runs stood (RUN_TRACKER: which requests were sent and
    answered, e.g. whether a lost tap asked for a run at all)."""
    page.screenshot(path=artifacts / f"FAILED-{name}.png", full_page=True)
    with contextlib.suppress(Exception):
        text = page.inner_text("[data-testid='stApp']")
        runs = page.evaluate(
            "() => window.__iopRuns ? JSON.stringify({...window.__iopRuns, waitingFor: window.__iopRuns.waitingFor(),"
            " unanswered: window.__iopRuns.unanswered(), resizing: window.__iopRuns.resizing()}) : 'no run tracker'"
        )
        (artifacts / f"FAILED-{name}.txt").write_text(f"{text}\n\n--- Streamlit runs on this page ---\n{runs}\n")


def _page(devices, request, artifacts, options: dict):
    """A page of the given size; if the test fails, a screenshot of what the person saw is kept."""
    page = devices.page(options)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        _keep_failure(page, artifacts, request.node.name)
    devices.wipe(page)


@pytest.fixture
def phone(devices, request, artifacts):
    """A 390×844 phone, touch and all (a used one, wiped: see Devices)."""
    yield from _page(devices, request, artifacts, PHONE)


@pytest.fixture
def desk(devices, request, artifacts):
    """A therapist's 1280×800 desktop browser (a used one, wiped: see Devices)."""
    yield from _page(devices, request, artifacts, DESK)


@pytest.fixture
def fresh_phone(browser, request, artifacts):
    """A phone never used before (its own browser context): nothing cached either."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        _keep_failure(page, artifacts, request.node.name)
    context.close()


# Installed in every page before Streamlit's own code (TrackedBrowser): it reads the app's own
# messages on its websocket. The browser asks for a run with a BackMsg `rerun_script` (field 11, a
# ClientState): of the whole page, or of one fragment (`fragment_id`, field 5: a tap inside an
# `st.fragment` reruns that fragment alone). A fragment's timer (`run_every`) asks by itself
# (`is_auto_rerun`, field 6): not something a test waits for. The server answers each run with a
# ForwardMsg `new_session` (field 4) when it starts and `script_finished` (field 6) when it ends:
# 0/1 for the whole script, 3 for a fragment run, 2 for a run cut short by the next one; both carry
# `metadata.run` (field 2 > 6), the run's id and the fragments it ran (field 2 > 6 > 2: none for a
# whole run).
# settle() waits until every request has been answered by a run that started after it and
# finished: a whole-page request by a whole run, a fragment's request by a run of that fragment or
# a whole run. Then the frontend must have painted after that (a task, then a frame), and the page
# say notRunning. A tap whose request the frontend sends a moment later (React commits a widget's
# value in an effect) is covered too: settle() first lets the browser finish the task and paint the
# frame after the last tap or key. No clock is involved.
# Custom components (the re-login cookie's CookieManager) load in iframes after the run that drew
# them and then report a value, which asks for one more run: a tap in between is a tap during a
# rerun. So the page is settled only once the iframes of the components the last whole run drew
# (`delta.new_element.component_instance`: fields 5, 3, 37) are on the page and have each reported.
# And no element is still a placeholder (`stSkeleton`): Streamlit's Markdown draws a grey bar, dimmed
# at that, until the plugins its text needs have loaded (a script chunk fetched and compiled after the
# run that sent it, slower on a loaded machine): the run has finished and been painted, yet the text is
# not on the screen, and when it arrives whatever sits below it moves down. On a page opened with the
# login cookie that was the first screen's captions (axe measured their contrast at 0.6 opacity); a tap
# aimed at a button below such a bar, in the frame the text arrived, met whatever had moved under it.
RUN_TRACKER = """(() => {
  if (window.__iopRuns) return;
  const runs = {seq: 0, requested: -1, fragmentsAsked: {}, wholeAnswered: -1, fragmentsAnswered: {},
                handedOn: {}, started: -1, finished: -1, painted: -1, input: -1, inputPainted: -1,
                drawing: 0, components: 0, reported: -1, anyAnswered: -1, open: {}};
  const fields = (bytes) => {                  // the top-level fields of a protobuf message
    const out = [];
    let i = 0;
    const varint = () => {
      let value = 0, shift = 0, byte;
      do { byte = bytes[i++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
      return value;
    };
    while (i < bytes.length) {
      const tag = varint(), number = Math.floor(tag / 8), wire = tag % 8;
      if (wire === 0) out.push([number, varint()]);
      else if (wire === 2) { const n = varint(); out.push([number, bytes.subarray(i, i + n)]); i += n; }
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else break;
    }
    return out;
  };
  const field = (bytes, number) => { const f = fields(bytes).find(([n]) => n === number); return f && f[1]; };
  const utf8 = new TextDecoder();
  const runOf = (message) => {                 // [run id, fragment ids] from ForwardMsg.metadata.run
    const metadata = field(message, 2), run = metadata && field(metadata, 6);
    if (!run) return ['', []];
    const parts = fields(run);
    return [utf8.decode(parts.find(([n]) => n === 1)?.[1] ?? new Uint8Array()),
            parts.filter(([n]) => n === 2).map(([, v]) => utf8.decode(v))];
  };
  const asBytes = (data) => data instanceof ArrayBuffer ? new Uint8Array(data)
    : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
  const afterPaint = (set) => setTimeout(() => requestAnimationFrame(set));
  const Native = window.WebSocket;
  class Tracked extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        const bytes = asBytes(event.data);
        if (!bytes) return;
        const top = fields(bytes);
        for (const [number, value] of top) {
          if (number === 4) {                    // a run starts: the whole script, or fragments
            const [id, fragments] = runOf(bytes);
            runs.started = ++runs.seq;
            runs.open[id] = {start: runs.started, fragments};
            if (fragments.length === 0) runs.drawing = 0;
          }
          if (number === 5) {
            for (const [n, element] of fields(value)) {
              if (n === 3 && fields(element).some(([k]) => k === 37)) runs.drawing += 1;
            }
          }
          if (number === 6 && value === 2) {     // stopped for a rerun: the run replacing it answers for it
            const [id, fragments] = runOf(bytes);   // (a callback naming other fragments, e.g. the card's Save)
            const run = runs.open[id] || {start: runs.started, fragments};
            delete runs.open[id];
            for (const f of run.fragments) runs.handedOn[f] = Math.max(runs.handedOn[f] ?? -1, run.start);
          }
          if (number === 6 && (value === 0 || value === 1 || value === 3)) {   // a run ended (not cut short)
            const [id, fragments] = runOf(bytes);
            const run = runs.open[id] || {start: runs.started, fragments};
            delete runs.open[id];
            runs.finished = ++runs.seq;
            runs.anyAnswered = Math.max(runs.anyAnswered, run.start);
            for (const [f, stopped] of Object.entries(runs.handedOn)) {
              if (stopped < run.start) {
                runs.fragmentsAnswered[f] = Math.max(runs.fragmentsAnswered[f] ?? -1, run.start);
                delete runs.handedOn[f];
              }
            }
            if (value === 3) {
              for (const f of run.fragments) {
                runs.fragmentsAnswered[f] = Math.max(runs.fragmentsAnswered[f] ?? -1, run.start);
              }
            } else {
              runs.wholeAnswered = Math.max(runs.wholeAnswered, run.start);
              runs.components = runs.drawing;
            }
            const mark = runs.finished;
            afterPaint(() => { runs.painted = Math.max(runs.painted, mark); });
          }
        }
      });
    }
    send(data) {
      const bytes = asBytes(data);
      if (bytes) {
        for (const [number, value] of fields(bytes)) {
          if (number !== 11) continue;
          const state = fields(value);
          if (state.some(([n, v]) => n === 6 && v)) continue;            // a fragment's own timer
          const fragment = state.find(([n, v]) => n === 5 && v.length > 0);
          if (fragment) runs.fragmentsAsked[utf8.decode(fragment[1])] = ++runs.seq;
          else runs.requested = ++runs.seq;
        }
      }
      return super.send(data);
    }
  }
  window.WebSocket = Tracked;
  const touched = () => {                      // a tap or a key: its request may follow in a moment
    const mark = runs.input = ++runs.seq;
    afterPaint(() => { runs.inputPainted = Math.max(runs.inputPainted, mark); });
  };
  for (const type of ['pointerup', 'click', 'keyup', 'change']) window.addEventListener(type, touched, true);
  const reported = new WeakSet();              // component iframes (their windows) that sent a value
  window.addEventListener('message', (event) => {
    const data = event.data;
    if (data && data.isStreamlitMessage && data.type === 'streamlit:setComponentValue' && event.source) {
      reported.add(event.source);
      runs.reported = ++runs.seq;                // the frontend will ask for a run with this value
    }
  });
  const components = () => [...document.querySelectorAll("iframe[data-testid='stCustomComponentV1']")];
  runs.waitingFor = () => components().filter((f) => !reported.has(f.contentWindow)).map((f) => f.title);
  runs.unanswered = () => Object.entries(runs.fragmentsAsked)
    .filter(([f, asked]) => Math.max(runs.wholeAnswered, runs.fragmentsAnswered[f] ?? -1) < asked)
    .map(([f]) => f);
  runs.settled = () => {
    const app = document.querySelector("[data-testid='stApp']");
    return runs.requested >= 0 && runs.wholeAnswered > runs.requested && runs.anyAnswered > runs.reported
      && runs.unanswered().length === 0
      && runs.painted >= runs.finished && runs.inputPainted >= runs.input
      && app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
      && components().length >= runs.components && runs.waitingFor().length === 0
      && document.querySelector("[data-testid='stSkeleton']") === null
      && !runs.resizing();
  };
  // An expander opening or closing is animated by Streamlit's own script (element.animate on its
  // <details>, 500 ms, overflow hidden): while it ran, the expander's content was clipped at a height
  // that grew frame by frame, and a tap aimed at a button inside it was aimed at a moving, partly
  // hidden target. No run is involved, so the checks above are already true; the page is at rest
  // once no such animation is running. That alone did not make a tap safe: the height the animation
  // started from stayed on the <details> for a frame after it ended (the animation's finish event
  // clears it, a frame later), and a tap then met what lay below. ui/layout.py now keeps every
  // expander as tall as its content (the animations still run, moving nothing; an opening one is not
  // even started): this wait is for any other script animation.
  // (CSS animations and transitions are not waited for: a spinner or the breathing timer never ends.)
  runs.resizing = () => document.getAnimations().some(
    (a) => !(a instanceof CSSAnimation) && !(a instanceof CSSTransition) && a.playState === 'running');
  window.__iopRuns = runs;
})();"""


# How often settle() asks the page (ms). Playwright's default asks on every animation frame, which keeps
# the renderer drawing frames the whole time a test waits (about 5x the CPU of an idle page).
SETTLE_POLL_MS = int(os.environ.get("IOP_SETTLE_POLL_MS", "20")) or "raf"


def settle(page, timeout: float | None = None) -> None:
    """Wait until Streamlit has answered everything this page asked for: for the last whole-page
    request and the last request of each fragment, a run that started after it has finished and
    been drawn; the last tap or key has had its task and frame (its request is sent by then); and
    every component on the page has reported in (see RUN_TRACKER)."""
    if not page.evaluate("() => typeof window.__iopRuns === 'object'"):
        raise RuntimeError("settle() needs a page from a context made by the e2e `browser` fixture")
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function("() => window.__iopRuns.settled()", timeout=timeout, polling=SETTLE_POLL_MS)
    except PlaywrightTimeout as exc:
        state = page.evaluate(
            "() => JSON.stringify({...window.__iopRuns, waitingFor: window.__iopRuns.waitingFor(),"
            " unanswered: window.__iopRuns.unanswered(), resizing: window.__iopRuns.resizing()})"
        )
        raise PlaywrightTimeout(f"{exc}\nStreamlit runs on this page: {state}") from None


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


def signed_in_at(page, server_url: str, username: str, path: str = "") -> None:
    """Open `path` logged in as `username`, for a test that is not about logging in: the browser is
    given the login cookie a password login leaves behind (the same signed token, for the account's
    current session version, made from the server's database with the demo key the server signs
    with), then the address is opened, one page load. Typing the form first cost the login screen,
    the login's run, the person's home and the cookie's hand-off before the page the test is about.
    Logging in by hand, and the cookie it leaves, are what test_login_flow.py and others test (log_in)."""
    server = _servers[server_url]
    page.context.add_cookies(
        [
            {
                "name": LOGIN_COOKIE,
                "value": _login_token(server, username),
                "url": server_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
    open_app(page, f"{server_url}/{path.lstrip('/')}")
    if page.get_by_role("button", name="Log in", exact=True).count():
        raise AssertionError(f"the login cookie of {username!r} was refused: the login screen is showing")


LOGIN_COOKIE = "iop_companion_login"  # core.config's default cookie_name (the e2e servers set none)


def _login_token(server: Server, username: str) -> str:
    """What the server would put in the login cookie of `username` now (core.auth.login_token)."""
    from sqlmodel import Session, select

    from core import auth, config, db
    from core.models import AppUser

    if (server.data_dir / "none.toml").exists():
        raise ValueError("signed_in_at signs with the demo key: log in by hand on a server with secrets")
    engine = db.make_engine(f"sqlite:///{server.data_dir / 'iop.db'}")
    try:
        with Session(engine) as session:
            user = session.exec(select(AppUser).where(AppUser.username == username)).one()
            assert config.settings().uses_demo_key and config.settings().cookie_name == LOGIN_COOKIE
            return auth.login_token(user)
    finally:
        engine.dispose()


def fits(page) -> bool:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def go_to(page, screen: str) -> None:
    """On a phone, open another screen as a person does: tap "Menu", tap the screen's name (the menu
    closes itself with the page change: ui/nav.py)."""
    page.locator("[class*='st-key-nav_menu_']").get_by_role("button", name="Menu").click()
    page.get_by_test_id("stPopoverBody").get_by_role("link", name=screen, exact=True).click()
    settle(page)
    page.get_by_test_id("stPopoverBody").wait_for(state="detached")
