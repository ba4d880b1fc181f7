"""Shared fixtures: a database of its own for every test (a SQLite file, or a PostgreSQL database
when TEST_DATABASE_URL is set by `make test`), settings for demo mode with cheap bcrypt, the demo
seed, and small factories for tests that need one person.

Pace: the schema and the demo are built once per session, as templates (`alembic upgrade head`,
then `seed_demo`, exactly as `make run` builds them). Each test then gets a copy: a file copy on
SQLite, `CREATE DATABASE … TEMPLATE …` on PostgreSQL. Tests stay isolated (every test writes to
its own copy) without paying for migrations and the seed every time.

Workers: `make test` runs pytest with two pytest-xdist workers. The templates are built once per run
for all of them (the first worker to ask builds them under a file lock; the other waits and reuses
them), and every test still gets its own copy, so no two workers ever share a database: a
concurrency test's threads meet at their barrier inside one worker, on that test's own database.
"""

from __future__ import annotations

import fcntl
import functools
import itertools
import json
import os
import shutil
import sqlite3
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

import core.models  # noqa: F401 - registers the tables
from core import config, db

TEST_ROUNDS = "4"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
ROOT = Path(__file__).resolve().parent.parent


def at_once(count: int, work) -> list[BaseException]:
    """Run `work(i)` for i in range(count) on that many threads released together by a barrier (a
    double tap, two phones, a retry: really at the same moment); returns what they raised."""
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            work(i)
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures


def alembic_config(url: str):
    """Alembic's configuration for the database at `url` (migrations/env.py reads the url from it)."""
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    return cfg


