"""Where a crowd's time goes: N participants log in at once, then (all logged in) save at once,
on one app process over SQLite (or `BENCH_PROBE_URL`), with the server's CPU seconds per phase.

    .venv/bin/python bench/crowd_probe.py [N]

Each phase is released by a barrier, so logins and saves are timed apart (the bench's crowd row
releases everyone into login *and* save, so a save there also waits behind other people's logins).
CPU seconds come from /proc/<pid>/stat: wall ≈ CPU means the one interpreter is the queue (the GIL),
wall ≫ CPU means waiting on something else (a lock, the database).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import databases, server  # noqa: E402
from bench.run import COOKIE_KEY, _forget_todays_cards  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def phase(name: str, people, action, pid: int) -> None:
    barrier = threading.Barrier(len(people))
    took: list[float] = []

    def go(person, i):
        barrier.wait()
        started = time.perf_counter()
        action(person, i)
        took.append(time.perf_counter() - started)

    cpu, wall = cpu_seconds(pid), time.perf_counter()
    threads = [threading.Thread(target=go, args=(x, i)) for i, x in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - wall, cpu_seconds(pid) - cpu
    print(
        f"{name:>8}: N={len(people)} p50 {statistics.median(took):.2f} s, p95 {p(took, 0.95):.2f} s, "
        f"wall {wall:.2f} s, server CPU {cpu:.2f} s ({1000 * cpu / len(people):.0f} ms each)",
        flush=True,
    )


def _spy(path: str, pid: int):
    import subprocess

    recorder = subprocess.Popen(
        [str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(pid), "-o", path]
        + ["--format", "raw", "-r", "200", "--nonblocking"]
        + os.environ.get("BENCH_PROBE_SPY_ARGS", "").split(),  # e.g. "--gil": the interpreter's own CPU
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)  # py-spy attaching
    return recorder


def _stop(recorder) -> None:
    import signal

    recorder.send_signal(signal.SIGINT)
    recorder.wait(30)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    url = os.environ.get("BENCH_PROBE_URL")
    if not url:
        built = databases.sqlite_clinic(2000)
        url = databases.working_copy(built, Path(tempfile.mkdtemp(prefix="iop-probe-")))
        clinic = built.clinic
    else:
        clinic = databases.sqlite_clinic(2000).clinic
    env = server.server_env(url, COOKIE_KEY)
    srv = server.AppServer(ROOT / "app.py", env, Path(tempfile.mkdtemp(prefix="iop-probe-logs-")))
    try:
        warm = server.Person(srv.url, clinic.participant)
        warm.open()
        warm.log_in_and_save("5")
        names = list(clinic.crowd[:n])
        _forget_todays_cards(url, names)
        people = [server.Person(srv.url, u) for u in names]
        for person in people:
            person.open()
        keys: dict[str, str] = {}

        def log_in(person, _i):
            snapshot = server._post(
                srv.url,
                {
                    "session_id": person.session,
                    "widget_state": {"login_username": person.username, "login_password": person.password},
                    "trigger": {"key": "FormSubmitter:login-Log in"},
                },
            )
            keys[person.username] = next(a["key"] for a in snapshot["actions"] if a["key"].startswith("save"))

        def save(person, i):
            key = keys[person.username]
            answer = server._post(
                srv.url,
                {
                    "session_id": person.session,
                    "widget_state": {f"mood_{key[5:]}": str(3 + i % 6)},
                    "trigger": {"key": key},
                },
            )
            if not any("saved" in m.lower() for m in server._messages(answer.get("tree", {}))):
                print("NOT SAVED", person.username, server._messages(answer.get("tree", {}))[:2])

        def rerun(person, _i):
            server._post(srv.url, {"session_id": person.session, "widget_state": {}})

        # BENCH_PROBE_SPY=file: py-spy's raw (collapsed) stacks of the server over all three phases, or
        # over one of them with BENCH_PROBE_SPY_PHASE=login|save|rerun.
        spy, only = os.environ.get("BENCH_PROBE_SPY"), os.environ.get("BENCH_PROBE_SPY_PHASE")
        recorder = None
        for name, action in (("login", log_in), ("save", save), ("rerun", rerun)):
            if spy and recorder is None and only in (None, name):
                recorder = _spy(spy, srv.proc.pid)
            phase(name, people, action, srv.proc.pid)
            if recorder is not None and only == name:
                _stop(recorder)
                recorder = None
        if recorder is not None:
            _stop(recorder)
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
