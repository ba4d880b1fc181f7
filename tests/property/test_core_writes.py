"""Every core function that writes, fed hostile arguments (hypothesis), on SQLite and PostgreSQL.

For each function a case says which values its form can produce for each argument and which
hostile ones to try instead (tests/property/hostile.py); each example replaces up to two
arguments of a form-producible call with hostile values. The property, whatever arrives:

- the function saves, and what it saved reads back exactly as the form could have produced it
  (text cleaned by the documented rule, numbers as given, dates in range), or
- it raises core.errors.ValidationError whose `fields` name the field(s) with a message, or
- the gate refuses it (AccessDenied) — only when an id argument was made hostile — or the
  function's own documented refusal (a safety plan changed meanwhile: PlanConflict);

never a TypeError, AttributeError, DataError, IntegrityError or any other exception, and after
every example no table the case touches holds a value the forms could not produce (NUL, other
control characters, bidi overrides, text longer than its column). Each example runs inside a
transaction that is rolled back (SAVEPOINTs around the function's own commits), so examples
start from the same demo and the suite stays fast; `derandomize=True` makes CI reproducible.

A completeness check fails when core gains a function that writes without a case here (or a
line in INTERNAL saying why it takes no outside input).
"""

from __future__ import annotations

import importlib
import inspect
import math
import os
import pkgutil
import re
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from datetime import time as clock
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, Column, Float, Integer, MetaData, String, Table, event, func, select, text
from sqlmodel import Session, SQLModel, col

import core
from core import (
    accounts,
    aftercare,
    alerts,
    attendance,
    audit,
    auth,
    checkups,
    clinical,
    db,
    diary,
    enrolment,
    feed,
    goals,
    notify,
    practice,
    program,
    recovery,
    safety,
    schedule,
    screeners,
    sharing,
    throttle,
)
from core.access import Actor, Category
from core.errors import AccessDenied, ValidationError
from core.models import (
    Alert,
    AppUser,
    CaseloadAssignment,
    Checkup,
    CheckupRequest,
    ConsentGrant,
    DiaryTarget,
    FamilyInvitation,
    FamilyLink,
    Homework,
    NotificationSetting,
    OutboxMessage,
    PracticeEntry,
    PracticeTrigger,
    Program,
    ProgramSession,
    RecoveryCounter,
    RiskFollowup,
    TreatmentGoal,
)
from core.seed import DEMO_PASSWORD
from core.skills import skills_by_id
from tests.property.hostile import (
    HUGE,
    expect_free,
    expect_line,
    expect_name,
    hostile_choice,
    hostile_day,
    hostile_flag,
    hostile_id,
    hostile_int,
    hostile_text,
    storable_text,
    typed_name,
    typed_text,
    wrong_type,
)

EXAMPLES = int(os.environ.get("IOP_PROPERTY_EXAMPLES", "40"))
SKILLS = sorted(skills_by_id())
TIMINGS: dict[str, float] = {}
OUTCOMES: dict[str, Counter] = {}
PG = bool(os.environ.get("TEST_DATABASE_URL"))


# --- the world each example starts from (the demo) -------------------------------------------------


@dataclass
class World:
    alex: Actor  # a participant (improving), on dr.rivera's caseload, linked to pat.morgan
    rivera: Actor  # alex's therapist
    chen: Actor  # another therapist of the program
    admin: Actor
    pat: Actor  # alex's parent (family)
    today: date  # alex's own calendar day
    therapist_today: date
    caseload: list[int]  # dr.rivera's participants
    homework: list[int]  # alex's homework ids
    ids: list[int]  # every account id (for hostile ids that exist)
    plan_version: int | None
    roll: list[int]  # sessions of dr.rivera's caseload whose roll may be taken today (the last 14 days)

    @classmethod
    def load(cls, session: Session) -> World:
        def actor(username):
            return Actor.of(session.execute(select(AppUser).where(AppUser.username == username)).scalar_one())

        alex, rivera = actor("alex"), actor("dr.rivera")
        plan = safety.current_plan(session, alex, alex.id)
        world = cls(
            alex=alex,
            rivera=rivera,
            chen=actor("dr.chen"),
            admin=actor("admin"),
            pat=actor("pat.morgan"),
            today=program.user_today(session, alex.id),
            therapist_today=program.user_today(session, rivera.id),
            caseload=sorted(
                session.execute(
                    select(CaseloadAssignment.participant_id).where(CaseloadAssignment.therapist_id == rivera.id)
                ).scalars()
            ),
            homework=sorted(session.execute(select(Homework.id).where(Homework.participant_id == alex.id)).scalars()),
            ids=sorted(session.execute(select(AppUser.id)).scalars()),
            plan_version=plan.version if plan else None,
            roll=[],
        )
        today = world.therapist_today
        world.roll = sorted(
            session.execute(
                select(ProgramSession.id).where(
                    col(ProgramSession.participant_id).in_(world.caseload),
                    ProgramSession.day <= today,
                    ProgramSession.day >= today - timedelta(days=clinical.ATTENDANCE_BACKFILL_DAYS),
                )
            ).scalars()
        )
        session.commit()
        return world


