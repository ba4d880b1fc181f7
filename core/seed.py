"""Deterministic demo data: one program, its staff, twelve participants, a few family members.

Run `python -m core.seed` (what `make run` does): it seeds only an empty database and only in
demo mode. Every demo account shares DEMO_PASSWORD (hashed once, so seeding stays quick).
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from core import alerts, auth, clinical
from core.access import Category
from core.config import ConfigError, settings
from core.diary import ensure_default_targets
from core.models import (
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
    Homework,
    MatDose,
    PracticeEntry,
    Program,
    RecoveryCounter,
    Role,
    SafetyPlanVersion,
    SubstanceUse,
    ThoughtRecord,
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
        session.add(CaseloadAssignment(participant_id=user.id, therapist_id=therapists[index % 2].id))

    now = utcnow()
    for username, name, participant, relationship, categories, state in FAMILY:
        relative = person(username, name, Role.FAMILY)
        session.flush()
        patient = participants[participant]
        session.add(FamilyLink(family_id=relative.id, participant_id=patient.id, relationship=relationship))
        for category in categories:
            expired = state == "expired"
            session.add(
                ConsentGrant(
                    participant_id=patient.id,
                    family_id=relative.id,
                    category=category.value,
                    granted_at=now - timedelta(days=120 if expired else 10),
                    expires_at=now - timedelta(days=30) if expired else now + timedelta(days=80),
                )
            )
    ensure_default_targets(session, program.id)
    seed_diary_history(session, rng, program, participants, today)
    seed_checkups(session, rng, program, participants, today)
    seed_safety_plans(session, participants, therapists)
    seed_practice(session, participants, today)
    seed_homework(session, participants, today)
    seed_attendance(session, participants, today)
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
    cards = session.exec(select(DiaryCard).where(DiaryCard.participant_id == eli.id).order_by(DiaryCard.day)).all()
    urges = {u.card_id: u for u in session.exec(select(DiaryUrge).where(DiaryUrge.target_id == target))}
    lapse_day = today - timedelta(days=DEMO_LAPSE_DAYS_AGO)
    last = max((c for c in cards if c.day <= lapse_day), key=lambda c: c.day)
    rotation = (("alcohol", 5, "drinks", ["people", "lonely"]), ("cannabis", 2, "times", ["tired", "feelings"]))
    for n, card in enumerate(cards):
        urge = urges.get(card.id)
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
            session.add(SubstanceUse(card_id=card.id, substance=substance, amount=amount, unit=unit))
            session.add_all(CardTrigger(card_id=card.id, trigger=t) for t in triggers)
        elif (urge.urge or 0) >= 3:
            session.add(CardTrigger(card_id=card.id, trigger=("lonely", "tired", "places")[n % 3]))
        session.add(MatDose(card_id=card.id, medication="naltrexone", taken="no" if n % 11 == 5 else "yes"))
    session.add(RecoveryCounter(participant_id=eli.id, substance="alcohol", start_on=eli.started_on, shown=True))
    rules = {
        key: (label, clinical.DEFAULT_TARGET_RULES.get(key, clinical.NO_RULE))
        for key, label in clinical.DEFAULT_TARGETS
    }
    opened = datetime.combine(last.day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23)
    outcome = alerts.route(  # the last lapse's alert, as a real save would have opened it, since resolved
        session,
        None,
        participant_id=eli.id,
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
        alert.acknowledged_by_id = _therapist_of(session, eli.id)
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


def seed_diary_history(
    session: Session, rng: random.Random, program: Program, participants: dict[str, AppUser], today: date
) -> None:
    """Cards from each participant's first day to yesterday; today is left for the demo user."""
    targets = {t.key: t.id for t in session.exec(select(DiaryTarget).where(DiaryTarget.program_id == program.id))}
    skill_ids = [s.id for m in catalogue() for s in m.skills]
    for username, user in participants.items():
        trajectory = trajectory_of(username)
        span = (today - user.started_on).days
        adherence = {"improving": 0.9, "flat": 0.75, "worsening": 0.8, "risk": 0.85, "dual_diagnosis": 0.85}[trajectory]
        for offset in range(span):
            day = user.started_on + timedelta(days=offset)
            progress = offset / max(span - 1, 1)
            recent_gap = trajectory == "worsening" and (today - day).days <= 4
            if recent_gap or rng.random() > adherence:
                continue  # a missed day (the worsening ones have stopped checking in lately)
            values = _day_values(rng, trajectory, progress)
            used = rng.sample(
                skill_ids, k=_clamp(rng.gauss(1 + 3 * progress if trajectory != "flat" else 1.5, 1), 0, 5)
            )
            card = DiaryCard(
                participant_id=user.id,
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
                session.add(DiaryUrge(card_id=card.id, target_id=targets[key], urge=urge, acted=acted))
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
                    participant_id=user.id,
                    source_key=f"diary:{day}",
                    day=day,
                    reasons=reasons,
                    latest=clinical.card_latest(values["urges"], rules),
                    now=opened,
                )
                if old:
                    alert = session.get(Alert, outcome.alert_id)
                    alert.acknowledged_at = alert.resolved_at = opened + timedelta(hours=14)
                    alert.acknowledgement = "Reviewed in individual session; safety plan updated."
                    alert.acknowledged_by_id = _therapist_of(session, user.id)
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
        trajectory = trajectory_of(username)
        weeks = (today - user.started_on).days // program.checkup_interval_days
        intakes: dict[str, int] = {}
        for k in range(weeks + 1):
            day = user.started_on + timedelta(days=k * program.checkup_interval_days)
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
                        participant_id=user.id,
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
                    participant_id=user.id,
                    source_key=f"{kind}:p{k}",
                    day=day,
                    reasons=clinical.checkup_reasons(kind, answers, item9_choices),
                    now=taken,
                )
                worse = clinical.worsening_reason(kind, total, intake)
                alerts.route(
                    session,
                    None,
                    participant_id=user.id,
                    source_key=f"worsening:{kind}",
                    day=day,
                    reasons=[worse] if worse else [],
                    now=taken,
                )


