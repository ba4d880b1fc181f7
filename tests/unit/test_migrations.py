"""`alembic upgrade head` from empty builds exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from core import db
from tests.conftest import PG_URL, run_migrations


@pytest.mark.db
def test_migrations_from_empty_match_the_models(tmp_path, request):
    url = request.getfixturevalue("pg_database_url") if PG_URL else f"sqlite:///{tmp_path / 'm.db'}"
    if not PG_URL:
        run_migrations(url)
    engine = db.make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert {"app_user", "program", "caseload_assignment", "consent_grant", "audit_event"} <= tables
