"""Deterministic demo data: one program, its staff, twelve participants, a few family members.

Run `python -m core.seed` (what `make run` does): it seeds only an empty database and only in
demo mode. Every demo account shares DEMO_PASSWORD (hashed once, so seeding stays quick).
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from core import alerts, auth, clinical
from core.access import Category
from core.config import ConfigError, settings
from core.diary import ensure_default_targets
from core.models import (
    AftercarePlanVersion,
    Alert,
    AppUser,
    Attendance,
    CardTrigger,
    CaseloadAssignment,
    Checkup,
    ConsentGrant,
    DiaryCard,
    DiaryTarget,
    DiaryUrge,
    FamilyLink,
    FavouriteSkill,
    GoalRating,
    Homework,
    MatDose,
    PracticeEntry,
    Program,
    RecoveryCounter,
    Role,
    SafetyPlanVersion,
    SubstanceUse,
    ThoughtRecord,
    TreatmentGoal,
    id_of,
    utcnow,
)
from core.skills import catalogue

SEED = 20261123
DEMO_PASSWORD = "iop-demo-2026"
DEMO_TIMEZONE = "America/New_York"
ADMIN = ("admin", "Morgan Avery")
THERAPISTS = (("dr.rivera", "Dr. Elena Rivera"), ("dr.chen", "Dr. Marcus Chen"))
# username, name, trajectory (used by later seeders to shape their history)
PARTICIPANTS = (
    ("alex", "Alex Morgan", "improving"),
    ("bailey", "Bailey Brooks", "flat"),
    ("casey", "Casey Nguyen", "worsening"),
    ("dana", "Dana Okafor", "risk"),
    ("eli", "Eli Santos", "dual_diagnosis"),
    ("frankie", "Frankie Lopez", "improving"),
    ("gray", "Gray Whitaker", "flat"),
    ("harper", "Harper Singh", "improving"),
    ("indigo", "Indigo Park", "worsening"),
    ("jordan", "Jordan Ellis", "improving"),
    ("kai", "Kai Thompson", "dual_diagnosis"),
    ("lee", "Lee Martin", "flat"),
)
# username, name, participant, relationship, consented categories, consent state
FAMILY = (
    (
        "pat.morgan",
        "Pat Morgan",
        "alex",
        "Parent",
        (Category.ATTENDANCE, Category.MOOD_TREND, Category.PRACTICE_COUNTS),
        "active",
    ),
    ("jamie.okafor", "Jamie Okafor", "dana", "Partner", (), "none"),
    ("robin.thompson", "Robin Thompson", "kai", "Sibling", (Category.MOOD_TREND,), "expired"),
)


def trajectory_of(username: str) -> str | None:
    return next((t for u, _, t in PARTICIPANTS if u == username), None)


def _trajectory(username: str) -> str:
    """A demo participant's trajectory (every one in PARTICIPANTS has one)."""
    found = trajectory_of(username)
    if found is None:
        raise ValueError(f"{username} is not a demo participant")
    return found


def _program_of(session: Session, user: AppUser) -> Program:
    """A demo person's program (every one is seeded into one)."""
    program = session.get(Program, user.program_id)
    if program is None:
        raise ValueError(f"{user.username} has no program")
    return program


def _start(user: AppUser) -> date:
    """A demo participant's first day (every one is seeded with one)."""
    if user.started_on is None:
        raise ValueError(f"{user.username} has no start day")
    return user.started_on


def is_empty(session: Session) -> bool:
    return session.exec(select(AppUser.id)).first() is None


def demo_today() -> date:
    """The demo program's calendar day: an evening program seeded at 8 pm in New York must not
    already have "today" filled in because the server's clock has passed midnight UTC."""
    return datetime.now(ZoneInfo(DEMO_TIMEZONE)).date()


