"""A generated clinic for benchmarks: thousands of participants with weeks of history.

`generate(engine, participants=2000, weeks=12)` fills an empty, migrated database (SQLite or
PostgreSQL) with one program, therapists (most with a caseload of 15, one of 60, one of 240 when
the clinic is big enough), participants with diary cards and urges, check-ups, practice, thought
records, homework, attendance, alerts (open and closed, with their reasons), safety plans, a family
member with consent, and an audit history as the lean trail writes it (a few events per
participant-day). Bulk inserts, no ORM objects: 2,000 participants take seconds per table, not
minutes. Deterministic for a seed and a day. Two extra participants on the 15-caseload therapist
have 1 week and 1 year of cards, so the bench can compare a save or a review across history lengths.

Nothing here is used by the app or the tests' pass/fail; `bench/run.py` drives it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from core import auth, clinical
from core.access import Category
from core.diary import ensure_default_targets
from core.models import (
    Alert,
    AppUser,
    Attendance,
    AuditEvent,
    CardTrigger,
    CaseloadAssignment,
    Checkup,
    ConsentGrant,
    DiaryCard,
    DiaryTarget,
    DiaryUrge,
    FamilyLink,
    Homework,
    MatDose,
    PracticeEntry,
    PracticeTrigger,
    Program,
    ProgramSession,
    RecoveryCounter,
    Role,
    SafetyPlanVersion,
    SubstanceUse,
    ThoughtRecord,
)
from core.skills import skills_by_id

PASSWORD = "bench-password-1"
CHUNK = 2_000  # rows per INSERT batch (SQLite caps the values in one statement)
AUDIT_PER_DAY = 4  # audit events per participant-day with a card (their reads and their therapist's)
ZONE = "America/New_York"
VERSION = 4  # bump when what is generated changes: cached databases are rebuilt


@dataclass(frozen=True)
class Clinic:
    """Who to log in as, for each measurement."""

    participants: int
    therapist_15: str  # a therapist with a caseload of 15
    therapist_60: str | None  # None in a clinic too small for one
    therapist_240: str | None
    participant: str  # on therapist_15's caseload, `weeks` of history
    participant_week: str  # 1 week of cards
    participant_year: str  # 1 year of cards
    family: str  # connected to `participant`, with consent to four summaries
    today: date
    crowd: tuple[str, ...]  # participants who log in at once in the server test

    def as_dict(self) -> dict:
        return {**self.__dict__, "today": self.today.isoformat(), "crowd": list(self.crowd)}

    @classmethod
    def of(cls, data: dict) -> Clinic:
        return cls(**{**data, "today": date.fromisoformat(data["today"]), "crowd": tuple(data["crowd"])})


def _converted(column, values: list, dialect) -> list:
    """One column's values as the driver takes them (dates and times repeat: each converted once)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return values
    if values and isinstance(next((v for v in values if v is not None), None), (list, dict)):
        return [None if v is None else process(v) for v in values]
    seen: dict = {}
    return [None if v is None else seen[v] if v in seen else seen.setdefault(v, process(v)) for v in values]


def _bulk(conn, model, rows: list[dict]) -> None:
    """Insert many rows fast: values converted once by each column's own bind processor, then the
    driver's executemany (SQLite) or COPY (PostgreSQL), without SQLAlchemy's per-row machinery."""
    if not rows:
        return
    table, dialect = model.__table__, conn.dialect
    columns = [c for c in table.columns if c.name in rows[0]]
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    data = list(zip(*(_converted(c, [row[c.name] for row in rows], dialect) for c in columns), strict=True))
    if dialect.name == "postgresql":
        with (
            conn.connection.driver_connection.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
        ):
            for values in data:
                copy.write_row(values)
        if "id" in rows[0]:  # ids given explicitly: move the sequence past them
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))"
            )
        return
    marks = ", ".join("?" for _ in columns)
    indexes = [index for index in table.indexes if not index.unique] if len(data) > 50_000 else []
    for index in indexes:  # a big table: fill it first, then build its indexes once (much quicker)
        index.drop(conn)
    cursor = conn.connection.driver_connection.cursor()
    for start in range(0, len(data), CHUNK * 10):
        cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", data[start : start + CHUNK * 10])
    cursor.close()
    for index in indexes:
        index.create(conn)


@lru_cache(maxsize=4096)
def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)


