"""Stored minutes, windows, intervals, lengths and counts are kept in range by the database itself
(migration 0016, the models' named CHECKs): before it, a script or an import could write a reminder
at minute 1440, quiet hours ending at 99:00, a check-up interval of 0, a program of 2**31 weeks, and
one such row stopped the notification worker's tick for everyone or broke a page (the readers now
clamp as well: tests/unit/test_redteam_wave3.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import CheckConstraint, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from core import clinical, db
from core.models import NotificationSetting, OutboxMessage, ScheduleSlot, Throttle
from tests.conftest import alembic_config

DAY = clinical.MINUTE_OF_DAY_RANGE
RANGES = [  # table, column, lowest, highest (None: no upper bound), from the named constants
    ("program", "length_weeks", *clinical.PROGRAM_WEEKS_RANGE),
    ("program", "checkup_interval_days", *clinical.CHECKUP_INTERVAL_RANGE),
    ("program", "escalation_minutes", *clinical.ESCALATION_MINUTES_RANGE),
    ("program", "discharge_access_days", *clinical.DISCHARGE_ACCESS_RANGE),
    ("notification_setting", "remind_minute", *DAY),
    ("notification_setting", "quiet_start_minute", *DAY),
    ("notification_setting", "quiet_end_minute", *DAY),
    ("schedule_slot", "weekday", *clinical.WEEKDAY_RANGE),
    ("schedule_slot", "start_minute", *DAY),
    ("schedule_slot", "end_minute", *DAY),
    ("throttle", "hits", 0, None),
    ("throttle", "strikes", 0, None),
    ("outbox_message", "attempts", 0, None),
]


def _row(session, people, table: str) -> int:
    """One ordinary row of the table, in range; returns its id."""
    user = people.participant()
    made = {
        "program": lambda: people.program,
        "notification_setting": lambda: NotificationSetting(user_id=user.id, quiet_start_minute=0, quiet_end_minute=1),
        "schedule_slot": lambda: ScheduleSlot(
            program_id=people.program.id, weekday=2, start_minute=600, end_minute=700
        ),
        "throttle": lambda: Throttle(key="login:x", client="c"),
        "outbox_message": lambda: OutboxMessage(dedupe_key="k", kind="test", subject="s", body="b"),
    }[table]()
    session.add(made)
    session.commit()
    return made.id


@pytest.mark.parametrize(("table", "column", "low", "high"), RANGES, ids=[f"{t}.{c}" for t, c, *_ in RANGES])
def test_the_database_refuses_a_number_out_of_range(session, people, table, column, low, high):
    """Old code: every one of these writes was stored."""
    row_id = _row(session, people, table)
    update = text(f"UPDATE {table} SET {column} = :v WHERE id = :id")
    for fine in (low, high) if high is not None else (low, 2**31 - 1):
        session.execute(update, {"v": fine, "id": row_id})
        session.commit()
        assert session.execute(text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": row_id}).scalar() == fine
    for odd in (low - 1, -(2**31)) + (() if high is None else (high + 1, 2**31 - 1)):
        with pytest.raises(IntegrityError):
            session.execute(update, {"v": odd, "id": row_id})
            session.commit()
        session.rollback()
    assert session.execute(text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": row_id}).scalar() == fine


def test_an_odd_row_is_refused_through_the_models_too(session, people):
    """The same refusal for a row written through the ORM (a script's `session.add`)."""
    user = people.participant()
    session.add(NotificationSetting(user_id=user.id, remind_minute=24 * 60))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    assert session.get(NotificationSetting, 1) is None


def test_the_models_and_the_migrated_database_name_the_same_checks(engine):
    """The drift test (compare_metadata) does not compare CHECKs: every named range CHECK the models
    carry is in the migrated database, and no other."""
    expected = {
        (table.name, c.name)
        for table in SQLModel.metadata.tables.values()
        for c in table.constraints
        if isinstance(c, CheckConstraint)
    }
    assert expected == {(t, f"ck_{t}_{c}") for t, c, *_ in RANGES}
    found = set()
    inspector = inspect(engine)
    for table in SQLModel.metadata.tables:
        found |= {(table, c["name"]) for c in inspector.get_check_constraints(table) if c["name"].startswith("ck_")}
    assert found == expected


# --- the migration brings existing rows into range ------------------------------------------------

OLD, NEW = "0015_dual2", "0016_fix5"


PROGRAMS = [  # id, length_weeks, checkup_interval_days, escalation_minutes, discharge_access_days
    (1, 0, 0, 10**6, -3),
    (2, 2**31 - 1, 1000, -5, 10**6),
    (3, 12, 14, 45, 60),  # in range: untouched
]
SETTINGS = [  # user, remind_minute, quiet_start_minute, quiet_end_minute
    (1, 24 * 60, -5, 99 * 60),
    (2, -1, 22 * 60, 7 * 60),
    (3, 7 * 60 + 30, None, None),
]
SLOTS = [  # id, program, weekday, start, end
    (1, 1, 0, 18 * 60, 24 * 60),  # ends at 24:00: 23:59
    (2, 1, 9, 18 * 60, 21 * 60),  # no such day: removed
    (3, 1, 1, -30, 120),  # starts before the day: 00:00
    (4, 1, 1, 0, 60),  # ...where this one already starts (kept; the clamped one goes)
    (5, 3, 4, 17 * 60, 20 * 60),  # in range: untouched
]


@pytest.mark.db
def test_the_migration_brings_odd_rows_into_range_before_it_adds_the_checks(empty_url):
    command.upgrade(alembic_config(empty_url), OLD)
    engine = db.make_engine(empty_url)
    at = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    with engine.begin() as conn:
        for pid, weeks, interval, escalation, access in PROGRAMS:
            conn.execute(
                text(
                    "INSERT INTO program (id, name, timezone, schedule, length_weeks, substance_use_tracking, "
                    "checkup_interval_days, crisis_region, local_crisis_resources, escalation_minutes, "
                    "discharge_access_days, created_at) VALUES (:id, 'P', 'UTC', '', :w, false, :i, 'US', '[]', "
                    ":e, :a, :at)"
                ),
                {"id": pid, "w": weeks, "i": interval, "e": escalation, "a": access, "at": at},
            )
        for uid, remind, quiet_start, quiet_end in SETTINGS:
            conn.execute(
                text(
                    "INSERT INTO app_user (id, username, name, role, password_hash, program_id, is_active, "
                    "is_demo, created_at) VALUES (:id, :u, :u, 'participant', 'x', 1, true, false, :at)"
                ),
                {"id": uid, "u": f"u{uid}", "at": at},
            )
            conn.execute(
                text(
                    "INSERT INTO notification_setting (user_id, diary_reminder, checkup_reminder, homework_reminder,"
                    " remind_minute, quiet_start_minute, quiet_end_minute, updated_at)"
                    " VALUES (:u, true, false, false, :r, :qs, :qe, :at)"
                ),
                {"u": uid, "r": remind, "qs": quiet_start, "qe": quiet_end, "at": at},
            )
        for sid, pid, weekday, start, end in SLOTS:
            conn.execute(
                text(
                    "INSERT INTO schedule_slot (id, program_id, weekday, start_minute, end_minute, topic)"
                    " VALUES (:id, :p, :w, :s, :e, '')"
                ),
                {"id": sid, "p": pid, "w": weekday, "s": start, "e": end},
            )
        conn.execute(
            text(
                "INSERT INTO throttle (key, client, hits, window_started_at, strikes)"
                " VALUES ('login:a', '', -40, :at, -2), ('login:b', '', 3, :at, 1)"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO outbox_message (dedupe_key, kind, subject, body, status, attempts, due_at, claimed_by,"
                " claim_token, sent_via, last_error, to_address, created_at)"
                " VALUES ('a', 'test', 's', 'b', 'queued', -9, :at, '', '', '', '', '', :at)"
            ),
            {"at": at},
        )
    engine.dispose()

    command.upgrade(alembic_config(empty_url), NEW)
    engine = db.make_engine(empty_url)
    with engine.connect() as conn:

        def rows(sql):
            return [tuple(r) for r in conn.execute(text(sql)).all()]

        assert rows(
            "SELECT id, length_weeks, checkup_interval_days, escalation_minutes, discharge_access_days"
            " FROM program ORDER BY id"
        ) == [(1, 1, 3, 240, 0), (2, 26, 28, 5, 730), (3, 12, 14, 45, 60)]
        assert rows(
            "SELECT user_id, remind_minute, quiet_start_minute, quiet_end_minute FROM notification_setting"
            " ORDER BY user_id"
        ) == [(1, 20 * 60, None, None), (2, 20 * 60, 22 * 60, 7 * 60), (3, 7 * 60 + 30, None, None)]
        assert rows("SELECT id, weekday, start_minute, end_minute FROM schedule_slot ORDER BY id") == [
            (1, 0, 18 * 60, 24 * 60 - 1),
            (4, 1, 0, 60),
            (5, 4, 17 * 60, 20 * 60),
        ]
        assert rows("SELECT key, hits, strikes FROM throttle ORDER BY key") == [("login:a", 0, 0), ("login:b", 3, 1)]
        assert rows("SELECT attempts FROM outbox_message") == [(0,)]
        with pytest.raises(IntegrityError):
            conn.execute(text("UPDATE program SET length_weeks = 0 WHERE id = 3"))
        conn.rollback()
    engine.dispose()

    command.downgrade(alembic_config(empty_url), OLD)  # and back: the CHECKs go, the rows stay
    engine = db.make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE program SET length_weeks = 0 WHERE id = 3"))
        assert conn.execute(text("SELECT count(*) FROM schedule_slot")).scalar() == 3
    engine.dispose()