def seed_demo(session: Session, *, rounds: int, today: date | None = None) -> Program:
    """Create the demo program and accounts. Deterministic for a given `today`."""
    rng = random.Random(SEED)
    today = today or demo_today()
    password_hash = auth.hash_password(DEMO_PASSWORD, rounds=rounds)
    program = Program(
        name="Evening Adult IOP",
        timezone=DEMO_TIMEZONE,
        schedule="Mon, Wed, Thu · 6–9 pm",
        length_weeks=10,
        substance_use_tracking=True,
        crisis_region="US",
        local_crisis_resources=[
            {
                "name": "Program after-hours line",
                "detail": "Evenings and weekends, a clinician on call for IOP participants.",
                "call": "555-0142",
                "text": "",
            }
        ],
    )
    session.add(program)
    session.flush()

    def person(username: str, name: str, role: Role, **extra) -> AppUser:
        user = AppUser(
            username=username,
            name=name,
            role=role.value,
            password_hash=password_hash,
            email=f"{username}@demo.iop.example",
            program_id=program.id,
            is_demo=True,
            **extra,
        )
        session.add(user)
        return user

    person(*ADMIN, Role.ADMIN)
    therapists = [person(u, n, Role.THERAPIST) for u, n in THERAPISTS]
    participants = {}
    for username, name, _trajectory in PARTICIPANTS:
        weeks = rng.randint(2, 10)
        participants[username] = person(username, name, Role.PARTICIPANT, started_on=today - timedelta(weeks=weeks))
    session.flush()
    for index, user in enumerate(participants.values()):
        session.add(CaseloadAssignment(participant_id=id_of(user), therapist_id=id_of(therapists[index % 2])))

    now = utcnow()
    for username, name, participant, relationship, categories, state in FAMILY:
        relative = person(username, name, Role.FAMILY)
        session.flush()
        patient = participants[participant]
        session.add(FamilyLink(family_id=id_of(relative), participant_id=id_of(patient), relationship=relationship))
        for category in categories:
            expired = state == "expired"
            session.add(
                ConsentGrant(
                    participant_id=id_of(patient),
                    family_id=id_of(relative),
                    category=category.value,
                    granted_at=now - timedelta(days=120 if expired else 10),
                    expires_at=now - timedelta(days=30) if expired else now + timedelta(days=80),
                )
            )
    ensure_default_targets(session, id_of(program))
    seed_diary_history(session, rng, program, participants, today)
    seed_checkups(session, rng, program, participants, today)
    seed_safety_plans(session, participants, therapists)
    seed_practice(session, participants, today)
    seed_homework(session, participants, today)
    participants[COMPLETED[0]] = seed_completed_participant(session, program, therapists[1], password_hash, today)
    seed_attendance(session, participants, today)
    seed_goals(session, participants, today)
    seed_aftercare(session, participants, today)
    seed_discharge(session, participants[COMPLETED[0]], therapists[1], today)
    seed_recovery(session, program, participants, today)
    session.commit()
    return program


DEMO_LAPSE_DAYS_AGO = 9  # Eli's last lapse: his alcohol counter shows 9 days, restarted kindly


def seed_recovery(session: Session, program: Program, participants: dict[str, AppUser], today: date) -> None:
    """Dual diagnosis for the demo: the program asks about buprenorphine and naltrexone; Eli's lapses
    name what he used and what was going on, his last one DEMO_LAPSE_DAYS_AGO days ago, he takes
    naltrexone, and he keeps an alcohol counter on Today."""
    program.mat_medications = ["buprenorphine", "naltrexone"]
    session.add(program)
    eli = participants["eli"]
    target = session.exec(
        select(DiaryTarget.id).where(DiaryTarget.program_id == program.id, DiaryTarget.key == "substance_use")
    ).one()
    cards = session.exec(select(DiaryCard).where(DiaryCard.participant_id == eli.id).order_by(col(DiaryCard.day))).all()
    urges = {u.card_id: u for u in session.exec(select(DiaryUrge).where(DiaryUrge.target_id == target))}
    lapse_day = today - timedelta(days=DEMO_LAPSE_DAYS_AGO)
    last = max((c for c in cards if c.day <= lapse_day), key=lambda c: c.day)
    rotation = (("alcohol", 5, "drinks", ["people", "lonely"]), ("cannabis", 2, "times", ["tired", "feelings"]))
    for n, card in enumerate(cards):
        urge = urges.get(id_of(card))
        if urge is None:
            continue
        if card.day > last.day and urge.acted:  # nothing used since the last lapse
            urge.acted = False
            session.add(urge)
        if card.id == last.id:
            urge.acted, urge.urge = True, 4
            session.add(urge)
        if urge.acted:
            substance, amount, unit, triggers = rotation[0] if card.id == last.id else rotation[n % 2]
            session.add(SubstanceUse(card_id=id_of(card), substance=substance, amount=amount, unit=unit))
            session.add_all(CardTrigger(card_id=id_of(card), trigger=t) for t in triggers)
        elif (urge.urge or 0) >= 3:
            session.add(CardTrigger(card_id=id_of(card), trigger=("lonely", "tired", "places")[n % 3]))
        session.add(MatDose(card_id=id_of(card), medication="naltrexone", taken="no" if n % 11 == 5 else "yes"))
    session.add(RecoveryCounter(participant_id=id_of(eli), substance="alcohol", start_on=_start(eli), shown=True))
    rules = {
        key: (label, clinical.DEFAULT_TARGET_RULES.get(key, clinical.NO_RULE))
        for key, label in clinical.DEFAULT_TARGETS
    }
    opened = datetime.combine(last.day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23)
    outcome = alerts.route(  # the last lapse's alert, as a real save would have opened it, since resolved
        session,
        None,
        participant_id=id_of(eli),
        source_key=f"diary:{last.day}",
        day=last.day,
        reasons=clinical.diary_reasons({"substance_use": (4, True)}, rules) + clinical.lapse_reasons({"alcohol"}),
        latest=clinical.card_latest({"substance_use": (4, True)}, rules),
        now=opened,
    )
    alert = session.get(Alert, outcome.alert_id)
    if alert is not None and alert.resolved_at is None:
        alert.acknowledged_at = alert.resolved_at = opened + timedelta(hours=14)
        alert.acknowledgement = "Talked it through in session: a lapse after a family party; plan updated."
        alert.acknowledged_by_id = _therapist_of(session, id_of(eli))
        session.add(alert)


