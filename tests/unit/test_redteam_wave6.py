"""Red team, wave 6: attacks on what landed in the seventh session of 2026-11-26.

1. The login check and the gate read the acting person once per rerun (core.access.person_for_login).
2. A diary save is one transaction and one commit (core.diary.save_card): INSERT ... ON CONFLICT DO
   NOTHING RETURNING, then UPDATE ... RETURNING; the card handed back as written (no read back);
   statements compiled once per dialect.

Every test runs on SQLite and on PostgreSQL (the `database_url` fixture)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, col, func, select

from core import db, diary, recovery
from core.access import Action, Actor, Category, authorize, person_for_login
from core.errors import AccessDenied, ValidationError
from core.models import Alert, AppUser, AuditEvent, CardTrigger, DiaryCard, DiaryUrge, SubstanceUse
from tests.conftest import at_once
from tests.unit.test_recovery import NOV23, NY_EVENING, card, save  # (the card and save of a New York evening)

RISKY = {"suicidal_thoughts": (5, True), "self_harm": (4, False), "substance_use": (3, True)}


def read_back(session, who, day):
    session.expire_all()
    views = diary.cards_between(session, who, who.id, day, day)
    return recovery.with_details(views, recovery.details_between(session, who, who.id, day, day))[0]


def same(a, b) -> bool:
    return replace(a, updated_at=None) == replace(b, updated_at=None)


def count(session, model, *where) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


# --- 1. the person read once per rerun ------------------------------------------------------------


def _therapist(people) -> Actor:
    return Actor.of(people.therapist)


def test_facts_from_one_rerun_never_reach_another_rerun(engine, people):
    """Two reruns (units of work) of two different people, on two threads at once: each unit's facts
    are its own (the facts live in the unit, not in a thread-local or the process)."""
    quinn, rosa = people.participant("quinn"), people.participant("rosa", name="Rosa")
    barrier = threading.Barrier(2)
    seen: dict[int, object] = {}

    def rerun(who: Actor) -> None:
        with db.unit_of_work(engine) as session:
            user = person_for_login(session, who.id)
            barrier.wait()  # both units hold their facts now
            facts = db.unit_of(session).cache
            seen[who.id] = sorted(k[1] for k in facts if k[0] == "person")
            assert user is not None and user.id == who.id

    failures = at_once(2, lambda i: rerun((quinn, rosa)[i]))
    assert failures == []
    assert seen == {quinn.id: [quinn.id], rosa.id: [rosa.id]}


def test_a_later_rerun_sees_a_deactivation_that_committed_after_the_login_check(engine, session, people):
    """The facts of the login check go with the rerun: the next rerun's check reads the account afresh."""
    quinn = people.participant()
    with db.unit_of_work(engine) as first:
        assert person_for_login(first, quinn.id).is_active
        authorize(first, quinn, quinn.id, Category.DIARY, Action.READ)
    user = session.get(AppUser, quinn.id)
    user.is_active = False
    session.add(user)
    session.commit()
    with db.unit_of_work(engine) as second:
        assert not person_for_login(second, quinn.id).is_active
        with pytest.raises(AccessDenied):
            authorize(second, quinn, quinn.id, Category.DIARY, Action.READ)


def test_a_caseload_change_between_the_login_check_and_the_gate_is_seen_by_the_gate(engine, session, people):
    """The login check reads only the person, never a caseload: a therapist taken off a participant's
    caseload after their own login check, in the same rerun, is refused by the gate."""
    from core.models import CaseloadAssignment

    quinn = people.participant()
    therapist = _therapist(people)
    with db.unit_of_work(engine) as rerun:
        assert person_for_login(rerun, therapist.id) is not None
        with Session(engine) as admin:  # the admin reassigns meanwhile (committed elsewhere)
            for row in admin.exec(select(CaseloadAssignment).where(col(CaseloadAssignment.participant_id) == quinn.id)):
                admin.delete(row)
            admin.commit()
        with pytest.raises(AccessDenied):
            authorize(rerun, therapist, quinn.id, Category.DIARY, Action.READ)


