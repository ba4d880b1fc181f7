"""The delivery worker as it runs in production: several copies at once, and copies that die.

Two worker PROCESSES started together (a Barrier) on the same queue send every message exactly
once, counted at a real SMTP server (aiosmtpd) that holds each connection's first message until
both workers are mid-send, so they really overlap. A worker killed mid-send (SIGKILL while the
server holds its message) leaves the message `uncertain`, never sent a second time by itself.
`python -m core.notify` runs as a service and stops cleanly on SIGTERM. Every test here runs on
SQLite and again on PostgreSQL (FOR UPDATE SKIP LOCKED there).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, text
from sqlmodel import Session, select

from core import notify
from core.models import OutboxMessage, utcnow
from core.notify import Kind, Status
from tests.smtp_server import Inbox, smtp_server, use_smtp

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # an evening: no digest is due


def _queue(session, count: int) -> list[int]:
    ids = [
        notify.enqueue(
            session,
            dedupe_key=f"load:{i}",
            kind=Kind.SMTP_TEST,
            subject="IOP Companion test email",
            body="A test.",
            to_address=f"person{i}@clinic.example.org",
            now=NOW - timedelta(seconds=1),
        )
        for i in range(count)
    ]
    session.commit()
    return ids


def _after_a_quiet_night(session) -> None:
    """The queue as a real one often is when the database gathers its statistics: some messages came and went,
    and ANALYZE (autovacuum's, on PostgreSQL) saw the table empty. With those statistics PostgreSQL planned
    the old claim (`id IN (SELECT … LIMIT … FOR UPDATE SKIP LOCKED)`) as a nested loop that ran the subquery
    once per row: one claim took every due message whatever its limit, and the other workers found nothing."""
    _queue(session, 5)
    session.execute(delete(OutboxMessage))
    session.commit()
    session.execute(text("ANALYZE outbox_message"))
    session.commit()


def _rows(session) -> list[OutboxMessage]:
    session.expire_all()
    return session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def _worker_process(barrier, name: str, now_iso: str) -> None:
    """One worker process: waits for the other, then one tick (it delivers until nothing is due)."""
    from core import config
    from core import notify as worker

    config.settings.cache_clear()
    barrier.wait(timeout=60)
    worker.tick(now=datetime.fromisoformat(now_iso), worker=name)


def _what_happened(session, inbox: Inbox, workers) -> str:
    """Read when the test is about to fail, while a worker that hangs still hangs: each worker's exit code, the
    queue's rows by status and worker, what reached the server, and (PostgreSQL) every backend on the test's
    database with what it waits on and the locks nobody was granted."""
    session.rollback()
    lines = [
        f"exit codes {[w.exitcode for w in workers]}; the server had {inbox.count()} message(s) from "
        f"{len(set(inbox.peers))} connection(s)"
    ]
    lines += [
        f"queue: {status} by {worker or '-'}: {count}"
        for status, worker, count in session.execute(
            text("SELECT status, claimed_by, count(*) FROM outbox_message GROUP BY 1, 2 ORDER BY 1, 2")
        )
    ]
    if session.get_bind().dialect.name == "postgresql":
        lines += [
            f"backend {row}"
            for row in session.execute(
                text(
                    "SELECT pid, state, wait_event_type, wait_event, backend_xid, xact_start, left(query, 100)"
                    " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        ]
        lines += [
            f"outbox statistics {row}"
            for row in session.execute(
                text(
                    "SELECT c.reltuples, c.relpages, s.last_analyze, s.last_autoanalyze FROM pg_class c"
                    " JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = 'public.outbox_message'::regclass"
                )
            )
        ]
        lines += [
            f"lock not granted {row}"
            for row in session.execute(
                text("SELECT pid, locktype, relation::regclass, mode, transactionid FROM pg_locks WHERE NOT granted")
            )
        ]
    return "\n".join(lines)


def test_two_worker_processes_send_each_message_exactly_once(database_url, session, monkeypatch):
    _after_a_quiet_night(session)
    ids = _queue(session, 3 * notify.BATCH)
    with smtp_server(Inbox(overlap=2)) as (inbox, port):
        use_smtp(monkeypatch, port)
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(2)
        workers = [
            context.Process(target=_worker_process, args=(barrier, name, NOW.isoformat()))
            for name in ("worker-a", "worker-b")
        ]
        for w in workers:
            w.start()
        try:
            for w in workers:
                w.join(120)
            assert [w.exitcode for w in workers] == [0, 0], _what_happened(session, inbox, workers)
            assert inbox.overlapped.is_set(), "the two workers never had a message at the server at the same time\n" + (
                _what_happened(session, inbox, workers)
            )
        finally:  # a worker that hangs is stopped with its test: it never goes on in the next test's database
            for w in workers:
                if w.is_alive():
                    w.kill()
                    w.join(10)
    counted = Counter(inbox.outbox_ids())
    assert sorted(counted) == sorted(ids) and set(counted.values()) == {1}  # each exactly once
    rows = _rows(session)
    assert {r.status for r in rows} == {Status.SENT}
    assert {r.claimed_by for r in rows} == {"worker-a", "worker-b"}  # both did real work


def test_twenty_threads_claiming_at_once_never_share_a_message(database_url, engine, session):
    _after_a_quiet_night(session)
    ids = _queue(session, 60)
    barrier, claims, failures = threading.Barrier(20), [], []

    def worker(n: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as own:
                own.connection()  # each thread holds its connection before the barrier: all claim at once
                barrier.wait(timeout=30)
                while batch := notify.claim(own, worker=f"t{n}", now=NOW, limit=2):
                    claims.extend((c.id, n) for c in batch)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    assert sorted(i for i, _ in claims) == sorted(ids)  # every row once, none twice
    assert len({n for _, n in claims}) > 1
    assert Counter(r.attempts for r in _rows(session)) == {1: 60}


def test_a_claim_takes_no_more_than_its_batch_whatever_the_tables_statistics(database_url, session):
    _after_a_quiet_night(session)
    ids = _queue(session, 3 * notify.BATCH)

    first = notify.claim(session, worker="worker-a", now=NOW)
    second = notify.claim(session, worker="worker-b", now=NOW, limit=2)

    assert [c.id for c in first] == ids[: notify.BATCH]  # (the old claim took all 60 here, and left none)
    assert [c.id for c in second] == ids[notify.BATCH : notify.BATCH + 2]
    assert Counter(r.status for r in _rows(session)) == {Status.CLAIMED: notify.BATCH + 2, Status.QUEUED: 38}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_a_worker_killed_mid_send_leaves_the_message_uncertain_never_sent_twice(database_url, session, monkeypatch):
    [message_id] = _queue(session, 1)
    inbox = Inbox()
    inbox.hold.set()  # the server takes the message and does not answer yet
    with smtp_server(inbox) as (_, port):
        use_smtp(monkeypatch, port)
        worker = subprocess.Popen(
            [sys.executable, "-m", "core.notify", "--once"],
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            assert inbox.holding.wait(60), worker.communicate(timeout=5)[0].decode()
            [row] = _rows(session)
            assert row.status == Status.SENDING  # marked before the server got it
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        finally:
            if worker.poll() is None:
                worker.kill()
        inbox.hold.clear()
        inbox.release.set()  # the server had the whole message: it counts as arrived
        notify.tick(now=utcnow() + timedelta(minutes=1))
        assert _rows(session)[0].status == Status.SENDING  # still inside its lease: nobody touches it
        later = utcnow() + notify.LEASE + timedelta(minutes=1)
        notify.tick(now=later)
        notify.tick(now=later + timedelta(minutes=5))
    assert inbox.outbox_ids() == [message_id]  # once, never again by itself
    [row] = _rows(session)
    assert row.status == Status.UNCERTAIN and "may not have arrived" in row.last_error


def test_the_worker_command_runs_as_a_service_and_stops_on_sigterm(database_url, session, monkeypatch):
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        worker = subprocess.Popen(
            [sys.executable, "-m", "core.notify", "--interval", "0.2"],
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            [message_id] = _queue(session, 1)  # queued while the worker is already running
            deadline = time.monotonic() + 60
            while inbox.count() == 0 and time.monotonic() < deadline and worker.poll() is None:
                inbox.release.wait(0.05)  # (an Event nobody sets: a short, bounded wait)
            assert inbox.outbox_ids() == [message_id]
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(30) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
        output = worker.communicate()[0].decode()
    assert "notification worker" in output and "sent 1" in output
    assert _rows(session)[0].status == Status.SENT
