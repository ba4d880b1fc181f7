"""Shared fixtures: a fresh database per test (SQLite file, or PostgreSQL when TEST_DATABASE_URL
is set by `make test`), settings for demo mode with cheap bcrypt, and the demo seed."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, SQLModel

import core.models  # noqa: F401 - registers the tables
from core import config, db

TEST_ROUNDS = "4"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
ROOT = Path(__file__).resolve().parent.parent


def run_migrations(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "head")


@pytest.fixture(scope="session")
def pg_database_url():
    """A brand-new PostgreSQL database for this test run, migrated with Alembic."""
    if not PG_URL:
        return None
    name = f"iop_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    run_migrations(url)
    yield url
    db.engine_for.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(autouse=True)
def test_settings(monkeypatch, tmp_path):
    """Demo mode, no secrets file, quick bcrypt; caches cleared so each test sees its own env.

    Demo mode is asked for explicitly: a test database is a configured DATABASE_URL, and a
    configured database alone never turns demo mode on."""
    for name in ("IOP_COOKIE_KEY", "DATABASE_URL", "IOP_COOKIE_EXPIRY_DAYS", "IOP_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IOP_DEMO_MODE", "true")
    monkeypatch.setenv("IOP_SECRETS_FILE", str(tmp_path / "no-secrets.toml"))
    monkeypatch.setenv("IOP_BCRYPT_ROUNDS", TEST_ROUNDS)
    monkeypatch.setenv("IOP_DATA_DIR", str(tmp_path / "data"))
    config.settings.cache_clear()
    yield
    config.settings.cache_clear()


@pytest.fixture
def database_url(request, tmp_path, monkeypatch):
    """Each test gets an empty database and DATABASE_URL pointing at it (for the app too)."""
    if PG_URL:
        url = request.getfixturevalue("pg_database_url")
        engine = db.engine_for(url)
        names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        url = f"sqlite:///{tmp_path / 'test.db'}"
        db.engine_for.cache_clear()
        SQLModel.metadata.create_all(db.engine_for(url))
    monkeypatch.setenv("DATABASE_URL", url)
    config.settings.cache_clear()
    yield url
    if not PG_URL:
        db.engine_for(url).dispose()
        db.engine_for.cache_clear()


@pytest.fixture
def engine(database_url):
    return db.engine_for(database_url)


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def demo(session):
    """The demo program and accounts, as `make run` seeds them."""
    from core.seed import seed_demo

    return seed_demo(session, rounds=int(TEST_ROUNDS))


def pytest_collection_modifyitems(config, items):
    """Tests that use a database are marked `db`, so `make test` repeats them on PostgreSQL."""
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def pytest_sessionfinish(session, exitstatus):
    """On CI nothing may be skipped: a skipped test turns the run red."""
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        reporter.write_line(f"CI=true: {skipped} test(s) were skipped; nothing may be skipped on CI.", red=True)
        session.exitstatus = 1
