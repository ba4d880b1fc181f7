"""The engine, sessions and the unit of work. SQLite by default (with WAL and friends), PostgreSQL by URL.

One unit of work per rerun: app.py's router opens `unit_of_work()` around the whole script run, and
every `session_scope()` inside it (the login check, the page, ui helpers) shares its session, so a
screen is one connection, one transaction and one commit. The audit events of the rerun wait in
the unit (`pending_audit`) and are written in one INSERT just before that commit (or before any
commit a write makes earlier in the rerun), in the same transaction as the data they describe.
Outside a unit (scripts, the scheduled job, tests calling core directly) `session_scope()` is a
session of its own that commits on success, as before.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlalchemy import CursorResult, Result, and_, event, insert, literal_column, union_all
from sqlalchemy import select as core_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, create_engine

from core.config import settings

log = logging.getLogger("iop")


# A rerun holds one connection from its first query to its commit (one unit of work), and Streamlit
# runs each browser session's rerun in a thread of its own: a process needs a connection for every
# rerun in flight at its busiest moment (a group's evening check-in), or the others wait and then
# fail. SQLite connections are a file handle each; PostgreSQL's are a server process each, so the
# database's max_connections must be at least (PG_POOL + PG_OVERFLOW) × app processes + a few.
SQLITE_POOL, SQLITE_OVERFLOW = 10, 90
PG_POOL, PG_OVERFLOW = 10, 30


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        if not memory:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            **({} if memory else {"pool_size": SQLITE_POOL, "max_overflow": SQLITE_OVERFLOW}),
        )
        if not memory:
            _one_writer_at_a_time(engine)

        @event.listens_for(engine, "before_cursor_execute")
        def _begin_before_a_write(conn, cursor, statement, _parameters, context, _executemany) -> None:
            # Python's sqlite3 opens the transaction itself only before a statement whose first word is
            # INSERT, UPDATE, DELETE or REPLACE; a write that begins otherwise ("WITH due AS (...) UPDATE",
            # notify.claim) would run outside it, committed at once, and stay when the rerun is undone.
            if (
                context is not None
                and (context.isinsert or context.isupdate or context.isdelete)
                and not _WRITE.match(statement)
                and not conn.connection.dbapi_connection.in_transaction
            ):
                cursor.execute("BEGIN")

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # a DB-API connection
            cur = dbapi_conn.cursor()
            if not memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

        return engine
    engine = create_engine(url, pool_size=PG_POOL, max_overflow=PG_OVERFLOW)
    _drop_connections_the_server_closed(engine)
    return engine


def _drop_connections_the_server_closed(engine: Engine) -> None:
    """A pooled PostgreSQL connection the server has ended (a restart, `pg_terminate_backend`, an idle
    timeout) is replaced at checkout, before a rerun uses it, without a round trip to the server.

    SQLAlchemy's `pool_pre_ping` asked the server on every checkout: a round trip and three waits on
    the driver in every rerun, about a tenth of a Caseload rerun on PostgreSQL (profiled). An idle
    connection in the pool has read everything its last query was sent, so the server has nothing
    more to say on it, except when it ends it: then its last message (the FATAL error) and the close
    are waiting on the socket. A look at the socket (poll, no wait) sees them; a connection with
    anything to read, or that the driver already knows is closed, is replaced (`DisconnectionError`:
    the pool makes a new one and the checkout goes on). A server that vanished without closing its
    sockets (a host gone from the network) is not seen by this, nor was it by the ping, which waited
    on it. tests/unit/test_db_connections.py ends every idle connection on the server and reruns."""
    import select

    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkout")
    def _still_open(dbapi_connection, _record, _proxy) -> None:
        if dbapi_connection.closed or dbapi_connection.broken:
            raise DisconnectionError("the connection was closed")
        waiting = select.poll()
        waiting.register(dbapi_connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        if waiting.poll(0):
            raise DisconnectionError("the server ended the connection while it was idle in the pool")


WRITER_WAIT_SECONDS = 30


def _one_writer_at_a_time(engine: Engine) -> None:
    """SQLite lets one connection write at a time; the others poll until `busy_timeout` and then
    fail with "database is locked". Under many sessions at once (a group's evening check-in) the
    pollers also crowd the one writer out of the interpreter, so its transaction lasts longer and
    more of them time out. Here a thread about to write waits, asleep, for this process's other
    writers to commit first (a threading lock; after WRITER_WAIT_SECONDS it goes on and SQLite's own
    timeout decides, as before), then for every other process's writer (`WriterFile`: an exclusive
    `flock` on a file beside the database, which every process using this engine takes the same way:
    two app processes, the scheduled job, the notification workers). Both are given back once the
    transaction has ended: after the commit or rollback itself, so the next writer never meets
    SQLite's lock still held by the one before. Engines of one file in one process share both (a
    second engine's writer would otherwise wait on the file for a first engine's writer in its own
    thread, for ever, where SQLite alone refused it after its busy timeout)."""
    database = engine.url.database
    assert database, "only a SQLite file has writers to queue"
    writer, between_processes = _writers_of(Path(database))
    engine.iop_writer = writer  # type: ignore[attr-defined]  # our own mark on the engine; the tests look at it
    engine.iop_writer_file = between_processes  # type: ignore[attr-defined]  # (the tests look at it too)

    @event.listens_for(engine, "before_cursor_execute")
    def _wait_to_write(conn, _cursor, statement, _parameters, context, _executemany) -> None:
        if not conn.info.get(_WRITER) and _writes(statement, context):
            waited_from = time.monotonic()
            queued = writer.acquire(timeout=WRITER_WAIT_SECONDS)
            if queued:
                try:
                    queued = between_processes.acquire(WRITER_WAIT_SECONDS - (time.monotonic() - waited_from))
                except BaseException:
                    writer.release()
                    raise
                if not queued:  # another process has held the turn too long (hung mid-write?): go on
                    writer.release()
            conn.info[_WRITER] = queued

    def _done(info: dict | None) -> None:
        if info is not None and info.pop(_WRITER, False):
            between_processes.release()
            writer.release()

    # SQLAlchemy's own "commit" and "rollback" events come just *before* the DB-API call: the turn is
    # given back after it, from the dialect's call itself (this engine's dialect alone).
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def _commit_then_done(dbapi_conn) -> None:
        try:
            commit(dbapi_conn)
        finally:
            _done(_info_of(dbapi_conn))

    def _rollback_then_done(dbapi_conn) -> None:
        try:
            rollback(dbapi_conn)
        finally:
            _done(_info_of(dbapi_conn))

    setattr(dialect, "do_commit", _commit_then_done)  # noqa: B010 - an instance's method replaced on purpose
    setattr(dialect, "do_rollback", _rollback_then_done)  # noqa: B010

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn, record) -> None:  # a connection back in the pool (or invalidated) writes no more
        _done(record.info)


def _info_of(pooled) -> dict | None:
    """The pool's record of a connection (where `_wait_to_write` noted its turn); None for the
    engine's own first connection, which the dialect sets up outside the pool and never writes on:
    SQLAlchemy hands that one over as an `_AdhocProxiedConnection`, whose `info` it does not provide
    (it raises, by design: there is no pool record behind it)."""
    try:
        return pooled.info
    except NotImplementedError:  # (SQLAlchemy's answer for that first connection, above)
        return None


WRITER_FILE_SUFFIX = ".writer-lock"
_writers: dict[str, tuple[threading.Lock, WriterFile]] = {}
_writers_lock = threading.Lock()


def _writers_of(database: Path) -> tuple[threading.Lock, WriterFile]:
    """This process's writer lock and writer file for one SQLite file, the same for every engine of it."""
    key = os.path.realpath(database)
    with _writers_lock:
        if key not in _writers:
            _writers[key] = (threading.Lock(), WriterFile(Path(key + WRITER_FILE_SUFFIX)))
        return _writers[key]


