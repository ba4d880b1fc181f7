"""diary cards, urges, targets and alerts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:16:09.063463
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "diary_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("program_id", "key"),
    )
    with op.batch_alter_table("diary_target", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_diary_target_program_id"), ["program_id"], unique=False)

    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("source_key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledgement", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "trigger", "source_key", name="uq_alert_source"),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index("ix_alert_open", ["participant_id", "resolved_at"], unique=False)

    op.create_table(
        "diary_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("mood", sa.Integer(), nullable=False),
        sa.Column("sadness", sa.Integer(), nullable=True),
        sa.Column("anxiety", sa.Integer(), nullable=True),
        sa.Column("anger", sa.Integer(), nullable=True),
        sa.Column("shame", sa.Integer(), nullable=True),
        sa.Column("joy", sa.Integer(), nullable=True),
        sa.Column("craving", sa.Integer(), nullable=True),
        sa.Column("sleep_hours", sa.Float(), nullable=True),
        sa.Column("medication", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "day", name="uq_diary_card_day"),
    )
    with op.batch_alter_table("diary_card", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_diary_card_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "diary_urge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("urge", sa.Integer(), nullable=True),
        sa.Column("acted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["diary_card.id"],
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["diary_target.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("card_id", "target_id"),
    )
    with op.batch_alter_table("diary_urge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_diary_urge_card_id"), ["card_id"], unique=False)

    # Every existing program starts with the default diary-card targets.
    from core.clinical import DEFAULT_TARGETS

    program = sa.table("program", sa.column("id", sa.Integer))
    target = sa.table(
        "diary_target",
        sa.column("program_id", sa.Integer),
        sa.column("key", sa.String),
        sa.column("label", sa.String),
        sa.column("position", sa.Integer),
        sa.column("active", sa.Boolean),
    )
    program_ids = [row[0] for row in op.get_bind().execute(sa.select(program.c.id))]
    if program_ids:
        op.bulk_insert(
            target,
            [
                {"program_id": pid, "key": key, "label": label, "position": i, "active": True}
                for pid in program_ids
                for i, (key, label) in enumerate(DEFAULT_TARGETS)
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("diary_urge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diary_urge_card_id"))

    op.drop_table("diary_urge")
    with op.batch_alter_table("diary_card", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diary_card_participant_id"))

    op.drop_table("diary_card")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_open")

    op.drop_table("alert")
    with op.batch_alter_table("diary_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diary_target_program_id"))

    op.drop_table("diary_target")
