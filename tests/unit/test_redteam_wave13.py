"""Red team, wave 13: attacks on what sessions 10-12 changed for speed (#22).

1. A connection the server ends in the middle of a rerun (PostgreSQL: `pg_terminate_backend`; the pool
   no longer pings, core/db.py `_drop_connections_the_server_closed`), and the rerun's audit events in
   one INSERT ... unnest (core/db.py `_write_audit`): nothing the person saw or was refused goes
   unrecorded, nothing is recorded twice, a save is neither lost nor doubled.
2. SQLite's writer turn across processes (core/db.py `WriterFile`): a process killed while it holds the
   turn, mid-write, does not keep the others from writing.

The tests of part 1 run on SQLite and on PostgreSQL (the `database_url` fixture). On SQLite nothing
outside the process can end a connection; the connection is invalidated instead (what SQLAlchemy does
with one the server ended), so the same recovery path runs."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, func, select

from core import alerts, db, diary
from core.access import Action, Category, authorize, person_for_login
from core.errors import AccessDenied
from core.models import AuditEvent, DiaryCard
from tests.unit.test_db_connections import _end_on_the_server
from tests.unit.test_recovery import NOV23, NY_EVENING, card

WEEK_BEFORE = NOV23 - timedelta(days=6)


def _end_the_connection(work: Session, database_url: str) -> None:
    """The server ends the connection the rerun's unit of work is using, between two of its statements."""
    if work.get_bind().dialect.name == "postgresql":
        pid = work.execute(text("SELECT pg_backend_pid()")).scalar_one()
        _end_on_the_server(database_url, [pid])
    else:
        work.connection().invalidate()


def _events(engine, **where) -> list[tuple]:
    """(actor, participant, category, action, allowed, reason, ref) of the committed audit rows, in order."""
    with Session(engine) as other:
        query = select(AuditEvent).order_by(col(AuditEvent.id))
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return [
            (e.actor_id, e.participant_id, e.category, e.action, e.allowed, e.reason, e.ref) for e in other.exec(query)
        ]


def _cards(engine, participant_id: int) -> list[tuple]:
    with Session(engine) as other:
        return list(
            other.exec(select(DiaryCard.day, DiaryCard.mood).where(DiaryCard.participant_id == participant_id)).all()
        )


def test_reads_of_a_rerun_whose_connection_the_server_ended_are_recorded_once(database_url, engine, people):
    """The connection ends after the rerun read the diary and the alerts: the rerun's commit of its
    audit events fails, and the unit's second try (a new connection) writes each read exactly once."""
    quinn = people.participant()
    tess = people.actor(people.therapist)
    with db.unit_of_work(engine) as work:
        diary.cards_between(work, tess, quinn.id, WEEK_BEFORE, NOV23)
        alerts.history(work, tess, quinn.id)
        _end_the_connection(work, database_url)
    assert _events(engine, actor_id=tess.id) == [
        (tess.id, quinn.id, "diary", "read", True, "", f"{WEEK_BEFORE}..{NOV23}"),
        (tess.id, quinn.id, "alerts", "read", True, "", ""),
    ]
    # ... and the next rerun reads and records as ever (the ended connection is not handed out again).
    with db.unit_of_work(engine) as work:
        alerts.history(work, tess, quinn.id)
    assert len(_events(engine, actor_id=tess.id, category="alerts")) == 2


def test_a_refusal_whose_commit_meets_an_ended_connection_is_still_recorded_once(database_url, engine, people):
    """The gate refuses from facts it read earlier in the rerun (no statement before the refusal), so
    the first statement to meet the ended connection is the refusal's own commit. The person gets an
    error (the page's calm message), never the record; the refusal and the read before it are on
    record once each, written by the unit's end on a new connection."""
    quinn = people.participant()
    with pytest.raises(SQLAlchemyError), db.unit_of_work(engine) as work:
        assert person_for_login(work, quinn.id) is not None  # the login check, as at every rerun's start
        diary.cards_between(work, quinn, quinn.id, WEEK_BEFORE, NOV23)  # (the gate reads nobody more)
        _end_the_connection(work, database_url)
        authorize(work, quinn, quinn.id, Category.GOALS, Action.WRITE)  # set by the care team: refused
    assert _events(engine, actor_id=quinn.id) == [
        (quinn.id, quinn.id, "diary", "read", True, "", f"{WEEK_BEFORE}..{NOV23}"),
        (quinn.id, quinn.id, "goals", "write", False, "set_by_care_team", ""),
    ]


