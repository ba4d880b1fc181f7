"""The caseload in one statement (#22's sixth slice, core/caseload.py `_statement`): each person's row
with what their cards, check-ups and alerts say (SQLite: a correlated subquery per value; PostgreSQL:
each table's part in one LATERAL read). What each part picks, the same rows as plain Python works
out from everything each person has, the discharged counted apart, and (SQLite) that every part
searches an index for one person: none scans a table, so the statement costs the same in a clinic of
200 or 20,000."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine
from sqlmodel import col, select

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
    stmt = caseload._statement("sqlite").params(
        therapist=people.therapist.id, week_ago=TODAY, fortnight_ago=TODAY, adherence=TODAY
    )
    sql = str(stmt.compile(create_engine("sqlite://"), compile_kwargs={"literal_binds": True}))
    if session.get_bind().dialect.name != "sqlite":
        return  # (the plan is SQLite's; PostgreSQL runs the same statement in the other tests)
    plan = [row[-1] for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
    assert not [step for step in plan if step.startswith("SCAN")], plan
    for table in ("diary_card", "checkup", "alert", "discharge", "caseload_assignment"):
        assert any(step.startswith(f"SEARCH {table} USING") for step in plan), (table, plan)


def test_every_part_of_every_row_is_what_the_data_says(session, people):
    """A caseload where every part differs from person to person (cards on each window's edges and
    outside them, two check-ups the same day, check-ups older than others, alerts of every severity,
    resolved ones, people with nothing) read by the statement, against the same rows worked out in
    plain Python from everything each person has."""
    import random

    chance = random.Random(22)
    severities = [s.value for s in clinical.Severity]
    edges = (0, 1, 6, 7, 8, 13, 14, 15, 20, 40)  # 6/7: the week's edge; 13/14: the fortnight's
    crowd = people.participants(12, "mixed", started_on=TODAY - timedelta(days=70))
    for n, who in enumerate(crowd):
        if n == 0:
            continue  # someone with nothing yet
        for days_ago in chance.sample(edges, k=chance.randint(1, len(edges))):
            session.add(
                DiaryCard(participant_id=who.id, day=TODAY - timedelta(days=days_ago), mood=chance.randint(0, 10))
            )
        if n % 3:
            checkup(session, who, "phq9", INTAKE_SLOT, 60, chance.randint(0, 27))
        for slot, days_ago in (("w1", 30), ("w2", 9), ("extra1", 9), ("w3", 45))[: n % 5]:  # w2 and extra1: one day
            checkup(session, who, "phq9", slot, days_ago, chance.randint(0, 27))
        for slot, days_ago in (("w1", 20), ("w2", 2), ("extra1", 2))[: n % 4]:
            checkup(session, who, "gad7", slot, days_ago, chance.randint(0, 21))
        kinds = ["review", "review"] if n == 4 else [severities[(n + k) % len(severities)] for k in range(n % 6)]
        for k, severity in enumerate(kinds):
            alert(session, who, severity, days_ago=chance.randint(0, 9), text=f"{severity} {n}.{k}", hour=k)
            session.flush()
        if n % 4 == 1:
            alert(session, who, "urgent", days_ago=0, text=f"resolved {n}", resolved=True, hour=23)
    session.commit()

    found = caseload.caseload_rows(session, Actor.of(people.therapist), TODAY)
    expected = [_worked_out(session, who.id) for who in crowd]
    assert sorted(found, key=lambda r: r.participant_id) == sorted(expected, key=lambda r: r.participant_id)
    assert found == sorted(expected, key=caseload.needs_order(TODAY))
    assert {r.top_alert_severity for r in found} == set(severities) | {""}  # every severity is on top somewhere
    assert any(r.phq9_change is not None for r in found) and any(r.mood_prev_7d is not None for r in found)


def _worked_out(session, participant_id: int) -> caseload.Row:
    """One person's caseload row from all of their cards, check-ups and alerts, in plain Python."""
    from core.models import AppUser

    person = session.get(AppUser, participant_id)
    cards = session.exec(select(DiaryCard).where(DiaryCard.participant_id == participant_id)).all()
    checkups = session.exec(select(Checkup).where(Checkup.participant_id == participant_id)).all()
    alerts = session.exec(
        select(Alert).where(Alert.participant_id == participant_id, col(Alert.resolved_at).is_(None))
    ).all()

    def ago(day) -> int:
        return (TODAY - day).days

    def mean(values):
        return sum(values) / len(values) if values else None

    def newest(kind):
        of_kind = [c for c in checkups if c.kind == kind]
        return max(of_kind, key=lambda c: (c.day, c.id)) if of_kind else None

    phq, gad = newest("phq9"), newest("gad7")
    intake = next((c for c in checkups if c.kind == "phq9" and c.slot_key == INTAKE_SLOT), None)
    rank = {s.value: s.rank for s in clinical.Severity}
    top = min(alerts, key=lambda a: (rank[a.severity], -a.opened_at.timestamp(), -a.id), default=None)
    return caseload.Row(
        participant_id=participant_id,
        name=person.name,
        started_on=person.started_on,
        last_card=max((c.day for c in cards), default=None),
        mood_7d=mean([c.mood for c in cards if ago(c.day) < clinical.MOOD_WINDOW_DAYS]),
        mood_prev_7d=mean([c.mood for c in cards if clinical.MOOD_WINDOW_DAYS <= ago(c.day) < 14]),
        cards_14d=sum(1 for c in cards if ago(c.day) < clinical.ADHERENCE_DAYS),
        phq9=phq.total if phq else None,
        phq9_band=phq.band if phq else None,
        phq9_change=phq.total - intake.total if phq and intake else None,
        gad7=gad.total if gad else None,
        gad7_band=gad.band if gad else None,
        open_alerts=len(alerts),
        urgent_alerts=sum(1 for a in alerts if a.severity == clinical.Severity.URGENT.value),
        top_alert=caseload.short_reason(top.reasons[0]) if top else "",
        top_alert_day=top.day if top else None,
        top_alert_severity=top.severity if top else "",
    )
