"""Deterministic demo data: one program, its staff, twelve participants, a few family members.

Run `python -m core.seed` (what `make run` does): it seeds only an empty database and only in
demo mode. Every demo account shares DEMO_PASSWORD (hashed once, so seeding stays quick).
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta

from sqlmodel import Session, select

from core import auth
from core.access import Category
from core.config import ConfigError, settings
from core.models import AppUser, CaseloadAssignment, ConsentGrant, FamilyLink, Program, Role, utcnow

SEED = 20261123
DEMO_PASSWORD = "iop-demo-2026"
ADMIN = ("admin", "Morgan Avery")
THERAPISTS = (("dr.rivera", "Dr. Elena Rivera"), ("dr.chen", "Dr. Marcus Chen"))
# username, name, trajectory (used by later seeders to shape their history)
PARTICIPANTS = (
    ("alex", "Alex Morgan", "improving"), ("bailey", "Bailey Brooks", "flat"),
    ("casey", "Casey Nguyen", "worsening"), ("dana", "Dana Okafor", "risk"),
    ("eli", "Eli Santos", "dual_diagnosis"), ("frankie", "Frankie Lopez", "improving"),
    ("gray", "Gray Whitaker", "flat"), ("harper", "Harper Singh", "improving"),
    ("indigo", "Indigo Park", "worsening"), ("jordan", "Jordan Ellis", "improving"),
    ("kai", "Kai Thompson", "dual_diagnosis"), ("lee", "Lee Martin", "flat"),
)
# username, name, participant, relationship, consented categories, consent state
FAMILY = (
    ("pat.morgan", "Pat Morgan", "alex", "Parent",
     (Category.ATTENDANCE, Category.MOOD_TREND, Category.PRACTICE_COUNTS), "active"),
    ("jamie.okafor", "Jamie Okafor", "dana", "Partner", (), "none"),
    ("robin.thompson", "Robin Thompson", "kai", "Sibling", (Category.MOOD_TREND,), "expired"),
)


def trajectory_of(username: str) -> str | None:
    return next((t for u, _, t in PARTICIPANTS if u == username), None)


def is_empty(session: Session) -> bool:
    return session.exec(select(AppUser.id)).first() is None


def seed_demo(session: Session, *, rounds: int, today: date | None = None) -> Program:
    """Create the demo program and accounts. Deterministic for a given `today`."""
    rng = random.Random(SEED)
    today = today or date.today()
    password_hash = auth.hash_password(DEMO_PASSWORD, rounds=rounds)
    program = Program(name="Evening Adult IOP", timezone="America/New_York",
                      schedule="Mon, Wed, Thu · 6–9 pm", length_weeks=10,
                      substance_use_tracking=True, crisis_region="US",
                      local_crisis_resources=[{
                          "name": "Program after-hours line",
                          "detail": "Evenings and weekends, a clinician on call for IOP participants.",
                          "call": "555-0142", "text": ""}])
    session.add(program)
    session.flush()

    def person(username: str, name: str, role: Role, **extra) -> AppUser:
        user = AppUser(username=username, name=name, role=role.value, password_hash=password_hash,
                       email=f"{username}@demo.iop.example", program_id=program.id, is_demo=True,
                       **extra)
        session.add(user)
        return user

    person(*ADMIN, Role.ADMIN)
    therapists = [person(u, n, Role.THERAPIST) for u, n in THERAPISTS]
    participants = {}
    for index, (username, name, _trajectory) in enumerate(PARTICIPANTS):
        weeks = rng.randint(2, 10)
        participants[username] = person(username, name, Role.PARTICIPANT,
                                        started_on=today - timedelta(weeks=weeks))
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
            session.add(ConsentGrant(
                participant_id=patient.id, family_id=relative.id, category=category.value,
                granted_at=now - timedelta(days=120 if expired else 10),
                expires_at=now - timedelta(days=30) if expired else now + timedelta(days=80)))
    session.commit()
    return program


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
