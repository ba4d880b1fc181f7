"""The caseload in one statement (#22's sixth slice, core/caseload.py `_statement`): each person's row
with correlated subqueries for their cards, check-ups and alerts. What each subquery picks, the
discharged counted apart, and (SQLite) that every part searches an index for one person: none scans
a table, so the statement costs the same in a clinic of 200 or 20,000."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine
from sqlmodel import select

from core import caseload, clinical
from core.access import Actor
from core.checkups import INTAKE_SLOT
from core.models import Alert, AuditEvent, Checkup, DiaryCard, Discharge
from core.seed import demo_today

TODAY = demo_today()


def checkup(session, who, kind, slot, days_ago, total):
    row = Checkup(
        participant_id=who.id,
        kind=kind,
        slot_key=slot,
        day=TODAY - timedelta(days=days_ago),
        answers=[1] * (9 if kind == "phq9" else 7),
        total=total,
        band=clinical.band(kind, total),
    )
    session.add(row)
    session.flush()
    return row


def alert(session, who, severity, *, days_ago=0, text="", resolved=False, hour=12):
    session.add(
        Alert(
            participant_id=who.id,
            trigger="t",
            severity=severity,
            source_key=f"test:{severity}:{days_ago}:{hour}",
            day=TODAY - timedelta(days=days_ago),
            reasons=[{"key": "note", "severity": severity, "text": text}],
            opened_at=datetime(2026, 1, 1, hour, tzinfo=UTC) + timedelta(days=30 - days_ago),
            resolved_at=datetime(2026, 2, 1, tzinfo=UTC) if resolved else None,
        )
    )


def test_each_part_of_a_row_is_the_one_the_screen_needs(session, people):
    quinn = people.participant(started_on=TODAY - timedelta(days=60))
    for days_ago, mood in ((0, 9), (6, 5), (7, 3), (13, 1), (30, 2)):  # 6 days ago: this week; 7: the one before
        session.add(DiaryCard(participant_id=quinn.id, day=TODAY - timedelta(days=days_ago), mood=mood))
    checkup(session, quinn, "phq9", INTAKE_SLOT, 50, 12)
    checkup(session, quinn, "phq9", "w2", 7, 20)
    checkup(session, quinn, "phq9", "extra1", 7, 18)  # same day, made later: the newer one counts
    checkup(session, quinn, "phq9", "w3", 30, 3)  # older than both
    checkup(session, quinn, "gad7", INTAKE_SLOT, 50, 15)
    checkup(session, quinn, "gad7", "w2", 2, 4)
    alert(session, quinn, "high", days_ago=0, text="Newest high", hour=20)
    alert(session, quinn, "urgent", days_ago=3, text="Older urgent")  # the most severe open one first
    alert(session, quinn, "urgent", days_ago=1, text="Newer urgent", hour=13)  # the newer of two urgents
    alert(session, quinn, "urgent", days_ago=0, text="Resolved urgent", resolved=True, hour=23)
    session.commit()

    [row] = caseload.caseload_rows(session, Actor.of(people.therapist), TODAY)
    assert row.last_card == TODAY
    assert (row.mood_7d, row.mood_prev_7d) == (7.0, 2.0)  # (9 + 5) / 2; (3 + 1) / 2
    assert row.cards_14d == 4  # the last 14 days, today included
    assert (row.phq9, row.phq9_band, row.phq9_change) == (18, clinical.band("phq9", 18), 6)
    assert (row.gad7, row.gad7_band) == (4, clinical.band("gad7", 4))
    assert (row.open_alerts, row.urgent_alerts) == (3, 2)
    assert row.top_alert == "Newer urgent" and row.top_alert_severity == "urgent"
    assert row.top_alert_day == TODAY - timedelta(days=1)


def test_a_person_with_nothing_yet_has_an_empty_row(session, people):
    people.participant(started_on=TODAY)
    [row] = caseload.caseload_rows(session, Actor.of(people.therapist), TODAY)
    assert (row.last_card, row.mood_7d, row.mood_prev_7d, row.cards_14d) == (None, None, None, 0)
    assert (row.phq9, row.phq9_change, row.gad7, row.open_alerts, row.top_alert) == (None, None, None, 0, "")


def test_the_discharged_are_counted_apart_and_their_enrolment_is_audited(session, people):
    stays = people.participant("stays", name="Stays Here")
    gone = people.participant("gone", name="Gone Home")
    session.add(Discharge(participant_id=gone.id, day=TODAY, status="completed", recorded_by_id=people.therapist.id))
    session.commit()
    therapist = Actor.of(people.therapist)
    found = caseload.caseload(session, therapist, TODAY)
    assert [r.participant_id for r in found.rows] == [stays.id] and found.discharged == 1
    assert found.today == TODAY
    audited = session.exec(
        select(AuditEvent.participant_id, AuditEvent.category).where(AuditEvent.actor_id == therapist.id)
    ).all()
    assert sorted(audited) == sorted([(stays.id, "profile"), (gone.id, "enrolment")])


def test_without_a_day_it_is_the_therapists_own(session, people):
    people.participant()
    from core.program import user_today

    found = caseload.caseload(session, Actor.of(people.therapist))
    assert found.today == user_today(session, people.therapist.id)


def test_each_part_searches_an_index_for_one_person_on_sqlite(session, people):
    """SQLite's plan for the statement: every table is searched (by key or index), none scanned."""
    stmt = caseload._statement().params(
        therapist=people.therapist.id, week_ago=TODAY, fortnight_ago=TODAY, adherence=TODAY
    )
    sql = str(stmt.compile(create_engine("sqlite://"), compile_kwargs={"literal_binds": True}))
    if session.get_bind().dialect.name != "sqlite":
        return  # (the plan is SQLite's; PostgreSQL runs the same statement in the other tests)
    plan = [row[-1] for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
    assert not [step for step in plan if step.startswith("SCAN")], plan
    for table in ("diary_card", "checkup", "alert", "discharge", "caseload_assignment"):
        assert any(step.startswith(f"SEARCH {table} USING") for step in plan), (table, plan)