DEMO_PLANS = {
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
            select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == user.id)
        ).one()
        first = {k: v[:-1] if len(v) > 1 else v for k, v in content.items()}
        session.add(
            SafetyPlanVersion(
                participant_id=user.id,
                version=1,
                content=first,
                created_by_id=by_id[therapist_id].id,
                created_at=utcnow() - timedelta(days=14),
            )
        )
        session.add(
            SafetyPlanVersion(
                participant_id=user.id,
                version=2,
                content=content,
                created_by_id=user.id,
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
        trajectory = trajectory_of(username)
        low, high = PRACTICE_DROPS[trajectory]
        cards = session.exec(
            select(DiaryCard.day, DiaryCard.mood, DiaryCard.skills)
            .where(DiaryCard.participant_id == user.id)
            .order_by(DiaryCard.day)
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
                    participant_id=user.id,
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
                        participant_id=user.id,
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
        session.add(FavouriteSkill(participant_id=participants["alex"].id, skill_id=skill_id))


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
            select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == user.id)
        ).one()
        assigned = today - timedelta(days=ago)
        session.add(
            Homework(
                participant_id=user.id,
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
                        participant_id=user.id,
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
                        participant_id=user.id,
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


def seed_attendance(session: Session, participants: dict[str, AppUser], today: date) -> None:
    """Group three evenings a week and a weekly individual session, recorded by the therapist;
    those who are worsening have missed the last week."""
    rng = random.Random(SEED + 5)
    for username, user in participants.items():
        trajectory = trajectory_of(username)
        therapist_id = session.exec(
            select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == user.id)
        ).one()
        for offset in range((today - user.started_on).days):
            day = user.started_on + timedelta(days=offset)
            kind = "group" if day.weekday() in GROUP_DAYS else "individual" if day.weekday() == INDIVIDUAL_DAY else None
            if kind is None:
                continue
            roll = rng.random()
            if trajectory == "worsening" and (today - day).days <= 7:
                status = "missed"
            else:
                status = (
                    "attended"
                    if roll < ATTENDS[trajectory]
                    else "late"
                    if roll < ATTENDS[trajectory] + 0.04
                    else "excused"
                    if roll < ATTENDS[trajectory] + 0.08
                    else "missed"
                )
            session.add(
                Attendance(
                    participant_id=user.id,
                    day=day,
                    session_kind=kind,
                    status=status,
                    recorded_by_id=therapist_id,
                    recorded_at=_evening(day, 23),
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
