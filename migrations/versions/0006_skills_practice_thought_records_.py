"""skills practice, thought records, homework, attendance

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:04:54.382371
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("session_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "day", "session_kind", name="uq_attendance_session"),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "favourite_skill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "skill_id", name="uq_favourite_skill"),
    )
    with op.batch_alter_table("favourite_skill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_favourite_skill_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "homework",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.Column("assigned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("removed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "skill_id", "assigned_on", name="uq_homework_day"),
    )
    with op.batch_alter_table("homework", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_homework_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "practice_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("entry_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("skill_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("situation", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("distress_before", sa.Integer(), nullable=False),
        sa.Column("distress_after", sa.Integer(), nullable=True),
        sa.Column("helped", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("tool", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "entry_key", name="uq_practice_entry_key"),
    )
    with op.batch_alter_table("practice_entry", schema=None) as batch_op:
        batch_op.create_index("ix_practice_participant_day", ["participant_id", "day"], unique=False)

    op.create_table(
        "thought_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("entry_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("situation", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("emotions", sa.JSON(), nullable=False),
        sa.Column("automatic_thought", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("evidence_for", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("evidence_against", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("balanced_thought", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("balanced_belief", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "entry_key", name="uq_thought_record_key"),
    )
    with op.batch_alter_table("thought_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_thought_record_participant_id"), ["participant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("thought_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thought_record_participant_id"))

    op.drop_table("thought_record")
    with op.batch_alter_table("practice_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_practice_participant_day")

    op.drop_table("practice_entry")
    with op.batch_alter_table("homework", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_homework_participant_id"))

    op.drop_table("homework")
    with op.batch_alter_table("favourite_skill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_favourite_skill_participant_id"))

    op.drop_table("favourite_skill")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_participant_id"))

    op.drop_table("attendance")
