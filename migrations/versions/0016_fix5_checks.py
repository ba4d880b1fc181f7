"""fix5: CHECK constraints on stored minutes, windows, intervals, lengths and counts

Revision ID: 0016_fix5
Revises: 0015_dual2
Create Date: 2026-11-26 15:30:00

The forms keep these numbers in range, but a script or an import could write any integer, and one
odd row stopped the notification worker's tick for everyone (a reminder at minute 1440, quiet hours
ending at 99:00, an escalation window of 10**12 minutes, a check-up interval of 0) or the pages (a
program of 2**31 weeks, an access period past the end of the calendar). The readers clamp; now the
tables refuse them too. Existing rows are first brought into range the way the readers read them:

- program: length_weeks, checkup_interval_days, escalation_minutes, discharge_access_days are
  clamped into their ranges (core.clinical PROGRAM_WEEKS_RANGE, CHECKUP_INTERVAL_RANGE,
  ESCALATION_MINUTES_RANGE, DISCHARGE_ACCESS_RANGE).
- notification_setting: a remind_minute outside 0..1439 becomes 20:00 (core.notify's default, what
  the worker used for it); quiet hours with an end outside the day become NULL, both ends (what the
  worker read: no quiet hours).
- schedule_slot: a start or end minute outside the day is clamped into it (an end of 24:00 is 23:59);
  a slot whose weekday is not 0..6 names no day and is removed, as is a clamped slot whose start
  another slot of the same day already has (the unique pattern key) or that no longer ends after it
  starts (a session wholly outside the day: 25:00-26:00 would be 23:59-23:59).
- throttle.hits, throttle.strikes and outbox_message.attempts below 0 become 0.

The ranges are written out here as they are today (a migration is a record of its time); the
models carry the same constraints from the named constants, and tests/unit/test_stored_ranges.py
checks that both refuse the same values.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0016_fix5"
down_revision: Union[str, None] = "0015_dual2"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

DAY = (0, 24 * 60 - 1)
CLAMPED = {  # table: [(column, low, high)]; high None: no upper bound
    "program": [
        ("length_weeks", 1, 26),
        ("checkup_interval_days", 3, 28),
        ("escalation_minutes", 5, 240),
        ("discharge_access_days", 0, 730),
    ],
    "notification_setting": [("remind_minute", *DAY), ("quiet_start_minute", *DAY), ("quiet_end_minute", *DAY)],
    "schedule_slot": [("weekday", 0, 6), ("start_minute", *DAY), ("end_minute", *DAY)],
    "throttle": [("hits", 0, None), ("strikes", 0, None)],
    "outbox_message": [("attempts", 0, None)],
}
DEFAULT_REMIND_MINUTE = 20 * 60


def _rule(column: str, low: int, high: int | None) -> str:
    return f"{column} >= {low}" if high is None else f"{column} BETWEEN {low} AND {high}"


def _outside(column: str, low: int, high: int | None) -> str:
    return f"{column} < {low}" if high is None else f"({column} < {low} OR {column} > {high})"


def _clamp(column: str, low: int, high: int | None) -> str:
    if high is None:
        return f"UPDATE {{table}} SET {column} = {low} WHERE {column} < {low}"
    return (
        f"UPDATE {{table}} SET {column} = CASE WHEN {column} < {low} THEN {low} ELSE {high} END"
        f" WHERE {_outside(column, low, high)}"
    )


def _bring_into_range() -> None:
    for column, low, high in CLAMPED["program"]:
        op.execute(_clamp(column, low, high).format(table="program"))
    op.execute(
        f"UPDATE notification_setting SET remind_minute = {DEFAULT_REMIND_MINUTE}"
        f" WHERE {_outside('remind_minute', *DAY)}"
    )
    # Quiet hours are a pair: one end outside the day meant none to the worker, and so both go (one
    # left alone showed a half on the Reminders screen, which its next save refused).
    op.execute(
        "UPDATE notification_setting SET quiet_start_minute = NULL, quiet_end_minute = NULL"
        f" WHERE {_outside('quiet_start_minute', *DAY)} OR {_outside('quiet_end_minute', *DAY)}"
    )
    op.execute(f"DELETE FROM schedule_slot WHERE {_outside('weekday', 0, 6)}")
    conn = op.get_bind()
    odd = conn.execute(
        sa.text(
            "SELECT id, program_id, weekday, start_minute, end_minute FROM schedule_slot"
            f" WHERE {_outside('start_minute', *DAY)} OR {_outside('end_minute', *DAY)} ORDER BY id"
        )
    ).all()
    for slot_id, program_id, weekday, start, end in odd:
        start, end = (min(max(minute, DAY[0]), DAY[1]) for minute in (start, end))
        taken = conn.execute(
            sa.text(
                "SELECT 1 FROM schedule_slot WHERE program_id = :p AND weekday = :w AND start_minute = :s AND id <> :id"
            ),
            {"p": program_id, "w": weekday, "s": start, "id": slot_id},
        ).first()
        if taken or end <= start:  # (a session wholly outside the day, clamped, would last no time)
            conn.execute(sa.text("DELETE FROM schedule_slot WHERE id = :id"), {"id": slot_id})
        else:
            conn.execute(
                sa.text("UPDATE schedule_slot SET start_minute = :s, end_minute = :e WHERE id = :id"),
                {"s": start, "e": end, "id": slot_id},
            )
    for table in ("throttle", "outbox_message"):
        for column, low, high in CLAMPED[table]:
            op.execute(_clamp(column, low, high).format(table=table))


def upgrade() -> None:
    _bring_into_range()
    for table, columns in CLAMPED.items():
        with op.batch_alter_table(table) as batch:
            for column, low, high in columns:
                batch.create_check_constraint(f"ck_{table}_{column}", _rule(column, low, high))


def downgrade() -> None:
    for table, columns in CLAMPED.items():
        with op.batch_alter_table(table) as batch:
            for column, _low, _high in columns:
                batch.drop_constraint(f"ck_{table}_{column}", type_="check")
