"""Print what the property suite did: per core function, how the examples ended and how long it took.

With pytest-xdist workers, each worker hands its share to the run's controller (xdist's
`workeroutput`), and tests/conftest.py prints the whole table there."""

from __future__ import annotations

from tests.conftest import property_summary
from tests.property import test_core_writes as suite


def _results() -> dict:
    return {
        "database": "PostgreSQL" if suite.PG else "SQLite",
        "examples": suite.EXAMPLES,
        "functions": {name: [seconds, dict(suite.OUTCOMES.get(name, {}))] for name, seconds in suite.TIMINGS.items()},
    }


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and suite.TIMINGS:  # a worker: the controller prints the table
        workeroutput["property_suite"] = _results()


def pytest_terminal_summary(terminalreporter, config):
    if suite.TIMINGS and not hasattr(config, "workerinput"):  # pytest without workers
        property_summary(terminalreporter, [_results()])