class Ref:
    """A value only the example's own setup can make (an alert id, an invitation code)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"Ref({self.name!r})"


def resolved(args: dict, made: dict) -> dict:
    return {k: made[v.name] if isinstance(v, Ref) else v for k, v in args.items()}


# --- cases ---------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str  # module.function
    valid: Callable[[World], st.SearchStrategy]  # a form-producible call: {argument: value}
    hostile: Callable[[World], dict[str, st.SearchStrategy]]  # argument -> hostile values
    call: Callable[[Session, World, dict], object]
    check: Callable[[Session, World, dict, object], None]  # read back after a save
    tables: tuple[str, ...]  # scanned after every example
    setup: Callable[[Session, World], dict] = lambda session, world: {}
    gate: frozenset[str] = frozenset()  # arguments whose hostile values the gate refuses
    also: tuple[type[BaseException], ...] = ()  # the function's other documented refusals
    needs_refusal: bool = True  # some example must be refused


CASES: dict[str, Case] = {}


def case(name: str, **kwargs) -> None:
    CASES[name] = Case(name=name, **kwargs)


def fixed(**strategies) -> st.SearchStrategy:
    return st.fixed_dictionaries(strategies)


def skill_ids() -> st.SearchStrategy:
    return st.sampled_from(SKILLS)


# diary -----------------------------------------------------------------------------------------

TARGET_KEYS = [key for key, _ in clinical.DEFAULT_TARGETS]


def _card_call(session, w, a):
    card = (
        a["card"]
        if a["card"] is not None
        else diary.CardInput(
            mood=a["mood"],
            emotions=a["emotions"],
            urges=a["urges"],
            craving=a["craving"],
            skills=a["skills"],
            sleep_hours=a["sleep_hours"],
            medication=a["medication"],
            note=a["note"],
            use=a["use"],
            triggers=a["triggers"],
            mat=a["mat"],
        )
    )
    return diary.save_card(session, w.alex, participant_id=a["participant_id"], day=a["day"], card=card)


def _card_check(session, w, a, result):
    view = diary.card_for_day(session, w.alex, w.alex.id, a["day"])
    assert _whole(a["mood"]) and view.mood == a["mood"] and type(view.mood) is int
    assert all(_whole(v, None) for v in a["emotions"].values()) and a["day"] in diary.fillable_days(w.today)
    assert all(_whole(u, None) and type(acted) is bool for u, acted in a["urges"].values())
    assert _whole(a["craving"], None) and (a["sleep_hours"] is None or type(a["sleep_hours"]) in (int, float))
    assert view.emotions == {k: a["emotions"].get(k) for k in clinical.EMOTIONS}
    for key, answer in a["urges"].items():
        assert view.urges[key] == tuple(answer)
    assert view.craving == a["craving"]
    assert view.skills == list(dict.fromkeys(a["skills"]))
    assert view.sleep_hours == (None if a["sleep_hours"] is None else float(a["sleep_hours"]))
    assert view.medication == a["medication"]
    assert view.note == expect_free(a["note"])
    assert result.late == (a["day"] < w.today)
    details = recovery.details_between(session, w.alex, w.alex.id, a["day"], a["day"]).get(a["day"])
    triggers = tuple(t for t in clinical.TRIGGERS if t in a["triggers"])
    assert (details.triggers if details else ()) == triggers
    assert (details.mat if details else {}) == {m: v for m, v in a["mat"].items() if v is not None}


case(
    "diary.save_card",
    valid=lambda w: fixed(
        participant_id=st.just(w.alex.id),
        day=st.sampled_from(diary.fillable_days(w.today)),
        card=st.none(),
        mood=st.integers(clinical.MOOD_MIN, clinical.MOOD_MAX),
        emotions=st.dictionaries(
            st.sampled_from(list(clinical.EMOTIONS)),
            st.none() | st.integers(clinical.EMOTION_MIN, clinical.EMOTION_MAX),
        ),
        urges=st.dictionaries(
            st.sampled_from(TARGET_KEYS),
            st.tuples(st.none() | st.integers(clinical.URGE_MIN, clinical.URGE_MAX), st.booleans()),
        ),
        craving=st.none() | st.integers(clinical.CRAVING_MIN, clinical.CRAVING_MAX),
        skills=st.lists(skill_ids(), max_size=4, unique=True),
        sleep_hours=st.none() | st.integers(0, 48).map(lambda n: n / 2),
        medication=st.none() | st.sampled_from(list(clinical.MEDICATION_CHOICES)),
        note=typed_text(clinical.NOTE_MAX_CHARS, multiline=True),
        use=st.just({}),  # (use needs "acted on" substance use: the hostile side tries it anyway)
        triggers=st.lists(st.sampled_from(list(clinical.TRIGGERS)), max_size=4),
        mat=st.dictionaries(  # the demo program asks about these two
            st.sampled_from(["buprenorphine", "naltrexone"]), st.none() | st.sampled_from(list(clinical.MAT_CHOICES))
        ),
    ),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        day=hostile_day(w.today),
        card=st.one_of(wrong_type(), st.just({"mood": 5})),
        mood=hostile_int(clinical.MOOD_MIN, clinical.MOOD_MAX),
        emotions=st.one_of(
            wrong_type(),
            st.dictionaries(st.sampled_from([*clinical.EMOTIONS, "envy", "\x00"]), hostile_int(0, 5), max_size=2),
        ),
        urges=st.one_of(
            wrong_type(),
            st.dictionaries(
                st.sampled_from([*TARGET_KEYS, "gambling", "\u202e"]),
                st.one_of(st.tuples(hostile_int(0, 5), hostile_flag()), hostile_int(0, 5)),
                max_size=2,
            ),
        ),
        craving=hostile_int(clinical.CRAVING_MIN, clinical.CRAVING_MAX),
        skills=st.one_of(wrong_type(), st.lists(st.one_of(skill_ids(), hostile_text(40)), max_size=3)),
        sleep_hours=st.one_of(st.floats(allow_nan=True, allow_infinity=True), hostile_int(0, 24)),
        medication=hostile_choice(clinical.MEDICATION_CHOICES),
        note=hostile_text(clinical.NOTE_MAX_CHARS),
        use=st.one_of(
            wrong_type(),
            st.dictionaries(
                st.sampled_from([*clinical.USE_KINDS, "heroin\x00", "\u202e"]),
                st.one_of(st.tuples(hostile_int(1, 40), hostile_choice(clinical.USE_UNITS)), hostile_int(1, 40)),
                max_size=2,
            ),
        ),
        triggers=st.one_of(wrong_type(), st.lists(hostile_choice(clinical.TRIGGERS), max_size=3)),
        mat=st.one_of(
            wrong_type(),
            st.dictionaries(hostile_choice(clinical.MAT_MEDICATIONS), hostile_choice(clinical.MAT_CHOICES), max_size=2),
        ),
    ),
    call=_card_call,
    check=_card_check,
    gate=frozenset({"participant_id"}),
    tables=("diary_card", "diary_urge", "substance_use", "card_trigger", "mat_dose", "alert", "audit_event"),
)


def _new_target(session, w):
    return {"target": diary.add_target(session, w.admin, label="Gambling").id}


case(
    "diary.add_target",
    valid=lambda w: fixed(label=typed_name(diary.TARGET_LABEL_MAX)),
    hostile=lambda w: dict(label=hostile_text(diary.TARGET_LABEL_MAX)),
    call=lambda s, w, a: diary.add_target(s, w.admin, label=a["label"]),
    check=lambda s, w, a, r: (
        (r.label == expect_name(a["label"]) and r.label in [t.label for t in diary.targets_for(s, w.admin.program_id)])
        or _fail(r)
    ),
    tables=("diary_target", "audit_event"),
)

case(
    "diary.set_target_rule",
    valid=lambda w: st.one_of(
        fixed(
            target_id=st.just(Ref("target")),
            min_urge=st.integers(1, clinical.URGE_MAX),
            urge_severity=st.sampled_from(["review", "urgent"]),
            acted_severity=st.sampled_from(list(clinical.RULE_SEVERITIES)),
        ),
        fixed(
            target_id=st.just(Ref("target")),
            min_urge=st.none(),
            urge_severity=st.just("none"),
            acted_severity=st.sampled_from(list(clinical.RULE_SEVERITIES)),
        ),
    ),
    hostile=lambda w: dict(
        target_id=hostile_id(w.ids),
        min_urge=hostile_int(1, clinical.URGE_MAX),
        urge_severity=hostile_choice(clinical.RULE_SEVERITIES),
        acted_severity=hostile_choice(clinical.RULE_SEVERITIES),
    ),
    setup=_new_target,
    call=lambda s, w, a: diary.set_target_rule(
        s,
        w.admin,
        target_id=a["target_id"],
        min_urge=a["min_urge"],
        urge_severity=a["urge_severity"],
        acted_severity=a["acted_severity"],
    ),
    check=lambda s, w, a, r: (
        _whole(a["min_urge"], None)
        and _expect(
            s.get(DiaryTarget, r.id),
            alert_min_urge=a["min_urge"],
            alert_urge_severity=a["urge_severity"],
            alert_acted_severity=a["acted_severity"],
        )
    ),
    tables=("diary_target", "audit_event"),
)

case(
    "diary.set_target_active",
    valid=lambda w: fixed(target_id=st.just(Ref("target")), active=st.booleans()),
    hostile=lambda w: dict(target_id=hostile_id(w.ids), active=hostile_flag()),
    setup=_new_target,
    call=lambda s, w, a: diary.set_target_active(s, w.admin, target_id=a["target_id"], active=a["active"]),
    check=lambda s, w, a, r: _truth(s.get(DiaryTarget, a["target_id"]).active is a["active"]),
    tables=("diary_target", "audit_event"),
)


# practice -------------------------------------------------------------------------------------


def _practice_call(session, w, a):
    entry = (
        a["entry"]
        if a["entry"] is not None
        else practice.PracticeInput(
            skill_id=a["skill_id"],
            distress_before=a["distress_before"],
            distress_after=a["distress_after"],
            helped=a["helped"],
            situation=a["situation"],
            note=a["note"],
            tool=a["tool"],
        )
    )
    return practice.save_practice(
        session, w.alex, participant_id=a["participant_id"], entry_key=a["entry_key"], entry=entry
    )


def _practice_check(session, w, a, view):
    [row] = [
        e
        for e in practice.practice_between(session, w.alex, w.alex.id, w.today, w.today)
        if e.entry_key == a["entry_key"]
    ]
    assert _whole(a["distress_before"]) and _whole(a["distress_after"], None)
    assert (row.skill_id, row.distress_before, row.distress_after, row.helped, row.tool) == (
        a["skill_id"],
        a["distress_before"],
        a["distress_after"],
        a["helped"],
        a["tool"],
    )
    assert row.situation == expect_line(a["situation"]) and row.note == expect_free(a["note"])
    assert row.day == w.today


case(
    "practice.save_practice",
    valid=lambda w: fixed(
        participant_id=st.just(w.alex.id),
        entry_key=st.builds(lambda: uuid.uuid4().hex),
        entry=st.none(),
        skill_id=skill_ids(),
        distress_before=st.integers(0, 10),
        distress_after=st.none() | st.integers(0, 10),
        helped=st.none() | st.sampled_from(list(clinical.HELPED_CHOICES)),
        situation=typed_text(clinical.PRACTICE_SITUATION_MAX),
        note=typed_text(clinical.PRACTICE_NOTE_MAX, multiline=True),
        tool=st.sampled_from(practice.PRACTICE_TOOLS),
    ),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        entry_key=st.one_of(hostile_text(40), st.just("k" * 1_000_000)),
        entry=wrong_type(),
        skill_id=hostile_text(40),
        distress_before=hostile_int(0, 10),
        distress_after=hostile_int(0, 10),
        helped=hostile_choice(clinical.HELPED_CHOICES),
        situation=hostile_text(clinical.PRACTICE_SITUATION_MAX),
        note=hostile_text(clinical.PRACTICE_NOTE_MAX),
        tool=st.one_of(hostile_text(16), st.just("thought_record")),
    ),
    call=_practice_call,
    check=_practice_check,
    gate=frozenset({"participant_id"}),
    tables=("practice_entry", "alert", "audit_event"),
)


def _thought_call(session, w, a):
    record = (
        a["record"]
        if a["record"] is not None
        else practice.ThoughtInput(
            situation=a["situation"],
            emotions=a["emotions"],
            automatic_thought=a["automatic_thought"],
            evidence_for=a["evidence_for"],
            evidence_against=a["evidence_against"],
            balanced_thought=a["balanced_thought"],
            balanced_belief=a["balanced_belief"],
        )
    )
    return practice.save_thought_record(
        session, w.alex, participant_id=a["participant_id"], entry_key=a["entry_key"], record=record
    )


def _thought_check(session, w, a, view):
    [row] = [
        r
        for r in practice.thought_records(session, w.alex, w.alex.id, w.today, w.today)
        if r.entry_key == a["entry_key"]
    ]
    for name in ("situation", "automatic_thought", "evidence_for", "evidence_against", "balanced_thought"):
        assert getattr(row, name) == expect_free(a[name]), name
    named = [(expect_line(n), b, af) for n, b, af in a["emotions"] if expect_line(n)]
    assert row.emotions == [{"name": n, "before": b, "after": af} for n, b, af in named]
    assert row.balanced_belief == a["balanced_belief"] and _whole(a["balanced_belief"], None)
    assert all(_whole(b) and _whole(af, None) for _, b, af in named)


_INTENSITY = st.integers(clinical.THOUGHT_INTENSITY_MIN, clinical.THOUGHT_INTENSITY_MAX)
case(
    "practice.save_thought_record",
    valid=lambda w: fixed(
        participant_id=st.just(w.alex.id),
        entry_key=st.builds(lambda: uuid.uuid4().hex),
        record=st.none(),
        situation=typed_text(clinical.THOUGHT_LIMITS["situation"], multiline=True, min_size=1),
        emotions=st.lists(
            st.tuples(typed_text(clinical.THOUGHT_LIMITS["emotion"], min_size=1), _INTENSITY, st.none() | _INTENSITY),
            min_size=1,
            max_size=3,
        ),
        automatic_thought=typed_text(clinical.THOUGHT_LIMITS["automatic_thought"], multiline=True, min_size=1),
        evidence_for=typed_text(clinical.THOUGHT_LIMITS["evidence_for"], multiline=True),
        evidence_against=typed_text(clinical.THOUGHT_LIMITS["evidence_against"], multiline=True),
        balanced_thought=typed_text(clinical.THOUGHT_LIMITS["balanced_thought"], multiline=True),
        balanced_belief=st.none() | _INTENSITY,
    ),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        entry_key=hostile_text(40),
        record=wrong_type(),
        situation=hostile_text(clinical.THOUGHT_LIMITS["situation"]),
        emotions=st.one_of(
            wrong_type(),
            st.lists(
                st.one_of(st.tuples(hostile_text(40), hostile_int(0, 100), hostile_int(0, 100)), wrong_type()),
                max_size=4,
            ),
            st.just([("x", 1, 1)] * 1000),
        ),
        automatic_thought=hostile_text(clinical.THOUGHT_LIMITS["automatic_thought"]),
        evidence_for=hostile_text(clinical.THOUGHT_LIMITS["evidence_for"]),
        evidence_against=hostile_text(clinical.THOUGHT_LIMITS["evidence_against"]),
        balanced_thought=hostile_text(clinical.THOUGHT_LIMITS["balanced_thought"]),
        balanced_belief=hostile_int(0, 100),
    ),
    call=_thought_call,
    check=_thought_check,
    gate=frozenset({"participant_id"}),
    tables=("thought_record", "alert", "audit_event"),
)

case(
    "practice.set_favourite",
    valid=lambda w: fixed(participant_id=st.just(w.alex.id), skill_id=skill_ids(), on=st.booleans()),
    hostile=lambda w: dict(participant_id=hostile_id(w.ids), skill_id=hostile_text(40), on=hostile_flag()),
    call=lambda s, w, a: practice.set_favourite(s, w.alex, a["participant_id"], a["skill_id"], a["on"]),
    check=lambda s, w, a, r: _truth((a["skill_id"] in practice.favourites(s, w.alex, w.alex.id)) == a["on"]),
    gate=frozenset({"participant_id"}),
    tables=("favourite_skill", "audit_event"),
)


def _homework_check(session, w, a, view):
    assert view.skill_id == a["skill_id"] and view.due_on == a["due_on"] and view.note == expect_free(a["note"])
    due = a["due_on"]
    assert due is None or (
        type(due) is date and w.today <= due <= w.today + timedelta(days=clinical.HOMEWORK_DUE_MAX_DAYS)
    )
    row = session.get(Homework, view.id)
    assert row.note == view.note and row.due_on == a["due_on"]


case(
    "practice.assign_homework",
    valid=lambda w: fixed(
        participant_id=st.just(w.alex.id),
        skill_id=skill_ids(),
        due_on=st.none() | st.integers(0, clinical.HOMEWORK_DUE_MAX_DAYS).map(lambda n: w.today + timedelta(days=n)),
        note=typed_text(clinical.HOMEWORK_NOTE_MAX, multiline=True),
    ),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        skill_id=hostile_text(40),
        due_on=hostile_day(w.today),
        note=hostile_text(clinical.HOMEWORK_NOTE_MAX),
    ),
    call=lambda s, w, a: practice.assign_homework(
        s, w.rivera, participant_id=a["participant_id"], skill_id=a["skill_id"], due_on=a["due_on"], note=a["note"]
    ),
    check=_homework_check,
    gate=frozenset({"participant_id"}),
    tables=("homework", "audit_event"),
)

case(
    "practice.remove_homework",
    valid=lambda w: fixed(participant_id=st.just(w.alex.id), homework_id=st.sampled_from(w.homework)),
    hostile=lambda w: dict(participant_id=hostile_id(w.ids), homework_id=hostile_id(w.ids)),
    call=lambda s, w, a: practice.remove_homework(
        s, w.rivera, participant_id=a["participant_id"], homework_id=a["homework_id"]
    ),
    check=lambda s, w, a, r: _truth(s.get(Homework, a["homework_id"]).removed_at is not None),
    gate=frozenset({"participant_id"}),
    tables=("homework", "audit_event"),
)


# alerts ---------------------------------------------------------------------------------------


def _alert_for_alex(session, w):
    saved = diary.save_card(
        session,
        w.alex,
        participant_id=w.alex.id,
        day=w.today,
        card=diary.CardInput(mood=2, urges={"suicidal_thoughts": (5, False)}),
    )
    return {"alert": saved.risk.alert_id}


def _acknowledged_alert(session, w):
    made = _alert_for_alex(session, w)
    alerts.acknowledge(session, w.rivera, alert_id=made["alert"], note="Called; safe tonight.")
    return made


_FOLLOWUP_KEYS = [k for k, _ in clinical.FOLLOWUP_QUESTIONS]


@st.composite
def _followup_answers(draw):
    answers = {k: draw(st.booleans()) for k in ("wish_dead", "thoughts", "behaviour")}
    for k in clinical.FOLLOWUP_AFTER_THOUGHTS:
        answers[k] = draw(st.booleans()) if answers["thoughts"] else draw(st.none() | st.booleans())
    return answers


def _followup_check(session, w, a, saved):
    row = session.execute(select(RiskFollowup).where(RiskFollowup.alert_id == a["alert_id"])).scalar_one()
    expected = {k: a["answers"].get(k) for k in _FOLLOWUP_KEYS}
    if not expected["thoughts"]:
        expected.update(dict.fromkeys(clinical.FOLLOWUP_AFTER_THOUGHTS))
    assert row.answers == expected and row.level == saved.level.value


case(
    "alerts.save_followup",
    valid=lambda w: fixed(
        participant_id=st.just(w.alex.id), alert_id=st.just(Ref("alert")), answers=_followup_answers()
    ),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        alert_id=hostile_id(w.ids),
        answers=st.one_of(
            wrong_type(),
            st.dictionaries(st.sampled_from([*_FOLLOWUP_KEYS, "other", "\x00"]), hostile_flag(), max_size=6),
        ),
    ),
    setup=_alert_for_alex,
    call=lambda s, w, a: alerts.save_followup(
        s, w.alex, participant_id=a["participant_id"], alert_id=a["alert_id"], answers=a["answers"]
    ),
    check=_followup_check,
    gate=frozenset({"participant_id"}),
    tables=("risk_followup", "alert", "audit_event"),
)


def _ack_check(session, w, a, result):
    ids = a.get("alert_ids") or [a["alert_id"]]
    for alert_id in ids:
        assert session.get(Alert, alert_id).acknowledgement == expect_free(a["note"])


case(
    "alerts.acknowledge_many",
    valid=lambda w: fixed(alert_ids=st.just(Ref("alerts")), note=typed_text(alerts.ACK_NOTE_MAX, multiline=True)),
    hostile=lambda w: dict(
        alert_ids=st.one_of(wrong_type(), st.lists(hostile_id(w.ids), max_size=3), st.just(list(range(1, 5000)))),
        note=hostile_text(alerts.ACK_NOTE_MAX),
    ),
    setup=lambda s, w: {"alerts": [_alert_for_alex(s, w)["alert"]]},
    call=lambda s, w, a: alerts.acknowledge_many(s, w.rivera, alert_ids=a["alert_ids"], note=a["note"]),
    check=_ack_check,
    gate=frozenset({"alert_ids"}),
    tables=("alert", "audit_event"),
)

case(
    "alerts.acknowledge",
    valid=lambda w: fixed(alert_id=st.just(Ref("alert")), note=typed_text(alerts.ACK_NOTE_MAX, multiline=True)),
    hostile=lambda w: dict(alert_id=hostile_id(w.ids), note=hostile_text(alerts.ACK_NOTE_MAX)),
    setup=_alert_for_alex,
    call=lambda s, w, a: alerts.acknowledge(s, w.rivera, alert_id=a["alert_id"], note=a["note"]),
    check=_ack_check,
    gate=frozenset({"alert_id"}),
    tables=("alert", "audit_event"),
)

case(
    "alerts.resolve",
    valid=lambda w: fixed(alert_id=st.just(Ref("alert"))),
    hostile=lambda w: dict(alert_id=hostile_id(w.ids)),
    setup=_acknowledged_alert,
    call=lambda s, w, a: alerts.resolve(s, w.rivera, alert_id=a["alert_id"]),
    check=lambda s, w, a, r: _truth(s.get(Alert, a["alert_id"]).resolved_at is not None),
    gate=frozenset({"alert_id"}),
    tables=("alert", "audit_event"),
)

case(
    "alerts.screen_search",
    valid=lambda w: fixed(query=st.one_of(typed_text(60), st.just("I want to kill myself")), day=st.just(w.today)),
    hostile=lambda w: dict(query=hostile_text(alerts.SEARCH_MAX), day=hostile_day(w.today)),
    call=lambda s, w, a: alerts.screen_search(s, w.alex, query=a["query"], day=a["day"]),
    check=lambda s, w, a, found: _truth(isinstance(found, bool)),
    tables=("alert", "audit_event"),
)


# check-ups -------------------------------------------------------------------------------------


def _extra_requests(session, w):
    for kind in checkups.KINDS:
        checkups.request_extra(session, w.rivera, participant_id=w.alex.id, kind=kind)
    return {}


@st.composite
def _checkup_answers(draw):
    kind = draw(st.sampled_from(checkups.KINDS))
    q = checkups.questionnaires()[kind]
    answers = [draw(st.integers(0, len(item.choices) - 1)) for item in q.items]
    function = draw(st.none() | st.integers(0, len(q.function_choices) - 1)) if q.function_choices else None
    return {"participant_id": w_alex_id(), "kind": kind, "answers": answers, "function_answer": function}


def w_alex_id():
    return Ref("alex")


def _checkup_check(session, w, a, result):
    row = (
        session.execute(
            select(Checkup)
            .where(Checkup.participant_id == w.alex.id, Checkup.kind == a["kind"])
            .order_by(Checkup.id.desc())
        )
        .scalars()
        .first()
    )
    assert row.answers == list(a["answers"]) and all(type(x) is int for x in a["answers"])
    assert _whole(a["function_answer"], None)
    assert row.total == sum(a["answers"]) == result.total and row.function_answer == a["function_answer"]


case(
    "checkups.submit",
    valid=lambda w: _checkup_answers(),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        kind=hostile_choice(checkups.KINDS),
        answers=st.one_of(
            wrong_type(), st.lists(hostile_int(0, 3), min_size=5, max_size=9), st.lists(st.integers(0, 3), max_size=12)
        ),
        function_answer=hostile_int(0, 3),
    ),
    setup=lambda s, w: {**_extra_requests(s, w), "alex": w.alex.id},
    call=lambda s, w, a: checkups.submit(
        s,
        w.alex,
        participant_id=a["participant_id"],
        kind=a["kind"],
        answers=a["answers"],
        function_answer=a["function_answer"],
    ),
    check=_checkup_check,
    gate=frozenset({"participant_id"}),
    tables=("checkup", "checkup_request", "alert", "audit_event"),
)

case(
    "checkups.request_extra",
    valid=lambda w: fixed(participant_id=st.just(w.alex.id), kind=st.sampled_from(checkups.KINDS)),
    hostile=lambda w: dict(participant_id=hostile_id(w.ids), kind=hostile_choice(checkups.KINDS)),
    call=lambda s, w, a: checkups.request_extra(s, w.rivera, participant_id=a["participant_id"], kind=a["kind"]),
    check=lambda s, w, a, r: _truth(
        s.execute(
            select(CheckupRequest.kind).where(
                CheckupRequest.participant_id == a["participant_id"],  # another of rivera's people is allowed too
                col(CheckupRequest.fulfilled_by_id).is_(None),
            )
        )
        .scalars()
        .all()
        .count(a["kind"])
        == 1
    ),
    gate=frozenset({"participant_id"}),
    tables=("checkup_request", "audit_event"),
)


# dual diagnosis: recovery counters, practice triggers, the program's substances and MAT (core/recovery.py) --


def _counter_check(session, w, a, result):
    row = session.execute(
        select(RecoveryCounter).where(
            RecoveryCounter.participant_id == w.alex.id, RecoveryCounter.substance == a["substance"]
        )
    ).scalar_one()
    assert row.start_on == a["start_on"] <= w.today and row.shown is a["shown"]
    assert result.count.days >= 0


case(
    "recovery.set_counter",
    valid=lambda w: fixed(
        participant_id=st.just(w.alex.id),
        substance=st.sampled_from(list(clinical.COUNTER_KINDS)),
        start_on=st.dates(w.today - timedelta(days=400), w.today),
        shown=st.booleans(),
    ),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        substance=hostile_choice(clinical.COUNTER_KINDS),
        start_on=hostile_day(w.today),
        shown=hostile_flag(),
    ),
    call=lambda s, w, a: recovery.set_counter(
        s,
        w.alex,
        participant_id=a["participant_id"],
        substance=a["substance"],
        start_on=a["start_on"],
        shown=a["shown"],
    ),
    check=_counter_check,
    gate=frozenset({"participant_id"}),
    tables=("recovery_counter", "audit_event"),
)

case(
    "recovery.remove_counter",
    valid=lambda w: fixed(participant_id=st.just(w.alex.id), substance=st.sampled_from(list(clinical.COUNTER_KINDS))),
    hostile=lambda w: dict(participant_id=hostile_id(w.ids), substance=hostile_choice(clinical.COUNTER_KINDS)),
    call=lambda s, w, a: recovery.remove_counter(
        s, w.alex, participant_id=a["participant_id"], substance=a["substance"]
    ),
    check=lambda s, w, a, r: _truth(
        s.execute(
            select(RecoveryCounter.id).where(
                RecoveryCounter.participant_id == w.alex.id, RecoveryCounter.substance == a["substance"]
            )
        ).first()
        is None
    ),
    gate=frozenset({"participant_id"}),
    tables=("recovery_counter", "audit_event"),
)


def _practice_triggers_setup(session, w):
    key = uuid.uuid4().hex
    practice.save_practice(
        session,
        w.alex,
        participant_id=w.alex.id,
        entry_key=key,
        entry=practice.PracticeInput(skill_id="urge_surfing", distress_before=6),
    )
    return {"entry": key}


case(
    "recovery.set_practice_triggers",
    valid=lambda w: fixed(
        participant_id=st.just(w.alex.id),
        entry_key=st.just(Ref("entry")),
        triggers=st.lists(st.sampled_from(list(clinical.TRIGGERS)), max_size=8),
    ),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        entry_key=st.one_of(hostile_text(40), st.just("k" * 100_000)),
        triggers=st.one_of(wrong_type(), st.lists(hostile_choice(clinical.TRIGGERS), max_size=4)),
    ),
    setup=_practice_triggers_setup,
    call=lambda s, w, a: recovery.set_practice_triggers(
        s, w.alex, participant_id=a["participant_id"], entry_key=a["entry_key"], triggers=a["triggers"]
    ),
    check=lambda s, w, a, r: _truth(
        sorted(
            s.execute(
                select(PracticeTrigger.trigger)
                .join(PracticeEntry, PracticeEntry.id == PracticeTrigger.entry_id)
                .where(PracticeEntry.entry_key == a["entry_key"])
            )
            .scalars()
            .all()
        )
        == sorted(set(a["triggers"]))
    ),
    gate=frozenset({"participant_id"}),
    tables=("practice_trigger", "practice_entry", "audit_event"),
)

case(
    "recovery.set_program_options",
    valid=lambda w: fixed(
        substances=st.lists(st.sampled_from(list(clinical.SUBSTANCES)), min_size=1, max_size=6),
        mat_medications=st.lists(st.sampled_from(list(clinical.MAT_MEDICATIONS)), max_size=5),
    ),
    hostile=lambda w: dict(
        substances=st.one_of(wrong_type(), st.lists(hostile_choice(clinical.SUBSTANCES), max_size=3)),
        mat_medications=st.one_of(wrong_type(), st.lists(hostile_choice(clinical.MAT_MEDICATIONS), max_size=3)),
    ),
    call=lambda s, w, a: recovery.set_program_options(
        s, w.admin, substances=a["substances"], mat_medications=a["mat_medications"]
    ),
    check=lambda s, w, a, r: _truth(
        s.execute(select(Program.substances).where(Program.id == w.admin.program_id)).scalar_one()
        == [k for k in clinical.SUBSTANCES if k in a["substances"]]
    ),
    tables=("program", "audit_event"),
)


# substance-use screeners (AUDIT-C, DAST-10) ---------------------------------------------------------


@st.composite
def _screener_answers(draw):
    kind = draw(st.sampled_from(screeners.KINDS))
    q = screeners.screeners()[kind]
    return {
        "participant_id": w_alex_id(),
        "kind": kind,
        "answers": [draw(st.integers(0, len(item.choices) - 1)) for item in q.items],
    }


def _screener_check(session, w, a, result):
    row = (
        session.execute(
            select(Checkup)
            .where(Checkup.participant_id == w.alex.id, Checkup.kind == a["kind"])
            .order_by(Checkup.id.desc())
        )
        .scalars()
        .first()
    )
    assert row.answers == list(a["answers"]) and all(type(x) is int for x in a["answers"])
    assert row.total == clinical.screener_total(a["kind"], a["answers"]) == result.total
    assert row.band == clinical.band(a["kind"], row.total) == result.band


case(
    "screeners.submit",
    valid=lambda w: _screener_answers(),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        kind=hostile_choice(screeners.KINDS),
        answers=st.one_of(
            wrong_type(), st.lists(hostile_int(0, 4), min_size=3, max_size=10), st.lists(st.integers(0, 4), max_size=12)
        ),
    ),
    setup=lambda s, w: {"alex": w.alex.id},
    call=lambda s, w, a: screeners.submit(
        s, w.alex, participant_id=a["participant_id"], kind=a["kind"], answers=a["answers"]
    ),
    check=_screener_check,
    gate=frozenset({"participant_id"}),
    tables=("checkup", "checkup_request", "audit_event"),
)

case(
    "screeners.request",
    valid=lambda w: fixed(participant_id=st.just(w.alex.id), kind=st.sampled_from(screeners.KINDS)),
    hostile=lambda w: dict(participant_id=hostile_id(w.ids), kind=hostile_choice(screeners.KINDS)),
    call=lambda s, w, a: screeners.request(s, w.rivera, participant_id=a["participant_id"], kind=a["kind"]),
    check=lambda s, w, a, r: _truth(
        s.execute(
            select(CheckupRequest.kind).where(
                CheckupRequest.participant_id == a["participant_id"], col(CheckupRequest.fulfilled_by_id).is_(None)
            )
        )
        .scalars()
        .all()
        .count(a["kind"])
        == 1
    ),
    gate=frozenset({"participant_id"}),
    tables=("checkup_request", "audit_event"),
)


# safety plan -------------------------------------------------------------------------------------

_PLAIN_STEPS = [k for k, _, _ in safety.STEPS if k not in safety.CONTACT_STEPS]


@st.composite
def _plan_content(draw):
    content = {k: draw(st.lists(typed_text(safety.ITEM_MAX_CHARS), max_size=4)) for k in _PLAIN_STEPS}
    for k in safety.CONTACT_STEPS:
        content[k] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "name": typed_name(safety.CONTACT_NAME_MAX),
                        "phone": st.from_regex(r"\+?[0-9 ()-]{3,20}", fullmatch=True),
                    }
                ),
                max_size=3,
            )
        )
    content[safety.SHARED_STEPS] = draw(st.lists(st.sampled_from([k for k, _, _ in safety.STEPS]), unique=True))
    return content


def _plan_check(session, w, a, saved):
    plan = safety.current_plan(session, w.alex, w.alex.id)
    for key in _PLAIN_STEPS:
        assert plan.items(key) == [line for line in map(expect_line, a["content"].get(key, [])) if line]
    for key in safety.CONTACT_STEPS:
        expected = [
            {"name": expect_line(c.get("name") or ""), "phone": expect_line(c.get("phone") or "")}
            for c in a["content"].get(key, [])
        ]
        assert plan.items(key) == [c for c in expected if c["name"] or c["phone"]]
    assert plan.content[safety.SHARED_STEPS] == list(dict.fromkeys(a["content"].get(safety.SHARED_STEPS) or []))


case(
    "safety.save_plan",
    valid=lambda w: fixed(
        participant_id=st.just(w.alex.id), content=_plan_content(), base_version=st.just(w.plan_version)
    ),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        base_version=hostile_id([w.plan_version or 1]),
        content=st.one_of(
            wrong_type(),
            st.dictionaries(
                st.sampled_from([k for k, _, _ in safety.STEPS] + [safety.SHARED_STEPS, "extra"]),
                st.one_of(
                    wrong_type(),
                    st.lists(
                        st.one_of(
                            hostile_text(safety.ITEM_MAX_CHARS),
                            st.dictionaries(st.sampled_from(["name", "phone", "x"]), hostile_text(60), max_size=3),
                        ),
                        max_size=3,
                    ),
                    st.just(["line"] * 100),
                ),
                max_size=4,
            ),
        ),
    ),
    call=lambda s, w, a: safety.save_plan(
        s, w.alex, participant_id=a["participant_id"], content=a["content"], base_version=a["base_version"]
    ),
    check=_plan_check,
    gate=frozenset({"participant_id"}),
    also=(safety.PlanConflict,),
    tables=("safety_plan_version", "audit_event"),
)


# attendance --------------------------------------------------------------------------------------

case(
    "attendance.record_session",
    valid=lambda w: fixed(
        statuses=st.dictionaries(
            st.sampled_from(w.roll), st.sampled_from(list(clinical.ATTENDANCE_STATUSES)), min_size=1, max_size=6
        ),
        today=st.just(w.therapist_today),
    ),
    hostile=lambda w: dict(
        statuses=st.one_of(
            wrong_type(),
            st.dictionaries(
                hostile_id(w.ids).filter(lambda k: k.__hash__ is not None),
                hostile_choice(clinical.ATTENDANCE_STATUSES),
                max_size=3,
            ),
        ),
        today=st.one_of(st.datetimes(), st.text(max_size=10), wrong_type(dates=False)),
    ),
    call=lambda s, w, a: attendance.record_session(s, w.rivera, statuses=a["statuses"], today=a["today"]),
    check=lambda s, w, a, saved: _truth(
        a["today"] == w.therapist_today
        and attendance.recorded(s, w.rivera, list(a["statuses"])) == a["statuses"]
        and saved == len(a["statuses"])
    ),
    gate=frozenset({"statuses"}),
    tables=("attendance", "audit_event"),
)


# treatment-plan goals ------------------------------------------------------------------------------


CURRENT = "(the version on the plan now)"  # a valid save names the goals it was drawn from


def _goals_version(session, participant_id) -> str | None:
    """The version of the goals on the plan (read directly: the call's own gate decides access)."""
    if not isinstance(participant_id, int) or isinstance(participant_id, bool) or not 0 < participant_id < 2**31:
        return None
    rows = session.scalars(
        select(TreatmentGoal).where(
            col(TreatmentGoal.participant_id) == participant_id, col(TreatmentGoal.retired_at).is_(None)
        )
    ).all()
    return goals.version_of([goals.GoalView(r.id, r.position, r.text, r.measure, False) for r in rows])


def _goals_check(session, w, a, saved):
    expected = [
        (expect_line(g.get("text") or ""), expect_line(g.get("measure") or ""))
        for g in a["goals"]
        if expect_line(g.get("text") or "") or expect_line(g.get("measure") or "")
    ]
    assert [(g.text, g.measure) for g in goals.goals_for(session, w.alex, w.alex.id)] == expected
    assert [g.position for g in saved] == list(range(1, len(expected) + 1))
    assert clinical.GOALS_MIN <= len(saved) <= clinical.GOALS_MAX


case(
    "goals.save_goals",
    valid=lambda w: fixed(
        participant_id=st.just(w.alex.id),
        goals=st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.none(),
                    "text": typed_text(clinical.GOAL_TEXT_MAX, min_size=1),
                    "measure": typed_text(clinical.GOAL_MEASURE_MAX, min_size=1),
                }
            ),
            min_size=1,
            max_size=clinical.GOALS_MAX,
        ),
        base_version=st.just(CURRENT),
    ),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        base_version=st.one_of(wrong_type(), st.none(), st.text(max_size=80)),
        goals=st.one_of(
            wrong_type(),
            st.lists(
                st.one_of(
                    wrong_type(),
                    st.fixed_dictionaries(
                        {
                            "id": st.one_of(st.none(), hostile_id(w.ids)),
                            "text": st.one_of(hostile_text(clinical.GOAL_TEXT_MAX), wrong_type()),
                            "measure": hostile_text(clinical.GOAL_MEASURE_MAX),
                        }
                    ),
                ),
                max_size=7,
            ),
            st.just([{"id": None, "text": "a", "measure": "b"}] * 30),
        ),
    ),
    call=lambda s, w, a: goals.save_goals(
        s,
        w.rivera,
        participant_id=a["participant_id"],
        goals=a["goals"],
        base_version=_goals_version(s, a["participant_id"]) if a["base_version"] == CURRENT else a["base_version"],
    ),
    check=_goals_check,
    gate=frozenset({"participant_id"}),
    tables=("treatment_goal", "audit_event"),
)


