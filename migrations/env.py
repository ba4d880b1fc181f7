"""Alembic environment: the URL and metadata come from core, so app and migrations agree."""

from alembic import context
from sqlmodel import SQLModel

import core.models  # noqa: F401 - registers every table on SQLModel.metadata
from core.config import settings
from core.db import make_engine

target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    url = context.config.attributes.get("url") or settings().database_url
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
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
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
