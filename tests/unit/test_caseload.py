"""The therapist's caseload and alert inbox: needs first, fixed query cost, a closed loop."""

from datetime import timedelta

import pytest
from sqlalchemy import event, insert
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
    assert [r.name for r in rows][0] == "Dana Okafor"  # open urgent alerts (item 9, self-harm)
    keys = [caseload.needs_order(TODAY)(r) for r in rows]
    assert keys == sorted(keys)
    rivera = caseload.caseload_rows(session, act(session, "dr.rivera"), TODAY)
    casey = next(r for r in rivera if r.name == "Casey Nguyen")
    assert casey.missed(TODAY) and casey.worsening and casey.open_alerts >= 1
    assert all(r.open_alerts for r in rivera[: rivera.index(casey)])


def test_rows_hold_what_a_therapist_scans(session, people):
    from core.models import Checkup

    quinn = people.participant(started_on=TODAY - timedelta(days=30))
    for days_ago, mood in ((1, 8), (3, 5), (9, 2), (20, 1)):
        session.add(DiaryCard(participant_id=quinn.id, day=TODAY - timedelta(days=days_ago), mood=mood))
    for slot, days_ago, total in (("p0", 28, 16), ("p3", 7, 9)):
        session.add(
            Checkup(
                participant_id=quinn.id,
                kind="phq9",
                slot_key=slot,
                day=TODAY - timedelta(days=days_ago),
                answers=[1] * 9,
                total=total,
                band=clinical.band("phq9", total),
            )
        )
    session.commit()
    [row] = caseload.caseload_rows(session, Actor.of(people.therapist), TODAY)
    assert row.last_card == TODAY - timedelta(days=1)
    assert (row.mood_7d, row.mood_prev_7d) == (6.5, 2.0)  # (8 + 5) / 2 this week; 2 the week before
    assert row.cards_14d == 3 and row.adherence(TODAY) == 21  # 3 cards in the last 14 days: 21 %
    assert (row.phq9, row.phq9_band, row.phq9_change) == (9, "Mild", -7)
    assert (row.open_alerts, row.missed(TODAY), row.worsening) == (0, False, False)


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
    therapist = accounts.create_account(
        session, admin, username=username, name=f"Dr. {username}", role="therapist", password="long enough", rounds=4
    )
    for i in range(size):
        user = AppUser(
            username=f"{username}-p{i}",
            name=f"P {i}",
            role="participant",
            password_hash="x",
            program_id=admin.program_id,
            started_on=TODAY - timedelta(days=20),
        )
        session.add(user)
        session.flush()
        session.add(CaseloadAssignment(participant_id=user.id, therapist_id=therapist.id))
        session.add(DiaryCard(participant_id=user.id, day=TODAY, mood=5))
    session.commit()
    return Actor.of(therapist)


def test_the_caseload_costs_the_same_for_5_or_50_participants(engine, session, demo):
    small, large = _caseload_of(session, 5, "small"), _caseload_of(session, 50, "large")
    caseload.caseload_rows(session, small, TODAY)  # warm-up (first-use statements)
    counts = [
        _count_statements(engine, lambda who=who: caseload.caseload_rows(session, who, TODAY)) for who in (small, large)
    ]
    assert counts[0] == counts[1], counts
    assert len(caseload.caseload_rows(session, large, TODAY)) == 50


def test_missed_checkin_alert_is_raised_once_per_gap_by_the_scheduled_job(session, demo):
    casey = act(session, "casey")

    def missed():
        return session.exec(
            select(Alert).where(Alert.participant_id == casey.id, Alert.trigger == alerts.MISSED_CHECKIN)
        ).all()

    assert missed() == []
    opened = alerts.raise_missed_checkins(session, None, TODAY)
    assert opened >= 1 and len(missed()) == 1 and "No diary card since" in missed()[0].detail
    assert alerts.raise_missed_checkins(session, None, TODAY) == 0  # the same gap: nothing new
    assert len(missed()) == 1


