"""Where a crowd's time goes: N participants log in at once, then (all logged in) save at once,
on one app process over SQLite (or `BENCH_PROBE_URL`), with the server's CPU seconds per phase.

    .venv/bin/python bench/crowd_probe.py [N]
    BENCH_PROBE_PROCESSES=2 .venv/bin/python bench/crowd_probe.py [N]   # two app processes, one SQLite file

With two processes person i talks to process i mod 2 (as the bench's crowd row), and the CPU seconds are
both processes' together (the profilers below watch the first process only).

Each phase is released by a barrier, so logins and saves are timed apart (the bench's crowd row
releases everyone into login *and* save, so a save there also waits behind other people's logins).
CPU seconds come from /proc/<pid>/stat: wall ≈ CPU means the one interpreter is the queue (the GIL),
wall ≫ CPU means waiting on something else (a lock, the database).

The agent API the probe drives the server with is part of what it measures: after every interaction
the server builds a snapshot of the whole page for the caller, and each call is an HTTP request (a
browser has one websocket and no snapshot). Profiled with yappi (BENCH_PROBE_YAPPI), that is about a
fifth of a save's server CPU here.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
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


def phase(name: str, people, action, pids: list[int]) -> None:
    barrier = threading.Barrier(len(people))
    took: list[float] = []

    def go(person, i):
        barrier.wait()
        started = time.perf_counter()
        action(person, i)
        took.append(time.perf_counter() - started)

    cpu, wall = sum(map(cpu_seconds, pids)), time.perf_counter()
    threads = [threading.Thread(target=go, args=(x, i)) for i, x in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - wall, sum(map(cpu_seconds, pids)) - cpu
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
    recorder.send_signal(signal.SIGINT)
    recorder.wait(30)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    url = os.environ.get("BENCH_PROBE_URL")
    if not url:
        built = databases.sqlite_clinic(2000)
        work = Path(tempfile.mkdtemp(prefix="iop-probe-"))
        atexit.register(shutil.rmtree, work, ignore_errors=True)  # (a copy of the clinic: 200 MB)
        url = databases.working_copy(built, work)
        clinic = built.clinic
    else:
        clinic = databases.sqlite_clinic(2000).clinic
    env = server.server_env(url, COOKIE_KEY)
    # BENCH_PROBE_YAPPI=file: yappi's CPU profile (all threads) of the server over the save phase (or
    # BENCH_PROBE_YAPPI_PHASE=login|rerun), a pstats file; yappi slows the server about fivefold, so
    # read it for shares, not times. Not a dependency: `pip install yappi`.
    yappi_out = os.environ.get("BENCH_PROBE_YAPPI")
    if yappi_out:
        Path(yappi_out + ".done").unlink(missing_ok=True)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "bench" / "probe_site"), env.get("PYTHONPATH", "")])
        env["YAPPI_OUT"] = yappi_out
    logs = Path(tempfile.mkdtemp(prefix="iop-probe-logs-"))
    servers = [server.AppServer(ROOT / "app.py", env, logs)]
    env.pop("YAPPI_OUT", None)  # (the first process alone is profiled)
    servers += [
        server.AppServer(ROOT / "app.py", env, logs)
        for _ in range(int(os.environ.get("BENCH_PROBE_PROCESSES", "1")) - 1)
    ]
    srv, pids = servers[0], [s.proc.pid for s in servers]
    try:
        for each in servers:
            warm = server.Person(each.url, clinic.participant)
            warm.open()
            warm.log_in_and_save("5")
        names = list(clinic.crowd[:n])
        _forget_todays_cards(url, names)
        people = [server.Person(servers[i % len(servers)].url, u) for i, u in enumerate(names)]
        for person in people:
            person.open()
        keys: dict[str, str] = {}

        def log_in(person, _i):
            snapshot = server._post(
                person.url,
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
                person.url,
                {
                    "session_id": person.session,
                    "widget_state": {f"mood_{key[5:]}": str(3 + i % 6)},
                    "trigger": {"key": key},
                },
            )
            if not any("saved" in m.lower() for m in server._messages(answer.get("tree", {}))):
                print("NOT SAVED", person.username, server._messages(answer.get("tree", {}))[:2])

        def rerun(person, _i):
            server._post(person.url, {"session_id": person.session, "widget_state": {}})

        # BENCH_PROBE_SPY=file: py-spy's raw (collapsed) stacks of the server over all three phases, or
        # over one of them with BENCH_PROBE_SPY_PHASE=login|save|rerun.
        spy, only = os.environ.get("BENCH_PROBE_SPY"), os.environ.get("BENCH_PROBE_SPY_PHASE")
        recorder = None
        for name, action in (("login", log_in), ("save", save), ("rerun", rerun)):
            if spy and recorder is None and only in (None, name):
                recorder = _spy(spy, srv.proc.pid)
            if yappi_out and name == os.environ.get("BENCH_PROBE_YAPPI_PHASE", "save"):
                os.kill(srv.proc.pid, signal.SIGUSR1)  # (bench/probe_site/sitecustomize.py)
                time.sleep(0.5)
                phase(name, people, action, pids)
                os.kill(srv.proc.pid, signal.SIGUSR2)
                while not Path(yappi_out + ".done").exists():
                    time.sleep(0.2)
                print(f"  yappi's CPU profile of the server over this phase: {yappi_out}")
                continue
            phase(name, people, action, pids)
            if recorder is not None and only == name:
                _stop(recorder)
                recorder = None
        if recorder is not None:
            _stop(recorder)
    finally:
        for each in servers:
            each.stop()


if __name__ == "__main__":
    main()