NOTES = (
    "Rough day at work. Used paced breathing in the car before going in.",
    "Slept badly. Called my sister, which helped more than I expected.",
    "Group tonight was hard but good.",
    "Felt proud that I said no without over-explaining.",
    "Cravings were loud after dinner. Surfed it for ten minutes and it passed.",
    "Quiet day. Went for a walk.",
    "Argument with my partner. Tried DEAR MAN, partly worked.",
)


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _day_values(rng: random.Random, trajectory: str, progress: float) -> dict:
    """One day's plausible numbers for a trajectory; `progress` runs 0 (start) to 1 (today)."""
    base_mood = {
        "improving": 3 + 4 * progress,
        "flat": 5,
        "worsening": 6 - 3.5 * progress,
        "risk": 3.5 - 1.5 * progress,
        "dual_diagnosis": 3.5 + 2.5 * progress,
    }[trajectory]
    mood = _clamp(base_mood + rng.gauss(0, 1), 0, 10)
    low = (10 - mood) / 2
    values = {
        "mood": mood,
        "sadness": _clamp(low + rng.gauss(0, 0.8), 0, 5),
        "anxiety": _clamp(low + rng.gauss(0, 1), 0, 5),
        "anger": _clamp(rng.gauss(1.5, 1), 0, 5),
        "shame": _clamp(low - 0.5 + rng.gauss(0, 1), 0, 5),
        "joy": _clamp(mood / 2 + rng.gauss(0, 0.8), 0, 5),
        "sleep_hours": round(max(3.0, min(10.0, 5.5 + mood / 4 + rng.gauss(0, 0.8))) * 2) / 2,
        "medication": rng.choices(["yes", "no", "not_prescribed"], [8, 1, 0])[0],
    }
    suicidal = self_harm = 0
    if trajectory == "worsening":
        suicidal = _clamp(progress * 3 + rng.gauss(0, 0.7), 0, 3)
    if trajectory == "risk":
        self_harm = _clamp(1 + 2.2 * progress + rng.gauss(0, 0.8), 0, 5)
        suicidal = _clamp(1 + progress + rng.gauss(0, 0.8), 0, 5)
    substance = _clamp(4 - 3 * progress + rng.gauss(0, 0.8), 0, 5) if trajectory == "dual_diagnosis" else 0
    values["urges"] = {
        "suicidal_thoughts": (suicidal, False),
        "self_harm": (self_harm, trajectory == "risk" and self_harm >= 5),
        "substance_use": (substance, substance >= 4 and rng.random() < 0.5),
    }
    values["craving"] = (
        _clamp(8 - 4 * progress + rng.gauss(0, 1), 0, 10)
        if trajectory == "dual_diagnosis"
        else _clamp(rng.gauss(1, 1), 0, 10)
    )
    return values


def _therapist_of(session: Session, participant_id: int) -> int | None:
    return session.exec(
        select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == participant_id)
    ).first()


def _their_therapist(session: Session, participant_id: int) -> int:
    """A demo participant's therapist (every one is on a caseload)."""
    found = _therapist_of(session, participant_id)
    if found is None:
        raise ValueError(f"participant {participant_id} has no therapist")
    return found


