"""The therapist's caseload and alert inbox: needs first, fixed query cost, a closed loop."""

from datetime import date, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from core import accounts, alerts, caseload, clinical
from core.access import Actor
from core.errors import AccessDenied, ValidationError
from core.models import Alert, AppUser, AuditEvent, CaseloadAssignment, DiaryCard
from core.seed import demo_today


def act(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


TODAY = demo_today()  # the day the demo was seeded for, on the program calendar


def test_needs_come_first_alerts_then_missed_then_worsening(session, demo):
    rows = caseload.caseload_rows(session, act(session, "dr.chen"), TODAY)
    assert [r.name for r in rows][0] == "Dana Okafor"      # open urgent alerts (item 9, self-harm)
    keys = [caseload.needs_order(TODAY)(r) for r in rows]
    assert keys == sorted(keys)
    rivera = caseload.caseload_rows(session, act(session, "dr.rivera"), TODAY)
    casey = next(r for r in rivera if r.name == "Casey Nguyen")
    assert casey.missed(TODAY) and casey.worsening and casey.open_alerts >= 1
    assert all(r.open_alerts for r in rivera[: rivera.index(casey)])


def test_rows_hold_what_a_therapist_scans(session, demo):
    rows = {r.name: r for r in caseload.caseload_rows(session, act(session, "dr.rivera"), TODAY)}
    alex = rows["Alex Morgan"]
    assert alex.last_card == TODAY - timedelta(days=1) or alex.last_card < TODAY
    assert alex.phq9 is not None and alex.phq9_band and alex.phq9_change < 0
    assert 0 <= alex.adherence(TODAY) <= 100 and alex.mood_7d is not None


def _count_statements(engine, action) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def _caseload_of(session, size: int, username: str) -> Actor:
    admin = act(session, "admin")
    therapist = accounts.create_account(session, admin, username=username, name=f"Dr. {username}",
                                        role="therapist", password="long enough", rounds=4)
    for i in range(size):
        user = AppUser(username=f"{username}-p{i}", name=f"P {i}", role="participant", password_hash="x",
                       program_id=admin.program_id, started_on=TODAY - timedelta(days=20))
        session.add(user)
        session.flush()
        session.add(CaseloadAssignment(participant_id=user.id, therapist_id=therapist.id))
        session.add(DiaryCard(participant_id=user.id, day=TODAY, mood=5))
    session.commit()
    return Actor.of(therapist)


def test_the_caseload_costs_the_same_for_5_or_50_participants(engine, session, demo):
    small, large = _caseload_of(session, 5, "small"), _caseload_of(session, 50, "large")
    caseload.caseload_rows(session, small, TODAY)   # warm-up (first-use statements)
    counts = [_count_statements(engine, lambda who=who: caseload.caseload_rows(session, who, TODAY))
              for who in (small, large)]
    assert counts[0] == counts[1], counts
    assert len(caseload.caseload_rows(session, large, TODAY)) == 50


def test_missed_checkin_alert_is_raised_once_per_gap(session, demo):
    casey = act(session, "casey")
    rivera = act(session, "dr.rivera")
    caseload.caseload_rows(session, rivera, TODAY)
    caseload.caseload_rows(session, rivera, TODAY)
    missed = session.exec(select(Alert).where(Alert.participant_id == casey.id,
                                              Alert.trigger == alerts.MISSED_CHECKIN)).all()
    assert len(missed) == 1 and "No diary card since" in missed[0].detail


def test_inbox_is_urgent_first_and_only_my_caseload(session, demo):
    items = alerts.inbox(session, act(session, "dr.chen"), today=TODAY)
    assert items and {i.participant for i in items} <= {"Bailey Brooks", "Dana Okafor", "Frankie Lopez",
                                                          "Harper Singh", "Jordan Ellis", "Lee Martin"}
    ranks = [i.severity.rank for i in items]
    assert ranks == sorted(ranks) and items[0].severity is clinical.Severity.URGENT


def test_acknowledge_needs_a_note_then_resolve_closes_the_loop(session, demo):
    chen = act(session, "dr.chen")
    item = alerts.inbox(session, chen, today=TODAY)[0]
    with pytest.raises(ValidationError, match="Write what you did"):
        alerts.acknowledge(session, chen, alert_id=item.id, note="   ")
    with pytest.raises(ValidationError, match="Acknowledge"):
        alerts.resolve(session, chen, alert_id=item.id)
    alerts.acknowledge(session, chen, alert_id=item.id, note="Called Dana; reviewed her safety plan together.")
    acked = next(i for i in alerts.inbox(session, chen, today=TODAY) if i.id == item.id)
    assert acked.acknowledged_by == "Dr. Marcus Chen" and acked.acknowledgement.startswith("Called Dana")
    alerts.resolve(session, chen, alert_id=item.id)
    assert item.id not in [i.id for i in alerts.inbox(session, chen, today=TODAY)]
    assert session.get(Alert, item.id).resolved_at is not None


def test_another_therapist_cannot_touch_the_alert_and_the_try_is_audited(session, demo):
    item = alerts.inbox(session, act(session, "dr.chen"), today=TODAY)[0]
    with pytest.raises(AccessDenied):
        alerts.acknowledge(session, act(session, "dr.rivera"), alert_id=item.id, note="not mine")
    refused = session.exec(select(AuditEvent).where(AuditEvent.allowed == False,  # noqa: E712
                                                    AuditEvent.participant_id == item.participant_id)).all()
    assert refused and refused[-1].category == "alerts"
