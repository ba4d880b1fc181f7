"""Migration 0012 (arc-sched) on a database with attendance typed in before there was a schedule:
every roll is kept, each moved onto a session of its own at the program's evening time in its
zone, statuses take the roll's new words, and the downgrade gives the old rows back."""

from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core import db
from tests.conftest import alembic_config

OLD = "0013_i18n"
NEW = "0014_arc_sched"


ROWS = [  # participant, day, kind, status (the summer day is EDT, the November ones EST)
    (1, date(2026, 7, 6), "group", "attended"),
    (1, date(2026, 11, 23), "group", "missed"),
    (1, date(2026, 11, 23), "individual", "late"),  # two sessions the same day
    (2, date(2026, 11, 23), "group", "excused"),
]


@pytest.mark.db
def test_existing_rolls_move_onto_sessions_and_nothing_is_lost(empty_url):
    command.upgrade(alembic_config(empty_url), OLD)
    engine = db.make_engine(empty_url)
    at = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO program (id, name, timezone, schedule, length_weeks, substance_use_tracking, "
                "checkup_interval_days, crisis_region, local_crisis_resources, escalation_minutes, created_at)"
                " VALUES (1, 'P', 'America/Chicago', 'Mon 6-9', 10, true, 7, 'US', '[]', 30, :at)"
            ),
            {"at": at},
        )
        for uid, role in ((1, "participant"), (2, "participant"), (3, "therapist")):
            conn.execute(
                text(
                    "INSERT INTO app_user (id, username, name, role, password_hash, program_id, is_active, "
                    "is_demo, created_at) VALUES (:id, :u, :u, :r, 'x', 1, true, false, :at)"
                ),
                {"id": uid, "u": f"u{uid}", "r": role, "at": at},
            )
        for pid, day, kind, status in ROWS:
            conn.execute(
                text(
                    "INSERT INTO attendance (participant_id, day, session_kind, status, recorded_by_id, recorded_at)"
                    " VALUES (:p, :d, :k, :s, 3, :at)"
                ),
                {"p": pid, "d": day, "k": kind, "s": status, "at": at},
            )
    engine.dispose()

    command.upgrade(alembic_config(empty_url), NEW)
    engine = db.make_engine(empty_url)
    with engine.connect() as conn:
        moved = conn.execute(
            text(
                "SELECT a.participant_id, a.day, a.session_kind, a.status, s.kind, s.day, s.starts_at, s.ends_at,"
                " s.program_id FROM attendance a JOIN program_session s ON s.id = a.session_id"
                " ORDER BY a.participant_id, a.day, a.session_kind"
            )
        ).all()
        sessions = conn.execute(text("SELECT COUNT(*) FROM program_session")).scalar_one()
        access_days = conn.execute(text("SELECT discharge_access_days FROM program")).scalar_one()
    assert len(moved) == len(ROWS) and sessions == len(ROWS)
    renamed = {"attended": "present", "missed": "absent"}
    assert [(r[0], str(r[1]), r[2], r[3]) for r in moved] == sorted(
        (p, str(d), k, renamed.get(s, s)) for p, d, k, s in ROWS
    )
    for row in moved:
        assert row[4] == row[2] and str(row[5]) == str(row[1]) and row[8] == 1  # the session is the roll's
    starts = {(r[0], str(r[1]), r[2]): (_utc(r[6]), _utc(r[7])) for r in moved}
    # 6 pm in Chicago: 23:00 UTC in July (CDT), 00:00 UTC the next day in November (CST)
    assert starts[(1, "2026-07-06", "group")] == (
        datetime(2026, 7, 6, 23, tzinfo=UTC),
        datetime(2026, 7, 7, 2, tzinfo=UTC),
    )
    assert starts[(1, "2026-11-23", "group")][0] == datetime(2026, 11, 24, 0, tzinfo=UTC)
    assert starts[(1, "2026-11-23", "individual")] == (
        datetime(2026, 11, 23, 23, tzinfo=UTC),
        datetime(2026, 11, 24, 0, tzinfo=UTC),
    )
    assert access_days == 90
    with pytest.raises(IntegrityError), engine.begin() as conn:  # one roll per session from now on
        conn.execute(
            text(
                "INSERT INTO attendance (session_id, participant_id, day, session_kind, status, recorded_by_id,"
                " recorded_at) SELECT session_id, participant_id, day, session_kind, 'late', 3, recorded_at"
                " FROM attendance WHERE participant_id = 2"
            )
        )
    engine.dispose()

    command.downgrade(alembic_config(empty_url), OLD)
    engine = db.make_engine(empty_url)
    with engine.connect() as conn:
        back = conn.execute(
            text(
                "SELECT participant_id, day, session_kind, status FROM attendance"
                " ORDER BY participant_id, day, session_kind"
            )
        ).all()
    engine.dispose()
    assert [(p, str(d), k, s) for p, d, k, s in back] == sorted((p, str(d), k, s) for p, d, k, s in ROWS)


def _utc(value) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
