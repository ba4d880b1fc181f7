"""Every test starts from exactly its template, however the test before it left the database.

On PostgreSQL each worker reuses one database per template and puts it back after every test
(tests/conftest.py: PgPool, iop_reset.reset()); on SQLite each test copies the template file. These
tests spoil a database the ways a test can, run the very reset that follows every test
(`reset_database`), and compare what the database holds, table by table and sequence by sequence,
with the template it came from (`template_fingerprint`)."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import inspect, text
from sqlmodel import Session, SQLModel

from core.models import Program
from core.seed import seed_demo
from tests.conftest import ROOT, TEST_ROUNDS, fingerprint
from tests.unchecked import lift_range_checks


def _now(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        return fingerprint(conn)


def _advance_every_sequence(engine) -> list[str]:
    """PostgreSQL: move every sequence on (an insert rolled back does the same, and leaves no row behind).
    SQLite has none (no AUTOINCREMENT: a new row's id is the largest + 1)."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.begin() as conn:
        names = list(conn.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")).scalars())
        for name in names:
            conn.execute(text("SELECT nextval(:s)"), {"s": f'public."{name}"'})
    assert len(names) > 20
    return [f"sequence {name}" for name in names]


def test_a_demo_database_emptied_to_the_last_row_gets_the_demo_back(demo, engine, template_fingerprint, reset_database):
    assert _now(engine) == template_fingerprint
    filled = [name for name, row in template_fingerprint.items() if not name.startswith("sequence") and row[0]]
    assert len(filled) > 20  # the demo fills most tables
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):  # children first: no foreign key stops a delete
            conn.execute(table.delete())
    moved = _advance_every_sequence(engine)
    spoiled = _now(engine)
    assert all(spoiled[name][0] == 0 for name in filled)
    assert all(spoiled[name] != template_fingerprint[name] for name in moved)

    reset_database()

    assert _now(engine) == template_fingerprint


def test_an_empty_database_given_the_whole_demo_is_empty_again(engine, template_fingerprint, reset_database):
    assert _now(engine) == template_fingerprint
    assert not any(row[0] for name, row in template_fingerprint.items() if not name.startswith("sequence"))
    with Session(engine, expire_on_commit=False) as session:
        seed_demo(session, rounds=int(TEST_ROUNDS))  # writes to every table the demo fills
    written = [name for name, row in _now(engine).items() if not name.startswith("sequence") and row[0]]
    assert len(written) > 20

    reset_database()

    assert _now(engine) == template_fingerprint
    with Session(engine) as session:  # and the next row gets the id it would have in a fresh copy
        program = Program(name="After the reset", timezone="UTC")
        session.add(program)
        session.commit()
        assert program.id == 1


def test_a_dropped_constraint_comes_back(demo, session, engine, template_fingerprint, reset_database):
    def checks() -> list:
        return sorted(c["name"] for c in inspect(engine).get_check_constraints("program"))

    before = checks()
    lift_range_checks(session, "program")  # PostgreSQL: ALTER TABLE … DROP CONSTRAINT (in `demo`'s transaction)
    session.commit()
    if engine.dialect.name == "postgresql":  # (SQLite: a PRAGMA for that connection, the schema unchanged)
        assert before
        assert checks() == []

    reset_database()

    engine.dispose()
    assert checks() == before
    assert _now(engine) == template_fingerprint


def test_a_transaction_left_open_by_a_test_is_not_kept(engine, template_fingerprint, reset_database):
    leftover = engine.connect()
    session = Session(bind=leftover)
    session.add(Program(name="Never committed", timezone="UTC"))
    session.flush()  # a row written, its transaction open, a lock held: as a thread a test forgot leaves it
    if engine.dialect.name == "sqlite":
        session.close()  # (each SQLite test has a file of its own; nothing outlives the test there)
        leftover.close()

    reset_database()  # on PostgreSQL the leftover backend is ended first, or the reset would wait on its lock

    assert _now(engine) == template_fingerprint
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM program")).scalar_one() == 0


_LEFT_RUNNING = """
import sys
from sqlalchemy import text
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine
from core.models import Program

engine = create_engine(sys.argv[1], poolclass=NullPool)
with engine.connect() as connection, Session(bind=connection) as session:
    session.execute(text("SELECT 1"))
    session.commit()  # connected, idle, in no transaction: as a server or a worker waits between two requests
    print("connected", flush=True)
    sys.stdin.readline()
    try:
        session.add(Program(name="Written by a process left running", timezone="UTC"))
        session.commit()
        print("written", flush=True)
    except Exception as exc:  # noqa: BLE001 - told to the test
        print("refused", type(exc).__name__, flush=True)
"""


def test_a_process_a_test_left_running_cannot_write_into_the_next_tests_database(
    database_url, engine, template_fingerprint, reset_database
):
    """A process a test started and never stopped (a worker, a server) keeps its connection open and idle
    between two requests. On PostgreSQL the worker's database outlives the test, so the reset ends every
    connection to it but the kept engine's idle ones: such a process must find its connection gone, not write
    into the next test's database (as a fresh database per test did, dropped WITH (FORCE))."""
    left = subprocess.Popen(
        [sys.executable, "-c", _LEFT_RUNNING, database_url],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert left.stdout.readline().strip() == "connected", left.communicate(timeout=30)[0]
        if (
            engine.dialect.name == "sqlite"
        ):  # (each SQLite test gets a new file: a connection left open keeps the old one)
            left.kill()
        reset_database()
        if engine.dialect.name == "postgresql":
            said = left.communicate("go\n", timeout=60)[0]
            assert said.startswith("refused"), said
    finally:
        if left.poll() is None:
            left.kill()
        left.wait(10)

    assert _now(engine) == template_fingerprint
