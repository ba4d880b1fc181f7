"""What a participant shares with family. (Invitations and consent editing come with the
family-sharing issue; the gate already enforces consent.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from core.access import Actor, Category, record, require_role
from core.models import AppUser, ConsentGrant, Role, utcnow

CATEGORY_LABELS = {
    Category.ATTENDANCE: "Attendance",
    Category.MOOD_TREND: "Mood trend (weekly averages)",
    Category.PRACTICE_COUNTS: "Skills practice counts",
    Category.CHECKUP_TOTALS: "Check-up totals and bands",
    Category.SAFETY_PLAN: "Safety plan (shared parts)",
    Category.SUBSTANCE_USE: "Substance-use data",
}


@dataclass(frozen=True)
class SharedCategory:
    participant_id: int
    participant_name: str
    category: Category
    expires_at: datetime

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self.category]


def shared_with_me(session: Session, actor: Actor) -> list[SharedCategory]:
    """For a family member: the categories each linked participant shares now, and until when."""
    require_role(session, actor, Role.FAMILY, what="sharing")
    now = utcnow()
    query = (select(ConsentGrant, AppUser.name).join(AppUser, AppUser.id == ConsentGrant.participant_id)
             .where(ConsentGrant.family_id == actor.id, ConsentGrant.revoked_at == None,  # noqa: E711
                    ConsentGrant.expires_at > now)
             .order_by(AppUser.name, ConsentGrant.category))
    rows = [SharedCategory(g.participant_id, name, Category(g.category), g.expires_at)
            for g, name in session.exec(query)]
    record(session, actor, category=Category.SHARING, action="read", detail="own consents")
    return rows