@pytest.mark.parametrize("forged", [True, False, "1", 1.0, -1, 0, 2**70, None, "\x00", [1], {"id": 1}])
def test_a_forged_session_id_finds_nobody_and_seeds_no_facts(engine, people, forged):
    people.participant()
    with db.unit_of_work(engine) as rerun:
        assert person_for_login(rerun, forged) is None
        assert not [k for k in db.unit_of(rerun).cache if k[0] == "person"]


def test_the_login_check_outside_a_rerun_keeps_nothing(session, people):
    quinn = people.participant()
    assert person_for_login(session, quinn.id).id == quinn.id
    assert db.unit_of(session) is None  # (no unit: nothing to keep the facts in, and nothing kept)


# --- 2. the save as one transaction ---------------------------------------------------------------


@pytest.mark.parametrize("step", ["details", "route", "streak"])
def test_a_save_whose_later_step_fails_in_a_rerun_leaves_neither_card_nor_alert(
    engine, session, people, monkeypatch, step
):
    """In the app a save runs in a rerun's unit of work: the card, its urges, details and alert are one
    transaction, and a failure after the card's INSERT leaves none of them (never an alert without its
    card or a card without its alert; the typed card stays the day's draft in the UI)."""
    quinn = people.participant()

    def fail(*_a, **_k):
        raise RuntimeError(f"{step} failed")

    target = {
        "details": (recovery, "save_details"),
        "route": (diary, "route"),
        "streak": (diary, "recent_days_with_cards"),
    }
    monkeypatch.setattr(*target[step], fail)
    with pytest.raises(RuntimeError, match=f"{step} failed"), db.unit_of_work(engine) as rerun:
        diary.save_card(
            rerun,
            quinn,
            participant_id=quinn.id,
            day=NOV23,
            card=card(urges=RISKY, use={"alcohol": (6, "drinks")}, triggers=["lonely"]),
            now=NY_EVENING,
            recent_days=diary.STREAK_DAYS,
        )
    monkeypatch.undo()
    assert count(session, DiaryCard, col(DiaryCard.participant_id) == quinn.id) == 0
    assert count(session, Alert, col(Alert.participant_id) == quinn.id) == 0
    assert count(session, DiaryUrge) == 0 and count(session, SubstanceUse) == 0 and count(session, CardTrigger) == 0
    # ... and the next save makes the card and its alert together, as a first save
    again = save(session, quinn, urges=RISKY)
    assert again.created and again.risk.risky
    assert count(session, DiaryCard, col(DiaryCard.participant_id) == quinn.id) == 1
    assert count(session, Alert, col(Alert.participant_id) == quinn.id) == 1


def test_outside_a_rerun_a_failing_streak_read_leaves_the_card_and_its_alert_together(session, people, monkeypatch):
    """Outside a unit of work the gate's audit record commits as it goes (core.access.record): the card
    and its alert are committed together by the alert's record, so a failure after it keeps both."""
    quinn = people.participant()

    def fail(*_a, **_k):
        raise RuntimeError("streak failed")

    monkeypatch.setattr(diary, "recent_days_with_cards", fail)
    with pytest.raises(RuntimeError):
        save_kw = dict(participant_id=quinn.id, day=NOV23, card=card(urges=RISKY), now=NY_EVENING, recent_days=60)
        diary.save_card(session, quinn, **save_kw)
    session.rollback()
    cards = count(session, DiaryCard, col(DiaryCard.participant_id) == quinn.id)
    alerts = count(session, Alert, col(Alert.participant_id) == quinn.id)
    assert (cards, alerts) in ((0, 0), (1, 1))