def generate(engine: Engine, *, participants: int = 2000, weeks: int = 12, seed: int = 7) -> Clinic:
    rng = random.Random(seed)
    password_hash = auth.hash_password(PASSWORD, rounds=4)
    skill_ids = list(skills_by_id())
    created = datetime.now(UTC)
    with engine.begin() as conn:
        program_id = conn.execute(
            insert(Program.__table__)
            .values(
                name="Generated IOP",
                timezone=ZONE,
                schedule="Mon, Wed, Thu · 6–9 pm",
                length_weeks=12,
                substance_use_tracking=True,
                crisis_region="US",
                local_crisis_resources=[],
                checkup_interval_days=7,
                mat_medications=["naltrexone"],
                created_at=created,
            )
            .returning(Program.__table__.c.id)
        ).scalar_one()
    today = datetime.now(ZoneInfo(ZONE)).date()  # the program's day, as the app counts it

    # Caseloads: one of 240, one of 60, the rest of 15 (plus the two history-length participants).
    sizes = [240, 60] if participants >= 400 else []  # a small clinic has only caseloads of 15
    while sum(sizes) < participants:
        sizes.append(min(15, participants - sum(sizes)))
    users: list[dict] = []

    def user(username: str, name: str, role: Role, **extra) -> dict:
        row = {
            "username": username,
            "name": name,
            "role": role.value,
            "password_hash": password_hash,
            "program_id": program_id,
            "is_active": True,
            "is_demo": False,
            "session_version": 1,
            "must_change_password": False,
            "created_at": created,
            "email": None,
            "timezone": None,
            "started_on": None,
            **extra,
        }
        users.append(row)
        return row

    user("bench.admin", "Bench Admin", Role.ADMIN)
    therapists = [user(f"t{i:03d}", f"Therapist {i}", Role.THERAPIST) for i in range(len(sizes))]
    people: list[tuple[dict, int]] = []  # (user row, therapist index)
    n = 0
    for t_index, size in enumerate(sizes):
        for _ in range(size):
            people.append(
                (
                    user(f"p{n:05d}", f"Participant {n}", Role.PARTICIPANT, started_on=today - timedelta(weeks=weeks)),
                    t_index,
                )
            )
            n += 1
    t15 = 2 if sizes[:2] == [240, 60] else 0  # the first therapist with a caseload of 15
    people.append((user("p.week", "One Week", Role.PARTICIPANT, started_on=today - timedelta(weeks=1)), t15))
    people.append((user("p.year", "One Year", Role.PARTICIPANT, started_on=today - timedelta(weeks=52)), t15))
    family = user("f.bench", "Bench Family", Role.FAMILY)

    with engine.begin() as conn:
        _bulk(conn, AppUser, users)
        ids = dict(conn.execute(select(AppUser.__table__.c.username, AppUser.__table__.c.id)).all())
        _bulk(
            conn,
            CaseloadAssignment,
            [
                {
                    "participant_id": ids[row["username"]],
                    "therapist_id": ids[therapists[t]["username"]],
                    "assigned_at": created,
                }
                for row, t in people
            ],
        )
    from sqlmodel import Session

    with Session(engine) as session:
        ensure_default_targets(session, program_id)
        session.commit()
    first = people[sum(sizes[:t15])][0]["username"]
    with engine.begin() as conn:
        targets = dict(
            conn.execute(
                select(DiaryTarget.__table__.c.key, DiaryTarget.__table__.c.id).where(
                    DiaryTarget.__table__.c.program_id == program_id
                )
            ).all()
        )
        _history(conn, rng, people, ids, therapists, targets, skill_ids, today)
        pid, fid = ids[first], ids[family["username"]]
        _bulk(
            conn,
            FamilyLink,
            [{"family_id": fid, "participant_id": pid, "relationship": "Parent", "created_at": created}],
        )
        _bulk(
            conn,
            ConsentGrant,
            [
                {
                    "participant_id": pid,
                    "family_id": fid,
                    "category": c.value,
                    "granted_at": created,
                    "expires_at": created + timedelta(days=365),
                    "purpose": "",
                    "signature": "",
                    "discloser": "Generated IOP",
                    "consent_version": "1",
                }
                for c in (Category.ATTENDANCE, Category.MOOD_TREND, Category.PRACTICE_COUNTS, Category.CHECKUP_TOTALS)
            ],
        )
    crowd = tuple(row["username"] for row, _ in people[:-2])[:50]  # they log in at once in the server test
    return Clinic(
        participants=len(people),
        therapist_15=therapists[t15]["username"],
        therapist_60=therapists[1]["username"] if t15 else None,
        therapist_240=therapists[0]["username"] if t15 else None,
        participant=first,
        participant_week="p.week",
        participant_year="p.year",
        family=family["username"],
        today=today,
        crowd=crowd,
    )


def _reasons(text: str, severity: clinical.Severity) -> list[dict]:
    return [clinical.Reason("urge:self_harm", severity, text, 4).as_dict()]


