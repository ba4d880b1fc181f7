"""Print what the property suite did: per core function, how the examples ended and how long it took."""

from __future__ import annotations

from tests.property import test_core_writes as suite


def pytest_terminal_summary(terminalreporter):
    if not suite.TIMINGS:
        return
    database = "PostgreSQL" if suite.PG else "SQLite"
    terminalreporter.write_sep("-", f"property suite on {database}: {suite.EXAMPLES} examples per function")
    for name, seconds in sorted(suite.TIMINGS.items()):
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(suite.OUTCOMES.get(name, {}).items()))
        terminalreporter.write_line(f"{name:<38} {seconds:6.1f}s  {outcomes}")
    terminalreporter.write_line(f"{'total':<38} {sum(suite.TIMINGS.values()):6.1f}s")