def test_twenty_threads_saving_a_days_first_risky_card_make_one_card_one_alert_and_no_doubled_urges(
    engine, session, people
):
    quinn = people.participant()
    created: list[bool] = []

    def tap(i: int) -> None:
        with Session(engine, expire_on_commit=False) as own:
            result = diary.save_card(
                own,
                quinn,
                participant_id=quinn.id,
                day=NOV23,
                card=card(mood=i % 10, urges=RISKY, use={"alcohol": (i + 1, "drinks")}, triggers=["lonely"]),
                now=NY_EVENING,
                recent_days=diary.STREAK_DAYS,
            )
            created.append(result.created)
            assert result.stored is not None and result.stored.mood == i % 10
            assert result.days_with_cards == {NOV23}

    assert at_once(20, tap) == []
    assert sorted(created) == [False] * 19 + [True]
    assert count(session, DiaryCard, col(DiaryCard.participant_id) == quinn.id) == 1
    assert count(session, Alert, col(Alert.participant_id) == quinn.id) == 1
    assert count(session, DiaryUrge) == len(RISKY)
    assert count(session, SubstanceUse) == 1 and count(session, CardTrigger) == 1
    stored = read_back(session, quinn, NOV23)
    assert stored.urges == RISKY and not stored.late


def test_hostile_values_through_the_compiled_once_statements(session, people):
    """A NUL byte (PostgreSQL's text refuses it), a huge note, and every optional column None: each a
    calm refusal or a card stored exactly as handed back, never a database error."""
    quinn = people.participant()
    try:
        nul_writer = people.participant("nul", name="Nul")
        nul = save(session, nul_writer, note="before\x00after")
    except ValidationError:
        pass
    else:  # (kept, without the NUL, as a read gives it)
        assert "\x00" not in nul.stored.note and same(nul.stored, read_back(session, nul_writer, NOV23))
    with pytest.raises(ValidationError):
        save(session, quinn, note="x" * 1_000_000)
    with pytest.raises(ValidationError):
        save(session, quinn, skills=["tipp\x00"])
    session.rollback()
    assert count(session, DiaryCard, col(DiaryCard.participant_id) == quinn.id) == 0

    bare = save(session, quinn, urges={}, note="", craving=None, sleep_hours=None, medication=None, skills=[])
    assert bare.created and same(bare.stored, read_back(session, quinn, NOV23))
    # the same compiled UPDATE, from a full card back to blanks: every column written as given
    full = save(session, quinn, note="full", craving=3, sleep_hours=7.5, medication="yes", skills=["tipp"])
    assert same(full.stored, read_back(session, quinn, NOV23))
    blank = save(session, quinn, urges={}, note="", craving=None, sleep_hours=None, medication=None, skills=[])
    back = read_back(session, quinn, NOV23)
    assert back.note == "" and back.craving is None and back.sleep_hours is None and back.medication is None
    assert blank.stored.skills == back.skills == []


def test_the_card_handed_back_is_a_read_when_an_urge_is_cleared(session, people):
    """The card's form sends every behaviour on the card, an unanswered one as (None, False): a
    participant who answered an urge and then clears it (taps the chosen value again) saves
    (None, False). The card handed back must be what a read gives."""
    quinn = people.participant()
    save(session, quinn, urges={"suicidal_thoughts": (2, False), "self_harm": (1, False), "substance_use": (4, True)})
    cleared = {"suicidal_thoughts": (None, False), "self_harm": (1, False), "substance_use": (4, True)}
    try:
        result = save(session, quinn, urges=cleared)
    except ValidationError:
        return  # (refused with a message: nothing handed back to differ)
    assert same(result.stored, read_back(session, quinn, NOV23))


def test_a_save_across_midnight_in_the_participants_zone(session, people):
    """Kiritimati is UTC+14: at 10:30 UTC on Nov 23 it is already Nov 24 there. A card for Nov 23 is
    late for them, not for New York; the handed-back late flag, its day and `today` are a read's."""
    kiri = people.participant("kiri", name="Kiri", tz="Pacific/Kiritimati")
    ny = people.participant("quinn")
    moment = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    k = save(session, kiri, day=NOV23, now=moment)
    n = save(session, ny, day=NOV23, now=moment)
    assert k.today == date(2026, 11, 24) and n.today == NOV23
    assert k.late and k.stored.late and not n.late and not n.stored.late
    assert same(k.stored, read_back(session, kiri, NOV23)) and same(n.stored, read_back(session, ny, NOV23))
    # one second before and after local midnight, the same day changed: `late` stays the first save's
    before = datetime(2026, 11, 24, 4, 59, 59, tzinfo=UTC)  # 23:59:59 on Nov 23 in New York
    after = before + timedelta(seconds=2)
    first = save(session, ny, day=date(2026, 11, 22) + timedelta(days=1), now=before, mood=1)
    second = save(session, ny, day=NOV23, now=after, mood=2)
    assert not first.created and not second.created and second.late and not second.stored.late
    assert same(second.stored, read_back(session, ny, NOV23))


