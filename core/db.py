"""The engine and sessions. SQLite by default (with WAL and friends), PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from core.config import settings


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached; pages show a calm message instead of a traceback."""


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        if not memory:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001 - DB-API connection
            cur = dbapi_conn.cursor()
            if not memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return engine_for(settings().database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


def _insert_for(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def upsert(session: Session, model, values: dict, *, conflict: list[str], update: list[str]) -> int:
    """Insert a row, or update `update` columns of the row with the same `conflict` key.

    One statement, so two saves at the same moment (a double tap, two devices) make one row.
    Returns the row's id.
    """
    stmt = _insert_for(session)(model).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=conflict,
                                      set_={c: getattr(stmt.excluded, c) for c in update})
    return session.execute(stmt.returning(model.id)).scalar_one()


def insert_if_absent(session: Session, model, values: dict, *, conflict: list[str]) -> int | None:
    """Insert a row unless one with the same `conflict` key exists; the new id, or None."""
    stmt = _insert_for(session)(model).values(**values).on_conflict_do_nothing(index_elements=conflict)
    return session.execute(stmt.returning(model.id)).scalar_one_or_none()


def insert_many_if_absent(session: Session, model, rows: list[dict], *, conflict: list[str]) -> None:
    """Insert many rows in one statement, skipping those whose `conflict` key already exists."""
    if rows:
        session.execute(_insert_for(session)(model).values(rows).on_conflict_do_nothing(index_elements=conflict))
