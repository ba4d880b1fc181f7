"""Practice log, thought records, favourites and homework: round trips, same-day edits, double
taps, bad input refused with messages, and homework done detection."""

import csv
import io
from datetime import date, timedelta

import pytest

from core import practice
from core.errors import AccessDenied, ValidationError
from core.practice import PracticeInput, ThoughtInput
from tests.unit.test_diary import NOV23, NY_EVENING, act, fresh_participant

NEXT_MORNING = NY_EVENING + timedelta(hours=10)  # Nov 24 in New York


def log(session, who, key="k1", now=NY_EVENING, **overrides):
    values = dict(
        skill_id="tipp",
        distress_before=8,
        distress_after=4,
        helped="yes",
        situation="argument with my sister",
        note="cold water worked",
    )
    values.update(overrides)
    return practice.save_practice(
        session, who, participant_id=who.id, entry_key=key, entry=PracticeInput(**values), now=now
    )


def test_a_practice_entry_round_trips_on_the_participants_own_day(session, demo):
    quinn = fresh_participant(session)
    saved = log(session, quinn)
    assert saved.day == NOV23 and saved.skill_name == "TIPP" and saved.module_name == "Distress Tolerance"
    assert saved.drop == 4
    [got] = practice.practice_between(session, quinn, quinn.id, NOV23, NOV23)
    assert (got.situation, got.distress_before, got.distress_after, got.helped, got.note) == (
        "argument with my sister",
        8,
        4,
        "yes",
        "cold water worked",
    )


def test_a_double_tap_saves_once_and_a_same_day_change_updates_the_entry(session, demo):
    quinn = fresh_participant(session)
    log(session, quinn)
    log(session, quinn)
    log(session, quinn, distress_after=2, note="better still")
    [got] = practice.practice_between(session, quinn, quinn.id, date.min, date.max)
    assert got.distress_after == 2 and got.note == "better still"


def test_four_taps_at_the_same_moment_save_one_entry(engine, session, demo):
    import threading

    from sqlmodel import Session

    quinn = fresh_participant(session)
    barrier, failures = threading.Barrier(4), []

    def tap(after):
        try:
            with Session(engine, expire_on_commit=False) as own:
                barrier.wait()
                log(own, quinn, key="same-form", distress_after=after)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=tap, args=(a,)) for a in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failures == []
    session.expire_all()
    [got] = practice.practice_between(session, quinn, quinn.id, date.min, date.max)
    assert got.distress_after in (1, 2, 3, 4)


def test_an_entry_from_an_earlier_day_is_kept_as_it_was(session, demo):
    quinn = fresh_participant(session)
    log(session, quinn)
    with pytest.raises(ValidationError, match="earlier day"):
        log(session, quinn, now=NEXT_MORNING, distress_after=0)
    [got] = practice.practice_between(session, quinn, quinn.id, date.min, date.max)
    assert got.distress_after == 4


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"skill_id": "juggling"}, "skill"),
        ({"skill_id": ""}, "skill"),
        ({"distress_before": 11}, "distress_before"),
        ({"distress_before": None}, "distress_before"),
        ({"distress_after": -1}, "distress_after"),
        ({"helped": "maybe"}, "helped"),
        ({"situation": "x" * 121}, "situation"),
        ({"note": "x" * 1001}, "note"),
    ],
)
def test_bad_practice_input_is_refused_with_a_message_for_its_field(session, demo, overrides, field):
    quinn = fresh_participant(session)
    with pytest.raises(ValidationError) as refused:
        log(session, quinn, **overrides)
    assert field in refused.value.fields
    assert practice.practice_between(session, quinn, quinn.id, date.min, date.max) == []


def test_only_the_participant_logs_practice_and_only_their_therapist_reads_it(session, demo):
    quinn = fresh_participant(session)
    log(session, quinn)
    rivera, chen = act(session, "dr.rivera"), act(session, "dr.chen")
    assert len(practice.practice_between(session, rivera, quinn.id, date.min, date.max)) == 1
    with pytest.raises(AccessDenied):
        practice.practice_between(session, chen, quinn.id, date.min, date.max)
    with pytest.raises(AccessDenied):
        log(session, rivera, key="k2")
    with pytest.raises(AccessDenied):
        practice.practice_between(session, act(session, "pat.morgan"), quinn.id, date.min, date.max)


