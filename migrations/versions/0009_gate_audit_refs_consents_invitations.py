"""gate: opaque audit references, one current consent, invitations that can be withdrawn

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 00:33:36.791724

Existing rows:
- audit_event.detail (free text that carried clinical content: triggers, skill names,
  questionnaire kinds) is DROPPED. Refusal reasons, which were fixed sentences, are kept as codes
  in the new `reason` column first. Who/whose/what/when/allowed stay as they were.
- consent_grant: where one family member had several unrevoked consents for one category, all
  but the newest are ended now, then a partial unique index keeps it to one. The discloser is
  filled in from the participant's program; `consent_version` stays "" (wording before versions).
- family_invitation: unused codes were stored as bare SHA-256, which can't be turned into the
  new keyed hash; they are withdrawn now (codes last 7 days, so at worst a participant makes a new
  one). Used codes keep their row as the record of who joined.
"""

from datetime import UTC, datetime
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: Union[str, None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The sentences the old gate wrote for refusals, and the codes that replace them.
OLD_REFUSALS = {
    "own record only": "not_own_record",
    "this is set by your therapist": "set_by_care_team",
    "not on this therapist's caseload": "not_on_caseload",
    "therapists read this category but do not change it": "therapist_reads_only",
    "family access is read-only": "family_reads_only",
    "this category is never shared with family": "never_shared",
    "no active consent for this category": "no_consent",
    "program admins do not see clinical content": "not_clinical_role",
    "participant of another program": "other_program",
    "unknown role": "wrong_role",
}


def _now():
    return sa.bindparam("now", datetime.now(UTC), type_=sqlmodel.sql.sqltypes.UTCDateTime())


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=64), server_default="", nullable=False)
        )
    for sentence, code in OLD_REFUSALS.items():
        bind.execute(
            sa.text("UPDATE audit_event SET reason = :code WHERE allowed = :no AND detail = :sentence"),
            {"code": code, "sentence": sentence, "no": False},
        )
    bind.execute(
        sa.text("UPDATE audit_event SET reason = 'wrong_role' WHERE allowed = :no AND detail LIKE 'needs role%'"),
        {"no": False},
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("detail")

    with op.batch_alter_table("consent_grant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("discloser", sqlmodel.sql.sqltypes.AutoString(length=120), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("consent_version", sqlmodel.sql.sqltypes.AutoString(length=16), server_default="", nullable=False)
        )
    bind.execute(
        sa.text(
            "UPDATE consent_grant SET revoked_at = :now WHERE revoked_at IS NULL AND id NOT IN ("
            " SELECT keep FROM (SELECT MAX(id) AS keep FROM consent_grant WHERE revoked_at IS NULL"
            " GROUP BY participant_id, family_id, category) AS newest)"
        ).bindparams(_now())
    )
    bind.execute(
        sa.text(
            "UPDATE consent_grant SET discloser = COALESCE((SELECT program.name FROM program JOIN app_user"
            " ON app_user.program_id = program.id WHERE app_user.id = consent_grant.participant_id), '')"
        )
    )
    with op.batch_alter_table("consent_grant", schema=None) as batch_op:
        batch_op.create_index(
            "uq_consent_one_current",
            ["participant_id", "family_id", "category"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )

    with op.batch_alter_table("family_invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    bind.execute(sa.text("UPDATE family_invitation SET withdrawn_at = :now WHERE used_at IS NULL").bindparams(_now()))


def downgrade() -> None:
    with op.batch_alter_table("family_invitation", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")

    with op.batch_alter_table("consent_grant", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_consent_one_current",
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )
        batch_op.drop_column("consent_version")
        batch_op.drop_column("discloser")

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detail", sa.VARCHAR(length=300), server_default="", nullable=False))
        batch_op.drop_column("ref")
        batch_op.drop_column("reason")