WRITER_FILE_PAUSE = 0.002  # s: the longest pause between two asks for the turn another process holds


class WriterFile:
    """The writers' turn between processes on one SQLite file: an exclusive `flock` on
    `<database>.writer-lock`. Waiting for it sleeps (short pauses: the interpreter lock is let go, so
    the process's other threads run meanwhile); a process that dies lets go of it with its files. Each
    process opens the file for itself (a forked child would otherwise share its parent's lock); the
    threading lock in front of it means one thread per process holds or waits for it at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            if self._fd is not None:
                _close_quietly(self._fd)  # a forked child's copy of its parent's (closing it frees nothing)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self, timeout: float) -> bool:
        """Take the turn; False after `timeout` seconds without it (the writer then goes on, and
        SQLite's busy timeout decides, as a writer did before the queue: refused with a message after
        a few seconds, never a save waiting for ever behind a process hung mid-write). A blocking
        `flock` cannot be given up, so a writer that finds the turn taken asks again after a pause
        that doubles up to WRITER_FILE_PAUSE (one thread per process asks: the threading lock)."""
        fd = self._file()
        deadline = time.monotonic() + timeout
        pause = WRITER_FILE_PAUSE / 8
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    log.warning("no turn to write on %s after %.0f s: SQLite's own lock decides", self.path, timeout)
                    return False
                time.sleep(pause)
                pause = min(pause * 2, WRITER_FILE_PAUSE)

    def release(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def _close_quietly(fd: int) -> None:
    with suppress(OSError):
        os.close(fd)


_WRITER = "iop_writer"


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return engine_for(settings().database_url)


# --- the unit of work ------------------------------------------------------------------------

_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def _writes(statement: str, context) -> bool:
    """Whether a statement about to be sent writes: a compiled INSERT, UPDATE or DELETE whatever its
    text begins with (notify.claim's UPDATE begins "WITH due AS (...)": by its first word it read as a
    read, took no SQLite writer turn and, in a rerun with nothing else to commit, was rolled back at
    the rerun's end on PostgreSQL), or a textual statement that begins with one of those verbs."""
    compiled_write = context is not None and (context.isinsert or context.isupdate or context.isdelete)
    return bool(compiled_write or _WRITE.match(statement))


_UNIT = "iop_unit"  # session.info key: this session is a rerun's unit of work
_unit: ContextVar[Session | None] = ContextVar("iop_unit_of_work", default=None)


class AuditBuffer:
    """The audit events of one unit of work, waiting to be written in one statement.

    `add` keeps one event per (actor, participant, category, action) for reads (see
    core.access.record); rows handed to a commit stay `inflight` until it succeeds, so a
    rolled-back commit writes them again with the next one and none is lost or doubled.
    """

    def __init__(self) -> None:
        self.pending: dict[tuple, dict] = {}
        self.inflight: dict[tuple, dict] = {}
        self.written: set[tuple] = set()

    def get(self, key: tuple) -> dict | None:
        return self.pending.get(key) or self.inflight.get(key)

    def seen(self, key: tuple) -> bool:
        return key in self.written or key in self.pending or key in self.inflight

    def add(self, key: tuple, row: dict) -> None:
        self.pending[key] = row


class UnitOfWork:
    def __init__(self) -> None:
        self.audit = AuditBuffer()
        self.cache: dict = {}  # facts read once per rerun (core.access)
        self.after_commit: list[Callable[[], None]] = []
        self.failed = False


def unit_of(session: Session) -> UnitOfWork | None:
    """The unit of work `session` belongs to, or None for a session of its own."""
    return session.info.get(_UNIT)


def on_commit(session: Session, action: Callable[[], None]) -> None:
    """Run `action` once the session's current transaction commits: for caches that must not be
    refilled from data other sessions cannot see yet."""
    unit = unit_of(session)
    if unit is None:
        session.info.setdefault("iop_after_commit", []).append(action)
    else:
        unit.after_commit.append(action)


def rerun_memo(session: Session, key: tuple, compute: Callable[[], object]):
    """`compute()` once per rerun (per unit of work, until its next commit); every time outside one."""
    unit = unit_of(session)
    if unit is None:
        return compute()
    if key not in unit.cache:
        unit.cache[key] = compute()
    return unit.cache[key]


@lru_cache(maxsize=1)
def _audit_rows_as_arrays():
    """PostgreSQL's INSERT of a rerun's audit events as one array per column (`_write_audit`), its
    columns and their types read from the table (all but the id)."""
    from sqlalchemy.dialects import postgresql

    from core.models import AuditEvent

    columns = [c for c in AuditEvent.metadata.tables["audit_event"].columns if not c.primary_key]
    dialect = postgresql.dialect()
    # (VARCHAR without its length: an explicit cast to VARCHAR(16) would cut a longer text short, where
    # the INSERT itself refuses it.) The arrays go in psycopg's binary format (`%(name)b`, so the text is
    # given to the driver as it is, not through SQLAlchemy's `text()`): as text, psycopg quoted every
    # element of every array with a regular expression and wrote each timestamp out, ~1 ms of a rerun
    # for a caseload of 240 (in binary: a fifth of it); the server reads binary arrays as they come.
    arrays = ", ".join(f"CAST(%({c.name})b AS {c.type.compile(dialect=dialect).split('(')[0]}[])" for c in columns)
    names = [c.name for c in columns]
    return f"INSERT INTO audit_event ({', '.join(names)}) SELECT * FROM unnest({arrays})", names


def _write_audit(session: OrmSession, unit: UnitOfWork) -> None:
    from core.models import AuditEvent

    if unit.audit.pending:
        rows = list(unit.audit.pending.values())
        unit.audit.inflight.update(unit.audit.pending)
        unit.audit.pending.clear()
        if session.get_bind().dialect.name == "postgresql":
            # One statement and one wait on the server, its text the same for any number of rows (the
            # driver parses it once and the server plans it once, as a prepared statement): the rows
            # as one array per column. Given as an executemany, psycopg sent one INSERT per row in a
            # pipeline (three waits); as one INSERT of many VALUES, a text of every row's placeholders
            # that the driver parsed again on every rerun.
            statement, columns = _audit_rows_as_arrays()
            session.connection().exec_driver_sql(statement, {c: [row[c] for row in rows] for c in columns})
        else:  # (SQLite runs in this process: an executemany is one call into it)
            session.execute(insert(AuditEvent.metadata.tables["audit_event"]), rows)  # one statement


@event.listens_for(OrmSession, "before_commit")
def _before_commit(session: OrmSession) -> None:
    unit = session.info.get(_UNIT)
    if unit is not None:
        _write_audit(session, unit)


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    unit = session.info.get(_UNIT)
    actions = session.info.pop("iop_after_commit", [])
    if unit is not None:
        unit.audit.written.update(unit.audit.inflight)
        unit.audit.inflight.clear()
        unit.cache.clear()  # what was read before a write may have changed with it
        actions, unit.after_commit = actions + unit.after_commit, []
    for action in actions:
        action()


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    unit = session.info.get(_UNIT)
    session.info.pop("iop_after_commit", None)
    if unit is not None:
        unit.audit.pending.update(unit.audit.inflight)  # not written: they go with the next commit
        unit.audit.inflight.clear()
        unit.cache.clear()
        unit.after_commit.clear()


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """One session, one transaction and one commit for a whole script run (see the module doc).

    Ends with a commit (which writes the rerun's audit events) when the run ends normally or by
    Streamlit's own control flow (`st.rerun()`, `st.stop()` raise BaseExceptions that are not
    errors); with a rollback when it raised an error or `fail()` was called (a page failed and
    was shown the calm message) — and then the audit events of what the person did see are
    still written, in a transaction of their own.
    """
    session = Session(engine or get_engine(), expire_on_commit=False)
    unit = session.info[_UNIT] = UnitOfWork()
    token = _unit.set(session)
    try:
        try:
            yield session
        except Exception:
            unit.failed = True
            raise
        finally:
            _finish(session, unit)
    finally:
        _unit.reset(token)
        session.close()


def _finish(session: Session, unit: UnitOfWork) -> None:
    try:
        if unit.failed:
            session.rollback()
        if _has_work(session, unit):
            session.commit()
        else:
            session.rollback()  # only reads since the last commit: nothing to make durable
    except SQLAlchemyError:
        # The page has been drawn already: log, and try once more to keep the audit trail whole.
        log.exception("could not commit the rerun's work")
        try:
            session.rollback()
            session.commit()
        except SQLAlchemyError:
            log.exception("could not write the rerun's audit events (%d)", len(unit.audit.pending))


def _has_work(session: Session, unit: UnitOfWork) -> bool:
    """Anything the rerun's transaction still has to commit: audit events, ORM changes, or a
    statement that wrote (an upsert) since the last commit."""
    if unit.audit.pending or session.new or session.dirty or session.deleted:
        return True
    return session.in_transaction() and bool(session.connection().info.get(_WROTE))


_WROTE = "iop_wrote"


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn, _cursor, statement, _parameters, context, _executemany) -> None:
    if _writes(statement, context):
        conn.info[_WROTE] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _forget_writes(conn) -> None:
    if not conn.invalidated:  # (an invalidated one has no DB-API connection to ask; a new one starts clean)
        conn.info.pop(_WROTE, None)