def test_a_spanish_save_is_handed_back_and_read_in_spanish(session, people):
    quinn = people.participant()
    result = diary.save_card(
        session,
        quinn,
        participant_id=quinn.id,
        day=NOV23,
        card=card(note="me siento mejor"),
        now=NY_EVENING,
        language="es",
    )
    assert result.stored.language == "es" and same(result.stored, read_back(session, quinn, NOV23))
    again = diary.save_card(
        session,
        quinn,
        participant_id=quinn.id,
        day=NOV23,
        card=card(note="otra vez"),
        now=NY_EVENING,
        language="xx\x00",
    )
    assert same(again.stored, read_back(session, quinn, NOV23))


def test_a_save_writes_its_audit_in_the_same_commit(session, people):
    quinn = people.participant()
    with db.unit_of_work(session.get_bind()) as rerun:
        diary.save_card(
            rerun, quinn, participant_id=quinn.id, day=NOV23, card=card(), now=NY_EVENING, recent_days=diary.STREAK_DAYS
        )
    assert count(session, AuditEvent, col(AuditEvent.actor_id) == quinn.id) >= 2


def test_twenty_reruns_saving_at_once_half_of_them_failing_after_the_insert(engine, session, people, monkeypatch):
    """Twenty reruns save the day's first risky card at once; every other one fails after its card's
    INSERT (its alert's routing raises) and rolls back, perhaps while others wait on its uncommitted
    card. What the ten that succeed leave: one card, made by exactly one of them, one alert, the urges
    once, nothing of the failed ones."""
    quinn = people.participant()
    real_route = diary.route
    mine = threading.local()

    def route(*args, **kwargs):
        if mine.fail:
            raise RuntimeError("route failed")
        return real_route(*args, **kwargs)

    monkeypatch.setattr(diary, "route", route)
    created: list[bool] = []

    def tap(i: int) -> None:
        mine.fail = i % 2 == 1
        try:
            with db.unit_of_work(engine) as rerun:
                result = diary.save_card(
                    rerun,
                    quinn,
                    participant_id=quinn.id,
                    day=NOV23,
                    card=card(mood=i % 10, urges=RISKY),
                    now=NY_EVENING,
                )
                created.append(result.created)
        except RuntimeError as exc:
            assert mine.fail and "route failed" in str(exc)

    assert at_once(20, tap) == []
    assert len(created) == 10 and created.count(True) == 1
    assert count(session, DiaryCard, col(DiaryCard.participant_id) == quinn.id) == 1
    assert count(session, Alert, col(Alert.participant_id) == quinn.id) == 1
    assert count(session, DiaryUrge) == len(RISKY)
    assert read_back(session, quinn, NOV23).mood % 2 == 0  # (a failed save's answers never stay)


def test_twenty_threads_changing_an_existing_card_at_once(engine, session, people):
    """The UPDATE path under load: a card saved calm, then twenty changes at once, each risky with
    its own answers. One card, its `late` and creation kept, one alert, the urges once, and the card a
    read gives is exactly the one some save handed back."""
    quinn = people.participant()
    first = save(session, quinn, day=NOV23 - timedelta(days=1), urges={"substance_use": (0, False)})
    assert first.created and first.late
    handed: list = []

    def tap(i: int) -> None:
        with Session(engine, expire_on_commit=False) as own:
            urges = {**RISKY, "self_harm": (i % 6, i % 2 == 0)}
            result = diary.save_card(
                own,
                quinn,
                participant_id=quinn.id,
                day=NOV23 - timedelta(days=1),
                card=card(mood=i % 10, urges=urges, note=f"change {i}"),
                now=NY_EVENING,
            )
            assert not result.created and result.stored.late
            handed.append(result.stored)

    assert at_once(20, tap) == []
    assert count(session, DiaryCard, col(DiaryCard.participant_id) == quinn.id) == 1
    assert count(session, Alert, col(Alert.participant_id) == quinn.id) == 1
    assert count(session, DiaryUrge) == len(RISKY)
    back = read_back(session, quinn, NOV23 - timedelta(days=1))
    assert back.late and any(same(h, back) for h in handed)


