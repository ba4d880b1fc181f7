"""Review's folded reads (#22, seventh slice) return what the separate reads return, and audit the
same categories: the practice log with the thought records (core.practice.practice_and_thoughts),
and the days-in-recovery counters with the cards' use, triggers and MAT (core.recovery.panel). On
SQLite and PostgreSQL (a UNION's column types are resolved there branch by branch)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from core import db, practice, recovery
from core.access import Actor, Category
from core.errors import AccessDenied
from core.models import AppUser, AuditEvent, CaseloadAssignment
from core.seed import demo_today

TODAY = demo_today()
SINCE = TODAY - timedelta(weeks=12)


def actor(session, username: str) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def events(engine, work_of) -> list[tuple]:
    with db.unit_of_work(engine) as work:
        first = max(work.exec(select(AuditEvent.id)).all(), default=0) or 0
        result = work_of(work)
    with db.unit_of_work(engine) as work:
        rows = work.exec(select(AuditEvent).where(col(AuditEvent.id) > first).order_by(col(AuditEvent.id))).all()
        return result, sorted((e.participant_id, e.category, e.action, e.allowed, e.ref) for e in rows)


@pytest.mark.parametrize("username", ["dana", "alex", "bailey"])
def test_practice_and_thought_records_in_one_read_are_the_two_reads(engine, session, demo, username):
    therapist, person = actor(session, "dr.chen"), actor(session, username)
    if username == "alex":
        therapist = actor(session, "dr.rivera")
    one, audited_once = events(engine, lambda w: practice.practice_and_thoughts(w, therapist, person.id, SINCE, TODAY))
    two, audited_twice = events(
        engine,
        lambda w: (
            practice.practice_between(w, therapist, person.id, SINCE, TODAY),
            practice.thought_records(w, therapist, person.id, SINCE, TODAY),
        ),
    )
    assert one == two
    assert audited_once == audited_twice == [(person.id, Category.SKILLS.value, "read", True, f"{SINCE}..{TODAY}")]


def test_the_folded_practice_read_has_rows_to_compare(session, demo):
    bailey = actor(session, "bailey")
    with db.unit_of_work() as work:
        entries, records = practice.practice_and_thoughts(work, bailey, bailey.id, SINCE, TODAY)
    assert entries and records  # (the comparison above is not of two empty lists)
    assert [e.day for e in entries] == sorted((e.day for e in entries), reverse=True)


@pytest.mark.parametrize("username", ["dana", "alex", "bailey"])
def test_the_recovery_panel_in_one_read_is_the_separate_reads(engine, session, demo, username):
    person = actor(session, username)
    panel, audited = events(engine, lambda w: recovery.panel(w, person, person.id, SINCE, TODAY))
    if panel is None:
        pytest.fail(f"{username}'s program tracks substance use in the demo")
    with db.unit_of_work(engine) as work:
        assert panel.counters == recovery.counters(work, person, person.id)
        assert panel.details == recovery.details_between(work, person, person.id, SINCE, TODAY)
    assert {(c, a) for _, c, a, _, _ in audited} == {(Category.SUBSTANCE_USE.value, "read")}


def test_the_folded_reads_are_refused_before_anything_is_read(engine, session, demo):
    stranger, dana = actor(session, "dr.rivera"), actor(session, "dana")  # not on Dr. Rivera's caseload
    with db.counting(engine) as seen, db.unit_of_work(engine) as work:
        with pytest.raises(AccessDenied):
            practice.practice_and_thoughts(work, stranger, dana.id, SINCE, TODAY)
        with pytest.raises(AccessDenied):
            recovery.panel(work, stranger, dana.id, SINCE, TODAY)
    assert not [s for s in seen.sql if "practice_entry" in s or "recovery_counter" in s]


def test_alerts_with_their_notices_in_one_read_are_the_two_reads(engine, session, demo):
    """Two notices about one of Dana's alerts (to Dr. Chen and to a clinical lead, queued in that
    order), one about another: the folded read lists every alert once, newest first, each with its
    notices oldest first, as alerts.history and notify.alert_notices do."""
    from core import alerts, notify, review
    from core.models import Alert, OutboxMessage, utcnow

    chen, dana = actor(session, "dr.chen"), actor(session, "dana")
    lead = session.exec(select(AppUser).where(AppUser.username == "dr.rivera")).one()
    ids = session.exec(select(Alert.id).where(Alert.participant_id == dana.id).order_by(col(Alert.id))).all()
    assert len(ids) >= 2, "Dana has alerts in the demo"
    now = utcnow()
    for n, (alert_id, to, kind) in enumerate(
        [(ids[0], chen.id, "urgent_alert"), (ids[0], lead.id, "escalation"), (ids[1], chen.id, "urgent_alert")]
    ):
        session.add(
            OutboxMessage(
                dedupe_key=f"test:{n}",
                kind=kind,
                recipient_id=to,
                alert_id=alert_id,
                subject="s",
                body="b",
                created_at=now + timedelta(seconds=n),
            )
        )
    session.commit()
    (history, notices), audited_once = events(engine, lambda w: review._alerts_and_notices(w, chen, dana.id))
    (two_history, two_notices), audited_twice = events(
        engine,
        lambda w: (
            h := alerts.history(w, chen, dana.id),
            notify.alert_notices(w, chen, [a.id for a in h if a.id is not None]),
        ),
    )
    assert history == two_history and len({a.id for a in history}) == len(history) == len(ids)
    assert dict(notices) == dict(two_notices)
    assert [n.to for n in notices[ids[0]]][-2:] == ["you", lead.name] and notices[ids[1]]  # (the demo's own too)
    assert audited_once == audited_twice == [(dana.id, Category.ALERTS.value, "read", True, "")]


@pytest.fixture
def dana_has_two_plans(session, demo):
    """Two versions of Dana's aftercare plan, by Dr. Chen then by Dana (the newest is the one read)."""
    from core import aftercare
    from tests.unit.test_aftercare import _plan

    dana, chen = actor(session, "dana"), actor(session, "dr.chen")
    aftercare.save_plan(session, chen, participant_id=dana.id, content=_plan(TODAY), base_version=None)
    changed = {**_plan(TODAY), "meetings": ["AA, Thu 8 pm"]}
    aftercare.save_plan(session, dana, participant_id=dana.id, content=changed, base_version=1)
    session.commit()