def test_the_job_opens_one_alert_per_late_participant_in_a_large_clinic(session, people):
    """More late participants than one INSERT takes (batches), a participant who never filled a
    card (their start counts), one on time, one deactivated: each alert once."""
    from sqlalchemy import func

    late = people.participants(alerts.MISSED_BATCH + 5, "late", started_on=TODAY - timedelta(days=30))
    session.execute(
        insert(DiaryCard.__table__),
        [
            {
                "participant_id": who.id,
                "day": TODAY - timedelta(days=clinical.MISSED_CARD_DAYS),
                "mood": 5,
                "skills": [],
            }
            for who in late[1:]
        ],
    )
    on_time = people.participant("ontime", started_on=TODAY - timedelta(days=30))
    session.add(DiaryCard(participant_id=on_time.id, day=TODAY - timedelta(days=clinical.MISSED_CARD_DAYS - 1), mood=5))
    gone = people.participant("gone", started_on=TODAY - timedelta(days=30))
    session.get(AppUser, gone.id).is_active = False
    session.commit()
    assert alerts.raise_missed_checkins(session, None, TODAY, program_id=people.program.id) == len(late)
    by_person = dict(
        session.exec(
            select(Alert.participant_id, func.count())
            .where(Alert.trigger == alerts.MISSED_CHECKIN)
            .group_by(Alert.participant_id)
        ).all()
    )
    assert by_person == {who.id: 1 for who in late}
    never = session.exec(select(Alert).where(Alert.participant_id == late[0].id)).one()
    assert never.detail.startswith("No diary card yet") and never.day == TODAY - timedelta(days=30)


def test_viewing_the_caseload_or_the_inbox_raises_no_missed_checkin(session, demo):
    rivera = act(session, "dr.rivera")
    caseload.caseload_rows(session, rivera, TODAY)
    alerts.inbox(session, rivera, today=TODAY)
    assert session.exec(select(Alert).where(Alert.trigger == alerts.MISSED_CHECKIN)).all() == []


def test_the_scheduled_job_runs_as_a_module(database_url, demo, capsys):
    assert alerts.main() == 0
    assert "new missed-check-in alert(s)" in capsys.readouterr().out


def test_inbox_is_urgent_first_and_only_my_caseload(session, demo):
    items = alerts.inbox(session, act(session, "dr.chen"), today=TODAY)
    assert items and {i.participant for i in items} <= {
        "Bailey Brooks",
        "Dana Okafor",
        "Frankie Lopez",
        "Harper Singh",
        "Jordan Ellis",
        "Lee Martin",
    }
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
    rivera = act(session, "dr.rivera")
    with pytest.raises(AccessDenied):
        alerts.acknowledge(session, rivera, alert_id=item.id, note="not mine")
    refused = session.exec(
        select(AuditEvent).where(
            AuditEvent.allowed == False,  # noqa: E712
            AuditEvent.actor_id == rivera.id,
            AuditEvent.participant_id == item.participant_id,
        )
    ).all()
    assert [(e.category, e.action) for e in refused] == [("alerts", "write")]
    assert session.get(Alert, item.id).acknowledged_at is None


def test_the_order_in_words_is_built_from_the_constants_the_order_uses(monkeypatch):
    words = caseload.order_in_words()
    assert f"no card for {clinical.MISSED_CARD_DAYS}+ days" in words
    assert f"PHQ-9 up {clinical.PHQ9_RELIABLE_CHANGE}+ from intake" in words
    assert f"the {clinical.MOOD_WINDOW_DAYS}-day mood average down {clinical.MOOD_DROP_FLAG:g}+" in words
    # Change a threshold and the sentence a therapist reads changes with it.
    monkeypatch.setattr(clinical, "MISSED_CARD_DAYS", 4)
    monkeypatch.setattr(clinical, "MOOD_DROP_FLAG", 2.5)
    changed = caseload.order_in_words()
    assert "no card for 4+ days" in changed and "down 2.5+" in changed and "3+ days" not in changed


def test_the_mood_arrow_and_adherence_follow_their_constants(monkeypatch):
    row = caseload.Row(
        participant_id=1,
        name="Quinn",
        started_on=TODAY - timedelta(days=30),
        last_card=TODAY,
        mood_7d=6.0,
        mood_prev_7d=5.6,
        cards_14d=7,
        phq9=None,
        phq9_band=None,
        phq9_change=None,
        gad7=None,
        gad7_band=None,
        open_alerts=0,
        urgent_alerts=0,
    )
    assert row.mood_direction == "→" and row.adherence(TODAY) == 50  # 0.4 < 0.5; 7 of 14 days
    monkeypatch.setattr(clinical, "MEANINGFUL_CHANGE", 0.3)
    monkeypatch.setattr(clinical, "ADHERENCE_DAYS", 7)
    assert row.mood_direction == "↑" and row.adherence(TODAY) == 100


def test_a_period_counts_back_from_today_included():
    assert clinical.period_start(TODAY, "2 weeks") == TODAY - timedelta(days=13)
    assert clinical.period_start(TODAY, "4 weeks") == TODAY - timedelta(days=27)
    assert clinical.period_start(TODAY, "Whole program") is None and clinical.period_start(TODAY, None) is None