def _rate_call(session, w, a):
    """Ratings are drawn by the goal's position on alex's plan (1, 2 …) and sent by its real id."""
    ids = {g.position: g.id for g in goals.goals_for(session, w.alex, w.alex.id)}
    ratings = a["ratings"]
    if isinstance(ratings, dict) and "ratings" not in a["_hostile"]:
        ratings = {ids[k]: v for k, v in ratings.items()}
    return goals.rate_goals(
        session, w.alex, participant_id=a["participant_id"], week_start=a["week_start"], ratings=ratings
    )


def _rate_check(session, w, a, saved):
    this_week = goals.week_of(w.today)
    assert a["week_start"] in (this_week, this_week - timedelta(weeks=1))
    got = {(r.goal_id, r.week_start): r.rating for r in goals.ratings_for(session, w.alex, w.alex.id)}
    for r in saved:
        assert type(r.rating) is int and 0 <= r.rating <= 10
        assert got[(r.goal_id, r.week_start)] == r.rating


case(
    "goals.rate_goals",
    valid=lambda w: fixed(
        participant_id=st.just(w.alex.id),
        week_start=st.sampled_from([goals.week_of(w.today), goals.week_of(w.today) - timedelta(weeks=1)]),
        ratings=st.dictionaries(st.sampled_from([1, 2]), st.integers(0, 10), min_size=1),
    ),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        week_start=hostile_day(w.today),
        ratings=st.one_of(
            wrong_type(),
            st.dictionaries(hostile_id(w.ids).filter(lambda k: k.__hash__ is not None), hostile_int(0, 10), max_size=3),
        ),
    ),
    call=_rate_call,
    check=_rate_check,
    gate=frozenset({"participant_id"}),
    tables=("goal_rating", "audit_event"),
)