def test_a_refusal_committed_before_the_connection_ended_is_not_written_again(database_url, engine, people):
    """A refusal is committed at once; the connection then ends and the rerun's later read fails to
    commit at the unit's end: the unit's second try writes that read, and never the refusal again."""
    quinn = people.participant()
    rosa = people.participant("rosa", name="Rosa")
    with db.unit_of_work(engine) as work:
        with pytest.raises(AccessDenied):
            diary.cards_between(work, quinn, rosa.id, WEEK_BEFORE, NOV23)  # not her own record
        assert person_for_login(work, quinn.id) is not None  # (facts again after the refusal's commit)
        diary.cards_between(work, quinn, quinn.id, NOV23, NOV23)
        _end_the_connection(work, database_url)
    assert _events(engine, actor_id=quinn.id) == [
        (quinn.id, rosa.id, "diary", "read", False, "not_own_record", f"{WEEK_BEFORE}..{NOV23}"),
        (quinn.id, quinn.id, "diary", "read", True, "", f"{NOV23}..{NOV23}"),
    ]


def test_a_save_that_meets_an_ended_connection_saves_nothing_and_the_next_tap_saves_once(database_url, engine, people):
    """Save tapped as the server ends the rerun's connection (a restart): the save fails (the card's
    calm message; the answers stay the day's draft), nothing of it is stored, and the next tap saves the
    card once. The failed tap's gate decision stays on record as an attempt; the save's write is
    recorded once more by the tap that saved."""
    quinn = people.participant()
    with pytest.raises(SQLAlchemyError), db.unit_of_work(engine) as work:
        assert person_for_login(work, quinn.id) is not None
        _end_the_connection(work, database_url)
        diary.save_card(work, quinn, participant_id=quinn.id, day=NOV23, card=card(mood=3), now=NY_EVENING)
    assert _cards(engine, quinn.id) == []
    with db.unit_of_work(engine) as work:
        assert person_for_login(work, quinn.id) is not None
        saved = diary.save_card(work, quinn, participant_id=quinn.id, day=NOV23, card=card(mood=4), now=NY_EVENING)
    assert saved.created
    assert _cards(engine, quinn.id) == [(NOV23, 4)]
    writes = [e for e in _events(engine, actor_id=quinn.id) if e[3] == "write"]
    assert writes == [(quinn.id, quinn.id, "diary", "write", True, "", str(NOV23))] * 2


def test_a_reruns_audit_events_are_one_statement_whatever_they_hold(engine, people):
    """One rerun records an admin's views of two areas (no participant: NULLs in the ids' array) and a
    list of 200 participants (record_many): every row as recorded, in the one INSERT of the rerun's end
    (on PostgreSQL one array per column, unnest)."""
    from core.access import record, record_many

    crowd = people.participants(200, "c")
    tess, ada = people.actor(people.therapist), people.actor(people.admin)
    with db.counting(engine) as seen, db.unit_of_work(engine) as work:
        record(work, ada, category="accounts", action="read")
        record_many(work, tess, [a.id for a in crowd], category=Category.PROFILE, action="read")
        record(work, ada, category="audit log", action="read", ref=str(NOV23))
    assert seen.audit_inserts == 1
    with Session(engine) as other:
        by_category = dict(
            other.exec(select(AuditEvent.category, func.count()).group_by(col(AuditEvent.category))).all()
        )
        ids = set(other.exec(select(AuditEvent.participant_id).where(AuditEvent.category == "profile")).all())
    assert by_category == {"accounts": 1, "profile": 200, "audit log": 1}
    assert ids == {a.id for a in crowd}
    assert _events(engine, actor_id=ada.id) == [
        (ada.id, None, "accounts", "read", True, "", ""),
        (ada.id, None, "audit log", "read", True, "", str(NOV23)),
    ]


# --- 2. the SQLite writer turn and a killed process ------------------------------------------------

_HOLDER = textwrap.dedent(
    """
    import fcntl, os, sqlite3, sys, time
    database = sys.argv[1]
    # The turn as every app process takes it (core.db.WriterFile), then SQLite's write lock: an INSERT
    # that is never committed. (Plain sqlite3, not the app's engine: a process that starts in a tenth
    # of the time, holding exactly what an app process mid-write holds.)
    turn = os.open(database + sys.argv[2], os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(turn, fcntl.LOCK_EX)
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t (who) VALUES ('killed mid-write')")
    print("holding", flush=True)
    time.sleep(600)
    """
)


