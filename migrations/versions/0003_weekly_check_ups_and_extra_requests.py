"""weekly check-ups and extra requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:32:08.903298
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "checkup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("slot_key", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("function_answer", sa.Integer(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("band", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("taken_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "kind", "slot_key", name="uq_checkup_slot"),
    )
    with op.batch_alter_table("checkup", schema=None) as batch_op:
        batch_op.create_index("ix_checkup_participant_kind_day", ["participant_id", "kind", "day"], unique=False)

    op.create_table(
        "checkup_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("fulfilled_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["fulfilled_by_id"],
            ["checkup.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("checkup_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkup_request_participant_id"), ["participant_id"], unique=False)

    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkup_interval_days", sa.Integer(), server_default="7", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_column("checkup_interval_days")

    with op.batch_alter_table("checkup_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkup_request_participant_id"))

    op.drop_table("checkup_request")
    with op.batch_alter_table("checkup", schema=None) as batch_op:
        batch_op.drop_index("ix_checkup_participant_kind_day")

    op.drop_table("checkup")