@pytest.mark.parametrize("username", ["dana", "alex", "bailey", "casey"])
def test_goals_aftercare_and_attendance_in_one_read_are_the_three_reads(
    engine, session, demo, dana_has_two_plans, username
):
    from core import aftercare, attendance, goals, review

    person = actor(session, username)
    therapist = next(
        actor(session, name)
        for name in ("dr.chen", "dr.rivera")
        if session.exec(
            select(CaseloadAssignment).where(
                CaseloadAssignment.participant_id == person.id,
                CaseloadAssignment.therapist_id == actor(session, name).id,
            )
        ).first()
    )
    one, audited_once = events(engine, lambda w: review._plan_and_attendance(w, therapist, person.id, SINCE, TODAY))
    three, audited_thrice = events(
        engine,
        lambda w: (
            goals.board(w, therapist, person.id, TODAY),
            aftercare.current_plan(w, therapist, person.id),
            attendance.history(w, therapist, person.id, SINCE, TODAY),
        ),
    )
    assert one == three
    assert audited_once == audited_thrice
    assert {c for _, c, _, _, _ in audited_once} == {"goals", "goal_ratings", "aftercare", "attendance"}


def test_the_folded_plan_read_has_goals_ratings_a_plan_and_sessions_to_compare(
    engine, session, demo, dana_has_two_plans
):
    """(So the comparison above is not of empty lists: one participant with all four, and a second
    aftercare version, the newest of which is the one read.)"""
    from core import review

    found = []
    for username in ("dana", "alex", "bailey", "casey"):
        person = actor(session, username)
        therapist = actor(session, "dr.chen") if username != "alex" else actor(session, "dr.rivera")
        with db.unit_of_work(engine) as work:
            try:
                found.append(review._plan_and_attendance(work, therapist, person.id, SINCE, TODAY))
            except AccessDenied:
                continue
    assert any(b.goals for b, _, _ in found) and any(b.ratings for b, _, _ in found)
    assert any(s for _, _, s in found)
    [plan] = [p for _, p, _ in found if p is not None]
    assert plan.version == 2 and plan.items("meetings") == ["AA, Thu 8 pm"] and plan.updated_by == "Dana Okafor"


@pytest.mark.parametrize(
    ("urges", "restarted"),
    [
        ({"substance_use": (4, True)}, True),  # acted on the substance urge, no use named: a lapse for "any"
        ({"substance_use": (4, False)}, False),  # the urge alone is not a lapse
        ({"substance_use": (0, False), "self_harm": (3, True)}, False),  # another behaviour acted on is not
    ],
)
def test_an_any_counter_restarts_on_a_card_whose_substance_urge_was_acted_on(engine, session, people, urges, restarted):
    """The counters' "acted" rows (one correlated search per card of its own urges, see
    core.recovery._counter_parts), in counters() and in the panel Review and My progress read."""
    from tests.unit.test_recovery import NOV23, NY_EVENING, save

    quinn = people.participant()
    recovery.set_counter(
        session, quinn, participant_id=quinn.id, substance="any", start_on=date(2026, 11, 1), shown=True, now=NY_EVENING
    )
    save(session, quinn, day=NOV23 - timedelta(days=1), urges=urges, use={})
    session.commit()
    [counter] = recovery.counters(session, quinn, quinn.id, now=NY_EVENING)
    assert counter.restarted is restarted
    assert counter.count.days == (1 if restarted else 23)
    with db.unit_of_work(engine) as work:
        panel = recovery.panel(work, quinn, quinn.id, date(2026, 11, 1), NOV23)
    assert panel is not None and [c.restarted for c in panel.counters] == [restarted]
