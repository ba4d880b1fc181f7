"""A pooled connection the database ended while it sat idle (a PostgreSQL restart, an idle timeout, an
admin's pg_terminate_backend) is replaced before a rerun uses it: the person sees their screen, not the
"database unavailable" message. core.db looks at the connection's socket at checkout instead of asking
the server (no round trip in every rerun)."""

from __future__ import annotations

import threading

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import select

from core import db
from core.models import AppUser


def _own_engine(database_url: str):
    """An engine made as the app makes it, of its own (not the test's shared one): another URL."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":  # (the test's own engine is kept for this URL)
        url = url.update_query_dict({"application_name": "iop-ended-test"})
    return db.make_engine(url.render_as_string(hide_password=False))


def _pids(engine, count: int) -> list[int]:
    """`count` connections of the engine's pool at once (each holds one until all have one), their
    server processes' ids; then all back in the pool, idle."""
    ready, pids = threading.Barrier(count), []

    def hold() -> None:
        with engine.connect() as conn:
            pids.append(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
            ready.wait(timeout=30)

    threads = [threading.Thread(target=hold) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return pids


def _end_on_the_server(database_url: str, pids: list[int]) -> None:
    admin = create_engine(database_url, poolclass=NullPool)
    try:
        with admin.connect() as conn:  # (waits up to 10 s for each to be gone)
            ended = conn.execute(
                text("SELECT bool_and(pg_terminate_backend(pid, 10000)) FROM unnest(CAST(:pids AS int[])) AS pid"),
                {"pids": pids},
            ).scalar_one()
        assert ended
    finally:
        admin.dispose()


def test_reruns_after_the_server_ended_every_idle_connection_read_as_before(database_url, people):
    engine = _own_engine(database_url)
    try:
        if engine.dialect.name != "postgresql":
            # A SQLite connection is a handle on a file: nothing outside this process can end it, and
            # its checkout has nothing to look at.
            assert not engine.pool._pre_ping and not engine.pool.dispatch.checkout
            return
        assert not engine.pool._pre_ping  # (no round trip to the server at each checkout)
        expected = [p.name for p in sorted([people.admin, people.therapist], key=lambda p: p.id)]
        before = _pids(engine, 3)
        assert len(set(before)) == 3
        _end_on_the_server(database_url, before)
        for _ in range(3):  # three reruns, one after another, each with a connection from the pool
            with db.unit_of_work(engine) as session:
                names = session.exec(select(AppUser.name).order_by(AppUser.id)).all()
                pid = session.exec(text("SELECT pg_backend_pid()")).scalar_one()
            assert names == expected and pid not in before
        # And three at once (a group's check-in after a restart), each replaced: none fails.
        after = _pids(engine, 3)
        assert not set(after) & set(before)
    finally:
        engine.dispose()