def in_unit_of_work() -> bool:
    """Whether this code runs inside a rerun's unit of work. A Streamlit fragment's run of its own
    (ui/diary.py: the diary card's save) does not go through app.py, so it has none until it opens one."""
    return _unit.get() is not None


def fail() -> None:
    """The page failed (ui.layout.run_safely caught it): undo this rerun's unfinished writes now,
    keeping its audit events, and end the unit with a rollback."""
    session = _unit.get()
    if session is not None:
        unit = unit_of(session)
        assert unit is not None, "the context holds only a unit of work's session"
        unit.failed = True
        try:
            session.rollback()
        except SQLAlchemyError:
            log.exception("could not roll back the failed rerun")


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error; inside a unit of work, the
    unit's own session (its commit comes at the end of the rerun)."""
    shared = _unit.get()
    if shared is not None and (engine is None or engine is shared.get_bind()):
        yield shared
        return
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


# --- counting statements (tests and the bench) -----------------------------------------------


@dataclass
class Statements:
    """What one piece of work sent to the database (see `counting`)."""

    sql: list[str] = field(default_factory=list)
    commits: int = 0
    audit_rows: int = 0

    @property
    def total(self) -> int:
        return len(self.sql)

    @property
    def writes(self) -> list[str]:
        return [s for s in self.sql if _WRITE.match(s)]

    def writes_to(self, table: str) -> list[str]:
        return [s for s in self.writes if re.match(rf"\s*(INSERT INTO|UPDATE|DELETE FROM) {table}\b", s, re.I)]

    @property
    def audit_inserts(self) -> int:
        return len(self.writes_to("audit_event"))


