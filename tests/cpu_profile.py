"""Where the test suite's CPU goes: `pytest -p tests.cpu_profile` prints, per test file, the CPU
seconds used by this pytest process and every process it started (Streamlit servers, Chromium,
their children), and, when IOP_PG_DATA names a PostgreSQL data folder, by that server too.

Counted from /proc (user + system time, of live processes and of the children they have reaped),
at the start and the end of each test, so module-scoped fixtures (an e2e module's server) count
towards their module. Meant for one process (`IOP_TEST_WORKERS=0`, or `-p no:xdist`): with
workers, each worker counts its own tests, and the PostgreSQL server's CPU is shared by them.
Collection and session-wide fixtures are shown on lines of their own.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import pytest

HZ = os.sysconf("SC_CLK_TCK")


def _stats() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds of the process and its reaped children)."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
        ppid = int(fields[1])
        cpu = sum(int(f) for f in fields[11:15]) / HZ  # utime stime cutime cstime
        out[int(entry)] = (ppid, cpu)
    return out


def _tree_cpu(root: int, stats: dict[int, tuple[int, float]]) -> float:
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (ppid, _) in stats.items():
        children[ppid].append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
        todo.extend(children.get(pid, ()))
    return total


def _pg_pid() -> int | None:
    data = os.environ.get("IOP_PG_DATA")
    if not data:
        return None
    try:
        return int(Path(data, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _root() -> int:
    """Where the count starts: scripts/reap.py's process when pytest runs under it (it adopts the
    processes whose parent ended first, Chromium's renderers among them, and reaps them, so their
    CPU is in its children's times), else this pytest process (orphans' CPU is then lost)."""
    reaper = os.environ.get("IOP_REAPER_PID", "")
    return int(reaper) if reaper.isdigit() and Path(f"/proc/{reaper}").exists() else os.getpid()


def _now() -> tuple[float, float]:
    stats = _stats()
    pg = _pg_pid()
    return _tree_cpu(_root(), stats), (_tree_cpu(pg, stats) if pg else 0.0)


class CpuProfile:
    def __init__(self) -> None:
        self.per_file: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
        self.start = _now()
        self.mark = self.start
        self.collected = (0.0, 0.0)
        self.phases: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        self.per_test: dict[str, float] = {}

    def pytest_collection_finish(self, session):
        now = _now()
        self.collected = (now[0] - self.mark[0], now[1] - self.mark[1])
        self.mark = now

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        before = _now()
        yield
        after = _now()
        row = self.per_file[item.location[0]]
        row[0] += after[0] - before[0]
        row[1] += after[1] - before[1]
        row[2] += 1
        self.per_test[item.nodeid] = after[0] - before[0] + after[1] - before[1]

    def _phase(self, when):
        before = _now()
        yield
        after = _now()
        row = self.phases[when]
        row[0] += after[0] - before[0]
        row[1] += after[1] - before[1]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        yield from self._phase("setup")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        yield from self._phase("call")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item):
        yield from self._phase("teardown")

    def pytest_terminal_summary(self, terminalreporter):
        end = _now()
        tests = (sum(r[0] for r in self.per_file.values()), sum(r[1] for r in self.per_file.values()))
        tr = terminalreporter
        tr.write_sep("-", "CPU seconds per test file (pytest and its child processes; PostgreSQL server)")
        for name, (cpu, pg, count) in sorted(self.per_file.items(), key=lambda kv: -(kv[1][0] + kv[1][1])):
            tr.write_line(f"{name:<58} {count:5d} tests {cpu:8.1f} {pg:8.1f}")
        if os.environ.get("IOP_CPU_PROFILE_TESTS"):  # and the 40 dearest tests
            for name, cpu in sorted(self.per_test.items(), key=lambda kv: -kv[1])[:40]:
                tr.write_line(f"  {cpu:6.1f}  {name}")
        for when, (cpu, pg) in self.phases.items():
            tr.write_line(f"{'all tests: ' + when:<58} {'':11} {cpu:8.1f} {pg:8.1f}")
        tr.write_line(f"{'collection':<58} {'':11} {self.collected[0]:8.1f} {self.collected[1]:8.1f}")
        rest = (end[0] - self.start[0] - tests[0] - self.collected[0], end[1] - self.start[1] - tests[1])
        tr.write_line(f"{'outside tests (imports before collection aside)':<58} {'':11} {rest[0]:8.1f} {rest[1]:8.1f}")
        tr.write_line(f"{'total':<58} {'':11} {end[0] - self.start[0]:8.1f} {end[1] - self.start[1]:8.1f}")


def pytest_configure(config):
    config.pluginmanager.register(CpuProfile(), "iop_cpu_profile")
