"""Markdown and HTML typed into every field a person (or the admin) can fill in, planted in a
seeded database through the same core functions the screens use — for the AppTest and the
real-browser tests that render it on every screen that shows it.

Each payload tries an external image, a link, raw HTML, a bare web address, a Streamlit icon, a
colour directive and maths; all point at evil.example so the tests can look for them.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, select

from core import alerts, diary, practice, safety, sharing
from core.access import Actor, Category
from core.models import Alert, AppUser, DiaryTarget, FamilyLink, Program
from core.seed import demo_today

IMG = "![x](http://evil.example/i.png)"
LINK = "[a](http://evil.example/l)"
HTML = "<img src=http://evil.example/h.gif>"
BARE = "www.evil.example"
DIRECTIVES = ":material/skull: :red[EVILRED] $EVILMATH$"
FULL = f"{IMG} {LINK} {HTML} {BARE} {DIRECTIVES}"

# What must never survive into Markdown unescaped (checked only in text that carries a payload).
DANGEROUS = re.compile(
    r"(?<!\\)\]\(https?|(?<!\\)<img|(?<!\\)<https?|https?://|www\.evil|"
    r"(?<!\\):material/skull|(?<!\\):red\[EVILRED|(?<!\\)\$EVILMATH",
    re.IGNORECASE,
)
MARKER = "evil"


def _user(session: Session, username: str) -> AppUser:
    return session.exec(select(AppUser).where(AppUser.username == username)).one()


def _rename(session: Session, username: str, name: str) -> None:
    user = _user(session, username)
    user.name = name
    session.add(user)
    session.commit()


def plant(session: Session) -> None:
    """Put a payload in each field; names keep their first word glued to it (first names show too)."""
    today = demo_today()
    alex, rivera, pat = (Actor.of(_user(session, u)) for u in ("alex", "dr.rivera", "pat.morgan"))

    # Admin-entered: the program's name and schedule, a diary-card target, people's names.
    program = session.get(Program, alex.program_id)
    program.name, program.schedule = f"Evening{IMG} IOP", f"Mon{LINK}"
    session.add(program)
    session.add(DiaryTarget(program_id=program.id, key="gambling", label=f"Gambling{IMG}", position=9))
    session.commit()
    _rename(session, "alex", f"Alex{IMG} Morgan")
    _rename(session, "dr.rivera", f"Dr{LINK} Rivera")
    _rename(session, "pat.morgan", f"Pat{IMG} Morgan")
    alex, rivera, pat = (Actor.of(_user(session, u)) for u in ("alex", "dr.rivera", "pat.morgan"))

    # Participant-entered: how a family member is related, an invitation, the safety plan's
    # contacts and steps, a thought record, a consent's purpose.
    link = session.exec(select(FamilyLink).where(FamilyLink.family_id == pat.id)).one()
    link.relationship = f"Mum{IMG}"[:40]
    session.add(link)
    session.commit()
    sharing.create_invitation(session, alex, name=f"Lee{IMG}", relationship=IMG)
    plan = safety.current_plan(session, alex, alex.id)
    content = dict(plan.content) if plan else {}
    content["help_contacts"] = [{"name": f"Sam{IMG}", "phone": "555 0100"}]
    content["reasons_for_living"] = [FULL[:200]]
    content["shared_steps"] = ["help_contacts", "reasons_for_living"]
    safety.save_plan(
        session, alex, participant_id=alex.id, content=content, base_version=plan.version if plan else None
    )
    practice.save_thought_record(
        session,
        alex,
        participant_id=alex.id,
        entry_key="hostile-1",
        record=practice.ThoughtInput(
            situation=f"At work{IMG}",
            emotions=[(f"sad{LINK}", 60, 30)],
            automatic_thought=FULL,
            evidence_for=FULL,
            evidence_against=FULL,
            balanced_thought=FULL,
            balanced_belief=50,
        ),
    )
    for category in (Category.SAFETY_PLAN, Category.SUBSTANCE_USE):
        sharing.grant(
            session,
            alex,
            family_id=pat.id,
            category=category,
            until=today + timedelta(days=30),
            purpose=f"Support{IMG}" if category is Category.SUBSTANCE_USE else "",
            signature=alex.name if category is Category.SUBSTANCE_USE else "",
            shown_version=sharing.consent_version(category),
        )

    # Therapist-entered: a homework note and an alert acknowledgement.
    practice.assign_homework(session, rivera, participant_id=alex.id, skill_id="wise_mind", note=FULL[:300])
    diary.save_card(
        session,
        alex,
        participant_id=alex.id,
        day=today,
        card=diary.CardInput(
            mood=3, urges={"suicidal_thoughts": (5, False), "self_harm": (0, False), "substance_use": (0, False)}
        ),
    )
    alert = session.exec(
        select(Alert)
        .where(Alert.participant_id == alex.id, Alert.resolved_at == None)  # noqa: E711
        .order_by(Alert.id.desc())
    ).first()
    alerts.acknowledge(session, rivera, alert_id=alert.id, note=FULL)