# aftercare plan ------------------------------------------------------------------------------------

_AFTERCARE_LISTS = [k for k, _, _ in aftercare.LISTS]


@st.composite
def _aftercare_content(draw, today):
    content = {k: draw(st.lists(typed_text(clinical.AFTERCARE_ITEM_MAX), max_size=3)) for k in _AFTERCARE_LISTS}
    content["people"] = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "name": typed_name(safety.CONTACT_NAME_MAX),
                    "phone": st.from_regex(r"\+?[0-9 ()-]{3,20}", fullmatch=True),
                }
            ),
            max_size=2,
        )
    )
    content["appointments"] = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "provider": typed_name(aftercare.PROVIDER_MAX),
                    "date": st.integers(0, clinical.AFTERCARE_APPOINTMENT_MAX_DAYS).map(
                        lambda n: today + timedelta(days=n)
                    ),
                    "contact": typed_text(aftercare.CONTACT_MAX),
                }
            ),
            max_size=2,
        )
    )
    content["medication"] = draw(typed_text(clinical.AFTERCARE_MEDICATION_MAX, multiline=True))
    return content


def _aftercare_check(session, w, a, saved):
    plan = aftercare.current_plan(session, w.alex, w.alex.id)
    assert plan.version == saved.version
    for key in _AFTERCARE_LISTS:
        assert plan.items(key) == [line for line in map(expect_line, a["content"].get(key, [])) if line]
    assert plan.content["medication"] == expect_free(a["content"].get("medication") or "")
    for visit in plan.items("appointments"):
        day = date.fromisoformat(visit["date"])
        assert w.today <= day <= w.today + timedelta(days=clinical.AFTERCARE_APPOINTMENT_MAX_DAYS)


case(
    "aftercare.save_plan",
    valid=lambda w: fixed(
        participant_id=st.just(w.alex.id), content=_aftercare_content(w.today), base_version=st.none()
    ),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        base_version=hostile_id([1]),
        content=st.one_of(
            wrong_type(),
            st.dictionaries(
                st.sampled_from([*_AFTERCARE_LISTS, "people", "appointments", "medication", "extra"]),
                st.one_of(
                    wrong_type(),
                    hostile_text(clinical.AFTERCARE_MEDICATION_MAX),
                    st.lists(
                        st.one_of(
                            hostile_text(clinical.AFTERCARE_ITEM_MAX),
                            st.dictionaries(
                                st.sampled_from(["name", "phone", "provider", "contact", "date", "x"]),
                                st.one_of(hostile_text(60), hostile_day(w.today)),
                                max_size=3,
                            ),
                        ),
                        max_size=3,
                    ),
                    st.just(["line"] * 100),
                ),
                max_size=4,
            ),
        ),
    ),
    call=lambda s, w, a: aftercare.save_plan(
        s, w.rivera, participant_id=a["participant_id"], content=a["content"], base_version=a["base_version"]
    ),
    check=_aftercare_check,
    gate=frozenset({"participant_id"}),
    also=(safety.PlanConflict,),
    tables=("aftercare_plan_version", "audit_event"),
)


# schedule ----------------------------------------------------------------------------------------

ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "UTC"]


@st.composite
def _slots(draw):
    days = draw(st.lists(st.integers(0, 6), unique=True, max_size=4))
    return [
        {
            "weekday": day,
            "start": clock(draw(st.integers(6, 18)), draw(st.sampled_from([0, 15, 30, 45]))),
            "end": None,
            "topic": draw(typed_name(schedule.TOPIC_MAX)),
            "_hours": draw(st.integers(1, 3)),
        }
        for day in days
    ]


def _slot_rows(raw):
    return [
        {**{k: v for k, v in r.items() if k != "_hours"}, "end": r["start"].replace(hour=r["start"].hour + r["_hours"])}
        for r in raw
    ]


def _pattern_check(session, w, a, result):
    pattern = schedule.weekly_pattern(session, w.admin)
    assert (pattern.timezone, pattern.length_weeks) == (a["timezone"], a["length_weeks"])

    def minute(t):
        return t.replace(second=0, microsecond=0)

    wanted = sorted(
        (r["weekday"], minute(r["start"]), minute(r["end"]), expect_name(r["topic"]) or "") for r in a["slots"]
    )
    assert [(s.weekday, s.start, s.end, s.topic) for s in pattern.slots] == wanted
    assert result.sessions >= 0


case(
    "schedule.set_pattern",
    valid=lambda w: fixed(
        timezone=st.sampled_from(ZONES),
        length_weeks=st.integers(*clinical.PROGRAM_WEEKS_RANGE),
        slots=_slots().map(_slot_rows),
    ),
    hostile=lambda w: dict(
        timezone=st.one_of(hostile_text(schedule.ZONE_MAX), wrong_type(), st.just("Mars/Olympus")),
        length_weeks=hostile_int(*clinical.PROGRAM_WEEKS_RANGE),
        slots=st.one_of(
            wrong_type(),
            st.lists(
                st.fixed_dictionaries(
                    {
                        "weekday": hostile_int(0, 6),
                        "start": st.one_of(_hostile_time(), wrong_type()),
                        "end": st.one_of(_hostile_time(), wrong_type()),
                        "topic": hostile_text(schedule.TOPIC_MAX),
                    }
                ),
                max_size=3,
            ),
        ),
    ),
    call=lambda s, w, a: schedule.set_pattern(
        s, w.admin, timezone=a["timezone"], length_weeks=a["length_weeks"], slots=a["slots"]
    ),
    check=_pattern_check,
    tables=("schedule_slot", "program_session", "program", "audit_event"),
)

