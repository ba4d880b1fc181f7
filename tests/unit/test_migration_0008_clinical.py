"""Migration 0008 on a database that already has alerts: nothing is lost, rows that shared a
source become a sequence, and the lapse rule reaches existing programs."""

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text

from core import db
from tests.conftest import alembic_config


@pytest.mark.db
def test_existing_alerts_survive_and_become_sequences(empty_url):
    command.upgrade(alembic_config(empty_url), "0007")
    engine = db.make_engine(empty_url)
    at = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO program (id, name, timezone, schedule, length_weeks, substance_use_tracking, "
                "checkup_interval_days, crisis_region, local_crisis_resources, created_at) VALUES "
                "(1, 'P', 'America/New_York', '', 10, true, 7, 'US', '[]', :at)"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO app_user (id, username, name, role, password_hash, program_id, is_active, "
                "is_demo, created_at) VALUES "
                "(1, 'p', 'P', 'participant', 'x', 1, true, false, :at)"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO diary_target (program_id, key, label, position, active) VALUES "
                "(1, 'substance_use', 'Substance use', 2, true), (1, 'gambling', 'Gambling', 3, true)"
            )
        )
        for trigger in ("self_harm_urge_high", "self_harm_acted"):
            conn.execute(
                text(
                    "INSERT INTO alert (participant_id, trigger, severity, source_key, detail, opened_at, "
                    "acknowledgement) VALUES (1, :t, 'urgent', 'diary:2026-11-20', :d, :at, '')"
                ),
                {"t": trigger, "d": f"old {trigger}", "at": at},
            )
    engine.dispose()
    command.upgrade(alembic_config(empty_url), "head")
    engine = db.make_engine(empty_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, day, trigger, reasons, detail FROM alert ORDER BY id")).all()
        rules = dict(conn.execute(text("SELECT key, alert_acted_severity FROM diary_target")).all())
    engine.dispose()
    assert [r.seq for r in rows] == [0, 1]
    assert all(str(r.day) == "2026-11-20" for r in rows)
    assert [r.detail for r in rows] == ["old self_harm_urge_high", "old self_harm_acted"]
    assert all("old" in str(r.reasons) for r in rows)
    assert rules == {"substance_use": "review", "gambling": "none"}
    command.downgrade(alembic_config(empty_url), "0007")  # and back, for a release that must be undone
