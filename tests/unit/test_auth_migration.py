"""Migration 0007 on a database that already has accounts: they keep logging in (session version 1,
no forced password change), on SQLite and PostgreSQL."""

import uuid

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from tests.conftest import PG_URL, ROOT


@pytest.mark.db
def test_existing_accounts_get_a_session_version_and_no_forced_change(tmp_path):
    if PG_URL:
        name = f"iop_mig_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    try:
        command.upgrade(cfg, "0006")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO app_user (username, name, role, password_hash, is_active, is_demo, "
                    "failed_attempts, sessions_valid_after, created_at) VALUES ('old', 'Old Timer', "
                    "'participant', 'x', true, false, 3, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            row = conn.execute(text("SELECT session_version, must_change_password FROM app_user")).one()
            assert (row[0], bool(row[1])) == (1, False)
            assert conn.execute(text("SELECT count(*) FROM throttle")).scalar() == 0
        command.downgrade(cfg, "0006")  # and back, keeping the account
        with engine.connect() as conn:
            assert conn.execute(text("SELECT username FROM app_user")).scalar() == "old"
        engine.dispose()
    finally:
        if PG_URL:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