def run_migrations(url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def _quiet_settings(mp: pytest.MonkeyPatch, folder: Path) -> None:
    """The environment every test runs in: demo mode, no secrets file, quick bcrypt.

    Demo mode is asked for explicitly: a test database is a configured DATABASE_URL, and a
    configured database alone never turns demo mode on."""
    for name in ("IOP_COOKIE_KEY", "DATABASE_URL", "IOP_COOKIE_EXPIRY_DAYS", "IOP_COOKIE_SECURE"):
        mp.delenv(name, raising=False)
    mp.setenv("IOP_DEMO_MODE", "true")
    mp.setenv("IOP_SECRETS_FILE", str(folder / "no-secrets.toml"))
    mp.setenv("IOP_BCRYPT_ROUNDS", TEST_ROUNDS)
    mp.setenv("IOP_DATA_DIR", str(folder / "data"))
    config.settings.cache_clear()


def _build(url: str, folder: Path, *, seeded: bool) -> None:
    """Migrate `url` from empty and, if asked, seed the demo into it, as `make run` does."""
    from core.seed import seed_demo

    with pytest.MonkeyPatch.context() as mp:
        _quiet_settings(mp, folder)
        run_migrations(url)
        if seeded:
            engine = db.make_engine(url)
            with Session(engine, expire_on_commit=False) as session:
                seed_demo(session, rounds=int(TEST_ROUNDS))
            engine.dispose()
    config.settings.cache_clear()


def _worker() -> str | None:
    """This pytest-xdist worker's name ("gw0", "gw1"...), or None when pytest runs alone."""
    return os.environ.get("PYTEST_XDIST_WORKER")


def _run_id() -> str:
    """One id for this whole run, the same in every worker (xdist hands each worker the run's id)."""
    return os.environ.get("PYTEST_XDIST_TESTRUNUID") or _LOCAL_RUN


_LOCAL_RUN = uuid.uuid4().hex


def _once_per_run(tmp_path_factory, name: str, build) -> dict:
    """build() once for the whole run, whichever worker asks first; the others wait for it (a file
    lock) and read what it returned (JSON) from beside the lock."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if _worker() else base) / f"shared-{name}"
    folder.mkdir(exist_ok=True)
    done = folder / "built.json"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            done.write_text(json.dumps(build(folder)))
    return json.loads(done.read_text())


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory) -> dict[bool, Path]:
    """Two SQLite files, built once per run: the migrated schema, and the schema with the demo in it."""

    def build(folder: Path) -> dict[str, str]:
        files = {}
        for seeded in (False, True):
            path = folder / ("demo.db" if seeded else "empty.db")
            _build(f"sqlite:///{path}", folder, seeded=seeded)
            with sqlite3.connect(path) as conn:  # one self-contained file: no -wal beside it to copy
                conn.execute("PRAGMA journal_mode=DELETE")
            files[str(seeded)] = str(path)
        return files

    built = _once_per_run(tmp_path_factory, "sqlite-templates", build)
    return {seeded: Path(built[str(seeded)]) for seeded in (False, True)}


@functools.cache
def _pg_admin():
    """One connection to the server's `postgres` database per process, for creating and dropping
    the test databases (a new backend per test cost the server a fork and a catalog load each)."""
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


@functools.cache
def _pg_copy_strategy() -> str:
    """How CREATE DATABASE copies a template: FILE_COPY (PostgreSQL 15+) copies its files as they
    are; the default (WAL_LOG) reads and WAL-logs each of its ~1,400 pages, and cost the server
    about twice as much CPU per test database."""
    with _pg_admin().connect() as conn:
        version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    return " STRATEGY = FILE_COPY" if version >= 150000 else ""


def _pg_url(name: str) -> str:
    return PG_URL.rsplit("/", 1)[0] + f"/{name}"


def _pg_template_names() -> dict[bool, str]:
    run = _run_id()[:8]
    return {False: f"iop_tmpl_{run}_empty", True: f"iop_tmpl_{run}_demo"}


def _drop_pg_templates() -> None:
    with _pg_admin().connect() as conn:
        for name in _pg_template_names().values():
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_templates(tmp_path_factory):
    """Two PostgreSQL databases, built once per run and used only as templates (nobody connects to
    them). With workers, the run's controller drops them at the end (pytest_sessionfinish)."""
    if not PG_URL:
        yield None
        return

    def build(folder: Path) -> dict[str, str]:
        names = _pg_template_names()
        for seeded, name in names.items():
            with _pg_admin().connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            _build(_pg_url(name), folder, seeded=seeded)
        return {str(seeded): name for seeded, name in names.items()}

    built = _once_per_run(tmp_path_factory, "pg-templates", build)
    yield {seeded: built[str(seeded)] for seeded in (False, True)}
    if not _worker():
        _drop_pg_templates()


@pytest.fixture
def empty_url(tmp_path):
    """An empty database, not migrated (a migration test upgrades it step by step): a SQLite file, or
    under `make test`'s PostgreSQL phase a database of its own on that server, dropped afterwards."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"iop_empty_{uuid.uuid4().hex[:8]}"
    with _pg_admin().connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield _pg_url(name)
    db.engine_for.cache_clear()  # (engines a test made for it hold connections that would block the drop)
    with _pg_admin().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_database_url(pg_templates):
    """A migrated, empty PostgreSQL database (the empty template; read it, don't write to it)."""
    return _pg_url(pg_templates[False]) if pg_templates else None


@pytest.fixture(autouse=True)
def test_settings(monkeypatch, tmp_path):
    """Demo mode, no secrets file, quick bcrypt; caches cleared so each test sees its own env."""
    _quiet_settings(monkeypatch, tmp_path)
    yield
    config.settings.cache_clear()


_numbers = itertools.count()


@pytest.fixture
def database_url(request, tmp_path, monkeypatch):
    """Each test gets a database of its own and DATABASE_URL pointing at it (for the app too):
    the demo if the test uses the `demo` fixture (directly or through another), else empty."""
    seeded = "demo" in request.fixturenames
    db.engine_for.cache_clear()
    if PG_URL:
        template = request.getfixturevalue("pg_templates")[seeded]
        name = f"iop_t_{_run_id()[:8]}_{_worker() or 'main'}_{next(_numbers)}"
        with _pg_admin().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{_pg_copy_strategy()}'))
        url = _pg_url(name)
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_templates")[seeded], path)
        url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    config.settings.cache_clear()
    yield url
    db.engine_for(url).dispose()
    db.engine_for.cache_clear()
    if PG_URL:
        with _pg_admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def engine(database_url):
    return db.engine_for(database_url)


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def demo(session):
    """The demo program and accounts, as `make run` seeds them (copied from the session's template
    by `database_url`, which sees this fixture among the test's fixtures)."""
    from core.models import Program

    return session.exec(select(Program).order_by(Program.id)).first()


# --- small factories, for tests that need a person or two and not the whole demo ----------------


class People:
    """A program (New York, substance use tracked, the default card targets), its admin and one
    therapist, on an otherwise empty database; participants made on demand, on that caseload."""

    def __init__(self, session: Session):
        from core.diary import ensure_default_targets
        from core.models import AppUser, Program, Role

        self.session = session
        self.program = Program(
            name="Test IOP", timezone="America/New_York", substance_use_tracking=True, crisis_region="US"
        )
        session.add(self.program)
        session.flush()
        ensure_default_targets(session, self.program.id)
        self.admin = AppUser(
            username="admin.test",
            name="Ada Admin",
            role=Role.ADMIN.value,
            password_hash="!",
            program_id=self.program.id,
        )
        self.therapist = AppUser(
            username="dr.test",
            name="Dr. Tess Ting",
            role=Role.THERAPIST.value,
            password_hash="!",
            program_id=self.program.id,
        )
        session.add_all([self.admin, self.therapist])
        session.commit()

    def participant(
        self, username: str = "quinn", *, name: str = "Quinn Rivers", tz: str | None = None, started_on=None
    ):
        """A participant with no history, on the therapist's caseload; returns their Actor."""
        from core.access import Actor
        from core.models import AppUser, CaseloadAssignment, Role

        user = AppUser(
            username=username,
            name=name,
            role=Role.PARTICIPANT.value,
            password_hash="!",
            program_id=self.program.id,
            timezone=tz,
            started_on=started_on,
        )
        self.session.add(user)
        self.session.flush()
        self.session.add(CaseloadAssignment(participant_id=user.id, therapist_id=self.therapist.id))
        self.session.commit()
        return Actor.of(user)

    def actor(self, user):
        from core.access import Actor

        return Actor.of(user)


@pytest.fixture
def people(session) -> People:
    """Small factories for tests that need a person or two, not the whole demo (see People)."""
    return People(session)


E2E = ROOT / "tests" / "e2e"


def pytest_collection_modifyitems(config, items):
    """Tests that use a database are marked `db`, so `make test` repeats them on PostgreSQL.

    With workers (`-n 2 --dist loadgroup`), the tests of one e2e module go to one worker, so the
    module's Streamlit server (a module-scoped fixture) starts once, not once per worker."""
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)
        if E2E in Path(item.fspath).parents:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


def pytest_sessionfinish(session, exitstatus):
    """On CI nothing may be skipped: a skipped test turns the run red. (Checked once, by the run's
    controller, which has every worker's results; it also drops the run's PostgreSQL templates.)"""
    if hasattr(session.config, "workerinput"):
        return
    if PG_URL and session.config.pluginmanager.hasplugin("dsession"):
        _drop_pg_templates()
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        reporter.write_line(f"CI=true: {skipped} test(s) were skipped; nothing may be skipped on CI.", red=True)
        session.exitstatus = 1


# --- the property suite's table, when workers ran it (tests/property/conftest.py) ----------------

_property_results: list[dict] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controller, as each xdist worker ends: keep its share of the property suite's results."""
    results = getattr(node, "workeroutput", {}).get("property_suite")
    if results:
        _property_results.append(results)


def pytest_terminal_summary(terminalreporter, config):
    if _property_results:
        property_summary(terminalreporter, _property_results)


def property_summary(terminalreporter, shares: list[dict]) -> None:
    """Per core function: how its examples ended and how long they took (from one or more workers)."""
    functions = {name: row for share in shares for name, row in share["functions"].items()}
    first = shares[0]
    terminalreporter.write_sep("-", f"property suite on {first['database']}: {first['examples']} examples per function")
    for name, (seconds, outcomes) in sorted(functions.items()):
        told = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        terminalreporter.write_line(f"{name:<38} {seconds:6.1f}s  {told}")
    terminalreporter.write_line(f"{'total':<38} {sum(row[0] for row in functions.values()):6.1f}s")
