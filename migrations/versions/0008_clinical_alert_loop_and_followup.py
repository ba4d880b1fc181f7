"""clinical safety loop: grouped alerts with reasons and escalation, target alert rules,
structured risk follow-up

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 10:00:00

Existing alerts keep their history: each becomes one reason of its own alert (rows that shared a
source get seq 0, 1, 2... in the order they were opened), and its day is read from the source.
Existing "substance_use" targets get the default lapse rule (acted -> review).
"""

from datetime import date
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("diary_target", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alert_min_urge", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "alert_urge_severity",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                server_default="none",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "alert_acted_severity",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                server_default="none",
                nullable=False,
            )
        )
    op.execute("UPDATE diary_target SET alert_acted_severity = 'review' WHERE key = 'substance_use'")

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("day", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("reasons", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("latest", sqlmodel.sql.sqltypes.AutoString(length=300), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("escalated_from_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.alter_column(
            "trigger",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=40),
            type_=sqlmodel.sql.sqltypes.AutoString(length=60),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "detail",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=300),
            type_=sqlmodel.sql.sqltypes.AutoString(length=500),
            existing_nullable=False,
        )
        batch_op.drop_constraint("uq_alert_source", type_="unique")

    alert = sa.table(
        "alert",
        sa.column("id", sa.Integer),
        sa.column("participant_id", sa.Integer),
        sa.column("trigger", sa.String),
        sa.column("severity", sa.String),
        sa.column("source_key", sa.String),
        sa.column("detail", sa.String),
        sa.column("opened_at", sa.DateTime),
        sa.column("seq", sa.Integer),
        sa.column("day", sa.Date),
        sa.column("reasons", sa.JSON),
    )
    bind = op.get_bind()
    seen: dict[tuple, int] = {}
    for row in bind.execute(
        sa.select(
            alert.c.id,
            alert.c.participant_id,
            alert.c.trigger,
            alert.c.severity,
            alert.c.source_key,
            alert.c.detail,
            alert.c.opened_at,
        ).order_by(alert.c.opened_at, alert.c.id)
    ).all():
        group = (row.participant_id, row.source_key)
        seq = seen.get(group, -1) + 1
        seen[group] = seq
        head, _, rest = row.source_key.partition(":")
        try:
            day = date.fromisoformat(rest) if head in ("diary", "missed") else row.opened_at.date()
        except ValueError:
            day = row.opened_at.date() if row.opened_at else None
        reasons = [{"key": row.trigger, "severity": row.severity, "text": row.detail, "level": 1, "followup": False}]
        bind.execute(alert.update().where(alert.c.id == row.id).values(seq=seq, day=day, reasons=reasons))

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.alter_column("reasons", existing_type=sa.JSON(), nullable=False)
        batch_op.create_unique_constraint("uq_alert_source_seq", ["participant_id", "source_key", "seq"])
        batch_op.create_foreign_key("fk_alert_escalated_from", "alert", ["escalated_from_id"], ["id"])

    op.create_table(
        "risk_followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("taken_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alert.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alert_id"),
    )
    with op.batch_alter_table("risk_followup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_followup_participant_id"), ["participant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("risk_followup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_followup_participant_id"))
    op.drop_table("risk_followup")
    op.execute("DELETE FROM alert WHERE seq > 0")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint("fk_alert_escalated_from", type_="foreignkey")
        batch_op.drop_constraint("uq_alert_source_seq", type_="unique")
        batch_op.create_unique_constraint("uq_alert_source", ["participant_id", "trigger", "source_key"])
        batch_op.alter_column(
            "detail",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=500),
            type_=sqlmodel.sql.sqltypes.AutoString(length=300),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "trigger",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=60),
            type_=sqlmodel.sql.sqltypes.AutoString(length=40),
            existing_nullable=False,
        )
        for column in ("updated_at", "escalated_from_id", "latest", "reasons", "day", "seq"):
            batch_op.drop_column(column)
    with op.batch_alter_table("diary_target", schema=None) as batch_op:
        for column in ("alert_acted_severity", "alert_urge_severity", "alert_min_urge"):
            batch_op.drop_column(column)