def seed_diary_history(
    session: Session, rng: random.Random, program: Program, participants: dict[str, AppUser], today: date
) -> None:
    """Cards from each participant's first day to yesterday; today is left for the demo user."""
    targets = {t.key: id_of(t) for t in session.exec(select(DiaryTarget).where(DiaryTarget.program_id == program.id))}
    skill_ids = [s.id for m in catalogue() for s in m.skills]
    for username, user in participants.items():
        trajectory = _trajectory(username)
        span = (today - _start(user)).days
        adherence = {"improving": 0.9, "flat": 0.75, "worsening": 0.8, "risk": 0.85, "dual_diagnosis": 0.85}[trajectory]
        for offset in range(span):
            day = _start(user) + timedelta(days=offset)
            progress = offset / max(span - 1, 1)
            recent_gap = trajectory == "worsening" and (today - day).days <= 4
            if recent_gap or rng.random() > adherence:
                continue  # a missed day (the worsening ones have stopped checking in lately)
            values = _day_values(rng, trajectory, progress)
            used = rng.sample(
                skill_ids, k=_clamp(rng.gauss(1 + 3 * progress if trajectory != "flat" else 1.5, 1), 0, 5)
            )
            card = DiaryCard(
                participant_id=id_of(user),
                day=day,
                mood=values["mood"],
                **{k: values[k] for k in clinical.EMOTIONS},
                sleep_hours=values["sleep_hours"],
                medication=values["medication"],
                skills=used,
                craving=values["craving"] if program.substance_use_tracking else None,
                note=rng.choice(NOTES) if rng.random() < 0.3 else "",
                late=rng.random() < 0.1,
            )
            session.add(card)
            session.flush()
            for key, (urge, acted) in values["urges"].items():
                session.add(DiaryUrge(card_id=id_of(card), target_id=targets[key], urge=urge, acted=acted))
            rules = {
                key: (label, clinical.DEFAULT_TARGET_RULES.get(key, clinical.NO_RULE))
                for key, label in clinical.DEFAULT_TARGETS
            }
            reasons = clinical.diary_reasons(values["urges"], rules)
            if reasons:  # through the same loop as a real save, so demo alerts follow the rules
                old = (today - day).days > 7
                opened = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23)
                outcome = alerts.route(
                    session,
                    None,
                    participant_id=id_of(user),
                    source_key=f"diary:{day}",
                    day=day,
                    reasons=reasons,
                    latest=clinical.card_latest(values["urges"], rules),
                    now=opened,
                )
                if old:
                    alert = session.get_one(Alert, outcome.alert_id)
                    alert.acknowledged_at = alert.resolved_at = opened + timedelta(hours=14)
                    alert.acknowledgement = "Reviewed in individual session; safety plan updated."
                    alert.acknowledged_by_id = _therapist_of(session, id_of(user))
                    session.add(alert)


# (total at intake, total now) per trajectory; GAD-7 follows at about three quarters.
PHQ9_PATHS = {"improving": (16, 7), "flat": (11, 11), "worsening": (9, 17), "risk": (17, 19), "dual_diagnosis": (14, 9)}
PACS_PATHS = {"dual_diagnosis": (22, 12)}


def _spread(rng: random.Random, total: int, items: int, most: int) -> list[int]:
    """Answers that add up to `total`, each between 0 and `most`."""
    answers = [0] * items
    for _ in range(min(total, items * most)):
        answers[rng.choice([i for i in range(items) if answers[i] < most])] += 1
    return answers


def seed_checkups(
    session: Session, rng: random.Random, program: Program, participants: dict[str, AppUser], today: date
) -> None:
    """Weekly PHQ-9, GAD-7 and craving scale from intake; Dana's latest PHQ-9 has item 9 > 0."""
    from core.checkups import questionnaires

    item9_choices = list(questionnaires()["phq9"].items[clinical.PHQ9_ITEM9_INDEX].choices)
    for username, user in participants.items():
        trajectory = _trajectory(username)
        weeks = (today - _start(user)).days // program.checkup_interval_days
        intakes: dict[str, int] = {}
        for k in range(weeks + 1):
            day = _start(user) + timedelta(days=k * program.checkup_interval_days)
            if day >= today or (k > 0 and rng.random() < 0.1):
                continue  # today's is left for the demo; now and then a week is missed
            progress = k / max(weeks, 1)
            start, end = PHQ9_PATHS[trajectory]
            phq = _clamp(start + (end - start) * progress + rng.gauss(0, 1.2), 0, 26)
            pacs_start, pacs_end = PACS_PATHS.get(trajectory, (4, 3))
            totals = {
                "phq9": phq,
                "gad7": _clamp(phq * 0.75 + rng.gauss(0, 1), 0, 21),
                "pacs": _clamp(pacs_start + (pacs_end - pacs_start) * progress + rng.gauss(0, 1.5), 0, 30),
            }
            for kind, total in list(totals.items()):
                if kind == "pacs" and not program.substance_use_tracking:
                    continue
                items, most = {"phq9": (9, 3), "gad7": (7, 3), "pacs": (5, 6)}[kind]
                answers = _spread(rng, total, items - (kind == "phq9"), most)
                if kind == "phq9":
                    latest = k == weeks or day + timedelta(days=program.checkup_interval_days) >= today
                    answers.append(1 if trajectory == "risk" and latest else 0)
                total = sum(answers)
                session.add(
                    Checkup(
                        participant_id=id_of(user),
                        kind=kind,
                        slot_key=f"p{k}",
                        day=day,
                        answers=answers,
                        total=total,
                        band=clinical.band(kind, total),
                        taken_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20),
                    )
                )
                intake = intakes.get(kind)
                intakes.setdefault(kind, total)
                taken = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20)
                alerts.route(
                    session,
                    None,
                    participant_id=id_of(user),
                    source_key=f"{kind}:p{k}",
                    day=day,
                    reasons=clinical.checkup_reasons(kind, answers, item9_choices),
                    now=taken,
                )
                worse = clinical.worsening_reason(kind, total, intake)
                alerts.route(
                    session,
                    None,
                    participant_id=id_of(user),
                    source_key=f"worsening:{kind}",
                    day=day,
                    reasons=[worse] if worse else [],
                    now=taken,
                )


