"""A generated clinic for benchmarks: thousands of participants with weeks of history.

`generate(engine, participants=2000, weeks=12)` fills an empty, migrated database with one
program, therapists (most with a caseload of 15, one of 60, one of 240), participants with diary
cards, urges, check-ups, practice, attendance, alerts and an audit history, in bulk inserts (no
ORM objects, so 2,000 participants take seconds, not minutes). Deterministic for a seed. Two
extra participants on the 15-caseload therapist have 1 week and 1 year of cards, so the bench
can compare a save or a review across history lengths.

Nothing here is used by the app or the tests' pass/fail; `bench/run.py` drives it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from core import auth, clinical
from core.diary import ensure_default_targets
from core.models import (Alert, AppUser, Attendance, AuditEvent, CaseloadAssignment, Checkup, DiaryCard,
                         DiaryTarget, DiaryUrge, PracticeEntry, Program, Role)
from core.skills import skills_by_id

PASSWORD = "bench-password-1"
CHUNK = 5_000
AUDIT_PER_DAY = 6          # audit rows of history per participant-day (reads by them and their therapist)


@dataclass(frozen=True)
class Clinic:
    """Who to log in as, for each measurement."""

    participants: int
    therapist_15: str           # a therapist with a caseload of 15
    therapist_60: str | None    # None in a clinic too small for one
    therapist_240: str | None
    participant: str            # on therapist_15's caseload, `weeks` of history
    participant_week: str       # 1 week of cards
    participant_year: str       # 1 year of cards
    family: str


def _chunks(rows: list[dict]):
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def _bulk(conn, table, rows: list[dict]) -> None:
    for chunk in _chunks(rows):
        conn.execute(insert(table.__table__), chunk)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)


def generate(engine: Engine, *, participants: int = 2000, weeks: int = 12, seed: int = 7,
             today: date | None = None) -> Clinic:
    rng = random.Random(seed)
    today = today or datetime.now(UTC).date()
    password_hash = auth.hash_password(PASSWORD, rounds=4)
    skill_ids = list(skills_by_id())
    with engine.begin() as conn:
        program_id = conn.execute(insert(Program.__table__).values(
            name="Generated IOP", timezone="America/New_York", schedule="Mon, Wed, Thu · 6–9 pm",
            length_weeks=12, substance_use_tracking=True, crisis_region="US", local_crisis_resources=[],
            checkup_interval_days=7, created_at=datetime.now(UTC)).returning(Program.__table__.c.id)).scalar_one()

    # Caseloads: one of 240, one of 60, the rest of 15 (plus the two history-length participants).
    sizes = [240, 60] if participants >= 400 else []   # a small clinic has only caseloads of 15
    while sum(sizes) < participants:
        sizes.append(min(15, participants - sum(sizes)))
    users, assignments = [], []

    def user(username: str, name: str, role: Role, **extra) -> dict:
        row = {"username": username, "name": name, "role": role.value, "password_hash": password_hash,
               "program_id": program_id, "is_active": True, "is_demo": False, "failed_attempts": 0,
               "sessions_valid_after": datetime(2000, 1, 1, tzinfo=UTC), "created_at": datetime.now(UTC),
               "email": None, **extra}
        users.append(row)
        return row

    user("bench.admin", "Bench Admin", Role.ADMIN)
    therapists = [user(f"t{i:03d}", f"Therapist {i}", Role.THERAPIST) for i in range(len(sizes))]
    people: list[tuple[dict, int, int]] = []      # (user row, therapist index, weeks of history)
    n = 0
    for t_index, size in enumerate(sizes):
        for _ in range(size):
            people.append((user(f"p{n:05d}", f"Participant {n}", Role.PARTICIPANT,
                                started_on=today - timedelta(weeks=weeks)), t_index, weeks))
            n += 1
    t15 = 2 if sizes[:2] == [240, 60] else 0          # the first therapist with a caseload of 15
    people.append((user("p.week", "One Week", Role.PARTICIPANT, started_on=today - timedelta(weeks=1)), t15, 1))
    people.append((user("p.year", "One Year", Role.PARTICIPANT, started_on=today - timedelta(weeks=52)), t15, 52))
    family = user("f.bench", "Bench Family", Role.FAMILY)

    with engine.begin() as conn:
        for chunk in _chunks(users):
            conn.execute(insert(AppUser.__table__), chunk)
        ids = dict(conn.execute(select(AppUser.__table__.c.username, AppUser.__table__.c.id)).all())
        for row, t_index, _ in people:
            assignments.append({"participant_id": ids[row["username"]],
                                "therapist_id": ids[therapists[t_index]["username"]],
                                "assigned_at": datetime.now(UTC)})
        _bulk(conn, CaseloadAssignment, assignments)

    from sqlmodel import Session

    with Session(engine) as session:
        ensure_default_targets(session, program_id)
        session.commit()
    with engine.begin() as conn:
        targets = dict(conn.execute(select(DiaryTarget.__table__.c.key, DiaryTarget.__table__.c.id)
                                    .where(DiaryTarget.__table__.c.program_id == program_id)).all())
        _history(conn, rng, people, ids, therapists, targets, skill_ids, today)
    first = people[sum(sizes[:t15])][0]["username"]
    return Clinic(participants=len(people), therapist_15=therapists[t15]["username"],
                  therapist_60=therapists[1]["username"] if t15 else None,
                  therapist_240=therapists[0]["username"] if t15 else None,
                  participant=first, participant_week="p.week", participant_year="p.year",
                  family=family["username"])


def _history(conn, rng, people, ids, therapists, targets, skill_ids, today) -> None:
    cards, card_urges, checkups, practice, attendance, alerts, audit = [], [], [], [], [], [], []
    for row, t_index, weeks in people:
        pid, tid = ids[row["username"]], ids[therapists[t_index]["username"]]
        start = row["started_on"]
        span = (today - start).days
        mood_base = rng.uniform(3, 7)
        for offset in range(span):
            day = start + timedelta(days=offset)
            if rng.random() > 0.85:
                continue
            mood = max(0, min(10, round(mood_base + rng.gauss(0, 1.5))))
            cards.append({"participant_id": pid, "day": day, "mood": mood,
                          "sadness": rng.randint(0, 5), "anxiety": rng.randint(0, 5), "anger": rng.randint(0, 3),
                          "shame": rng.randint(0, 4), "joy": rng.randint(0, 5), "craving": rng.randint(0, 10),
                          "sleep_hours": rng.choice([5.0, 6.0, 6.5, 7.0, 8.0]), "medication": "yes",
                          "skills": rng.sample(skill_ids, k=rng.randint(0, 3)),
                          "note": "A generated note." if rng.random() < 0.3 else "", "late": False,
                          "created_at": _at(day, 23), "updated_at": _at(day, 23)})
            day_urges = []
            for target_id in targets.values():
                urge = rng.choice([0, 0, 0, 1, 1, 2, 3, 4])
                day_urges.append({"target_id": target_id, "urge": urge, "acted": urge >= 4 and rng.random() < 0.2})
            card_urges.append(day_urges)
            audit.extend({"at": _at(day, 23), "actor_id": pid if i % 2 else tid,
                          "actor_role": "participant" if i % 2 else "therapist", "participant_id": pid,
                          "category": "diary", "action": "read", "allowed": True, "detail": ""}
                         for i in range(AUDIT_PER_DAY))
            if day.weekday() in (0, 2, 3):
                attendance.append({"participant_id": pid, "day": day, "session_kind": "group",
                                   "status": rng.choice(["attended"] * 8 + ["late", "missed"]),
                                   "recorded_by_id": tid, "recorded_at": _at(day, 23)})
            if rng.random() < 0.3:
                before = rng.randint(3, 9)
                practice.append({"participant_id": pid, "entry_key": f"g{len(cards)}", "day": day,
                                 "skill_id": rng.choice(skill_ids), "situation": "generated",
                                 "distress_before": before, "distress_after": max(0, before - rng.randint(0, 4)),
                                 "helped": "a_bit", "note": "", "tool": "", "created_at": _at(day, 22),
                                 "updated_at": _at(day, 22)})
        for k in range(span // 7 + 1):
            day = start + timedelta(days=7 * k)
            if day >= today:
                continue
            for kind, items, most in (("phq9", 9, 3), ("gad7", 7, 3), ("pacs", 5, 6)):
                answers = [rng.randint(0, most) for _ in range(items)]
                if kind == "phq9":
                    answers[clinical.PHQ9_ITEM9_INDEX] = 0
                total = sum(answers)
                checkups.append({"participant_id": pid, "kind": kind, "slot_key": f"p{k}", "day": day,
                                 "answers": answers, "function_answer": None, "total": total,
                                 "band": clinical.band(kind, total), "late": False, "taken_at": _at(day, 20)})
        if rng.random() < 0.2:
            day = today - timedelta(days=rng.randint(0, 20))
            alerts.append({"participant_id": pid, "trigger": "self_harm_urge_high",
                           "severity": clinical.Severity.URGENT.value, "source_key": f"diary:{day}",
                           "detail": "Generated alert", "opened_at": _at(day, 23),
                           "acknowledgement": "", "acknowledged_at": None, "resolved_at": None})
    table = DiaryCard.__table__
    urges = []
    for start in range(0, len(cards), CHUNK):
        new_ids = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                               cards[start:start + CHUNK]).scalars().all()
        for card_id, day_urges in zip(new_ids, card_urges[start:start + CHUNK]):
            urges.extend({**u, "card_id": card_id} for u in day_urges)
    for table, rows in ((DiaryUrge, urges), (Checkup, checkups), (PracticeEntry, practice),
                        (Attendance, attendance), (Alert, alerts), (AuditEvent, audit)):
        _bulk(conn, table, rows)
