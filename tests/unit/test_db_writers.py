"""Many people saving at the same moment: nobody's card is refused. On SQLite, one connection
writes at a time; core.db makes this process's writers wait their turn on a lock (asleep) instead of
polling SQLite until its busy timeout and failing with "database is locked" (issue #22: one card of
50 was refused that way). Real threads released by a Barrier, and the rows counted afterwards."""

from __future__ import annotations

import fcntl
import os
import threading
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from core import db, diary
from core.models import AuditEvent, DiaryCard

# 2026-11-24 03:30 UTC is still the evening of Nov 23 in New York (the test program's zone).
NY_EVENING = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
NOV23 = date(2026, 11, 23)
CROWD = 30


def read_the_week_then_save(engine, who, day: date, mood: int) -> None:
    """One rerun of Today with a save, as a unit of work: the person's week read, then their card for
    `day` saved (the note names them), on the evening of Nov 23 in New York."""
    with db.unit_of_work(engine) as own:
        diary.cards_between(own, who, who.id, day - timedelta(days=6), day)
        diary.save_card(
            own,
            who,
            participant_id=who.id,
            day=day,
            now=NY_EVENING,
            card=diary.CardInput(mood=mood, note=f"card of {who.id}"),
        )


def test_a_crowd_reading_then_saving_at_once_loses_no_card(engine, session, people):
    """As a group's evening check-in: each rerun (a unit of work) reads the person's week, then
    saves their card, all at the same moment. Every card is written, none refused, and every read
    is on the audit trail."""
    crowd = [people.participant(f"p{i}", name=f"Person {i}") for i in range(CROWD)]
    barrier, failures = threading.Barrier(CROWD), []

    def rerun(who, mood):
        try:
            barrier.wait()
            read_the_week_then_save(engine, who, NOV23, mood)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=rerun, args=(who, i % 11)) for i, who in enumerate(crowd)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
    session.expire_all()
    ids = [who.id for who in crowd]
    cards = session.exec(select(DiaryCard).where(DiaryCard.participant_id.in_(ids))).all()
    assert sorted((c.participant_id, c.note) for c in cards) == [(i, f"card of {i}") for i in sorted(ids)]
    audited = session.exec(
        select(func.count(func.distinct(AuditEvent.participant_id))).where(
            AuditEvent.participant_id.in_(ids), AuditEvent.allowed
        )
    ).one()
    assert audited == CROWD