DEMO_PLANS: dict[str, dict[str, list]] = {
    "dana": {
        "warning_signs": ["Staying in bed past noon", "Telling myself nobody would notice", "Skipping group"],
        "coping_alone": ["Cold water on my face, then paced breathing", "Walk around the block with music on"],
        "distractions": ["The library on Elm Street", "Coffee with Jamie"],
        "help_contacts": [{"name": "Jamie (partner)", "phone": "555-0118"}, {"name": "Aunt Rosa", "phone": "555-0176"}],
        "professionals": [{"name": "Dr. Marcus Chen", "phone": "555-0142"}],
        "safer_environment": ["Jamie keeps my medication and gives me the week's doses"],
        "reasons_for_living": ["My nephew's laugh", "Finishing my nursing course"],
    },
    "alex": {
        "warning_signs": ["Not sleeping", "Cancelling plans"],
        "coping_alone": ["Paced breathing, in 4 out 6", "A hot shower"],
        "help_contacts": [{"name": "Pat (mum)", "phone": "555-0100"}],
        "professionals": [{"name": "Dr. Elena Rivera", "phone": "555-0142"}],
        "reasons_for_living": ["My dog Pepper"],
    },
}


def seed_safety_plans(session: Session, participants: dict[str, AppUser], therapists: list[AppUser]) -> None:
    """Plans written with the therapist (version 1), then added to by the participant (version 2)."""
    by_id = {t.id: t for t in therapists}
    for username, content in DEMO_PLANS.items():
        user = participants[username]
        therapist_id = session.exec(
            select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == id_of(user))
        ).one()
        first = {k: v[:-1] if len(v) > 1 else v for k, v in content.items()}
        session.add(
            SafetyPlanVersion(
                participant_id=id_of(user),
                version=1,
                content=first,
                created_by_id=id_of(by_id[therapist_id]),
                created_at=utcnow() - timedelta(days=14),
            )
        )
        session.add(
            SafetyPlanVersion(
                participant_id=id_of(user),
                version=2,
                content=content,
                created_by_id=id_of(user),
                created_at=utcnow() - timedelta(days=3),
            )
        )


SITUATIONS = (
    "after work",
    "before group",
    "argument at home",
    "couldn't sleep",
    "craving after dinner",
    "worrying about money",
    "hard phone call",
    "alone in the evening",
    "stressful meeting",
)
# How much practice lowers distress, by trajectory (the lowest and highest drop).
PRACTICE_DROPS = {"improving": (2, 4), "flat": (1, 2), "worsening": (0, 1), "risk": (1, 2), "dual_diagnosis": (2, 3)}
TOOL_OF = {"tipp": "breathing", "urge_surfing": "urge_surfing", "observe": "grounding"}
THOUGHTS = (
    (
        "Friend didn't reply to my message all day",
        "anxious",
        "They're fed up with me",
        "They usually reply fast",
        "They told me this week is busy at work",
        "They're probably busy; I can ask tomorrow",
    ),
    (
        "Made a mistake in a report at work",
        "ashamed",
        "I'm useless at this job",
        "My manager pointed it out",
        "I've had good feedback on other reports",
        "One mistake doesn't cancel what I do well",
    ),
    (
        "Family dinner went quiet when I arrived",
        "sad",
        "Everyone is disappointed in me",
        "Nobody asked about my week",
        "My brother hugged me when I left",
        "People may be unsure what to say; it isn't proof they're disappointed",
    ),
)


def _evening(day: date, hour: int = 23) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)


