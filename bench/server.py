"""The real server on loopback: N participants log in and save a card at the same moment.

Driven through Streamlit's experimental agent API (`--server.enableAgentApi`, POST
`/_stcore/agent/interact`), switched on only for the bench's own server processes and never in
the project's config: each simulated participant is a real Streamlit session on the server, which
runs app.py for every request exactly as for a browser's, and answers once the run (and the rerun
it triggers) has finished. No browser runs, so the two cores go to the server, not to N Chromiums.
Tap-to-"Saved" is the round trip of the request that taps Save, until the answer shows the
"saved" message. The cards are then counted in the database: written vs expected.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.clinic import PASSWORD
from bench.databases import ROOT, free_port

AGENT = "/_stcore/agent/interact"


class AppServer:
    """One `streamlit run` process (the app, or a floor script) with the agent API on."""

    def __init__(self, script: Path, env: dict[str, str], log_dir: Path, *, agent: bool = True):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(log_dir / f"server-{self.port}.log", "w")  # noqa: SIM115 - open while the server runs
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script),
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
                *(
                    [
                        "--server.enableAgentApi",
                        "true",
                        "--server.agentMaxSessions",
                        "1000",
                        "--server.agentSessionTTL",
                        "120",
                    ]
                    if agent
                    else []
                ),
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)  # the server is still importing
        self.stop()
        raise RuntimeError(f"the bench's server did not start; see {self.log.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _post(url: str, body: dict, timeout: float = 300) -> dict:
    """One interaction; a run still going after the server's wait (`wait_timed_out`) is waited for
    again with the session id alone, as the protocol asks, until it has finished."""
    deadline = time.monotonic() + timeout
    while True:
        request = urllib.request.Request(
            url + AGENT, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                found = json.load(answer)
        except urllib.error.HTTPError as exc:
            found = json.load(exc)
        if (found.get("error") or {}).get("code") != "wait_timed_out" or time.monotonic() > deadline:
            return found
        body = {"session_id": found.get("session_id") or body["session_id"]}


def _messages(node: dict, found: list[str] | None = None) -> list[str]:
    found = [] if found is None else found
    if node.get("type") in ("success", "info", "error", "warning"):
        found.append(str(node.get("props", {}).get("body", "")))
    for child in node.get("children", []):
        _messages(child, found)
    return found


@dataclass
class Person:
    """One simulated participant: their own Streamlit session on one of the servers."""

    url: str
    username: str
    password: str = PASSWORD
    session: str = ""
    login_s: float = 0.0
    save_s: float = 0.0
    saved: bool = False
    problem: str = ""

    def open(self) -> None:
        self.session = _post(self.url, {})["session_id"]

    def log_in_and_save(self, mood: str, *, form: bool = False) -> None:
        try:
            started = time.perf_counter()
            if form:  # the floor: a bare form, nothing to log in to
                snapshot = {"actions": [{"key": "save"}]}
            else:
                snapshot = _post(
                    self.url,
                    {
                        "session_id": self.session,
                        "widget_state": {"login_username": self.username, "login_password": self.password},
                        "trigger": {"key": "FormSubmitter:login-Log in"},
                    },
                )
            self.login_s = time.perf_counter() - started
            save = next((a["key"] for a in snapshot.get("actions", []) if a["key"].startswith("save")), None)
            if save is None:
                self.problem = (
                    f"no card after logging in: {snapshot.get('status')} {snapshot.get('error')} "
                    f"{_messages(snapshot.get('tree', {}))}"
                )[:300]
                return
            state = {"who": self.username, "mood": int(mood)} if form else {f"mood_{save[5:]}": mood}
            started = time.perf_counter()
            answer = _post(self.url, {"session_id": self.session, "widget_state": state, "trigger": {"key": save}})
            self.save_s = time.perf_counter() - started
            shown = _messages(answer.get("tree", {}))
            self.saved = any("saved" in m.lower() for m in shown)
            if not self.saved:
                self.problem = "; ".join(shown)[:200] or json.dumps(answer.get("error"))[:200]
        except (OSError, urllib.error.URLError, KeyError, ValueError) as exc:
            self.problem = f"{type(exc).__name__}: {exc}"[:200]


@dataclass
class CrowdResult:
    n: int
    written: int
    saves: list[float] = field(default_factory=list)
    logins: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @staticmethod
    def _p(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")

    @property
    def p50(self) -> float:
        return statistics.median(self.saves) if self.saves else float("nan")

    @property
    def p95(self) -> float:
        return self._p(self.saves, 0.95)


def crowd(urls: list[str], usernames: list[str], *, form: bool = False) -> list[Person]:
    """Everyone logs in and saves at the same moment (threads released together by a barrier);
    person i talks to server i mod len(urls)."""
    people = [Person(urls[i % len(urls)], name) for i, name in enumerate(usernames)]
    for person in people:
        person.open()
    barrier = threading.Barrier(len(people))

    def go(person: Person, mood: str) -> None:
        barrier.wait()
        person.log_in_and_save(mood, form=form)

    threads = [threading.Thread(target=go, args=(p, str(3 + i % 6))) for i, p in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return people


def server_env(database_url: str, cookie_key: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "IOP_DEMO_MODE": "false",
        "IOP_COOKIE_KEY": cookie_key,
        "IOP_BCRYPT_ROUNDS": "4",
        "IOP_LOG_LEVEL": "WARNING",
        "IOP_SECRETS_FILE": str(ROOT / ".bench-cache" / "no-secrets.toml"),
    }
    return env