def test_practice_csv_has_one_row_per_entry_with_formula_safe_text(session, demo):
    quinn = fresh_participant(session)
    log(session, quinn, note="=HYPERLINK(1)")
    log(session, quinn, key="k2", skill_id="urge_surfing", distress_after=None, helped=None)
    rows = list(csv.DictReader(io.StringIO(practice.practice_csv(session, quinn, quinn.id))))
    assert [r["skill"] for r in rows] == ["TIPP", "Urge surfing"]
    assert rows[0]["note"] == "'=HYPERLINK(1)" and rows[0]["helped"] == "Yes" and rows[1]["distress_after"] == ""


def thought(**overrides):
    values = dict(
        situation="Friend didn't text back",
        emotions=[("anxious", 80, 40), ("sad", 50, None)],
        automatic_thought="They're angry with me",
        evidence_for="Usually replies fast",
        evidence_against="They said they had a busy week",
        balanced_thought="They're probably busy",
        balanced_belief=70,
    )
    values.update(overrides)
    return ThoughtInput(**values)


def test_a_thought_record_round_trips_with_emotions_before_and_after(session, demo):
    quinn = fresh_participant(session)
    practice.save_thought_record(
        session, quinn, participant_id=quinn.id, entry_key="t1", record=thought(), now=NY_EVENING
    )
    practice.save_thought_record(
        session, quinn, participant_id=quinn.id, entry_key="t1", record=thought(), now=NY_EVENING
    )
    [got] = practice.thought_records(session, act(session, "dr.rivera"), quinn.id)
    assert got.day == NOV23 and got.balanced_belief == 70
    assert got.emotions == [
        {"name": "anxious", "before": 80, "after": 40},
        {"name": "sad", "before": 50, "after": None},
    ]
    assert got.as_input() == thought()
    with pytest.raises(AccessDenied):
        practice.thought_records(session, act(session, "pat.morgan"), quinn.id)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"situation": "  "}, "situation"),
        ({"automatic_thought": ""}, "automatic_thought"),
        ({"emotions": []}, "emotions"),
        ({"emotions": [("anxious", 120, None)]}, "emotion_0"),
        ({"emotions": [("anxious", None, None)]}, "emotion_0"),
        ({"emotions": [("anxious", 50, -5)]}, "emotion_0_after"),
        ({"balanced_belief": 101}, "balanced_belief"),
        ({"evidence_for": "x" * 1001}, "evidence_for"),
    ],
)
def test_bad_thought_record_input_is_refused(session, demo, overrides, field):
    quinn = fresh_participant(session)
    with pytest.raises(ValidationError) as refused:
        practice.save_thought_record(
            session, quinn, participant_id=quinn.id, entry_key="t1", record=thought(**overrides), now=NY_EVENING
        )
    assert field in refused.value.fields


def test_favourites_toggle_and_ignore_repeats(session, demo):
    quinn = fresh_participant(session)
    for _ in range(2):
        practice.set_favourite(session, quinn, quinn.id, "tipp", True)
    practice.set_favourite(session, quinn, quinn.id, "halt", True)
    practice.set_favourite(session, quinn, quinn.id, "tipp", False)
    assert practice.favourites(session, quinn, quinn.id) == ["halt"]
    with pytest.raises(ValidationError):
        practice.set_favourite(session, quinn, quinn.id, "nope", True)


