"""versioned safety plans

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:36:20.413222
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "safety_plan_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "version", name="uq_safety_plan_version"),
    )
    with op.batch_alter_table("safety_plan_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_plan_version_participant_id"), ["participant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("safety_plan_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_plan_version_participant_id"))

    op.drop_table("safety_plan_version")