def _table(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
    return engine


def test_a_sqlite_writer_waits_for_the_one_writing_instead_of_being_refused(tmp_path):
    """The second writer's SQLite busy timeout is cut to 50 ms while the first holds its write open
    for up to a second after the second has started: without the lock, SQLite refuses the second
    ("database is locked"); with it, the second waits and writes after the first commits."""
    engine = _table(tmp_path)
    first_wrote, second_trying, second_done = threading.Event(), threading.Event(), threading.Event()
    order, failures = [], []

    def first():
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("INSERT INTO t (who) VALUES ('first')")
                first_wrote.set()
                second_trying.wait(10)
                second_done.wait(1.0)  # the second cannot finish while this write is open
                order.append("first commits")
                conn.commit()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    def second():
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA busy_timeout=50")
                first_wrote.wait(10)
                second_trying.set()
                conn.exec_driver_sql("INSERT INTO t (who) VALUES ('second')")
                conn.commit()
                order.append("second committed")
                second_done.set()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    assert order == ["first commits", "second committed"]
    with engine.connect() as conn:
        assert [r[0] for r in conn.exec_driver_sql("SELECT who FROM t ORDER BY id")] == ["first", "second"]
    assert not engine.iop_writer.locked()
    engine.dispose()


def test_the_writer_turn_is_given_back_however_a_transaction_ends(tmp_path):
    """Commit, rollback, a connection closed mid-write (the pool rolls it back), a failed
    statement: each gives the turn back, or every later writer in the process would wait."""
    engine = _table(tmp_path)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM t")
        assert not engine.iop_writer.locked()  # reading takes no turn
        conn.exec_driver_sql("INSERT INTO t (who) VALUES ('a')")
        assert engine.iop_writer.locked()
        conn.commit()
        assert not engine.iop_writer.locked()
        conn.exec_driver_sql("UPDATE t SET who = 'b'")
        conn.rollback()
        assert not engine.iop_writer.locked()
        conn.exec_driver_sql("DELETE FROM t")
    assert not engine.iop_writer.locked()  # closed without a commit
    with Session(engine) as session:
        try:
            session.exec(select(func.count()).select_from(DiaryCard))  # no such table here
        except Exception:  # noqa: BLE001 - the failure is the point
            session.rollback()
        session.connection().exec_driver_sql("INSERT INTO t (id, who) VALUES (100, 'c')")
        try:
            session.connection().exec_driver_sql("INSERT INTO t (id, who) VALUES (100, 'again')")
        except Exception:  # noqa: BLE001 - a unique-key failure mid-transaction
            session.rollback()
    assert not engine.iop_writer.locked()
    with engine.connect() as conn:
        assert [r[0] for r in conn.exec_driver_sql("SELECT who FROM t")] == ["a"]
    engine.dispose()


def test_two_engines_of_one_file_in_one_process_share_one_turn(tmp_path):
    """A second engine of the same file (a script's, a test's) waits for the same turn: the file lock
    between processes would otherwise make a write of one engine wait for ever on another's in its own
    thread (SQLite alone refused it after its busy timeout)."""
    first = _table(tmp_path)
    second = db.make_engine(str(first.url))
    assert second.iop_writer is first.iop_writer and second.iop_writer_file is first.iop_writer_file
    with first.connect() as conn:
        conn.exec_driver_sql("INSERT INTO t (who) VALUES ('first')")
        assert second.iop_writer.locked()
        conn.commit()
    assert not second.iop_writer.locked()
    with second.connect() as conn:
        conn.exec_driver_sql("INSERT INTO t (who) VALUES ('second')")
        conn.commit()
        assert [r[0] for r in conn.exec_driver_sql("SELECT who FROM t ORDER BY id")] == ["first", "second"]
    first.dispose()
    second.dispose()


def _file_turn_free(engine) -> bool:
    """Whether another process could take the writers' turn now (a lock of its own on the file)."""
    fd = os.open(engine.iop_writer_file.path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # (closing it lets go of the lock it took)
    return True


def test_the_turn_between_processes_is_given_back_with_the_processs_own(tmp_path):
    """The file lock is held exactly while the process's writer lock is: from the first write to the
    commit, the rollback, or a connection invalidated mid-write (its pool record forgets everything)."""
    engine = _table(tmp_path)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM t")
        assert _file_turn_free(engine)
        conn.exec_driver_sql("INSERT INTO t (who) VALUES ('a')")
        assert engine.iop_writer.locked() and not _file_turn_free(engine)
        conn.commit()
        assert not engine.iop_writer.locked() and _file_turn_free(engine)
        conn.exec_driver_sql("INSERT INTO t (who) VALUES ('b')")
        assert not _file_turn_free(engine)
        conn.rollback()
        assert _file_turn_free(engine)
        conn.exec_driver_sql("INSERT INTO t (who) VALUES ('c')")
        conn.invalidate()
        assert not engine.iop_writer.locked() and _file_turn_free(engine)
        conn.rollback()  # (what SQLAlchemy asks of a connection invalidated in a transaction)
    with engine.connect() as conn:
        assert [r[0] for r in conn.exec_driver_sql("SELECT who FROM t")] == ["a"]
    engine.dispose()


def test_a_turn_held_too_long_by_another_process_leaves_the_write_to_sqlite(tmp_path, monkeypatch):
    """Another process holding the writers' turn for ever (stopped, or stuck mid-write) must not make
    this process's saves wait for ever: after WRITER_WAIT_SECONDS the writer goes on without the turn
    and SQLite's own lock decides, as before the queue (here nobody holds SQLite's lock: it writes)."""
    monkeypatch.setattr(db, "WRITER_WAIT_SECONDS", 0.3)
    engine = _table(tmp_path)
    other = os.open(engine.iop_writer_file.path, os.O_RDWR | os.O_CREAT, 0o600)  # as another process's
    fcntl.flock(other, fcntl.LOCK_EX)
    done: list[object] = []

    def write() -> None:
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("INSERT INTO t (who) VALUES ('went on')")
                conn.commit()
            done.append("written")
        except Exception as exc:  # noqa: BLE001 - asserted below
            done.append(exc)

    writer = threading.Thread(target=write)
    try:
        writer.start()
        writer.join(30)  # (a deadline for a hang, not a timing: the write gives up its wait after 0.3 s)
        assert not writer.is_alive(), "the write waited for ever for a turn another process never gave back"
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
        writer.join(30)
    assert done == ["written"] and not engine.iop_writer.locked()
    with engine.connect() as conn:
        assert [r[0] for r in conn.exec_driver_sql("SELECT who FROM t")] == ["went on"]
    engine.dispose()