SLEEP = (5.0, 6.0, 6.5, 7.0, 8.0)
MEDICATION = ("yes",) * 6 + ("no", "not_prescribed")
URGES = (0, 0, 0, 1, 1, 2, 3, 4)
ATTENDED = ("present",) * 8 + ("late", "absent")
AUDITED = ("diary", "checkups", "skills", "alerts")
TRIGGER_KEYS = tuple(clinical.TRIGGERS)


def _history(conn, rng, people, ids, therapists, targets, skill_ids, today) -> None:
    target_ids = list(targets.values())
    cards, card_urges, checkups, practice, thoughts, attendance, alerts, audit = [], [], [], [], [], [], [], []
    card_details: list[tuple[list[str], list[str], bool]] = []  # (triggers, substances used, MAT dose)
    practice_triggers: list[dict] = []
    counters: list[dict] = []
    sessions: list[dict] = []
    homework, plans = [], []
    for row, t_index in people:
        pid, tid = ids[row["username"]], ids[therapists[t_index]["username"]]
        start = row["started_on"]
        span = (today - start).days
        mood_base = rng.uniform(3, 7)
        draw = rng.random
        on_mat = rng.random() < 0.2
        counters.append(
            {"participant_id": pid, "substance": "any", "start_on": start, "shown": True, "updated_at": _at(start, 19)}
        )
        for offset in range(span):
            day = start + timedelta(days=offset)
            if draw() > 0.85:
                continue
            mood = max(0, min(10, round(mood_base + rng.gauss(0, 1.5))))
            evening = _at(day, 23)
            cards.append(
                {
                    "participant_id": pid,
                    "day": day,
                    "mood": mood,
                    "sadness": int(draw() * 6),
                    "anxiety": int(draw() * 6),
                    "anger": int(draw() * 4),
                    "shame": int(draw() * 5),
                    "joy": int(draw() * 6),
                    "craving": int(draw() * 11),
                    "sleep_hours": SLEEP[int(draw() * len(SLEEP))],
                    "medication": MEDICATION[int(draw() * len(MEDICATION))],
                    "skills": skill_ids[int(draw() * len(skill_ids)) :][: int(draw() * 4)],
                    "note": "A generated note." if draw() < 0.3 else "",
                    "late": False,
                    "created_at": evening,
                    "updated_at": evening,
                }
            )
            card_urges.append(
                [
                    {
                        "target_id": target_id,
                        "urge": (u := URGES[int(draw() * len(URGES))]),
                        "acted": u >= 4 and draw() < 0.2,
                    }
                    for target_id in target_ids
                ]
            )
            # The substance-use details (#20): what was going on around an urge, a use now and then,
            # and a MAT dose for those on one. The Review's recovery panel and My progress read them.
            card_details.append(
                (
                    TRIGGER_KEYS[int(draw() * len(TRIGGER_KEYS)) :][: int(draw() * 3)] if draw() < 0.3 else [],
                    ["alcohol"] if draw() < 0.05 else [],
                    on_mat,
                )
            )
            week = f"{day - timedelta(days=6)}..{day}"
            audit.extend(
                {
                    "at": evening,
                    "actor_id": pid if i % 2 else tid,
                    "actor_role": "participant" if i % 2 else "therapist",
                    "participant_id": pid,
                    "category": AUDITED[i % 4],
                    "action": "read",
                    "allowed": True,
                    "reason": "",
                    "ref": week,
                }
                for i in range(AUDIT_PER_DAY)
            )
            if day.weekday() in (0, 2, 3):
                sessions.append(
                    {
                        "id": len(sessions) + 1,
                        "participant_id": pid,
                        "program_id": None,
                        "kind": "group",
                        "day": day,
                        "starts_at": _at(day, 23),
                        "ends_at": _at(day, 23) + timedelta(hours=1),
                        "topic": "",
                        "created_by_id": None,
                        "created_at": evening,
                    }
                )
                attendance.append(
                    {
                        "session_id": len(sessions),
                        "participant_id": pid,
                        "day": day,
                        "session_kind": "group",
                        "status": ATTENDED[int(draw() * len(ATTENDED))],
                        "recorded_by_id": tid,
                        "recorded_at": evening,
                    }
                )
            if draw() < 0.3:
                before = 3 + int(draw() * 7)
                practice.append(
                    {
                        "participant_id": pid,
                        "entry_key": f"g{len(cards)}",
                        "day": day,
                        "skill_id": skill_ids[int(draw() * len(skill_ids))],
                        "situation": "generated",
                        "distress_before": before,
                        "distress_after": max(0, before - int(draw() * 5)),
                        "helped": "a_bit",
                        "note": "",
                        "tool": "",
                        "created_at": _at(day, 22),
                        "updated_at": _at(day, 22),
                    }
                )
                if draw() < 0.3:
                    practice_triggers.append(
                        {"entry_id": len(practice), "trigger": TRIGGER_KEYS[int(draw() * len(TRIGGER_KEYS))]}
                    )
            if draw() < 0.03:
                thoughts.append(
                    {
                        "participant_id": pid,
                        "entry_key": f"t{len(cards)}",
                        "day": day,
                        "situation": "generated",
                        "emotions": [{"name": "anxious", "before": 70, "after": 40}],
                        "automatic_thought": "It will go wrong",
                        "evidence_for": "",
                        "evidence_against": "",
                        "balanced_thought": "It might not",
                        "balanced_belief": 60,
                        "created_at": _at(day, 21),
                        "updated_at": _at(day, 21),
                    }
                )
        for k in range(span // 7 + 1):
            day = start + timedelta(days=7 * k)
            if day >= today:
                continue
            for kind, items, most in (("phq9", 9, 3), ("gad7", 7, 3), ("pacs", 5, 6)):
                answers = [rng.randint(0, most) for _ in range(items)]
                if kind == "phq9":
                    answers[clinical.PHQ9_ITEM9_INDEX] = 0
                total = sum(answers)
                checkups.append(
                    {
                        "participant_id": pid,
                        "kind": kind,
                        "slot_key": f"p{k}",
                        "day": day,
                        "answers": answers,
                        "function_answer": None,
                        "total": total,
                        "band": clinical.band(kind, total),
                        "late": False,
                        "taken_at": _at(day, 20),
                    }
                )
        for j in range(rng.choice([0, 1, 1, 2])):
            day = today - timedelta(days=rng.randint(0, 20))
            closed = rng.random() < 0.5
            alerts.append(
                {
                    "participant_id": pid,
                    "trigger": "urge:self_harm",
                    "seq": 0,
                    "severity": clinical.Severity.URGENT.value,
                    "source_key": f"diary:{day}:{j}",
                    "day": day,
                    "detail": "Self-harm urge 4 of 5",
                    "latest": "Self-harm urge 4 of 5",
                    "reasons": _reasons("Self-harm urge 4 of 5", clinical.Severity.URGENT),
                    "opened_at": _at(day, 23),
                    "acknowledgement": "Called them." if closed else "",
                    "acknowledged_at": _at(day, 23) + timedelta(hours=2) if closed else None,
                    "acknowledged_by_id": tid if closed else None,
                    "resolved_at": _at(day, 23) + timedelta(hours=3) if closed else None,
                }
            )
        if rng.random() < 0.5:
            homework.append(
                {
                    "participant_id": pid,
                    "skill_id": rng.choice(skill_ids),
                    "assigned_by_id": tid,
                    "assigned_on": today - timedelta(days=5),
                    "assigned_at": _at(today - timedelta(days=5), 18),
                    "due_on": today + timedelta(days=2),
                    "note": "",
                    "removed_at": None,
                }
            )
        plans.append(
            {
                "participant_id": pid,
                "version": 1,
                "created_by_id": pid,
                "created_at": _at(start, 19),
                "content": {
                    "warning_signs": "Not sleeping",
                    "coping": "A walk",
                    "reasons_for_living": "My dog",
                    "shared_steps": [],
                },
            }
        )
    urges, triggers, uses, doses = [], [], [], []
    for card_id, (card, day_urges, (day_triggers, used, dose)) in enumerate(
        zip(cards, card_urges, card_details, strict=True), start=1
    ):  # (empty tables: the ids are ours to give)
        card["id"] = card_id
        urges.extend({**u, "card_id": card_id} for u in day_urges)
        triggers.extend({"card_id": card_id, "trigger": t} for t in day_triggers)
        uses.extend({"card_id": card_id, "substance": u, "amount": 2, "unit": "drinks"} for u in used)
        if dose:
            doses.append({"card_id": card_id, "medication": "naltrexone", "taken": "yes"})
    for number, entry in enumerate(practice, start=1):
        entry["id"] = number
    for model, rows in (
        (DiaryCard, cards),
        (DiaryUrge, urges),
        (CardTrigger, triggers),
        (SubstanceUse, uses),
        (MatDose, doses),
        (RecoveryCounter, counters),
        (Checkup, checkups),
        (PracticeEntry, practice),
        (PracticeTrigger, practice_triggers),
        (ThoughtRecord, thoughts),
        (ProgramSession, sessions),
        (Attendance, attendance),
        (Alert, alerts),
        (Homework, homework),
        (SafetyPlanVersion, plans),
        (AuditEvent, audit),
    ):
        _bulk(conn, model, rows)