case(
    "schedule.generate_sessions",
    valid=lambda w: fixed(
        participant_ids=st.none() | st.lists(st.sampled_from(w.caseload), max_size=3, unique=True),
    ),
    hostile=lambda w: dict(
        participant_ids=st.one_of(wrong_type(), st.lists(hostile_id(w.ids), min_size=1, max_size=3)),
    ),
    call=lambda s, w, a: schedule.generate_sessions(s, w.admin, participant_ids=a["participant_ids"]),
    check=lambda s, w, a, r: _truth(r.sessions >= 0 and r.removed >= 0),
    tables=("program_session", "audit_event"),
)


def _one_off_check(session, w, a, view):
    zone = schedule.zone_of("America/New_York")
    assert view.participant_id == a["participant_id"] and view.kind == a["kind"] and view.day == a["day"]
    assert view.starts_at.astimezone(zone).time() == a["start"].replace(second=0, microsecond=0)
    assert view.ends_at.astimezone(zone).time() == a["end"].replace(second=0, microsecond=0)


case(
    "schedule.add_session",
    valid=lambda w: st.integers(7, 12).flatmap(
        lambda hour: fixed(
            participant_id=st.sampled_from(w.caseload),
            kind=st.sampled_from(clinical.ONE_OFF_KINDS),
            day=st.integers(-clinical.ATTENDANCE_BACKFILL_DAYS, 60).map(
                lambda n: w.therapist_today + timedelta(days=n)
            ),
            start=st.just(clock(hour)),
            end=st.integers(15, 120).map(lambda m: clock(hour + m // 60, m % 60)),
            today=st.just(w.therapist_today),
        )
    ),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        kind=hostile_choice(clinical.SESSION_KINDS),
        day=hostile_day(w.therapist_today),
        start=st.one_of(_hostile_time(), wrong_type()),
        end=st.one_of(_hostile_time(), wrong_type()),
        today=st.one_of(st.datetimes(), st.text(max_size=10), wrong_type(dates=False)),
    ),
    call=lambda s, w, a: schedule.add_session(
        s,
        w.rivera,
        participant_id=a["participant_id"],
        kind=a["kind"],
        day=a["day"],
        start=a["start"],
        end=a["end"],
        today=a["today"],
    ),
    check=_one_off_check,
    gate=frozenset({"participant_id"}),
    tables=("program_session", "audit_event"),
)


# enrolment ----------------------------------------------------------------------------------------


def _discharge_check(session, w, a, result):
    view = enrolment.standing(session, w.rivera, a["participant_id"], w.therapist_today)
    assert (view.state, view.discharged_on, view.status) == ("discharged", a["day"], a["status"])
    assert a["day"] <= w.therapist_today and type(a["keep_family_consent"]) is bool


case(
    "enrolment.discharge",
    valid=lambda w: fixed(
        participant_id=st.sampled_from(w.caseload),
        day=st.integers(0, 6).map(lambda n: w.therapist_today - timedelta(days=n)),
        status=st.sampled_from(list(clinical.DISCHARGE_STATUSES)),
        keep_family_consent=st.booleans(),
        today=st.just(w.therapist_today),
    ),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        day=hostile_day(w.therapist_today),
        status=hostile_choice(clinical.DISCHARGE_STATUSES),
        keep_family_consent=hostile_flag(),
        today=st.one_of(st.datetimes(), st.text(max_size=10), wrong_type(dates=False)),
    ),
    call=lambda s, w, a: enrolment.discharge(
        s,
        w.rivera,
        participant_id=a["participant_id"],
        day=a["day"],
        status=a["status"],
        keep_family_consent=a["keep_family_consent"],
        today=a["today"],
    ),
    check=_discharge_check,
    gate=frozenset({"participant_id"}),
    tables=("discharge", "consent_grant", "program_session", "audit_event"),
)


# family sharing ------------------------------------------------------------------------------------


def _invitation_check(session, w, a, result):
    row = session.execute(select(FamilyInvitation).order_by(FamilyInvitation.id.desc())).scalars().first()
    assert (row.name, row.relationship) == (expect_name(a["name"]), expect_name(a["relationship"]))
    assert row.email == (a["email"] or "").strip().lower() and row.participant_id == w.alex.id


case(
    "sharing.create_invitation",
    valid=lambda w: fixed(
        name=typed_name(accounts.NAME_MAX),
        relationship=st.sampled_from(["", "Parent", "Mum ❤"]),
        email=st.sampled_from(["", "Sam@Example.org", "ana.o+iop@example.co.uk"]),
    ),
    hostile=lambda w: dict(
        name=hostile_text(accounts.NAME_MAX),
        relationship=hostile_text(sharing.RELATIONSHIP_MAX),
        email=st.one_of(
            hostile_text(254),
            st.sampled_from(["a@b.c\x00", "a\u202e@b.c", "a b@c.d", "x" * 250 + "@b.co", "a@b.c\n", "@b.c"]),
        ),
    ),
    call=lambda s, w, a: sharing.create_invitation(
        s, w.alex, name=a["name"], relationship=a["relationship"], email=a["email"]
    ),
    check=_invitation_check,
    tables=("family_invitation", "audit_event"),
)


def _invitation(session, w):
    code, _ = sharing.create_invitation(session, w.alex, name="Sam Rivers", relationship="Sibling")
    row = session.execute(select(FamilyInvitation).order_by(FamilyInvitation.id.desc())).scalars().first()
    return {"code": code, "invitation": row.id}


case(
    "sharing.withdraw_invitation",
    valid=lambda w: fixed(invitation_id=st.just(Ref("invitation"))),
    hostile=lambda w: dict(invitation_id=hostile_id(w.ids)),
    setup=_invitation,
    call=lambda s, w, a: sharing.withdraw_invitation(s, w.alex, invitation_id=a["invitation_id"]),
    check=lambda s, w, a, r: _truth(s.get(FamilyInvitation, a["invitation_id"]).withdrawn_at is not None),
    tables=("family_invitation", "audit_event"),
)


def _redeem_check(session, w, a, user):
    row = session.get(AppUser, user.id)
    assert row.username == a["username"].strip().lower() and row.role == "family" and row.name == "Sam Rivers"
    assert auth.check_password(a["password"], row.password_hash)
    assert (
        session.execute(select(FamilyLink).where(FamilyLink.family_id == user.id)).scalar_one().participant_id
        == w.alex.id
    )


_USERNAMES = st.from_regex(r"[a-z0-9][a-z0-9._-]{2,30}", fullmatch=True).filter(
    lambda u: u not in {"alex", "admin", "dana", "eli", "lee", "kai", "gray"}
)
_PASSWORDS = st.text(
    st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_categories=("Cs", "Cc")), min_size=8, max_size=20
).filter(lambda p: len(p.encode()) <= auth.PASSWORD_MAX_BYTES)

case(
    "sharing.redeem_invitation",
    valid=lambda w: fixed(
        code=st.just(Ref("code")), username=_USERNAMES, password=_PASSWORDS, client=st.sampled_from(["203.0.113.7", ""])
    ),
    hostile=lambda w: dict(
        code=st.one_of(hostile_text(64), st.just("0000-0000-0000")),
        username=hostile_text(40),
        password=st.one_of(hostile_text(72), st.just("ab\ud800cdefgh")),
        client=hostile_text(64),
    ),
    setup=_invitation,
    call=lambda s, w, a: sharing.redeem_invitation(
        s, code=a["code"], username=a["username"], password=a["password"], rounds=4, client=a["client"]
    ),
    check=_redeem_check,
    tables=("app_user", "family_link", "family_invitation", "throttle", "audit_event"),
)


@st.composite
def _consent(draw, w):
    category = draw(st.sampled_from(sharing.OFFERED))
    part2 = category is Category.SUBSTANCE_USE
    return {
        "family_id": w.pat.id,
        "category": category,
        "until": w.today + timedelta(days=draw(st.integers(1, sharing.CONSENT_MAX_DAYS))),
        "purpose": draw(typed_name(sharing.PURPOSE_MAX) if part2 else st.just("")),
        "signature": w.alex.name if part2 else "",
        "shown_version": sharing.consent_version(category),
    }


def _grant_check(session, w, a, result):
    row = session.execute(
        select(ConsentGrant).where(
            ConsentGrant.participant_id == w.alex.id,
            ConsentGrant.family_id == w.pat.id,
            ConsentGrant.category == a["category"],
            col(ConsentGrant.revoked_at).is_(None),
        )
    ).scalar_one()
    assert row.purpose == expect_name(a["purpose"]) and row.signature == expect_name(a["signature"])
    assert row.consent_version == a["shown_version"]
    assert type(a["until"]) is date and w.today < a["until"] <= w.today + timedelta(days=sharing.CONSENT_MAX_DAYS)


case(
    "sharing.grant",
    valid=lambda w: _consent(w),
    hostile=lambda w: dict(
        family_id=hostile_id(w.ids),
        category=hostile_choice(sharing.OFFERED),
        until=hostile_day(w.today),
        purpose=hostile_text(sharing.PURPOSE_MAX),
        signature=st.one_of(hostile_text(sharing.SIGNATURE_MAX), st.just("Alex\u202e Morgan")),
        shown_version=hostile_text(16),
    ),
    call=lambda s, w, a: sharing.grant(
        s,
        w.alex,
        family_id=a["family_id"],
        category=a["category"],
        until=a["until"],
        purpose=a["purpose"],
        signature=a["signature"],
        shown_version=a["shown_version"],
    ),
    check=_grant_check,
    tables=("consent_grant", "audit_event"),
)

case(
    "sharing.revoke",
    valid=lambda w: fixed(family_id=st.just(w.pat.id), category=st.sampled_from(sharing.OFFERED)),
    hostile=lambda w: dict(family_id=hostile_id(w.ids), category=hostile_choice(sharing.OFFERED)),
    call=lambda s, w, a: sharing.revoke(s, w.alex, family_id=a["family_id"], category=a["category"]),
    check=lambda s, w, a, r: _truth(
        a["category"] not in {c for m in sharing.family_of(s, w.alex, w.alex.id) for c in m.active}
    ),
    tables=("consent_grant", "audit_event"),
)


# accounts ------------------------------------------------------------------------------------------


def _account_check(session, w, a, user):
    row = session.get(AppUser, user.id)
    assert row.username == a["username"].strip().lower() and row.name == expect_name(a["name"])
    assert row.email == ((a["email"] or "").strip().lower() or None) and row.role == a["role"]
    assert row.is_demo is a["is_demo"] and auth.check_password(a["password"], row.password_hash)
    assignment = session.execute(
        select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == user.id)
    ).scalar()
    assert assignment == (a["therapist_id"] if a["role"] == "participant" else None)
    if a["role"] == "participant":  # enrolled from the day chosen (today when none), sessions made at once
        assert row.started_on is not None and row.started_on == (a["started_on"] or row.started_on)
        assert session.execute(select(func.count()).where(ProgramSession.participant_id == user.id)).scalar() > 0
    else:
        assert row.started_on is None


case(
    "accounts.create_account",
    valid=lambda w: fixed(
        username=_USERNAMES,
        name=typed_name(accounts.NAME_MAX),
        email=st.sampled_from(["", "New.Person@Example.org"]),
        role=st.sampled_from([r.value for r in accounts.ADMIN_CREATABLE_ROLES]),
        password=_PASSWORDS,
        therapist_id=st.sampled_from([None, w.rivera.id]),
        is_demo=st.booleans(),
        started_on=st.one_of(st.none(), st.integers(-60, 60).map(lambda n: w.today + timedelta(days=n))),
    ),
    hostile=lambda w: dict(
        started_on=hostile_day(w.today),
        username=hostile_text(40),
        name=hostile_text(accounts.NAME_MAX),
        email=hostile_text(accounts.EMAIL_MAX),
        role=hostile_choice([r.value for r in accounts.Role]),
        password=st.one_of(hostile_text(72), st.just("pass\ud800word")),
        therapist_id=hostile_id(w.ids),
        is_demo=hostile_flag(),
    ),
    call=lambda s, w, a: accounts.create_account(
        s,
        w.admin,
        username=a["username"],
        name=a["name"],
        email=a["email"],
        role=a["role"],
        password=a["password"],
        rounds=4,
        therapist_id=a["therapist_id"],
        is_demo=a["is_demo"],
        started_on=a["started_on"],
    ),
    check=_account_check,
    tables=("app_user", "caseload_assignment", "program_session", "audit_event"),
)

case(
    "accounts.assign_therapist",
    valid=lambda w: fixed(
        participant_id=st.sampled_from(w.caseload), therapist_id=st.sampled_from([w.rivera.id, w.chen.id])
    ),
    hostile=lambda w: dict(participant_id=hostile_id(w.ids), therapist_id=hostile_id(w.ids)),
    call=lambda s, w, a: accounts.assign_therapist(
        s, w.admin, participant_id=a["participant_id"], therapist_id=a["therapist_id"]
    ),
    check=lambda s, w, a, r: _truth(
        s.execute(
            select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == a["participant_id"])
        ).scalar_one()
        == a["therapist_id"]
    ),
    gate=frozenset({"participant_id"}),
    tables=("caseload_assignment", "audit_event"),
)

