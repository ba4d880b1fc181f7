"""Two app processes on one SQLite file (README, "Two app processes on one SQLite file"): writers in
every process take their turn in one queue (core.db: a threading lock, then an exclusive `flock` on a
file beside the database), so none is refused with "database is locked". To show it is the queue and
not SQLite's polling that lets them through, every connection here has SQLite's busy timeout at 0:
a writer that met another's write lock would be refused at once. Real processes (spawned), real
threads in each released together by one barrier across the processes, and the rows counted after."""

from __future__ import annotations

import multiprocessing
import shutil
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, text
from sqlmodel import Session, select

from core import config, db
from core.models import Alert, DiaryCard
from tests.conftest import People
from tests.unit.test_db_writers import NOV23, read_the_week_then_save

PROCESSES, THREADS, ROUNDS = 2, 8, 5
DAYS = [NOV23 - timedelta(days=n) for n in range(3)]  # today and two days late: in the card's window


def _no_polling(engine) -> None:
    """SQLite's busy timeout 0 on every connection of `engine`: meeting a lock is a refusal."""

    @event.listens_for(engine, "connect")
    def _at_once(dbapi_conn, _record) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=0")


def _tally_process(url: str, barrier, failures) -> None:
    """One app process: THREADS threads, each ROUNDS transactions of a write, a read and a write."""
    engine = db.make_engine(url)
    _no_polling(engine)

    def work(n: int) -> None:
        try:
            barrier.wait(60)
            for _ in range(ROUNDS):
                with engine.connect() as conn:
                    conn.execute(
                        text("INSERT INTO t (who) VALUES (:who)"),
                        {"who": f"{multiprocessing.current_process().name}-{n}"},
                    )
                    seen = conn.execute(text("SELECT n FROM tally")).scalar_one()
                    conn.execute(text("UPDATE tally SET n = :n"), {"n": seen + 1})
                    conn.commit()
        except Exception as exc:  # noqa: BLE001 - sent back to the test and asserted there
            failures.put(f"{type(exc).__name__}: {exc}"[:300])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    engine.dispose()


def _spawn(target, each: list[tuple]) -> list[str]:
    """One spawned process per tuple of `each`, running `target(*args, barrier, failures)` (the barrier
    holds PROCESSES × THREADS); what they reported as failed."""
    context = multiprocessing.get_context("spawn")
    failures = context.Queue()
    barrier = context.Barrier(PROCESSES * THREADS)
    workers = [
        context.Process(target=target, args=(*args, barrier, failures), name=f"app{i}") for i, args in enumerate(each)
    ]
    for w in workers:
        w.start()
    try:
        for w in workers:
            w.join(180)
        assert [w.exitcode for w in workers] == [0] * PROCESSES
    finally:
        for w in workers:
            if w.is_alive():
                w.kill()
                w.join(10)
    found = []
    while not failures.empty():
        found.append(failures.get())
    return found


def test_two_processes_writing_at_once_are_queued_not_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'two.db'}"
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
        conn.exec_driver_sql("CREATE TABLE tally (n INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO tally (n) VALUES (0)")
    assert _spawn(_tally_process, [(url,)] * PROCESSES) == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == PROCESSES * THREADS * ROUNDS
        # every read-then-write saw the write before it: no lost update between the processes
        assert conn.exec_driver_sql("SELECT n FROM tally").scalar_one() == PROCESSES * THREADS * ROUNDS
    engine.dispose()


def _saving_process(url: str, crowd: list, job: bool, barrier, failures) -> None:
    """One app process saving diary cards (three days each), each in a rerun's unit of work (a read of
    the week, then the save); with `job`, one more thread runs the scheduled job (`python -m core.alerts`'s main)."""
    from core import alerts

    engine = db.get_engine()
    assert str(engine.url) == url
    _no_polling(engine)

    def save(who, mood: int) -> None:
        try:
            barrier.wait(60)
            for day in DAYS:
                read_the_week_then_save(engine, who, day, mood)
        except Exception as exc:  # noqa: BLE001 - sent back to the test and asserted there
            failures.put(f"{type(exc).__name__}: {exc}"[:300])

    def run_job() -> None:
        try:
            barrier.wait(60)
            if alerts.main() != 0:
                failures.put("the job did not end well")
        except Exception as exc:  # noqa: BLE001 - sent back to the test and asserted there
            failures.put(f"the job: {type(exc).__name__}: {exc}"[:300])

    threads = [threading.Thread(target=save, args=(who, i % 11)) for i, who in enumerate(crowd)]
    if job:
        threads.append(threading.Thread(target=run_job))
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    engine.dispose()


@pytest.fixture
def sqlite_file(sqlite_templates, tmp_path, monkeypatch):
    """An empty app database in a SQLite file, DATABASE_URL pointing at it (for the spawned processes
    too). SQLite whatever phase the suite runs: the queue between processes is SQLite's alone
    (PostgreSQL's writers lock rows, and its two-process tests are the notification workers')."""
    path = tmp_path / "app.db"
    shutil.copyfile(sqlite_templates[False], path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    config.settings.cache_clear()
    db.engine_for.cache_clear()
    engine = db.make_engine(url)
    yield url, engine
    engine.dispose()
    db.engine_for.cache_clear()
    config.settings.cache_clear()


def test_two_app_processes_save_cards_while_the_scheduled_job_runs(sqlite_file):
    """Diary saves through core (the app's own path: a rerun's unit of work) in two processes, and the
    missed-check-in job in one of them, all at once: every card written, none refused, and the job's
    alerts are there."""
    url, engine = sqlite_file
    session = Session(engine, expire_on_commit=False)
    people = People(session)
    long_ago = datetime.now(UTC).date() - timedelta(days=30)
    quiet = [people.participant(f"quiet{i}", name=f"Quiet {i}", started_on=long_ago) for i in range(3)]
    crowd = [people.participant(f"p{i}", name=f"Person {i}") for i in range(2 * THREADS - 1)]
    halves = [crowd[: THREADS - 1], crowd[THREADS - 1 :]]  # and the job in the first: THREADS threads each
    assert _spawn(_saving_process, [(url, half, i == 0) for i, half in enumerate(halves)]) == []
    session.expire_all()
    ids = [who.id for who in crowd]
    cards = session.exec(select(DiaryCard).where(DiaryCard.participant_id.in_(ids))).all()
    assert sorted((c.participant_id, c.day, c.note) for c in cards) == [
        (i, day, f"card of {i}") for i in sorted(ids) for day in sorted(DAYS)
    ]
    missed = session.exec(
        select(func.count()).select_from(Alert).where(Alert.participant_id.in_([q.id for q in quiet]))
    ).one()
    assert missed == len(quiet)  # the job ran, beside the saves, and wrote its alerts
    session.close()