def test_a_process_killed_while_it_holds_the_writer_turn_lets_the_others_write(tmp_path):
    """Another app process takes the writers' turn and SQLite's write lock (an INSERT, uncommitted) and
    is killed (SIGKILL: no rollback, no release). The file lock dies with it: this process gets the
    turn at its first ask, and SQLite (busy timeout 0: no waiting for a lock) lets it write; the killed
    process's row is not there."""
    database = tmp_path / "writers.db"
    engine = db.make_engine(f"sqlite:///{database}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")

    @event.listens_for(engine, "connect")
    def _no_waiting(dbapi_conn, _record) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=0")

    engine.dispose()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(database), db.WRITER_FILE_SUFFIX],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding", holder.stderr.read() if holder.stderr else ""
        assert not engine.iop_writer_file.acquire(timeout=0)  # (the other process holds the turn)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
        for stream in (holder.stdout, holder.stderr):
            if stream is not None:
                stream.close()
    assert engine.iop_writer_file.acquire(timeout=0)  # given back by its death, at the first ask
    engine.iop_writer_file.release()
    with engine.connect() as conn:
        conn.exec_driver_sql("INSERT INTO t (who) VALUES ('after')")
        conn.commit()
        assert [r[0] for r in conn.exec_driver_sql("SELECT who FROM t")] == ["after"]
    assert not engine.iop_writer.locked()
    engine.dispose()


# --- 3. writes that do not begin with their verb ---------------------------------------------------


def _due_message(session: Session) -> int:
    from core.models import OutboxMessage, utcnow

    message = OutboxMessage(
        dedupe_key="wave13", kind="test", subject="s", body="b", due_at=utcnow() - timedelta(minutes=1)
    )
    session.add(message)
    session.commit()
    assert message.id is not None
    return message.id


def test_a_write_that_begins_with_a_cte_is_kept_by_the_reruns_commit(engine, session):
    """An UPDATE whose rows a CTE chooses is sent as "WITH due AS (...) UPDATE ..." (notify.claim's
    shape). Inside a rerun's unit of work, with nothing else to commit, it must still be committed at
    the rerun's end, not rolled back as if the rerun had only read."""
    from sqlalchemy import update

    from core.models import OutboxMessage

    table = OutboxMessage.__table__
    message = _due_message(session)
    due = select(OutboxMessage.id).where(OutboxMessage.status == "queued").cte("due")
    with db.unit_of_work(engine) as work:
        work.execute(update(table).where(table.c.id.in_(select(due.c.id))).values(status="claimed"))
    session.expire_all()
    assert session.get(OutboxMessage, message).status == "claimed"


def test_the_notification_workers_claim_takes_the_sqlite_writer_turn(tmp_path, monkeypatch):
    """The notification workers are processes on the same SQLite file as the app (README: writers queue
    across processes). Their claim is one "WITH due AS (...) UPDATE ...": it must take the writers'
    turn as every other write does, or it meets the other processes' writes in SQLite's own lock (a
    poll, then "database is locked") instead of waiting its turn."""
    from sqlmodel import SQLModel

    from core import notify
    from core.models import utcnow

    engine = db.make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as setup:
        message = _due_message(setup)
    turns: list[float] = []
    take = engine.iop_writer_file.acquire

    def counted(timeout: float) -> bool:
        turns.append(timeout)
        return take(timeout)

    monkeypatch.setattr(engine.iop_writer_file, "acquire", counted)
    with Session(engine) as worker:
        claimed = notify.claim(worker, worker="w1", now=utcnow())
    assert [c.id for c in claimed] == [message]
    assert len(turns) == 1  # the claim's one write, in its turn
    assert not engine.iop_writer.locked()
    engine.dispose()


@pytest.mark.parametrize("first", ["nothing", "a write"])
def test_a_write_that_begins_with_a_cte_is_undone_with_the_failed_rerun(engine, session, first):
    """The same shape of write in a rerun that then fails: undone with the rest of the rerun. (SQLite's
    Python driver opens a transaction only before a statement whose first word is INSERT, UPDATE,
    DELETE or REPLACE: a "WITH ... UPDATE" ran outside the transaction and stayed.)"""
    from sqlalchemy import update

    from core.models import OutboxMessage

    table = OutboxMessage.__table__
    message = _due_message(session)
    due = select(OutboxMessage.id).where(OutboxMessage.status == "queued").cte("due")
    with pytest.raises(RuntimeError), db.unit_of_work(engine) as work:
        if first == "a write":  # (the transaction already open: the CTE's write joins it)
            work.execute(update(table).where(table.c.id == message).values(subject="changed first"))
        work.execute(update(table).where(table.c.id.in_(select(due.c.id))).values(status="claimed"))
        raise RuntimeError("the page fails after the write")
    session.expire_all()
    kept = session.get(OutboxMessage, message)
    assert (kept.status, kept.subject) == ("queued", "s")