def seed_practice(session: Session, participants: dict[str, AppUser], today: date) -> None:
    """Practice entries on days whose card lists skills (one of that day's skills), with distress
    falling more for those who are improving; a few thought records; two favourites for Alex."""
    rng = random.Random(SEED + 4)  # its own stream: adding practice doesn't change the cards
    for username, user in participants.items():
        trajectory = _trajectory(username)
        low, high = PRACTICE_DROPS[trajectory]
        cards = session.exec(
            select(col(DiaryCard.day), DiaryCard.mood, DiaryCard.skills)
            .where(DiaryCard.participant_id == id_of(user))
            .order_by(col(DiaryCard.day))
        ).all()
        for n, (day, mood, skills) in enumerate(cards):
            if not skills or rng.random() > 0.45:
                continue
            skill_id = rng.choice(skills)
            before = _clamp(10 - mood + rng.gauss(0, 1), 2, 10)
            after = max(0, before - rng.randint(low, high))
            drop = before - after
            session.add(
                PracticeEntry(
                    participant_id=id_of(user),
                    entry_key=f"seed-{n}",
                    skill_id=skill_id,
                    day=day,
                    situation=rng.choice(SITUATIONS),
                    distress_before=before,
                    distress_after=after,
                    helped="yes" if drop >= 3 else "a_bit" if drop >= 1 else "no",
                    tool=TOOL_OF.get(skill_id, ""),
                    created_at=_evening(day),
                    updated_at=_evening(day),
                )
            )
        if trajectory in ("improving", "flat") and cards:
            for n, (situation, emotion, thought, evidence_for, against, balanced) in enumerate(THOUGHTS[:2]):
                day = cards[len(cards) * (n + 1) // 3 - 1][0]
                before = rng.randint(60, 90)
                session.add(
                    ThoughtRecord(
                        participant_id=id_of(user),
                        entry_key=f"seed-{n}",
                        day=day,
                        situation=situation,
                        emotions=[{"name": emotion, "before": before, "after": before - rng.randint(15, 40)}],
                        automatic_thought=thought,
                        evidence_for=evidence_for,
                        evidence_against=against,
                        balanced_thought=balanced,
                        balanced_belief=rng.randint(50, 80),
                        created_at=_evening(day),
                        updated_at=_evening(day),
                    )
                )
    for skill_id in ("tipp", "wise_mind"):
        session.add(FavouriteSkill(participant_id=id_of(participants["alex"]), skill_id=skill_id))


# participant, skill, assigned (days ago), due (days from today, or None), note, practised since
HOMEWORK = (
    ("alex", "dear_man", 6, -2, "Try it on the conversation with your manager.", True),
    ("alex", "opposite_action", 1, 4, "When you want to stay in bed, do the opposite, small steps.", False),
    ("casey", "behavioural_activation", 7, -2, "Plan one small enjoyable thing each day.", False),
    ("dana", "tipp", 3, 2, "Paced breathing each evening, even on calm days.", False),
    ("eli", "urge_surfing", 5, 1, "Use the urge surfing tool when a craving hits.", True),
    ("bailey", "thought_record", 4, 2, "One thought record about work worries.", True),
    ("kai", "play_the_tape", 2, 5, "", False),
)


def seed_homework(session: Session, participants: dict[str, AppUser], today: date) -> None:
    for username, skill_id, ago, due, note, practised in HOMEWORK:
        user = participants[username]
        therapist_id = session.exec(
            select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == id_of(user))
        ).one()
        assigned = today - timedelta(days=ago)
        session.add(
            Homework(
                participant_id=id_of(user),
                skill_id=skill_id,
                assigned_by_id=therapist_id,
                assigned_on=assigned,
                assigned_at=_evening(assigned, 19),
                note=note,
                due_on=today + timedelta(days=due) if due is not None else None,
            )
        )
        if practised:
            day = assigned + timedelta(days=1)
            if skill_id == "thought_record":
                situation, emotion, thought, evidence_for, against, balanced = THOUGHTS[2]
                session.add(
                    ThoughtRecord(
                        participant_id=id_of(user),
                        entry_key="seed-homework",
                        day=day,
                        situation=situation,
                        emotions=[{"name": emotion, "before": 70, "after": 40}],
                        automatic_thought=thought,
                        evidence_for=evidence_for,
                        evidence_against=against,
                        balanced_thought=balanced,
                        balanced_belief=60,
                        created_at=_evening(day),
                        updated_at=_evening(day),
                    )
                )
            else:
                session.add(
                    PracticeEntry(
                        participant_id=id_of(user),
                        entry_key="seed-homework",
                        skill_id=skill_id,
                        day=day,
                        situation="practising between sessions",
                        distress_before=6,
                        distress_after=3,
                        helped="yes",
                        tool=TOOL_OF.get(skill_id, ""),
                        created_at=_evening(day),
                        updated_at=_evening(day),
                    )
                )


GROUP_DAYS = (0, 2, 3)  # Mon, Wed, Thu: the demo program's schedule
INDIVIDUAL_DAY = 1  # Tuesday
ATTENDS = {"improving": 0.93, "flat": 0.85, "worsening": 0.85, "risk": 0.8, "dual_diagnosis": 0.85}
# The demo's weekly pattern: three evening groups of three hours (9 hours a week, ASAM 2.1's floor;
# clinical.md §5), with the topics an IOP typically runs; a weekly individual session on Tuesdays.
DEMO_SLOTS = (
    (0, 18 * 60, 21 * 60, "DBT skills"),
    (2, 18 * 60, 21 * 60, "Relapse prevention"),
    (3, 18 * 60, 21 * 60, "Process group"),
)
INDIVIDUAL_MINUTES = (17 * 60, 18 * 60)