case(
    "accounts.set_active",
    valid=lambda w: fixed(user_id=st.sampled_from([i for i in w.ids if i != w.admin.id]), active=st.booleans()),
    hostile=lambda w: dict(user_id=hostile_id(w.ids), active=hostile_flag()),
    call=lambda s, w, a: accounts.set_active(s, w.admin, user_id=a["user_id"], active=a["active"]),
    check=lambda s, w, a, r: _truth(s.get(AppUser, a["user_id"]).is_active is a["active"]),
    tables=("app_user", "audit_event"),
)

case(
    "accounts.set_language",
    valid=lambda w: fixed(user_id=st.just(w.alex.id), language=st.sampled_from(["en", "es"])),
    hostile=lambda w: dict(user_id=hostile_id(w.ids), language=hostile_choice(["en", "es"])),
    call=lambda s, w, a: accounts.set_language(s, user_id=a["user_id"], language=a["language"]),
    check=lambda s, w, a, saved: _truth(s.get(AppUser, a["user_id"]).language == a["language"] == saved),
    tables=("app_user",),
)

case(
    "accounts.list_accounts",  # a reader, here because its search box reaches SQL
    valid=lambda w: fixed(role=st.none() | st.sampled_from([r.value for r in accounts.Role]), search=typed_text(40)),
    hostile=lambda w: dict(role=hostile_choice([r.value for r in accounts.Role]), search=hostile_text(80)),
    call=lambda s, w, a: accounts.list_accounts(s, w.admin, role=a["role"], search=a["search"]),
    check=lambda s, w, a, rows: _truth(all(a["role"] in (None, "", r.role.value) for r in rows)),
    tables=("audit_event",),
    needs_refusal=False,
)


case(
    "audit.audit_log",  # a reader, here because its filters reach SQL
    valid=lambda w: fixed(
        participant_id=st.none() | st.sampled_from(w.caseload),
        actor_id=st.none() | st.sampled_from(w.ids),
        category=st.none() | st.sampled_from(sorted(audit.CATEGORY_WORDS)),
        refused_only=st.booleans(),
        start=st.none() | st.just(w.today - timedelta(days=30)),
        end=st.none() | st.just(w.today),
        page=st.integers(0, 3),
    ),
    hostile=lambda w: dict(
        participant_id=hostile_id(w.ids),
        actor_id=hostile_id(w.ids),
        category=hostile_choice(audit.CATEGORY_WORDS),
        refused_only=hostile_flag(),
        start=hostile_day(w.today),
        end=hostile_day(w.today),
        page=hostile_int(0, 3),
    ),
    call=lambda s, w, a: audit.audit_log(
        s,
        w.admin,
        participant_id=a["participant_id"],
        actor_id=a["actor_id"],
        category=a["category"],
        refused_only=a["refused_only"],
        start=a["start"],
        end=a["end"],
        page=a["page"],
    ),
    check=lambda s, w, a, found: _truth(all(not r.allowed for r in found.rows) if a["refused_only"] is True else True),
    tables=("audit_event",),
)


# program settings ----------------------------------------------------------------------------------

_LINE = st.fixed_dictionaries(
    {
        "name": typed_name(program.CRISIS_NAME_MAX),
        "detail": st.sampled_from(["", "24/7"]),
        "call": st.sampled_from(["555-0142", "+1 (555) 010-9999", ""]),
        "text": st.sampled_from(["741741", ""]),
    }
).filter(lambda r: r["call"] or r["text"])


def _lines_check(session, w, a, result):
    stored = session.get(Program, w.admin.program_id).local_crisis_resources
    assert [(r["name"], r["detail"], r["call"], r["text"]) for r in stored] == [
        (expect_name(r["name"]), r["detail"], r["call"], r["text"]) for r in a["resources"]
    ]


case(
    "program.set_local_crisis_resources",
    valid=lambda w: fixed(resources=st.lists(_LINE, max_size=3)),
    hostile=lambda w: dict(
        resources=st.one_of(
            wrong_type(),
            st.lists(
                st.one_of(
                    wrong_type(),
                    st.dictionaries(
                        st.sampled_from(["name", "detail", "call", "text", "sms_body"]), hostile_text(80), max_size=4
                    ),
                ),
                max_size=3,
            ),
            st.just([{"name": "x", "call": "911"}] * 9),
        )
    ),
    call=lambda s, w, a: program.set_local_crisis_resources(s, w.admin, a["resources"]),
    check=_lines_check,
    tables=("program", "audit_event"),
)

case(
    "program.set_crisis_region",
    valid=lambda w: fixed(region=st.sampled_from(list(program.REGION_CRISIS_RESOURCES))),
    hostile=lambda w: dict(region=hostile_choice(program.REGION_CRISIS_RESOURCES)),
    call=lambda s, w, a: program.set_crisis_region(s, w.admin, a["region"]),
    check=lambda s, w, a, r: _truth(s.get(Program, w.admin.program_id).crisis_region == a["region"]),
    tables=("program", "audit_event"),
)

case(
    "program.set_checkup_interval",
    valid=lambda w: fixed(days=st.integers(*program.CHECKUP_INTERVAL_RANGE)),
    hostile=lambda w: dict(days=hostile_int(*program.CHECKUP_INTERVAL_RANGE)),
    call=lambda s, w, a: program.set_checkup_interval(s, w.admin, a["days"]),
    check=lambda s, w, a, r: _truth(
        _whole(a["days"]) and s.get(Program, w.admin.program_id).checkup_interval_days == a["days"]
    ),
    tables=("program", "audit_event"),
)


# notifications and the calendar feed ----------------------------------------------------------------
# (Who may call each is the gate's: tests/unit/test_family_readers.py and tests/unit/test_notify.py.)

_LOCAL_PART = st.from_regex(r"[A-Za-z0-9_+-]{1,20}(\.[A-Za-z0-9_+-]{1,10}){0,2}", fullmatch=True)
_ADDRESSES = st.one_of(
    st.builds(
        lambda local, domain, pad: f"{pad}{local}@{domain}{pad}",
        _LOCAL_PART,
        st.sampled_from(["example.org", "Clinic.Example.ORG", "mail.example.co.uk"]),
        st.sampled_from(["", " "]),
    ),
    st.sampled_from(["ana@Bücher.Example.org", "o'brien+iop@example.org", "x@例子.广告"]),
)
_HOSTILE_ADDRESSES = st.sampled_from(
    [
        "a@b.co\x00",
        "a\u202e@b.co",
        "a b@c.org",
        "x" * 250 + "@b.co",
        "a@b.co\n",
        "@b.co",
        "a@",
        "a@@b.co",
        "admin@clinic\r\nBcc: all@example.org",
        "a@localhost",
        "\u0958" * 60 + "@example.org",
        "ａ@ｂ.org",
        "![x](http://evil.example/i.png)@example.org",
        "DR.RIVERA@DEMO.IOP.EXAMPLE",
        "José.Núñez@Example.org",
        "用户@例子.广告",
    ]
)


def _address_check(typed, stored: str) -> None:
    """What an address field stores: trimmed, one line, nothing hidden, within the column; for an
    ASCII address exactly the typed one with its domain in lower case."""
    assert isinstance(typed, str) and storable_text(stored, one_line=True) and len(stored) <= 254, stored
    assert stored.count("@") == 1 and not any(c.isspace() for c in stored), stored
    assert stored.split("@")[0].isascii(), stored  # mail can't reach anything else (see notify.sendable)
    if typed.isascii():
        local, domain = typed.strip().rsplit("@", 1)
        assert stored == f"{local}@{domain.lower()}", (typed, stored)


def _actor(w, who: str) -> Actor:
    return {"alex": w.alex, "rivera": w.rivera, "chen": w.chen, "admin": w.admin, "pat": w.pat}[who]


def _email_check(session, w, a, saved):
    _address_check(a["email"], saved)
    assert session.get(AppUser, _actor(w, a["who"]).id).email == saved
    assert notify.my_settings(session, _actor(w, a["who"])).email == saved


case(
    "notify.set_email",
    valid=lambda w: fixed(who=st.sampled_from(["alex", "rivera"]), email=_ADDRESSES),
    hostile=lambda w: dict(email=st.one_of(hostile_text(254), _HOSTILE_ADDRESSES)),
    call=lambda s, w, a: notify.set_email(s, _actor(w, a["who"]), email=a["email"]),
    check=_email_check,
    tables=("app_user", "audit_event"),
)


def _moments() -> st.SearchStrategy:
    return st.builds(clock, st.integers(0, 23), st.integers(0, 11).map(lambda k: k * 5))


def _as_typed(moment: clock) -> st.SearchStrategy:
    """A time as the page sends it (a `time`) or as core's callers write it ("20:00")."""
    return st.sampled_from([moment, f"{moment:%H:%M}", f"{moment.hour}:{moment.minute:02d}", f" {moment:%H:%M:%S} "])


def _minute_of(moment: clock) -> int:
    return moment.hour * 60 + moment.minute


def _quiet(minute: int, start: int, end: int) -> bool:  # quiet hours may run past midnight
    return start <= minute < end if start < end else (minute >= start or minute < end)


@st.composite
def _reminders(draw):
    at = draw(_moments())
    quiet = draw(st.none() | st.tuples(_moments(), _moments()).filter(lambda q: q[0] != q[1]))
    if quiet and _quiet(_minute_of(at), *map(_minute_of, quiet)):
        quiet = None
    return {
        "who": "alex",
        "diary": draw(st.booleans()),
        "checkup": draw(st.booleans()),
        "homework": draw(st.booleans()),
        "remind_at": draw(_as_typed(at)),
        "quiet_start": draw(_as_typed(quiet[0])) if quiet else None,
        "quiet_end": draw(_as_typed(quiet[1])) if quiet else None,
    }


def _hostile_time() -> st.SearchStrategy:
    return st.one_of(
        st.times(),
        st.times(timezones=st.just(UTC)),
        st.datetimes(),
        st.text(max_size=10),
        st.sampled_from(
            [
                "25:00",
                "20:07",
                "20:00\x00",
                "2000",
                "T20:00",
                "20:00Z",
                "24:00",
                "8:5",
                "20:00:30",
                "٢٠:٠٠",
                "２０:００",
                "20:00\u202e",
                "-1:00",
                "20:00" * 5,
                HUGE,
            ]
        ),
        hostile_int(0, 1440),
        wrong_type(),
    )


def _typed_minute(value) -> int | None:
    """The minute a saved time stands for, asserting it is one a form can send."""
    if value is None:
        return None
    if isinstance(value, str):
        assert re.fullmatch(r"\s*[0-9]{1,2}:[0-9]{2}(:00)?\s*", value), value
        value = clock(*map(int, value.strip().split(":")[:2]))
    assert type(value) is clock and value.tzinfo is None and not value.second and not value.microsecond
    assert value.minute % 5 == 0
    return _minute_of(value)


def _reminders_check(session, w, a, mine):
    assert all(type(a[k]) is bool for k in ("diary", "checkup", "homework"))
    minute, start, end = (_typed_minute(a[k]) for k in ("remind_at", "quiet_start", "quiet_end"))
    assert (start is None) == (end is None) and (start is None or (start != end and not _quiet(minute, start, end)))
    row = session.execute(select(NotificationSetting).where(NotificationSetting.user_id == w.alex.id)).scalar_one()
    assert (row.diary_reminder, row.checkup_reminder, row.homework_reminder) == (
        a["diary"],
        a["checkup"],
        a["homework"],
    )
    assert (row.remind_minute, row.quiet_start_minute, row.quiet_end_minute) == (minute, start, end)
    assert (mine.diary, mine.checkup, mine.homework, _minute_of(mine.remind_at)) == (
        a["diary"],
        a["checkup"],
        a["homework"],
        minute,
    )


case(
    "notify.save_reminders",
    valid=lambda w: _reminders(),
    hostile=lambda w: dict(
        diary=hostile_flag(),
        checkup=hostile_flag(),
        homework=hostile_flag(),
        remind_at=_hostile_time(),
        quiet_start=_hostile_time(),
        quiet_end=_hostile_time(),
    ),
    call=lambda s, w, a: notify.save_reminders(
        s,
        _actor(w, a["who"]),
        diary=a["diary"],
        checkup=a["checkup"],
        homework=a["homework"],
        remind_at=a["remind_at"],
        quiet_start=a["quiet_start"],
        quiet_end=a["quiet_end"],
    ),
    check=_reminders_check,
    tables=("notification_setting", "audit_event"),
)


def _send_test_call(session, w, a):
    with tempfile.TemporaryDirectory() as folder:
        row = notify.send_test(session, _actor(w, a["who"]), to=a["to"], transport=notify.MailDrop(folder))
        return row, notify.MailDrop(folder).path_for(row.id).read_text()


