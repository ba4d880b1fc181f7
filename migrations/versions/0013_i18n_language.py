"""i18n: the language an account reads, and the language each card and check-up was answered in

Revision ID: 0013_i18n
Revises: 0012_arc_plan
Create Date: 2026-11-26 07:00:00

- app_user.language: "en" or "es", chosen by participants and family in My account; NULL until
  chosen (existing accounts read English, as before).
- diary_card.language, checkup.language: the language the card or questionnaire was shown in, so
  the therapist sees "answered in Spanish" on Review. Existing rows were answered in English.
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013_i18n"
down_revision: Union[str, None] = "0012_arc_plan"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
    for table in ("diary_card", "checkup"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), server_default="en", nullable=False)
            )


def downgrade() -> None:
    for table in ("checkup", "diary_card", "app_user"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("language")