def seed_attendance(session: Session, participants: dict[str, AppUser], today: date) -> None:
    """The weekly pattern, each enrolment's group sessions generated from it (core/schedule.py), a
    weekly individual session, and the roll for every session before today: those who are
    worsening have missed the last week."""
    from core import schedule
    from core.models import ProgramSession, ScheduleSlot

    program = _program_of(session, next(iter(participants.values())))
    for weekday, start, end, topic in DEMO_SLOTS:
        session.add(
            ScheduleSlot(program_id=id_of(program), weekday=weekday, start_minute=start, end_minute=end, topic=topic)
        )
    session.flush()
    schedule._sync(session, program, None, utcnow())
    zone = ZoneInfo(program.timezone)
    therapist_of = dict(
        session.exec(
            select(CaseloadAssignment.participant_id, CaseloadAssignment.therapist_id).where(
                col(CaseloadAssignment.participant_id).in_([id_of(u) for u in participants.values()])
            )
        ).all()
    )
    for user in participants.values():
        for offset in range(program.length_weeks * 7):
            day = _start(user) + timedelta(days=offset)
            if day.weekday() != INDIVIDUAL_DAY:
                continue
            starts, ends = (schedule.local_moment(day, schedule._minute_time(m), zone) for m in INDIVIDUAL_MINUTES)
            session.add(
                ProgramSession(
                    participant_id=id_of(user),
                    program_id=id_of(program),
                    kind="individual",
                    day=day,
                    starts_at=starts,
                    ends_at=ends,
                    created_by_id=therapist_of[id_of(user)],
                )
            )
    session.flush()
    held = session.exec(
        select(ProgramSession)
        .where(ProgramSession.program_id == program.id, ProgramSession.day < today)
        .order_by(col(ProgramSession.participant_id), col(ProgramSession.starts_at))
    ).all()
    rng = random.Random(SEED + 5)
    stories = {user.id: trajectory_of(username) or "improving" for username, user in participants.items()}
    for row in held:
        trajectory = stories[row.participant_id]
        roll = rng.random()
        if trajectory == "worsening" and (today - row.day).days <= 7:
            status = "absent"
        else:
            status = (
                "present"
                if roll < ATTENDS[trajectory]
                else "late"
                if roll < ATTENDS[trajectory] + 0.04
                else "excused"
                if roll < ATTENDS[trajectory] + 0.08
                else "absent"
            )
        session.add(
            Attendance(
                session_id=id_of(row),
                participant_id=row.participant_id,
                day=row.day,
                session_kind=row.kind,
                status=status,
                recorded_by_id=therapist_of[row.participant_id],
                recorded_at=_evening(row.day, 23),
            )
        )


# A participant who finished the 10-week program a week ago (discharged, completed): 12 weeks since
# they started. Made after the other seeders, so their history (and the rng behind it) is unchanged.
COMPLETED = ("sam", "Sam Rivera-Cole")
COMPLETED_WEEKS_AGO = 12


def seed_completed_participant(
    session: Session, program: Program, therapist: AppUser, password_hash: str, today: date
) -> AppUser:
    """The completed participant's account, on the therapist's caseload, with a PHQ-9 and GAD-7 at
    intake and at the end (both much better), for the program dashboard's completed cohort."""
    started = today - timedelta(weeks=COMPLETED_WEEKS_AGO)
    user = AppUser(
        username=COMPLETED[0],
        name=COMPLETED[1],
        role=Role.PARTICIPANT.value,
        password_hash=password_hash,
        email=f"{COMPLETED[0]}@demo.iop.example",
        program_id=program.id,
        is_demo=True,
        started_on=started,
    )
    session.add(user)
    session.flush()
    session.add(CaseloadAssignment(participant_id=id_of(user), therapist_id=id_of(therapist)))
    last = started + timedelta(weeks=program.length_weeks) - timedelta(days=1)
    for kind, first, end, band_first, band_end in (
        ("phq9", 16, 6, "Moderately severe", "Mild"),
        ("gad7", 13, 5, "Moderate", "Mild"),
    ):
        for slot, day, total, band in (
            ("p0", started, first, band_first),
            ("p9", last - timedelta(days=3), end, band_end),
        ):
            items = 9 if kind == "phq9" else 7
            answers = [0] * items  # spread over all but the last item (PHQ-9 item 9 stays "Not at all")
            for i in range(total):
                answers[i % (items - 1)] += 1
            session.add(
                Checkup(
                    participant_id=id_of(user),
                    kind=kind,
                    slot_key=slot,
                    day=day,
                    answers=answers,
                    total=total,
                    band=band,
                    taken_at=_evening(day, 22),
                )
            )
    return user


def seed_discharge(session: Session, user: AppUser, therapist: AppUser, today: date) -> None:
    """Their discharge at the end of the program's last week: completed."""
    from core.models import Discharge

    program = _program_of(session, user)
    day = _start(user) + timedelta(weeks=program.length_weeks) - timedelta(days=1)
    session.add(
        Discharge(
            participant_id=id_of(user),
            day=min(day, today),
            status="completed",
            recorded_by_id=id_of(therapist),
            recorded_at=_evening(min(day, today), 23),
        )
    )