def _send_test_check(session, w, a, result):
    row, sent = result
    _address_check(a["to"], row.to)
    assert row.status == "sent" and row.kind == "smtp_test" and row.via == "maildrop"
    assert session.get(OutboxMessage, row.id).to_address == row.to
    assert notify.sendable(row.to).isascii() and f"To: {notify.sendable(row.to)}\n" in sent


case(
    "notify.send_test",
    valid=lambda w: fixed(who=st.just("admin"), to=_ADDRESSES),
    hostile=lambda w: dict(to=st.one_of(hostile_text(254), _HOSTILE_ADDRESSES)),
    call=_send_test_call,
    check=_send_test_check,
    tables=("outbox_message", "audit_event"),
)


def _elsewhere(session, w) -> int:
    """Another program, with a therapist of its own."""
    other = Program(name="Elsewhere IOP")
    session.add(other)
    session.flush()
    return other.id


def _outbox_rows(session, w):
    other = _elsewhere(session, w)

    def queue(key, status, program_id):
        return notify.enqueue(
            session,
            dedupe_key=f"property:{key}",
            kind=notify.Kind.DIGEST,
            subject="s",
            body="b",
            recipient_id=w.rivera.id,
            program_id=program_id,
            status=status,
            last_error="The mail server refused the address.",
        )

    return {
        "failed": queue("failed", notify.Status.FAILED, w.admin.program_id),
        "uncertain": queue("uncertain", notify.Status.UNCERTAIN, w.admin.program_id),
        "queued": queue("queued", notify.Status.QUEUED, w.admin.program_id),
        "elsewhere": queue("elsewhere", notify.Status.FAILED, other),
    }


def _send_again_check(session, w, a, result):
    row = session.get(OutboxMessage, a["message_id"])
    assert row.dedupe_key in ("property:failed", "property:uncertain") and row.program_id == w.admin.program_id
    assert (row.status, row.attempts, row.claim_token) == ("queued", 0, "")
    assert row.last_error == "Sent again by the admin (was: The mail server refused the address.)"


case(
    "notify.send_again",
    valid=lambda w: fixed(who=st.just("admin"), message_id=st.sampled_from([Ref("failed"), Ref("uncertain")])),
    hostile=lambda w: dict(message_id=st.one_of(hostile_id(w.ids), st.sampled_from([Ref("queued"), Ref("elsewhere")]))),
    setup=_outbox_rows,
    call=lambda s, w, a: notify.send_again(s, _actor(w, a["who"]), message_id=a["message_id"]),
    check=_send_again_check,
    tables=("outbox_message", "audit_event"),
)


def _lead_candidates(session, w):
    """A therapist of another program, and a deactivated one of the admin's own: neither may lead."""

    def therapist(username, program_id, active):
        user = AppUser(
            username=username,
            name="Dr. Property",
            role="therapist",
            password_hash="x",
            program_id=program_id,
            is_active=active,
        )
        session.add(user)
        session.flush()
        return user.id

    return {
        "elsewhere": [therapist("prop.elsewhere", _elsewhere(session, w), True)],
        "deactivated": [therapist("prop.gone", w.admin.program_id, False)],
    }


def _leads_check(session, w, a, result):
    assert isinstance(a["leads"], list | tuple | set) and set(a["leads"]) <= {w.rivera.id, w.chen.id}
    leads = (
        session.execute(
            select(AppUser.id).where(AppUser.program_id == w.admin.program_id, col(AppUser.is_clinical_lead).is_(True))
        )
        .scalars()
        .all()
    )
    assert set(leads) == set(a["leads"]) and session.get(AppUser, w.admin.id).is_clinical_lead is False


_LEADS = st.lists(st.sampled_from(["rivera", "chen"]), max_size=3)
case(
    "notify.set_clinical_leads",
    valid=lambda w: fixed(
        who=st.just("admin"),
        leads=st.one_of(
            _LEADS.map(lambda names: [_actor(w, n).id for n in names]),
            _LEADS.map(lambda names: tuple(_actor(w, n).id for n in names)),
            _LEADS.map(lambda names: {_actor(w, n).id for n in names}),
        ),
    ),
    hostile=lambda w: dict(
        leads=st.one_of(
            wrong_type(),
            st.lists(hostile_id(w.ids), max_size=3),
            st.just(list(range(1, 5000))),
            st.sampled_from(
                [
                    Ref("elsewhere"),
                    Ref("deactivated"),
                    [w.admin.id],
                    [w.alex.id],
                    [w.rivera.id, True],
                    [w.rivera.id, 2**31],
                    [float(w.rivera.id)],
                    [str(w.chen.id)],
                ]
            ),
        )
    ),
    setup=_lead_candidates,
    call=lambda s, w, a: notify.set_clinical_leads(s, _actor(w, a["who"]), a["leads"]),
    check=_leads_check,
    tables=("app_user", "audit_event"),
)

case(
    "notify.set_escalation_minutes",
    valid=lambda w: fixed(who=st.just("admin"), minutes=st.integers(*clinical.ESCALATION_MINUTES_RANGE)),
    hostile=lambda w: dict(minutes=hostile_int(*clinical.ESCALATION_MINUTES_RANGE)),
    call=lambda s, w, a: notify.set_escalation_minutes(s, _actor(w, a["who"]), a["minutes"]),
    check=lambda s, w, a, r: _truth(
        _whole(a["minutes"]) and s.get(Program, w.admin.program_id).escalation_minutes == a["minutes"]
    ),
    tables=("program", "audit_event"),
)


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1].removesuffix(".ics")


def _feed_on_check(session, w, a, url):
    who = _actor(w, a["who"])
    assert url.startswith("http") and feed.owner_of(session, _token(url)).id == who.id
    assert feed.feed_status(session, who).on


# The only thing from outside is who asks (the logged-in account): a participant's or a
# therapist's own feed; family members and admins have none.
case(
    "feed.turn_on",
    valid=lambda w: fixed(who=st.sampled_from(["alex", "rivera"])),
    hostile=lambda w: dict(who=st.sampled_from(["pat", "admin"])),
    call=lambda s, w, a: feed.turn_on(s, _actor(w, a["who"])),
    check=_feed_on_check,
    gate=frozenset({"who"}),
    tables=("calendar_feed", "audit_event"),
)


def _feeds_on(session, w):
    return {"alex": feed.turn_on(session, w.alex), "rivera": feed.turn_on(session, w.rivera)}


def _feed_off_check(session, w, a, result):
    assert feed.owner_of(session, _token(a["url"])) is None and not feed.feed_status(session, _actor(w, a["who"])).on


case(
    "feed.turn_off",
    valid=lambda w: st.sampled_from([{"who": "alex", "url": Ref("alex")}, {"who": "rivera", "url": Ref("rivera")}]),
    hostile=lambda w: dict(who=st.sampled_from(["pat", "admin"])),
    setup=_feeds_on,
    call=lambda s, w, a: feed.turn_off(s, _actor(w, a["who"])),
    check=_feed_off_check,
    gate=frozenset({"who"}),
    tables=("calendar_feed", "audit_event"),
)


# logins, passwords, codes ---------------------------------------------------------------------------

case(
    "auth.log_in",
    valid=lambda w: fixed(
        username=st.sampled_from(["alex", " ALEX ", "nobody.here"]),
        password=st.sampled_from([DEMO_PASSWORD, "wrong password"]),
        client=st.sampled_from(["203.0.113.7", "2001:db8::1", ""]),
    ),
    hostile=lambda w: dict(username=hostile_text(40), password=hostile_text(72), client=hostile_text(64)),
    call=lambda s, w, a: auth.log_in(s, username=a["username"], password=a["password"], client=a["client"]),
    check=lambda s, w, a, result: _truth(
        (result.user is not None)
        == (
            isinstance(a["username"], str)
            and a["username"].strip().lower() == "alex"
            and a["password"] == DEMO_PASSWORD
        )
    ),
    tables=("throttle", "app_user"),
    needs_refusal=False,
)


def _reset_code(session, w):
    return {"code": auth.issue_reset_code(session, w.admin, user_id=w.alex.id).code}


case(
    "auth.redeem_reset_code",
    valid=lambda w: st.builds(
        lambda p, c: {"username": "alex", "code": Ref("code"), "new": p, "repeat": p, "client": c},
        _PASSWORDS,
        st.sampled_from(["203.0.113.9", ""]),
    ),
    hostile=lambda w: dict(
        username=hostile_text(40),
        code=hostile_text(64),
        new=hostile_text(72),
        repeat=hostile_text(72),
        client=hostile_text(64),
    ),
    setup=_reset_code,
    call=lambda s, w, a: auth.redeem_reset_code(
        s, username=a["username"], code=a["code"], new=a["new"], repeat=a["repeat"], client=a["client"]
    ),
    check=lambda s, w, a, user: _truth(auth.check_password(a["new"], s.get(AppUser, w.alex.id).password_hash)),
    tables=("app_user", "one_time_code", "throttle", "audit_event"),
)

case(
    "auth.change_password",
    valid=lambda w: st.builds(
        lambda p: {"user_id": w.alex.id, "current": DEMO_PASSWORD, "new": p, "repeat": p},
        _PASSWORDS.filter(lambda p: p != DEMO_PASSWORD),
    ),
    hostile=lambda w: dict(
        user_id=hostile_id(w.ids), current=hostile_text(72), new=hostile_text(72), repeat=hostile_text(72)
    ),
    call=lambda s, w, a: auth.change_password(
        s, user_id=a["user_id"], current=a["current"], new=a["new"], repeat=a["repeat"], rounds=4
    ),
    check=lambda s, w, a, version: _truth(auth.check_password(a["new"], s.get(AppUser, w.alex.id).password_hash)),
    tables=("app_user",),
)

case(
    "auth.choose_password",
    valid=lambda w: st.builds(
        lambda p: {"user_id": w.alex.id, "new": p, "repeat": p}, _PASSWORDS.filter(lambda p: p != DEMO_PASSWORD)
    ),
    hostile=lambda w: dict(user_id=hostile_id(w.ids), new=hostile_text(72), repeat=hostile_text(72)),
    call=lambda s, w, a: auth.choose_password(s, user_id=a["user_id"], new=a["new"], repeat=a["repeat"], rounds=4),
    check=lambda s, w, a, version: _truth(auth.check_password(a["new"], s.get(AppUser, a["user_id"]).password_hash)),
    tables=("app_user",),
)

case(
    "auth.issue_reset_code",
    valid=lambda w: fixed(user_id=st.sampled_from([w.alex.id, w.rivera.id])),
    hostile=lambda w: dict(user_id=hostile_id(w.ids)),
    call=lambda s, w, a: auth.issue_reset_code(s, w.admin, user_id=a["user_id"]),
    check=lambda s, w, a, issued: _truth(len(auth.normalize_code(issued.code)) == auth.RESET_CODE_LENGTH),
    gate=frozenset({"user_id"}),
    tables=("one_time_code", "audit_event"),
    needs_refusal=False,
)

case(
    "auth.unlock",
    valid=lambda w: fixed(user_id=st.sampled_from([w.alex.id, w.rivera.id])),
    hostile=lambda w: dict(user_id=hostile_id(w.ids)),
    call=lambda s, w, a: auth.unlock(s, w.admin, user_id=a["user_id"]),
    check=lambda s, w, a, lifted: _truth(lifted == 0),
    gate=frozenset({"user_id"}),
    tables=("throttle", "audit_event"),
    needs_refusal=False,
)


def _handoff(session, w):
    return {"handoff": auth.issue_login_handoff(session, session.get(AppUser, w.alex.id))}


case(
    "auth.redeem_login_handoff",
    valid=lambda w: fixed(code=st.just(Ref("handoff"))),
    hostile=lambda w: dict(code=st.one_of(hostile_text(100), st.just("A" * 101))),
    setup=_handoff,
    call=lambda s, w, a: auth.redeem_login_handoff(s, a["code"]),
    check=lambda s, w, a, token: _truth(
        auth.user_for_token(s, token).id == w.alex.id if token is not None else "code" in a["_hostile"]
    ),
    tables=("one_time_code",),
    needs_refusal=False,
)

case(
    "throttle.hit",
    valid=lambda w: fixed(
        key=st.sampled_from(["login:alex", "invitation-redeem"]), client=st.sampled_from(["203.0.113.7", ""])
    ),
    hostile=lambda w: dict(
        key=hostile_text(120).filter(lambda k: isinstance(k, str)),
        client=hostile_text(64).filter(lambda c: isinstance(c, str)),
    ),
    call=lambda s, w, a: throttle.hit(s, a["key"], client=a["client"], limit=5, window=timedelta(minutes=15)),
    check=lambda s, w, a, attempt: _truth(attempt.allowed and attempt.remaining == 4),
    tables=("throttle",),
    needs_refusal=False,
)