@contextmanager
def counting(engine: Engine) -> Iterator[Statements]:
    """Count the statements and commits `engine` runs inside the block."""
    seen = Statements()

    def statement(_conn, _cursor, sql, parameters, _context, many) -> None:
        seen.sql.append(sql)
        if re.match(r"\s*INSERT INTO audit_event\b", sql, re.I):
            if many:
                seen.audit_rows += len(parameters)
            elif "unnest(" in sql:  # (PostgreSQL: the rows as one array per column)
                seen.audit_rows += len(parameters["actor_role"])
            else:
                seen.audit_rows += 1

    def commit(_conn) -> None:
        seen.commits += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)


# --- statements that make a double tap save once ---------------------------------------------
def hold_rows(session: Session, model, *where) -> None:
    """Hold the rows of `model` matching `where` until this transaction ends, so a read-check-write
    about them (is there an overlap? is this person discharged?) runs one at a time: SELECT … FOR
    UPDATE on PostgreSQL (in id order: no deadlock between two holders); on SQLite, which lets one
    connection write at a time, a write that changes nothing takes the writer's lock, so what the
    check reads next is what the last writer committed."""
    from sqlalchemy import false, select, update

    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(model.id).where(*where).order_by(model.id).with_for_update())
    else:
        session.execute(update(model).where(false()).values(id=model.id))


