"""Alembic environment: the URL and metadata come from core, so app and migrations agree."""

from alembic import context
from sqlmodel import SQLModel

import core.models  # noqa: F401 - registers every table on SQLModel.metadata
from core.config import settings
from core.db import make_engine

target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    url = context.config.attributes.get("url") or settings().database_url
    context.configure(
        url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=url.startswith("sqlite")
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(context.config.attributes.get("url") or settings().database_url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    # SQLite changes a column by copying the table and dropping the old one, which the app's
    # foreign_keys=ON refuses once other rows point at it: switch the checks off for the
    # migration (the pragma only works outside a transaction) and check every key afterwards.
    sqlite = connection.dialect.name == "sqlite" and not connection.in_transaction()
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=connection.dialect.name == "sqlite"
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
        if broken:
            raise RuntimeError(f"The migration left {len(broken)} broken foreign key(s), e.g. {broken[0]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