# Functions that write but take nothing from outside core (or only its own well-formed values), with why.
INTERNAL = {
    "access.authorize": "the gate: ids are checked by _valid_id, refs by check_ref (a bad ref is a programming error)",
    "access.record": "audit rows: category/action/ref come from closed sets in core and fail loudly otherwise",
    "access.record_many": "the same, for a list core has already queried",
    "alerts.route": "called by core with Reasons core built",
    "recovery.save_details": "called by diary.save_card with details recovery.check already cleaned",
    "seed.seed_recovery": "the demo seed, with core's own values",
    "alerts.screen_free_text": "called by core after the text was validated",
    "alerts.raise_missed_checkins": "the scheduled job and the worker, with core's own today",
    "auth.end_all_sessions": "called by core with a user id it just read",
    "auth.issue_login_handoff": "called with the AppUser that just logged in",
    "diary.ensure_default_targets": "seeding: the program id core just made",
    "db.upsert": "the database helpers every writer above goes through",
    "db.insert_if_absent": "the database helpers every writer above goes through",
    "db.hold_rows": "a lock for the writers above (a write that changes nothing on SQLite)",
    "db.session_scope": "the unit of work pages open",
    "throttle.clear": "called by core with the key it counted (hit hashes odd keys the same way)",
    "throttle.prune": "called by core with its own time",
    "seed.seed_demo": "the demo seed",
    "seed.seed_diary_history": "the demo seed",
    "seed.seed_checkups": "the demo seed",
    "seed.seed_safety_plans": "the demo seed",
    "seed.seed_practice": "the demo seed",
    "seed.seed_homework": "the demo seed",
    "seed.seed_attendance": "the demo seed",
    "seed.seed_goals": "the demo seed",
    "seed.seed_aftercare": "the demo seed",
    "seed.seed_completed_participant": "the demo seed",
    "seed.seed_discharge": "the demo seed",
    "seed.main": "the demo seed",
    "notify.enqueue": "called by core with its own key, subject and body (cut to their columns); an address typed "
    "by a person reaches it only through EmailForm (send_test)",
    "notify.claim": "the delivery worker: its own name (worker_name()) and clock",
    "notify.heartbeat": "the delivery worker: its own name (worker_name()) and clock",
    "notify.recover_stale": "the delivery worker's clock",
    "notify.schedule_missed_alert_notices": "the worker's tick, with its own clock; reads what the forms stored",
    "notify.schedule_escalations": "the worker's tick, with its own clock; reads what the forms stored",
    "notify.schedule_digests": "the worker's tick, with its own clock; reads what the forms stored",
    "notify.schedule_reminders": "the worker's tick, with its own clock; reads what the forms stored",
}
WRITES = re.compile(
    r"session\.add\(|\.commit\(\)|\bupsert\(|insert_if_absent\(|insert_many_if_absent\("
    r"|(?<![.\w])update\(|(?<![.\w])delete\(|_set_password\(|throttle\.hit\(|_use_code\("
)


def test_every_core_function_that_writes_has_a_property_case():
    writers, public = set(), set()
    for info in pkgutil.iter_modules(core.__path__):
        module = importlib.import_module(f"core.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                public.add(f"{info.name}.{name}")
                if WRITES.search(inspect.getsource(fn)):
                    writers.add(f"{info.name}.{name}")
    assert writers - set(CASES) - set(INTERNAL) == set(), "add a property case (or an INTERNAL line saying why)"
    assert (set(CASES) | set(INTERNAL)) - public == set(), "these no longer exist"
    # the functions that write by calling another writer are here too
    assert {"alerts.acknowledge", "accounts.list_accounts", "audit.audit_log"} <= set(CASES)


# --- the harness ----------------------------------------------------------------------------------


def _fail(value):
    raise AssertionError(f"read back wrong: {value!r}")


def _whole(value, *also) -> bool:
    """A whole number as the form sends it (never a bool, a float or a string), or one of `also`."""
    return type(value) is int or any(value is a for a in also)


def _truth(ok: bool) -> None:
    assert ok, "read back wrong"


def _expect(row, **values) -> None:
    got = {k: getattr(row, k) for k in values}
    assert got == values, (got, values)


@dataclass
class Tally:
    outcomes: Counter = field(default_factory=Counter)


def _storable(value, column, where: str) -> None:
    if isinstance(value, str):
        assert storable_text(value), f"{where}: stored {value[:60]!r}"
        length = getattr(column.type, "length", None) if column is not None else None
        assert length is None or len(value) <= length, f"{where}: {len(value)} characters in a column of {length}"
    elif isinstance(value, float):
        assert math.isfinite(value), f"{where}: {value}"
    elif isinstance(value, dict):
        for k, v in value.items():
            _storable(k, None, where)
            _storable(v, None, f"{where}.{k}")
    elif isinstance(value, list):
        for v in value:
            _storable(v, None, where)
    if column is not None and value is not None:
        if isinstance(column.type, Integer):
            assert type(value) is int, f"{where}: {value!r} in an integer column"
        elif isinstance(column.type, Float):
            assert type(value) is float, f"{where}: {value!r} in a float column"
        elif isinstance(column.type, String):
            assert isinstance(value, str), f"{where}: {value!r} in a text column"
        elif isinstance(column.type, JSON):
            assert isinstance(value, (list, dict)), f"{where}: {value!r} in a JSON column"


def assert_all_storable(session: Session, tables: tuple[str, ...]) -> None:
    """Nothing in these tables that the app's forms could not have produced."""
    for name in tables:
        table = SQLModel.metadata.tables[name]
        _rows_storable(session, table, select(table))


def _rows_storable(session: Session, table: Table, query) -> None:
    for row in session.execute(query).mappings():
        for column in table.columns:
            _storable(row[column.name], column, f"{table.name}.{column.name}")


# After each example only the rows it wrote are read back: every other row is as the test started, and
# assert_all_storable() checked them all then, once (read whole after every example, the tables cost a fifth
# of the suite). A row written is one not identical to a row the test started with: on SQLite, `EXCEPT` a
# copy of the table made in the connection's temp schema when the test's connection opened (before any
# example; rollback_engine); on PostgreSQL, a row whose version (xmin) is newer than the test's start
# (examples_begin): the examples before were rolled back, so a visible one is the example's own, or of its
# savepoints. A row a function committed on a connection of its own is one too, either way (and is read
# again after the examples that follow it: more rows, never fewer).
BEFORE = "iop_before_"
_BEFORE_TABLES = MetaData()


def _checked_tables() -> list[str]:
    return sorted({name for case in CASES.values() for name in case.tables})


def _before(table: Table) -> Table:
    name = BEFORE + table.name
    if f"temp.{name}" not in _BEFORE_TABLES.tables:
        Table(name, _BEFORE_TABLES, *(Column(c.name, c.type) for c in table.columns), schema="temp")
    return _BEFORE_TABLES.tables[f"temp.{name}"]


_since: int | None = None  # PostgreSQL: the transaction id the test's examples began after (as xmin holds it)


def examples_begin(engine) -> None:
    """Before a test's first example: where its writes begin, on PostgreSQL (see above)."""
    global _since
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:  # (a transaction id taken, and rolled back: every later one is newer)
            _since = connection.execute(text("SELECT pg_current_xact_id()::text::bigint % 4294967296")).scalar_one()


def assert_storable(session: Session, tables: tuple[str, ...]) -> None:
    """Nothing the example (a rolled_back() session) wrote to these tables that the app's forms could not have
    produced (see above)."""
    for name in tables:
        table = SQLModel.metadata.tables[name]
        if session.get_bind().dialect.name == "sqlite":
            written = select(table).except_(select(_before(table)))
        else:
            written = select(table).where(text("xmin::text::bigint >= :since").bindparams(since=session.info["since"]))
        _rows_storable(session, table, written)


def _refusal_is_calm(exc: ValidationError) -> None:
    assert exc.fields, "a ValidationError must name a field"
    for name, message in exc.fields.items():
        assert isinstance(name, str) and name and len(name) <= 80, name
        assert isinstance(message, str) and message.strip() and len(message) < 600, message


_MAKE_ENGINE = db.make_engine  # (the app's own: a test's database_url hands out the worker's kept engine instead)
_ROLLBACK_ENGINES: dict[str, object] = {}


def rollback_engine(url: str):
    """An engine whose sessions can be rolled back whole around the functions' own commits:
    SQLite through pysqlite needs BEGIN emitted by us for SAVEPOINTs to work (SQLAlchemy's recipe).

    On SQLite an engine of its own, kept for the process (the worker's test file has one path: a new copy of
    the demo is put there before each test, and the engine's connections are closed after each), so its cache
    of compiled statements is kept too: an engine per test compiled every statement again. Each connection
    it opens first copies the tables the cases check into its temp schema (BEFORE). On PostgreSQL the
    worker's kept engine, as every test gets it."""
    if not url.startswith("sqlite"):
        return db.make_engine(url)
    engine = _ROLLBACK_ENGINES.get(url)
    if engine is not None:
        if engine.iop_writer is db._writers_of(Path(engine.url.database))[0]:
            return engine
        engine.dispose()  # (the file's writers' turn was replaced since: a new engine takes the new one)
    engine = _MAKE_ENGINE(url)
    tables = _checked_tables()

    @event.listens_for(engine, "connect")
    def _no_pysqlite_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        for name in tables:  # the rows as the test starts (each example's are rolled back)
            dbapi_connection.execute(f'CREATE TEMP TABLE "{BEFORE}{name}" AS SELECT * FROM main."{name}"')

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")

    _ROLLBACK_ENGINES[url] = engine
    return engine


@contextmanager
def rolled_back(engine):
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False, info={"since": _since}
        )
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


def arguments(valid: st.SearchStrategy, hostile: dict[str, st.SearchStrategy]):
    """A form-producible call with up to two of its arguments replaced by hostile values."""

    @st.composite
    def call(draw):
        args = dict(draw(valid))
        chosen = draw(st.sets(st.sampled_from(sorted(hostile)), max_size=2))
        for name in sorted(chosen):
            args[name] = draw(hostile[name])
        return args, frozenset(chosen)

    return call()


def run_case(case: Case, engine, world: World, examples: int) -> Counter:
    outcomes: Counter = Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=False,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(drawn=arguments(case.valid(world), case.hostile(world)))
    def example(drawn):
        args, hostile = drawn
        with rolled_back(engine) as session:
            made = case.setup(session, world)
            args = {**resolved(args, made), "_hostile": hostile}
            try:
                result = case.call(session, world, args)
            except ValidationError as exc:
                _refusal_is_calm(exc)
                outcomes["refused"] += 1
            except AccessDenied:
                assert hostile & case.gate, f"the gate refused a call with no hostile id ({sorted(hostile)})"
                outcomes["denied"] += 1
            except case.also:  # the documented refusals (a tuple; empty catches nothing)
                outcomes["other refusal"] += 1
            else:
                case.check(session, world, args, result)
                outcomes["saved"] += 1 if not hostile else 0
                outcomes["saved despite hostile"] += 1 if hostile else 0
            assert_storable(session, case.tables)

    # (example's source is hypothesis's seed for it, derandomized: changed, the examples change)
    examples_begin(engine)
    with rolled_back(engine) as session:  # every row as the examples start from, once
        assert_all_storable(session, case.tables)
    example()
    return outcomes


@pytest.fixture
def world_engine(database_url, demo, session):
    world = World.load(session)
    session.close()
    engine = rollback_engine(database_url)
    yield world, engine
    engine.dispose()


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_arguments_are_refused_or_saved_as_the_form_could_have(name, world_engine):
    world, engine = world_engine
    case = CASES[name]
    started = time.perf_counter()
    outcomes = run_case(case, engine, world, EXAMPLES)
    TIMINGS[name], OUTCOMES[name] = time.perf_counter() - started, outcomes
    assert outcomes["saved"] + outcomes["saved despite hostile"] > 0, f"nothing was ever saved: {dict(outcomes)}"
    if case.needs_refusal:
        assert outcomes["refused"] + outcomes["denied"] > 0, f"nothing was ever refused: {dict(outcomes)}"


def test_after_an_example_every_row_it_wrote_is_read_back(world_engine):
    """The readback after each example (assert_storable) sees a row the example changed and a row it added,
    through the function's own commits, and after the rollback none of them."""
    world, engine = world_engine
    tables = ("app_user", "audit_event")
    examples_begin(engine)
    with rolled_back(engine) as session:  # as the test starts (on SQLite the connection's BEFORE tables are made)
        assert_all_storable(session, tables)
    for write in ("changed", "added"):
        with rolled_back(engine) as session:
            assert_storable(session, tables)  # nothing written yet
            if write == "changed":
                session.get(AppUser, world.alex.id).name = "Alex\u202e"
            else:
                session.add(AppUser(username="new.one", name="New\x07One", role="participant", password_hash="!"))
            session.commit()
            with pytest.raises(AssertionError, match="app_user.name"):
                assert_storable(session, tables)
        with rolled_back(engine) as session:
            assert_storable(session, tables)
