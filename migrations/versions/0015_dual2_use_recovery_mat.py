"""dual2: substance use on the card, triggers, medication for addiction treatment, recovery counters

Revision ID: 0015_dual2
Revises: 0014_arc_sched
Create Date: 2026-11-26 07:00:00

- program.substances: the substances a substance-use program's card offers (every one by default);
  program.mat_medications: the medications for addiction treatment asked about on the card ([]).
- substance_use (card, substance, amount, unit), card_trigger (card, trigger), mat_dose (card,
  medication, taken): rows of one card, one per card and key (a double tap saves once).
- practice_trigger (practice entry, trigger): triggers recorded with a practice entry.
- recovery_counter (participant, substance, start day, shown): one per participant and substance.

Existing rows are untouched; existing programs get every substance listed and no MAT question.
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015_dual2"
down_revision: Union[str, None] = "0014_arc_sched"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ALL = '["alcohol", "cannabis", "opioids", "stimulants", "benzodiazepines", "other"]'


def upgrade() -> None:
    with op.batch_alter_table("program") as batch:
        batch.add_column(sa.Column("substances", sa.JSON(), nullable=False, server_default=sa.text(f"'{ALL}'")))
        batch.add_column(sa.Column("mat_medications", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    op.create_table(
        "substance_use",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("substance", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["diary_card.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("card_id", "substance", name="uq_substance_use_card"),
    )
    op.create_table(
        "card_trigger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["diary_card.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("card_id", "trigger", name="uq_card_trigger"),
    )
    op.create_table(
        "practice_trigger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["practice_entry.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "trigger", name="uq_practice_trigger"),
    )
    op.create_table(
        "mat_dose",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("medication", sa.String(length=16), nullable=False),
        sa.Column("taken", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["diary_card.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("card_id", "medication", name="uq_mat_dose_card"),
    )
    op.create_table(
        "recovery_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("substance", sa.String(length=16), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("shown", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "substance", name="uq_recovery_counter"),
    )


def downgrade() -> None:
    op.drop_table("recovery_counter")
    op.drop_table("mat_dose")
    op.drop_table("practice_trigger")
    op.drop_table("card_trigger")
    op.drop_table("substance_use")
    with op.batch_alter_table("program") as batch:
        batch.drop_column("mat_medications")
        batch.drop_column("substances")