@pytest.mark.parametrize(
    "answers",
    [
        {"mat": {"naltrexone": None}},
        {"mat": {"naltrexone": "yes", "buprenorphine": None}},
        {"mat": {"naltrexone": "no", "buprenorphine": "yes"}},
        {"use": {"alcohol": (None, "drinks")}},
        {"use": {"alcohol": (3, None)}},
        {"use": {"otc": (None, None), "alcohol": (2, "drinks")}},
        {"emotions": {"sadness": None}},
        {"craving": 0},
        {"sleep_hours": 0.0},
        {"sleep_hours": 24},
        {"skills": ["tipp", "tipp", "wise_mind"]},
        {"note": "  \n\t  "},
    ],
)
def test_half_answered_details_are_handed_back_as_a_read_gives_them(session, people, answers):
    """Unanswered MAT doses, an amount without its unit or a unit without its amount, blank emotions,
    zeros, repeated skills, a blank note: what the save hands back equals a read, new and changed."""
    from core.program import forget_programs

    people.program.mat_medications = ["buprenorphine", "naltrexone"]
    session.add(people.program)
    session.commit()
    forget_programs()
    quinn = people.participant()
    first = save(session, quinn, **answers)
    assert first.created and same(first.stored, read_back(session, quinn, NOV23))
    changed = save(session, quinn, mood=2, **answers)
    assert not changed.created and same(changed.stored, read_back(session, quinn, NOV23))


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "Etc/GMT+99", "", "  "])
def test_a_broken_stored_zone_read_by_the_login_check_falls_back_to_the_programs(engine, session, people, zone):
    """The login check hands the gate the person's own zone (core.access.person_for_login) and the save
    takes its day from it: a zone no one can use falls back to the program's (New York), calmly."""
    quinn = people.participant()
    user = session.get(AppUser, quinn.id)
    user.timezone = zone
    session.add(user)
    session.commit()
    with db.unit_of_work(engine) as rerun:
        assert person_for_login(rerun, quinn.id) is not None
        result = diary.save_card(rerun, quinn, participant_id=quinn.id, day=NOV23, card=card(), now=NY_EVENING)
    assert result.today == NOV23 and result.created and not result.stored.late


@pytest.mark.parametrize(
    "answers",
    [
        {"mood": True},
        {"mood": "5"},
        {"mood": 10**100},
        {"note": None},
        {"note": b"bytes"},
        {"skills": None},
        {"skills": "tipp"},
        {"emotions": []},
        {"emotions": {"sadness": float("nan")}},
        {"urges": {"suicidal_thoughts": (10**100, "yes")}},
        {"urges": {"suicidal_thoughts": (3,)}},
        {"urges": {"x" * 10_000: (3, False)}},
        {"urges": {("a", "b"): (3, False)}},
        {"sleep_hours": float("inf")},
        {"medication": "\x00"},
        {"use": {"alcohol": (10**100, "drinks")}},
        {"mat": {"naltrexone": "\x00"}},
    ],
)
def test_wrong_types_reach_the_compiled_statements_never(session, people, answers):
    """Whatever a forged form sends, the save refuses it with a message (or stores what a read gives):
    no database error, no half-written card."""
    quinn = people.participant()
    try:
        result = save(session, quinn, **answers)
    except ValidationError:
        session.rollback()
        assert count(session, DiaryCard, col(DiaryCard.participant_id) == quinn.id) == 0
    else:
        assert same(result.stored, read_back(session, quinn, NOV23))
