"""arc-sched: the weekly schedule, sessions per enrolment, attendance taken against sessions, discharge

Revision ID: 0014_arc_sched
Revises: 0013_i18n
Create Date: 2026-11-26 07:10:00

New tables: schedule_slot (the program's weekly group pattern), program_session (each session a
participant is expected at) and discharge (how and when a participant left). Programs get
`discharge_access_days` (90: how long a discharged participant still reads their own record).

Existing attendance rows are kept, each moved onto a session of its own: one program_session per
(participant, day, kind) that had a roll, at the program's usual evening time (group 6-9 pm,
individual and family 5-6 pm in the program's time zone; the free-text schedule cannot be read
reliably). Statuses take the words the roll now uses: attended -> present, missed -> absent (late and
excused unchanged). Then attendance.session_id becomes required and unique, and the old one-row-per-
(participant, day, kind) constraint goes (two group sessions may share a day now).

Downgrade reverses it: statuses back, session_id dropped, sessions and the new tables dropped. It
fails (rather than losing a roll) if two attendance rows share a participant, day and kind.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Sequence, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014_arc_sched"
down_revision: Union[str, None] = "0013_i18n"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# When a migrated session starts and how long it runs, in the program's zone (minutes).
MIGRATED_TIMES = {"group": (18 * 60, 180), "individual": (17 * 60, 60), "family": (17 * 60, 60)}
RENAMED = {"attended": "present", "missed": "absent"}
DEFAULT_ZONE = "America/New_York"


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def _moment(day: date, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60), zone).astimezone(UTC)


sessions_t = sa.table(
    "program_session",
    sa.column("id", sa.Integer),
    sa.column("participant_id", sa.Integer),
    sa.column("program_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("day", sa.Date),
    sa.column("starts_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("ends_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("topic", sa.String),
    sa.column("created_by_id", sa.Integer),
    sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
)
attendance_t = sa.table(
    "attendance",
    sa.column("id", sa.Integer),
    sa.column("session_id", sa.Integer),
    sa.column("participant_id", sa.Integer),
    sa.column("day", sa.Date),
    sa.column("session_kind", sa.String),
    sa.column("status", sa.String),
    sa.column("recorded_by_id", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discharge_access_days", sa.Integer(), server_default="90", nullable=False))
    op.create_table(
        "schedule_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(["program_id"], ["program.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("program_id", "weekday", "start_minute", name="uq_schedule_slot"),
    )
    op.create_table(
        "program_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ends_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["program_id"], ["program.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "kind", "starts_at", name="uq_program_session"),
    )
    op.create_index("ix_program_session_participant_day", "program_session", ["participant_id", "day"])
    op.create_index("ix_program_session_program_day", "program_session", ["program_id", "day"])
    op.create_table(
        "discharge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("family_consent_kept", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id"),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))

    _move_rolls_onto_sessions(op.get_bind())

    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.alter_column("session_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint("uq_attendance_session_id", ["session_id"])
        batch_op.create_foreign_key("fk_attendance_session_id", "program_session", ["session_id"], ["id"])
        batch_op.drop_constraint("uq_attendance_session", type_="unique")
        batch_op.create_index("ix_attendance_participant_day", ["participant_id", "day"], unique=False)


def _move_rolls_onto_sessions(conn) -> None:
    """One session per (participant, day, kind) that has a roll, then each row points at it."""
    rows = conn.execute(
        sa.text(
            "SELECT a.id, a.participant_id, a.day, a.session_kind, u.program_id, p.timezone"
            " FROM attendance a JOIN app_user u ON u.id = a.participant_id"
            " LEFT JOIN program p ON p.id = u.program_id"
        )
    ).all()
    now = datetime.now(UTC)
    sessions = []
    for _, participant_id, day, kind, program_id, zone_name in rows:
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        start, minutes = MIGRATED_TIMES.get(kind, MIGRATED_TIMES["group"])
        zone = _zone(zone_name)
        starts = _moment(day, start, zone)
        sessions.append(
            {
                "participant_id": participant_id,
                "program_id": program_id,
                "kind": kind,
                "day": day,
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=minutes),
                "topic": "",
                "created_by_id": None,
                "created_at": now,
            }
        )
    if sessions:
        conn.execute(sa.insert(sessions_t), sessions)
        ids = {
            (pid, str(day), kind): sid
            for sid, pid, day, kind in conn.execute(
                sa.select(sessions_t.c.id, sessions_t.c.participant_id, sessions_t.c.day, sessions_t.c.kind)
            )
        }
        conn.execute(
            sa.update(attendance_t)
            .where(attendance_t.c.id == sa.bindparam("row_id"))
            .values(session_id=sa.bindparam("sid")),
            [
                {"row_id": row_id, "sid": ids[(pid, str(s["day"]), kind)]}
                for (row_id, pid, _, kind, _, _), s in zip(rows, sessions, strict=True)
            ],
        )
    for old, new in RENAMED.items():
        conn.execute(sa.update(attendance_t).where(attendance_t.c.status == old).values(status=new))


def downgrade() -> None:
    conn = op.get_bind()
    for old, new in RENAMED.items():
        conn.execute(sa.update(attendance_t).where(attendance_t.c.status == new).values(status=old))
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_attendance_participant_day")
        batch_op.create_unique_constraint("uq_attendance_session", ["participant_id", "day", "session_kind"])
        batch_op.drop_constraint("fk_attendance_session_id", type_="foreignkey")
        batch_op.drop_constraint("uq_attendance_session_id", type_="unique")
        batch_op.drop_column("session_id")
    op.drop_table("discharge")
    op.drop_index("ix_program_session_program_day", table_name="program_session")
    op.drop_index("ix_program_session_participant_day", table_name="program_session")
    op.drop_table("program_session")
    op.drop_table("schedule_slot")
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_column("discharge_access_days")
