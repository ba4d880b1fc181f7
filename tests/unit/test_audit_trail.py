"""The audit trail is complete and lean (HIPAA 164.312(b)): every access decision is recorded; a
rerun's allowed reads of one participant's category are one event; a rerun's events are written in
one statement, in its own transaction; refusals are committed at once; what a person saw is on
record even when the page then failed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core import (
    aftercare,
    alerts,
    attendance,
    audit,
    checkups,
    db,
    diary,
    enrolment,
    goals,
    practice,
    program,
    safety,
    sharing,
)
from core.access import Action as A
from core.access import Actor, Category, _merge_refs, authorize, record
from core.errors import AccessDenied
from core.models import AppUser, AuditEvent, ConsentGrant, DiaryCard, utcnow
from core.seed import demo_today

TODAY = demo_today()
WEEK_AGO = TODAY - timedelta(days=6)


def actor(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def events(engine, **where) -> list[AuditEvent]:
    """Audit rows as another connection sees them (committed only)."""
    with Session(engine) as other:
        query = select(AuditEvent).order_by(AuditEvent.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return list(other.exec(query))


# Every category a core function reads, with one reader each: (who reads, whose, the call).
CLINICAL_READS = {
    Category.PROFILE: lambda s, a, p: program.participant_overview(s, a, p),
    Category.DIARY: lambda s, a, p: diary.cards_between(s, a, p, WEEK_AGO, TODAY),
    Category.SKILLS: lambda s, a, p: practice.practice_between(s, a, p, WEEK_AGO, TODAY),
    Category.HOMEWORK: lambda s, a, p: practice.homework_for(s, a, p),
    Category.CHECKUPS: lambda s, a, p: checkups.histories(s, a, p),
    Category.SAFETY_PLAN: lambda s, a, p: safety.current_plan(s, a, p),
    Category.ALERTS: lambda s, a, p: alerts.history(s, a, p),
    Category.SHARING: lambda s, a, p: sharing.family_of(s, a, p),
    Category.ATTENDANCE: lambda s, a, p: attendance.history(s, a, p, WEEK_AGO, TODAY),
    Category.GOALS: lambda s, a, p: goals.goals_for(s, a, p),
    Category.GOAL_RATINGS: lambda s, a, p: goals.ratings_for(s, a, p),
    Category.AFTERCARE: lambda s, a, p: aftercare.history(s, a, p),
    Category.ENROLMENT: lambda s, a, p: enrolment.standing(s, a, p, TODAY),
}
FAMILY_READS = {
    Category.MOOD_TREND: lambda s, a, p: sharing.mood_trend(s, a, p, TODAY),
    Category.PRACTICE_COUNTS: lambda s, a, p: sharing.practice_counts(s, a, p, TODAY),
    Category.CHECKUP_TOTALS: lambda s, a, p: sharing.checkup_totals(s, a, p),
    Category.SUBSTANCE_USE: lambda s, a, p: sharing.substance_use(s, a, p, TODAY),
}
# NOTES has no reader of its own: a card's note is read (and recorded) with the DIARY category.
UNREAD = {Category.NOTES}


def _consent_everything(session, dana, jamie):
    now = utcnow()
    for category in sharing.OFFERED:
        session.add(
            ConsentGrant(
                participant_id=dana.id,
                family_id=jamie.id,
                category=category.value,
                expires_at=now + timedelta(days=30),
                purpose="To support her",
                signature="Dana Okafor",
                signed_at=now,
            )
        )
    session.commit()


def test_every_category_read_is_recorded_once_per_rerun_in_one_statement(session, demo, engine):
    assert set(CLINICAL_READS) | set(FAMILY_READS) | UNREAD == set(Category), "a category without a reader here"
    dana, chen, jamie = actor(session, "dana"), actor(session, "dr.chen"), actor(session, "jamie.okafor")
    _consent_everything(session, dana, jamie)
    before = len(events(engine))
    with db.counting(engine) as seen:
        with db.unit_of_work(engine) as work:  # one rerun: every reader, twice
            for call in [*CLINICAL_READS.values(), *CLINICAL_READS.values()]:
                call(work, chen, dana.id)
        with db.unit_of_work(engine) as work:  # the family member's rerun
            for call in [*FAMILY_READS.values(), *FAMILY_READS.values()]:
                call(work, jamie, dana.id)
    new = events(engine)[before:]
    by_chen = sorted((e.category, e.action) for e in new if e.actor_id == chen.id)
    assert by_chen == sorted((c.value, "read") for c in CLINICAL_READS)  # each once, not twice
    by_jamie = sorted((e.category, e.action) for e in new if e.actor_id == jamie.id)
    assert by_jamie == sorted((c.value, "read_summary") for c in FAMILY_READS)
    assert all(e.participant_id == dana.id and e.allowed for e in new)
    assert seen.audit_inserts == 2 and seen.commits == 2  # one per rerun


def test_reads_of_one_category_fold_into_one_event_covering_what_was_read(session, demo, engine):
    dana, chen = actor(session, "dana"), actor(session, "dr.chen")
    with db.unit_of_work(engine) as work:
        diary.cards_between(work, chen, dana.id, TODAY - timedelta(days=13), TODAY - timedelta(days=7))
        diary.cards_between(work, chen, dana.id, WEEK_AGO, TODAY)
        diary.card_for_day(work, chen, dana.id, TODAY)
    [event] = events(engine, actor_id=chen.id, category="diary")
    assert event.ref == f"{TODAY - timedelta(days=13)}..{TODAY}"


@pytest.mark.parametrize(
    "first, second, merged",
    [
        ("2026-11-01..2026-11-07", "2026-11-10", "2026-11-01..2026-11-10"),
        ("2026-11-05", "2026-11-05", "2026-11-05"),
        ("2026-11-05", "2026-11-05..2026-11-05", "2026-11-05"),
        ("alert:4", "alert:4", "alert:4"),
        ("alert:4", "alert:5", ""),  # two records of the category: the event names the category
        ("", "2026-11-05", ""),  # the whole category was read
        ("alert:4", "2026-11-05", ""),
    ],
)
def test_references_of_folded_reads(first, second, merged):
    assert _merge_refs(first, second) == merged


def test_the_same_read_in_two_reruns_is_two_events(session, demo, engine):
    dana, chen = actor(session, "dana"), actor(session, "dr.chen")
    for _ in range(2):
        with db.unit_of_work(engine) as work:
            diary.cards_between(work, chen, dana.id, WEEK_AGO, TODAY)
    assert len(events(engine, actor_id=chen.id, category="diary")) == 2


def test_writes_are_not_folded(session, demo, engine):
    """Each write (and each alert it opens) stays its own event, with its own reference."""
    alex = actor(session, "alex")
    card = diary.CardInput(mood=6, emotions={}, urges={"self_harm": (1, False)}, skills=[], note="")
    with db.unit_of_work(engine) as work:
        diary.save_card(work, alex, participant_id=alex.id, day=TODAY, card=card)
        diary.save_card(work, alex, participant_id=alex.id, day=TODAY - timedelta(days=1), card=card)
    writes = events(engine, actor_id=alex.id, action="write")
    assert sorted(e.ref for e in writes) == [str(TODAY - timedelta(days=1)), str(TODAY)]


def test_a_refusal_is_committed_at_once_with_what_came_before_it(session, demo, engine):
    dana, chen, rivera = actor(session, "dana"), actor(session, "dr.chen"), actor(session, "dr.rivera")
    with pytest.raises(RuntimeError), db.unit_of_work(engine) as work:
        diary.cards_between(work, chen, dana.id, WEEK_AGO, TODAY)
        with pytest.raises(AccessDenied):
            diary.cards_between(work, rivera, dana.id, WEEK_AGO, TODAY)  # not on her caseload
        # Another connection sees the refusal (and the read before it) before the rerun ends.
        seen = [(e.actor_id, e.allowed, e.reason) for e in events(engine, participant_id=dana.id, category="diary")]
        assert seen == [(chen.id, True, ""), (rivera.id, False, "not_on_caseload")]
        raise RuntimeError("the page fails after the refusal")
    assert len(events(engine, participant_id=dana.id, category="diary")) == 2  # nothing lost, nothing doubled


def test_what_a_failed_page_showed_is_recorded_and_its_unfinished_writes_undone(session, demo, engine):
    dana, chen = actor(session, "dana"), actor(session, "dr.chen")
    with db.unit_of_work(engine) as work:
        diary.cards_between(work, chen, dana.id, WEEK_AGO, TODAY)  # shown on screen
        work.add(DiaryCard(participant_id=dana.id, day=TODAY - timedelta(days=400), mood=1))
        work.flush()
        db.fail()  # ui.layout.run_safely caught an error
    assert [e.category for e in events(engine, actor_id=chen.id)] == ["diary"]
    with Session(engine) as other:
        assert (
            other.exec(
                select(DiaryCard).where(
                    DiaryCard.participant_id == dana.id, DiaryCard.day == TODAY - timedelta(days=400)
                )
            ).first()
            is None
        )


def test_an_error_escaping_the_rerun_still_records_its_reads(session, demo, engine):
    dana, chen = actor(session, "dana"), actor(session, "dr.chen")
    with pytest.raises(ZeroDivisionError), db.unit_of_work(engine) as work:
        alerts.history(work, chen, dana.id)
        raise ZeroDivisionError("an error after the read, before the unit of work ends")
    assert [e.category for e in events(engine, actor_id=chen.id)] == ["alerts"]


def test_a_save_and_its_audit_event_commit_together(session, demo, engine):
    """The write's commit carries the rerun's events so far: another connection sees the card and
    its event at once, before the rerun ends, and the rerun adds nothing after."""
    alex = actor(session, "alex")
    card = diary.CardInput(mood=7, emotions={}, urges={}, skills=[], note="")
    with db.counting(engine) as seen, db.unit_of_work(engine) as work:
        diary.cards_between(work, alex, alex.id, WEEK_AGO, TODAY)
        diary.save_card(work, alex, participant_id=alex.id, day=TODAY, card=card)
        assert [(e.category, e.action) for e in events(engine, actor_id=alex.id)] == [
            ("diary", "read"),
            ("diary", "write"),
        ]
        diary.recent_days_with_cards(work, alex, alex.id, TODAY)  # read again after the save
    assert seen.audit_inserts == 1 and seen.commits == 1
    assert len(events(engine, actor_id=alex.id)) == 2


def test_outside_a_rerun_every_event_is_written_at_once(session, demo, engine):
    dana, chen = actor(session, "dana"), actor(session, "dr.chen")
    diary.cards_between(session, chen, dana.id, WEEK_AGO, TODAY)
    diary.cards_between(session, chen, dana.id, WEEK_AGO, TODAY)
    assert len(events(engine, actor_id=chen.id, category="diary")) == 2


def test_hostile_input_inside_a_rerun_is_refused_and_recorded_like_outside(session, demo, engine):
    chen = actor(session, "dr.chen")
    with db.unit_of_work(engine) as work:
        for wrong in ("7", None, 2**40, -1, True, 99999):
            with pytest.raises(AccessDenied):
                authorize(work, chen, wrong, Category.DIARY, A.READ)
        with pytest.raises(ValueError):
            record(work, chen, category="diary", action="read", ref="PHQ-9 item 9: thoughts of self-harm")
        with pytest.raises(ValueError):
            record(work, chen, category="free text", action="read")
    refused = events(engine, actor_id=chen.id, allowed=False)
    assert len(refused) == 6 and {e.reason for e in refused} == {"unknown_participant"}
    assert [e.ref for e in refused if e.ref] == ["participant:99999"]


def test_twenty_reruns_at_once_each_record_their_read(database_url, demo, engine, session):
    """Twenty therapists' reruns at the same moment (threads released together): twenty events,
    each rerun's written in its own single statement, none lost to a locked database."""
    dana, chen = actor(session, "dana"), actor(session, "dr.chen")
    barrier, errors = threading.Barrier(20), []

    def rerun():
        try:
            barrier.wait(timeout=30)
            with db.unit_of_work(engine) as work:
                diary.cards_between(work, chen, dana.id, WEEK_AGO, TODAY)
                alerts.history(work, chen, dana.id)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=rerun) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    new = events(engine, actor_id=chen.id)
    assert sorted(e.category for e in new) == ["alerts"] * 20 + ["diary"] * 20


def test_who_saw_danas_diary_last_week_still_reads_one_event_per_look(session, demo, engine):
    dana, chen, admin = actor(session, "dana"), actor(session, "dr.chen"), actor(session, "admin")
    for _ in range(3):  # three reruns of Review, each reading the diary twice
        with db.unit_of_work(engine) as work:
            diary.cards_between(work, chen, dana.id, WEEK_AGO, TODAY)
            diary.cards_between(work, chen, dana.id, TODAY - timedelta(weeks=8), TODAY)
    with db.counting(engine) as seen:
        found = audit.audit_log(
            session,
            admin,
            participant_id=dana.id,
            category=Category.DIARY.value,
            start=TODAY - timedelta(days=7),
            end=TODAY + timedelta(days=1),
        )
    assert [(r.actor, r.participant, r.category, r.action) for r in found.rows] == [
        (chen.name, dana.name, "Diary cards", "looked")
    ] * 3
    assert len([s for s in seen.sql if "FROM audit_event" in s and "whose" in s]) == 1