def insert_statement(session: Session):
    """The dialect's INSERT (with ON CONFLICT) for the session's database."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def upsert(session: Session, model, values: dict, *, conflict: list[str], update: list[str]) -> int:
    """Insert a row, or update `update` columns of the row with the same `conflict` key.

    One statement, so two saves at the same moment (a double tap, two devices) make one row.
    Returns the row's id.
    """
    stmt = insert_statement(session)(model).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=conflict, set_={c: getattr(stmt.excluded, c) for c in update})
    return session.execute(stmt.returning(model.id)).scalar_one()


def insert_if_absent(session: Session, model, values: dict, *, conflict: list[str]) -> int | None:
    """Insert a row unless one with the same `conflict` key exists; the new id, or None."""
    stmt = insert_statement(session)(model).values(**values).on_conflict_do_nothing(index_elements=conflict)
    return session.execute(stmt.returning(model.id)).scalar_one_or_none()


def rows_changed(result: Result) -> int:
    """How many rows an UPDATE or DELETE touched. Its result is a CursorResult, though
    Session.execute() is typed as returning any Result."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"an UPDATE or DELETE gave {type(result).__name__}, not a CursorResult")
    return result.rowcount


# --- several kinds of row in one statement ---------------------------------------------------------


def sides(count: int):
    """A constant table of `count` rows, its column `side` numbered 1..count. A statement selecting from it
    and outer-joining one kind of row to each side (`on_side`) reads several kinds in one round trip: each
    result row carries one kind, the other kinds' columns NULL (core.practice.practice_and_thoughts,
    core.review's plans and sessions)."""
    return union_all(*(core_select(literal_column(str(n)).label("side")) for n in range(1, count + 1))).subquery("side")


def on_side(side, number: int, model, participant_id: int, start, end):
    """The join condition of side `number`: `model`'s rows of one participant whose `day` is from `start` to
    `end` (both included); an index lookup on (participant, day)."""
    return and_(
        side.c.side == number,
        col(model.participant_id) == participant_id,
        col(model.day) >= start,
        col(model.day) <= end,
    )
