"""Migration 0009 (with 0007-0008 before it) on a database that has lived under 0006: the free-text audit detail is gone
(refusal reasons kept as codes), duplicate current consents are ended but the newest, the
discloser is filled in, and unused invitation codes (bare SHA-256) are withdrawn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from core import db
from tests.conftest import alembic_config


def migrate(url: str, to: str) -> None:
    command.upgrade(alembic_config(url), to)


@pytest.mark.db
def test_0007_cleans_what_0006_stored(empty_url):
    migrate(empty_url, "0006")
    engine = db.make_engine(empty_url)
    now = datetime.now(UTC).replace(tzinfo=None)
    stamp = {"now": now, "later": now + timedelta(days=30), "earlier": now - timedelta(days=3)}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO program (id, name, timezone, schedule, length_weeks, substance_use_tracking,"
                " checkup_interval_days, crisis_region, local_crisis_resources, created_at)"
                " VALUES (1, 'Evening IOP', 'America/New_York', '', 10, true, 7, 'US', '[]', :now)"
            ),
            stamp,
        )
        for uid, username, role in ((1, "pia", "participant"), (2, "fam", "family"), (3, "doc", "therapist")):
            conn.execute(
                text(
                    "INSERT INTO app_user (id, username, name, role, password_hash, program_id, is_active,"
                    " is_demo, failed_attempts, sessions_valid_after, created_at) VALUES"
                    " (:id, :u, :u, :r, 'x', 1, true, false, 0, :now, :now)"
                ),
                {"id": uid, "u": username, "r": role, **stamp},
            )
        conn.execute(
            text(
                "INSERT INTO family_link (family_id, participant_id, relationship, created_at)"
                " VALUES (2, 1, 'Sister', :now)"
            ),
            stamp,
        )
        for detail, allowed in (
            ("suicidal_urge_high from diary:2026-11-20", True),
            ("submit phq9", True),
            ("not on this therapist's caseload", False),
            ("needs role admin", False),
        ):
            conn.execute(
                text(
                    "INSERT INTO audit_event (at, actor_id, actor_role, participant_id, category, action,"
                    " allowed, detail) VALUES (:now, 3, 'therapist', 1, 'diary', 'read', :ok, :d)"
                ),
                {"ok": allowed, "d": detail, **stamp},
            )
        for granted in ("earlier", "now"):  # two current consents for one category
            conn.execute(
                text(
                    "INSERT INTO consent_grant (participant_id, family_id, category, granted_at, expires_at,"
                    " purpose, signature) VALUES (1, 2, 'mood_trend', :g, :later, '', '')"
                ),
                {"g": stamp[granted], **stamp},
            )
        for code_hash, used in (("a" * 64, None), ("b" * 64, now)):
            conn.execute(
                text(
                    "INSERT INTO family_invitation (participant_id, code_hash, name, relationship, email,"
                    " created_at, expires_at, used_at) VALUES (1, :h, 'Fam', '', '', :now, :later, :used)"
                ),
                {"h": code_hash, "used": used, **stamp},
            )
    engine.dispose()

    migrate(empty_url, "head")

    engine = db.make_engine(empty_url)
    with engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("audit_event")}
        assert "detail" not in columns and {"ref", "reason"} <= columns
        rows = conn.execute(text("SELECT allowed, reason, ref FROM audit_event ORDER BY id")).all()
        assert [(bool(a), r, f) for a, r, f in rows] == [
            (True, "", ""),
            (True, "", ""),
            (False, "not_on_caseload", ""),
            (False, "wrong_role", ""),
        ]
        consents = conn.execute(text("SELECT granted_at, revoked_at, discloser FROM consent_grant ORDER BY id")).all()
        assert [r[1] is None for r in consents] == [False, True]  # the newest stays current
        assert {r[2] for r in consents} == {"Evening IOP"}
        invitations = conn.execute(text("SELECT code_hash, withdrawn_at FROM family_invitation ORDER BY id")).all()
        assert invitations[0][1] is not None and invitations[1][1] is None
        conn.rollback()  # end the reads' transaction
        with pytest.raises(IntegrityError), conn.begin():  # and now a constraint keeps it so
            conn.execute(
                text(
                    "INSERT INTO consent_grant (participant_id, family_id, category, granted_at,"
                    " expires_at, purpose, signature, discloser, consent_version)"
                    " VALUES (1, 2, 'mood_trend', :now, :later, '', '', '', '')"
                ),
                stamp,
            )
    engine.dispose()