# Treatment-plan goals by story: (goal, how we'll know). Everyone gets the first two; substance use
# programs' dual-diagnosis participants also the third.
DEMO_GOALS = (
    ("Get through a hard evening without acting on urges", "Urges rated 3+ on the card, not acted on, most weeks"),
    ("Keep a steadier sleep routine", "In bed by 11:30 on 5 nights a week, from the diary card"),
    ("Build a sober support network", "Two mutual-help meetings and one call to a sponsor each week"),
)
# How the weekly ratings move over the program, by trajectory: (first week's rating, change a week).
GOAL_ARC = {
    "improving": (3, 0.7),
    "flat": (4, 0.1),
    "worsening": (5, -0.5),
    "risk": (3, 0.2),
    "dual_diagnosis": (2, 0.5),
}


def seed_goals(session: Session, participants: dict[str, AppUser], today: date) -> None:
    """Two or three goals each, written by the therapist in the first week, and a rating for every
    week before this one (this week's is left for the participant to give on Today)."""
    from core.goals import week_of

    rng = random.Random(SEED + 7)
    this_week = week_of(today)
    for username, user in participants.items():
        trajectory = trajectory_of(username) or "flat"
        therapist_id = _their_therapist(session, id_of(user))
        chosen = DEMO_GOALS if trajectory == "dual_diagnosis" else DEMO_GOALS[:2]
        written = datetime.combine(_start(user), datetime.min.time(), tzinfo=UTC) + timedelta(hours=20)
        rows = [
            TreatmentGoal(
                participant_id=id_of(user),
                position=position,
                text=text,
                measure=measure,
                created_by_id=therapist_id,
                created_at=written,
                updated_at=written,
            )
            for position, (text, measure) in enumerate(chosen, start=1)
        ]
        session.add_all(rows)
        session.flush()
        start, step = GOAL_ARC[trajectory]
        week, n = week_of(_start(user)), 0
        while week < this_week:
            for offset, goal in enumerate(rows):
                value = round(start + offset + step * n + rng.uniform(-1, 1))
                session.add(
                    GoalRating(
                        goal_id=id_of(goal),
                        participant_id=id_of(user),
                        week_start=week,
                        rating=_clamp(value, *clinical.GOAL_RATING_RANGE),
                        rated_at=_evening(week + timedelta(days=6), 21),
                    )
                )
            week, n = week + timedelta(weeks=1), n + 1


AFTERCARE_FOR = "jordan"  # near the end of the program: the plan built with the therapist for discharge


def seed_aftercare(session: Session, participants: dict[str, AppUser], today: date) -> None:
    """One relapse-prevention and aftercare plan (two versions: drafted, then appointments added)."""
    user = participants[AFTERCARE_FOR]
    therapist_id = _their_therapist(session, id_of(user))
    first = {
        "triggers": ["Friday paydays", "Being alone after 9 pm", "Arguments about money"],
        "warning_signs": ["Skipping group or meals", "Telling myself one won't matter", "Sleeping past noon"],
        "coping_steps": ["Urge surfing for 10 minutes", "Text my sponsor before deciding anything", "Walk the dog"],
        "people": [{"name": "Sam (sponsor)", "phone": "555-0101"}, {"name": "My sister Ana", "phone": "555-0123"}],
        "appointments": [],
        "medication": "Sertraline 50 mg each morning, prescribed by Dr. Patel.\nIf I miss a dose: take it if "
        "before noon, otherwise skip it.",
        "meetings": ["SMART Recovery, Tuesdays 7 pm, public library"],
    }
    second = {
        **first,
        "appointments": [
            {
                "provider": "Dr. Lee, outpatient therapy",
                "date": (today + timedelta(days=10)).isoformat(),
                "contact": "555-0199",
            },
            {
                "provider": "Dr. Patel, psychiatry",
                "date": (today + timedelta(days=24)).isoformat(),
                "contact": "555-0150",
            },
        ],
    }
    for version, content in enumerate((first, second), start=1):
        session.add(
            AftercarePlanVersion(
                participant_id=id_of(user),
                version=version,
                content=content,
                created_by_id=therapist_id,
                created_at=_evening(today - timedelta(days=10 - 4 * version), 19),
            )
        )


def main() -> int:
    from core.db import session_scope

    try:
        config = settings()
    except ConfigError as exc:
        print(f"Not seeding: {exc}", file=sys.stderr)
        return 2
    if not config.demo_mode:
        print("Not seeding: demo mode is off, and demo accounts exist only in demo mode.")
        return 0
    with session_scope() as session:
        if not is_empty(session):
            print("Database already has accounts; demo seed skipped.")
            return 0
        seed_demo(session, rounds=config.bcrypt_rounds)
    print(f"Demo data seeded. Every demo login uses the password {DEMO_PASSWORD!r}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
