"""Lifting a table's range CHECKs inside a test, to keep exercising the readers' own clamps (defence
in depth: a database restored from before migration 0016, or one whose constraints a script dropped).
Call it in the session's transaction, before the write; it lasts for that transaction's connection
(SQLite) or drops the constraints from that test's own database (PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint
from sqlmodel import Session, SQLModel


def lift_range_checks(session: Session, table: str) -> None:
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        return
    for constraint in SQLModel.metadata.tables[table].constraints:
        if isinstance(constraint, CheckConstraint):
            connection.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {constraint.name}")
