"""perf: indexes for the filters the code runs, none that repeat a unique constraint

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 09:00:00

Added, for queries that filtered without one:
- app_user (program_id, role): pickers, the audit log's program filter, the scheduled job.
  It replaces the index on role alone (nothing looks up a role across programs).
- consent_grant (family_id): what a family member is shown ("shared with me").
- audit_event (category, at) and (at) WHERE NOT allowed: the admin's category and refusals filters.

Dropped, because a composite unique constraint already starts with the same column (its index
serves every lookup the single-column one did, and each write paid for both):
diary_card.participant_id, diary_urge.card_id, family_link.family_id,
safety_plan_version.participant_id, thought_record.participant_id, homework.participant_id,
favourite_skill.participant_id, attendance.participant_id.

Existing rows are untouched; building the new indexes reads each table once.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: Union[str, None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# (index, table, column) that repeat the first column of a unique constraint
DUPLICATES = [
    ("ix_diary_card_participant_id", "diary_card", "participant_id"),
    ("ix_diary_urge_card_id", "diary_urge", "card_id"),
    ("ix_family_link_family_id", "family_link", "family_id"),
    ("ix_safety_plan_version_participant_id", "safety_plan_version", "participant_id"),
    ("ix_thought_record_participant_id", "thought_record", "participant_id"),
    ("ix_homework_participant_id", "homework", "participant_id"),
    ("ix_favourite_skill_participant_id", "favourite_skill", "participant_id"),
    ("ix_attendance_participant_id", "attendance", "participant_id"),
]


def upgrade() -> None:
    for name, table, _ in DUPLICATES:
        op.drop_index(name, table_name=table)
    op.drop_index("ix_app_user_role", table_name="app_user")
    op.create_index("ix_app_user_program_role", "app_user", ["program_id", "role"])
    op.create_index("ix_consent_family", "consent_grant", ["family_id"])
    op.create_index("ix_audit_category_at", "audit_event", ["category", "at"])
    op.create_index(
        "ix_audit_refused_at",
        "audit_event",
        ["at"],
        sqlite_where=sa.text("allowed = 0"),
        postgresql_where=sa.text("NOT allowed"),
    )


def downgrade() -> None:
    op.drop_index("ix_audit_refused_at", table_name="audit_event")
    op.drop_index("ix_audit_category_at", table_name="audit_event")
    op.drop_index("ix_consent_family", table_name="consent_grant")
    op.drop_index("ix_app_user_program_role", table_name="app_user")
    op.create_index("ix_app_user_role", "app_user", ["role"])
    for name, table, column in DUPLICATES:
        op.create_index(name, table, [column])
