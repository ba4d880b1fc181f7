"""Shared fixtures: a database of its own for every test (a SQLite file, or a PostgreSQL database
when TEST_DATABASE_URL is set by `make test`), settings for demo mode with cheap bcrypt, the demo
seed, and small factories for tests that need one person.

Pace: the schema and the demo are built once per session, as templates (`alembic upgrade head`,
then `seed_demo`, exactly as `make run` builds them). Each test then gets a copy: a file copy on
SQLite; on PostgreSQL, this worker's copy of the template (`CREATE DATABASE … TEMPLATE …` once per
worker), put back to the template after every test (PgPool). Tests stay isolated (every test starts
from exactly the template) without paying for migrations and the seed every time.

Workers: `make test` runs pytest with two pytest-xdist workers. The templates are built once per run
for all of them (the first worker to ask builds them under a file lock; the other waits and reuses
them), and every test still gets its own copy, so no two workers ever share a database: a
concurrency test's threads meet at their barrier inside one worker, on that test's own database.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import shutil
import sqlite3
import tempfile
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import close_all_sessions
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel, select

import core.models  # noqa: F401 - registers the tables
from core import config, db
from core.program import _programs as program_cache
from ui import collector

# The garbage collector at the server's pace (ui/collector.py): with Python's default, the collector
# was about a tenth of a test process's CPU (tests/app, one process: 6.0 of 57 CPU-s, 4,341 young
# collections; at the server's threshold 2.5 of 49, 274).
collector.tune()

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


def _migrate(url: str, folder: Path) -> None:
    """Migrate `url` from empty, as `make run` does (the empty template; the demo's is a copy of it, seeded)."""
    with pytest.MonkeyPatch.context() as mp:
        _quiet_settings(mp, folder)
        run_migrations(url)
    config.settings.cache_clear()


def _seed(url: str, folder: Path) -> None:
    """Seed the demo into `url` (a copy of the migrated empty template), as `make run` does after migrating.
    (Copying the migrated schema instead of migrating a second database from empty: ~2 CPU-s less per run.)"""
    from core.seed import seed_demo

    with pytest.MonkeyPatch.context() as mp:
        _quiet_settings(mp, folder)
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
            if seeded:  # the empty template, migrated and in WAL mode, copied and seeded
                shutil.copyfile(folder / "empty.db", path)
                _seed(f"sqlite:///{path}", folder)
            else:
                _migrate(f"sqlite:///{path}", folder)
            # Left in WAL mode, as the app's engine sets it (core.db.make_engine), so a test's first connection to
            # its copy has no journal mode to change (~1 ms of CPU and ~10 ms of waiting on the disk a test). Still
            # one self-contained file: the last connection to close checkpoints the WAL and deletes it.
            conn = sqlite3.connect(path)
            try:
                assert conn.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
            finally:
                conn.close()
            assert not Path(f"{path}-wal").exists()
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


# --- PostgreSQL: a database per worker, put back to its template after each test ----------------

# Run once in a worker's database right after it is copied from a template (so while it is still exactly
# the template). Schema iop_reset holds: a copy of every table's rows and every sequence's value as they
# are now; `dirty`, where a statement trigger on every table notes each table a statement wrote to;
# `ddl`, where an event trigger notes any change of the schema (a test that drops a CHECK, say); and
# reset(), which puts back the tables noted in `dirty` (their rows deleted and copied back, foreign keys
# and triggers off while it does) and every sequence whose value moved (a rolled-back insert moves one
# too, and notes nothing).
_POOL_SETUP = r"""
CREATE SCHEMA iop_reset;
CREATE UNLOGGED TABLE iop_reset.dirty (name text NOT NULL);
CREATE UNLOGGED TABLE iop_reset.ddl (tag text);
CREATE TABLE iop_reset.tables (name text PRIMARY KEY, cols text NOT NULL, match text);
CREATE TABLE iop_reset.state (since bigint NOT NULL);
INSERT INTO iop_reset.state VALUES (pg_current_xact_id()::text::bigint % 4294967296);
CREATE FUNCTION iop_reset.mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO iop_reset.dirty VALUES (TG_TABLE_NAME);
  RETURN NULL;
END $$;
CREATE FUNCTION iop_reset.ddl_mark() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO iop_reset.ddl VALUES (tg_tag);
END $$;
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('CREATE TABLE iop_reset.%I AS SELECT * FROM public.%I', t, t);
    EXECUTE format('CREATE TRIGGER iop_reset_mark AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON public.%I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION iop_reset.mark()', t);
    INSERT INTO iop_reset.tables
      SELECT t, string_agg(quote_ident(attname), ', ' ORDER BY attnum),
             (SELECT string_agg(format('x.%1$I = p.%1$I', k.attname), ' AND ')
              FROM pg_index i JOIN pg_attribute k ON k.attrelid = i.indrelid AND k.attnum = ANY (i.indkey)
              WHERE i.indrelid = format('public.%I', t)::regclass AND i.indisprimary)
      FROM pg_attribute
      WHERE attrelid = format('public.%I', t)::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
  END LOOP;
END $$;
CREATE TABLE iop_reset.seqs AS
  SELECT sequencename AS name, start_value, last_value FROM pg_sequences WHERE schemaname = 'public';
CREATE FUNCTION iop_reset.reset() RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  t record;
  n int := 0;
  since bigint;
BEGIN
  PERFORM set_config('session_replication_role', 'replica', true);
  SELECT s.since INTO since FROM iop_reset.state s;
  FOR t IN SELECT r.name, r.cols, r.match FROM iop_reset.tables r
           WHERE r.name IN (SELECT d.name FROM iop_reset.dirty d) LOOP
    IF t.match IS NOT NULL THEN
      -- The rows written since the last reset go (an insert or an update gives a row a newer xmin than
      -- `since`), then the template's rows missing by primary key (deleted, or changed and just gone) come back.
      EXECUTE format('DELETE FROM public.%I WHERE xmin::text::bigint >= $1', t.name) USING since;
      EXECUTE format('INSERT INTO public.%1$I (%2$s) OVERRIDING SYSTEM VALUE SELECT %2$s FROM iop_reset.%1$I p '
                     'WHERE NOT EXISTS (SELECT FROM public.%1$I x WHERE %3$s)', t.name, t.cols, t.match);
    ELSE  -- (no primary key: all its rows)
      EXECUTE format('DELETE FROM public.%I', t.name);
      EXECUTE format('INSERT INTO public.%1$I (%2$s) OVERRIDING SYSTEM VALUE SELECT %2$s FROM iop_reset.%1$I',
                     t.name, t.cols);
    END IF;
    n := n + 1;
  END LOOP;
  DELETE FROM iop_reset.dirty;
  FOR t IN SELECT s.name, s.start_value, s.last_value FROM iop_reset.seqs s
           JOIN pg_sequences c ON c.schemaname = 'public' AND c.sequencename = s.name
           WHERE c.last_value IS DISTINCT FROM s.last_value LOOP
    IF t.last_value IS NULL THEN
      PERFORM setval(format('public.%I', t.name), t.start_value, false);
    ELSE
      PERFORM setval(format('public.%I', t.name), t.last_value, true);
    END IF;
  END LOOP;
  -- (xids are 32 bits in xmin; a test run is far from wrapping around)
  UPDATE iop_reset.state SET since = pg_current_xact_id()::text::bigint % 4294967296 + 1;
  RETURN n;
END $$;
CREATE EVENT TRIGGER iop_reset_ddl ON ddl_command_end EXECUTE FUNCTION iop_reset.ddl_mark();
"""


def fingerprint(connection) -> dict[str, tuple]:
    """What a database holds, to compare two of them: per table of the app's schema its row count and a
    hash of its rows, per sequence its value (None when never used)."""
    dialect = connection.dialect.name
    out: dict[str, tuple] = {}
    for table in sorted(SQLModel.metadata.tables):
        if dialect == "postgresql":
            row = connection.execute(
                text(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"
                )
            ).one()
        else:
            rows = sorted(repr(tuple(r)) for r in connection.execute(text(f'SELECT * FROM "{table}"')))
            row = (len(rows), hash("|".join(rows)))
        out[table] = tuple(row)
    if dialect == "postgresql":
        for name, value in connection.execute(
            text("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
        ):
            out[f"sequence {name}"] = (value,)
    # (SQLite: the tables have no AUTOINCREMENT, so a new row's id is the largest id + 1: the rows say it)
    return out


class PgPool:
    """This worker's database for one template (the demo, or the empty schema), reused by its tests.

    Copied from the template once (CREATE DATABASE … TEMPLATE), then put back after each test by
    iop_reset.reset() (see _POOL_SETUP): only the tables the test wrote to are copied back, instead of a
    database created and dropped per test (~30 ms of the server's CPU each). Every test still starts from
    exactly the template: rows and sequences put back, and a database whose schema a test changed is
    dropped and copied from the template again.

    The app's engine for the database (db.make_engine's, through db.engine_for) is kept too, with its
    connections: a new backend cost the server ~4 ms of CPU to start and more to end, and a test opened one
    to three. Connections go back to the pool between tests (rolled back); one still in a transaction
    after the test is ended by the reset; an engine a test added event listeners to is replaced."""

    def __init__(self, template: str, name: str):
        self.template = template
        self.name = name
        self.connection = None
        self.origin: dict[str, tuple] = {}  # the template's fingerprint, read from the fresh copy
        self.engine = None
        self.listeners: list = []
        self.kept: set[int] = set()  # server backend pids of the kept engine's connections

    @staticmethod
    def _listeners(engine) -> list:
        return [list(getattr(d, name)) for d in (engine.dispatch, engine.pool.dispatch) for name in d._event_names]

    def shared_engine(self, make_engine):
        if self.engine is None:
            self.engine = make_engine(_pg_url(self.name))
            kept = self.kept = set()
            # (noted on the DB-API connection as the pool makes it: how the reset tells the kept connections
            # from every other backend on the database)
            event.listen(self.engine, "connect", lambda dbapi, _record: kept.add(dbapi.info.backend_pid))
            self.listeners = self._listeners(self.engine)
        return self.engine

    def _drop_engine(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        self.kept = set()

    def _create(self) -> None:
        with _pg_admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.template}"{_pg_copy_strategy()}'))
        engine = create_engine(_pg_url(self.name), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.connection = engine.connect()
        if not self.origin:
            self.origin = fingerprint(self.connection)
        self.connection.connection.driver_connection.execute(_POOL_SETUP)  # (no parameters: sent as it is)

    def url(self) -> str:
        if self.connection is None:
            self._create()
        return _pg_url(self.name)

    def reset(self) -> None:
        """Put the database back to its template. Every other connection to it is ended first, and waited for
        (its transaction rolled back), except the kept engine's idle ones: one a test left in a transaction,
        and any of another process (a server, a worker, a process the test started that outlived it) even
        when idle, which would otherwise go on reading and writing in the next test's database. Nothing then
        holds a lock or writes after the reset."""
        if self.engine is not None and self._listeners(self.engine) != self.listeners:
            self._drop_engine()
        conn = self.connection
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                " AND (state IS DISTINCT FROM 'idle' OR pid <> ALL (CAST(:kept AS int[])))"
            ),
            {"kept": sorted(self.kept)},
        )
        if conn.execute(text("SELECT EXISTS (SELECT FROM iop_reset.ddl)")).scalar_one():
            self._drop_engine()
            self.close()
            self._create()
            return
        conn.execute(text("SELECT iop_reset.reset()"))

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


_pools: dict[bool, PgPool] = {}


class SqliteSlot:
    """This worker's SQLite file for one template (the demo, or the empty schema), at one path for all its
    tests: a fresh copy of the template is put there before each test, and the app's engine for it is kept
    from test to test (its connections closed after each). A kept engine keeps SQLAlchemy's cache of compiled
    statements (one per engine, keyed by its dialect): with an engine per test, every statement a test ran
    was compiled again, about a tenth of the SQLite tests' CPU (`people` alone: its INSERTs, each test)."""

    def __init__(self, template: Path, path: Path):
        self.template = template
        self.path = path
        self.engine = None
        self.listeners: list = []

    def fresh(self) -> str:
        """A copy of the template at the slot's path (a new file, so a connection a test left open keeps the old
        one), with no journal of the last test's beside it."""
        self.path.parent.mkdir(exist_ok=True)
        copy = self.path.with_name(self.path.name + ".new")
        shutil.copyfile(self.template, copy)
        for suffix in ("-wal", "-shm", "-journal"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
        os.replace(copy, self.path)
        return f"sqlite:///{self.path}"

    def shared_engine(self, make_engine):
        if self.engine is None:
            self.engine = make_engine(f"sqlite:///{self.path}")
            self.listeners = PgPool._listeners(self.engine)
        return self.engine

    def after(self) -> None:
        """Close the kept engine's connections; replace the engine if a test added event listeners to it, or
        left a transaction holding the writers' turn (the turn's locks go with it)."""
        if self.engine is None:
            return
        self.engine.dispose()
        if PgPool._listeners(self.engine) != self.listeners or self.engine.iop_writer.locked():
            db._writers.pop(os.path.realpath(self.path), None)
            self.path.with_name(self.path.name + db.WRITER_FILE_SUFFIX).unlink(missing_ok=True)
            self.engine = None


_slots: dict[bool, SqliteSlot] = {}


def _slots_folder(request) -> Path:
    """Where this process's slot files live: a folder in memory (/dev/shm, a tmpfs) when there is one with room,
    removed at the end of the session (pytest_sessionfinish), else the run's base temp. A test's database is
    copied there before each test and thrown away after it, and each connection's last close checkpoints its
    WAL with an fsync: on ext4, alternated with the same 390 unit tests in memory (three pairs), that was ~5%
    more CPU (a fifth more system time) and ~15% more wall time (the `scripts/test-all.sh` PostgreSQL cluster
    lives there for the same reason)."""
    if _slots_dir:
        return _slots_dir[0]
    base = request.getfixturevalue("tmp_path_factory").getbasetemp()
    try:
        shm = os.statvfs("/dev/shm")
        roomy = shm.f_bavail * shm.f_frsize > 1024**3 and Path("/dev/shm").is_dir()
    except OSError:
        roomy = False
    folder = Path(tempfile.mkdtemp(prefix=f"iop-slots-{_worker() or 'main'}-", dir="/dev/shm")) if roomy else base
    _slots_dir.append(folder)
    return folder


_slots_dir: list[Path] = []


def _sqlite_slot(request, seeded: bool) -> SqliteSlot:
    if seeded not in _slots:
        template = request.getfixturevalue("sqlite_templates")[seeded]
        folder = _slots_folder(request) / f"db-{'demo' if seeded else 'empty'}"
        _slots[seeded] = SqliteSlot(template, folder / "test.db")
    return _slots[seeded]


def _pg_pool(request, seeded: bool) -> PgPool:
    if seeded not in _pools:
        template = request.getfixturevalue("pg_templates")[seeded]
        kind = "demo" if seeded else "empty"
        _pools[seeded] = PgPool(template, f"iop_w_{_run_id()[:8]}_{_worker() or 'main'}_{kind}")
    return _pools[seeded]


def _drop_pg_pools() -> None:
    for pool in _pools.values():
        pool._drop_engine()
        pool.close()
        with _pg_admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{pool.name}" WITH (FORCE)'))
    _pools.clear()


@pytest.fixture(scope="session")
def pg_templates(tmp_path_factory):
    """Two PostgreSQL databases, built once per run and used only as templates (nobody connects to
    them). With workers, the run's controller drops them at the end (pytest_sessionfinish)."""
    if not PG_URL:
        yield None
        return

    def build(folder: Path) -> dict[str, str]:
        names = _pg_template_names()
        with _pg_admin().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{names[False]}"'))
        _migrate(_pg_url(names[False]), folder)
        with _pg_admin().connect() as conn:  # the demo's: the migrated schema copied, then seeded
            conn.execute(text(f'CREATE DATABASE "{names[True]}" TEMPLATE "{names[False]}"{_pg_copy_strategy()}'))
        _seed(_pg_url(names[True]), folder)
        return {str(seeded): name for seeded, name in names.items()}

    built = _once_per_run(tmp_path_factory, "pg-templates", build)
    yield {seeded: built[str(seeded)] for seeded in (False, True)}
    _drop_pg_pools()
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


@pytest.fixture
def database_url(request, monkeypatch):
    """Each test gets a database of its own and DATABASE_URL pointing at it (for the app too):
    the demo if the test uses the `demo` fixture (directly or through another), else empty. On SQLite a
    fresh copy of the template file at this worker's path for it (SqliteSlot); on PostgreSQL this worker's
    database for that template, put back to the template after the test (PgPool). Either way the app's
    engine for it is kept from test to test."""
    seeded = "demo" in request.fixturenames
    db.engine_for.cache_clear()
    if PG_URL:
        pool = _pg_pool(request, seeded)
        url = pool.url()
        make_engine = db.make_engine
        monkeypatch.setattr(
            db, "make_engine", lambda u: pool.shared_engine(make_engine) if u == url else make_engine(u)
        )
    else:
        slot = _sqlite_slot(request, seeded)
        url = slot.fresh()
        make_engine = db.make_engine
        monkeypatch.setattr(
            db, "make_engine", lambda u: slot.shared_engine(make_engine) if u == url else make_engine(u)
        )
    # Program settings are cached per database URL for 30 s (core.program): the worker's database keeps its
    # URL from test to test, so a test would see the settings the one before it read.
    program_cache.clear()
    monkeypatch.setenv("DATABASE_URL", url)
    config.settings.cache_clear()
    yield url
    db.engine_for.cache_clear()
    if PG_URL:
        pool.reset()
    else:
        slot.after()


@pytest.fixture
def reset_database(request, database_url):
    """Puts this test's database back to its template now, exactly as happens after every test (on
    SQLite, by copying the template file again); tests/unit/test_fresh_database.py checks it."""
    seeded = "demo" in request.fixturenames

    def reset() -> None:
        close_all_sessions()  # (as after a test, when the `session` fixture has closed its own)
        db.engine_for(database_url).dispose()
        if PG_URL:
            _pg_pool(request, seeded).reset()
        else:  # the backup API writes into the live file (its WAL included) while a connection is open
            template = sqlite3.connect(request.getfixturevalue("sqlite_templates")[seeded])
            live = sqlite3.connect(database_url.removeprefix("sqlite:///"))
            try:
                template.backup(live)
            finally:
                template.close()
                live.close()

    return reset


@pytest.fixture
def template_fingerprint(request, database_url) -> dict[str, tuple]:
    """fingerprint() of the template this test's database was copied from (on PostgreSQL, read from the
    worker's database when it was a fresh copy, before any test ran on it)."""
    seeded = "demo" in request.fixturenames
    if PG_URL:
        return _pg_pool(request, seeded).origin
    engine = create_engine(f"sqlite:///{request.getfixturevalue('sqlite_templates')[seeded]}", poolclass=NullPool)
    with engine.connect() as conn:
        return fingerprint(conn)


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

    def participants(self, count: int, prefix: str, *, started_on=None) -> list:
        """`count` participants like participant()'s ("late0", "Late 0", …), on the caseload, for a large
        clinic: one batched INSERT per table and one commit (no ORM objects); returns their Actors."""
        from sqlalchemy import insert

        from core.access import Actor
        from core.models import AppUser, CaseloadAssignment, Role

        rows = [
            {
                "username": f"{prefix}{i}",
                "name": f"{prefix.capitalize()} {i}",
                "role": Role.PARTICIPANT.value,
                "password_hash": "!",
                "program_id": self.program.id,
                "started_on": started_on,
            }
            for i in range(count)
        ]
        users = AppUser.__table__
        ids = self.session.execute(insert(users).returning(users.c.id, sort_by_parameter_order=True), rows).scalars()
        actors = [
            Actor(id=i, role=Role.PARTICIPANT, username=r["username"], name=r["name"], program_id=self.program.id)
            for i, r in zip(ids, rows, strict=True)
        ]
        self.session.execute(
            insert(CaseloadAssignment.__table__),
            [{"participant_id": a.id, "therapist_id": self.therapist.id} for a in actors],
        )
        self.session.commit()
        return actors

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
    controller, which has every worker's results; it also drops the run's PostgreSQL templates.) Each
    process removes its SQLite slots' folder in memory (_slots_folder)."""
    for slot in _slots.values():
        if slot.engine is not None:
            slot.engine.dispose()
    if _slots_dir and str(_slots_dir[0]).startswith("/dev/shm/"):
        shutil.rmtree(_slots_dir[0], ignore_errors=True)
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