def test_homework_is_done_only_by_practice_of_that_skill_after_it_was_assigned(session, demo):
    quinn, rivera = fresh_participant(session), act(session, "dr.rivera")
    log(session, quinn, key="before", skill_id="halt", now=NY_EVENING - timedelta(hours=2))  # too early
    assigned_at = NY_EVENING - timedelta(hours=1)
    practice.assign_homework(
        session,
        rivera,
        participant_id=quinn.id,
        skill_id="halt",
        due_on=date(2026, 11, 26),
        note="When cravings hit after work",
        now=assigned_at,
    )
    practice.assign_homework(session, rivera, participant_id=quinn.id, skill_id="thought_record", now=assigned_at)
    [halt, record] = practice.homework_for(session, quinn, quinn.id)
    assert (halt.skill_name, halt.done, halt.status(NOV23)) == ("HALT", False, "Due Thu Nov 26")
    assert halt.assigned_by == "Dr. Elena Rivera" and record.due_on is None and record.status(NOV23) == "To do"
    assert halt.overdue(date(2026, 11, 27))

    log(session, quinn, key="other", skill_id="tipp")  # another skill: not done
    assert not any(h.done for h in practice.homework_for(session, quinn, quinn.id))
    log(session, quinn, key="after", skill_id="halt")
    practice.save_thought_record(
        session, quinn, participant_id=quinn.id, entry_key="t", record=thought(), now=NY_EVENING
    )
    got = {h.skill_id: h for h in practice.homework_for(session, rivera, quinn.id)}
    assert got["halt"].done_on == NOV23 and got["thought_record"].done and got["halt"].status(NOV23) == "Done Nov 23"


def test_homework_done_counts_only_what_came_after_it_was_assigned(session, demo):
    """Each homework's 'done' is worked out in SQL from its own row: practice of the same skill (and,
    for the thought record, a thought record) logged at or after the assignment, its first day."""
    quinn, rivera = fresh_participant(session), act(session, "dr.rivera")
    before = NY_EVENING - timedelta(days=2)
    log(session, quinn, key="early", skill_id="halt", now=before)
    practice.save_thought_record(
        session, quinn, participant_id=quinn.id, entry_key="early", record=thought(), now=before
    )
    for skill in ("halt", "thought_record", "tipp"):
        practice.assign_homework(
            session, rivera, participant_id=quinn.id, skill_id=skill, now=NY_EVENING - timedelta(hours=1)
        )
    assert not any(h.done for h in practice.homework_for(session, rivera, quinn.id))
    practice.save_thought_record(
        session, quinn, participant_id=quinn.id, entry_key="late", record=thought(), now=NY_EVENING
    )
    got = {h.skill_id: h for h in practice.homework_for(session, rivera, quinn.id)}
    assert got["thought_record"].done_on == NOV23 and not got["halt"].done and not got["tipp"].done


def test_homework_assignment_rules(session, demo):
    quinn, rivera = fresh_participant(session), act(session, "dr.rivera")
    for _ in range(2):  # a double tap assigns once
        practice.assign_homework(session, rivera, participant_id=quinn.id, skill_id="tipp", now=NY_EVENING)
    assert len(practice.homework_for(session, quinn, quinn.id)) == 1
    with pytest.raises(ValidationError, match="already passed"):
        practice.assign_homework(
            session, rivera, participant_id=quinn.id, skill_id="halt", due_on=date(2026, 11, 22), now=NY_EVENING
        )
    with pytest.raises(ValidationError, match="Unknown skill"):
        practice.assign_homework(session, rivera, participant_id=quinn.id, skill_id="x", now=NY_EVENING)
    with pytest.raises(AccessDenied):  # bailey is dr.chen's
        practice.assign_homework(session, rivera, participant_id=act(session, "bailey").id, skill_id="tipp")
    with pytest.raises(AccessDenied):  # participants don't assign themselves homework
        practice.assign_homework(session, quinn, participant_id=quinn.id, skill_id="tipp")
    [h] = practice.homework_for(session, rivera, quinn.id)
    practice.remove_homework(session, rivera, participant_id=quinn.id, homework_id=h.id)
    assert practice.homework_for(session, quinn, quinn.id) == []


def test_a_thought_record_counts_as_practice_of_the_cbt_module(session, demo):
    quinn = fresh_participant(session)
    log(session, quinn)
    practice.save_thought_record(
        session, quinn, participant_id=quinn.id, entry_key="t", record=thought(), now=NY_EVENING
    )
    entries = practice.practice_between(session, quinn, quinn.id, date.min, date.max)
    records = practice.thought_records(session, quinn, quinn.id)
    assert sorted(practice.practised_per_day(entries, records)) == [(NOV23, "thought_record"), (NOV23, "tipp")]
