"""The one gate, role by role: what is allowed, what is refused, and that both are audited."""

from datetime import timedelta

import pytest
from sqlmodel import select

from core.access import FAMILY_SHAREABLE, Action, Actor, Category, authorize
from core.errors import AccessDenied
from core.models import AppUser, AuditEvent, ConsentGrant, Program, Role, utcnow

R, W = Action.READ, Action.WRITE


def actor(session, username):
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def uid(session, username):
    return actor(session, username).id


def allowed(session, who, whose, category, action):
    try:
        authorize(session, actor(session, who), uid(session, whose), category, action)
        return True
    except AccessDenied:
        return False


# Demo: alex, casey, eli... are on dr.rivera's caseload (even index); bailey, dana... on dr.chen's.
# pat.morgan (alex's parent) has active consent for attendance, mood trend and practice counts;
# jamie.okafor (dana) none; robin.thompson (kai) an expired mood-trend consent.
CASES = [
    ("alex", "alex", Category.DIARY, W, True),
    ("alex", "alex", Category.NOTES, R, True),
    ("alex", "bailey", Category.DIARY, R, False),
    ("alex", "bailey", Category.MOOD_TREND, R, False),
    ("dr.rivera", "alex", Category.DIARY, R, True),
    ("dr.rivera", "alex", Category.NOTES, R, True),
    ("dr.rivera", "alex", Category.DIARY, W, False),      # therapists read the card, don't edit it
    ("dr.rivera", "alex", Category.SAFETY_PLAN, W, True),
    ("dr.rivera", "alex", Category.ALERTS, W, True),
    ("dr.rivera", "bailey", Category.DIARY, R, False),    # not on her caseload
    ("dr.chen", "bailey", Category.CHECKUPS, R, True),
    ("pat.morgan", "alex", Category.MOOD_TREND, R, True),
    ("pat.morgan", "alex", Category.PRACTICE_COUNTS, R, True),
    ("pat.morgan", "alex", Category.ATTENDANCE, R, True),
    ("pat.morgan", "alex", Category.CHECKUP_TOTALS, R, False),  # not consented
    ("pat.morgan", "alex", Category.NOTES, R, False),           # never shareable
    ("pat.morgan", "alex", Category.DIARY, R, False),
    ("pat.morgan", "alex", Category.MOOD_TREND, W, False),      # family never writes
    ("pat.morgan", "bailey", Category.MOOD_TREND, R, False),    # not their person
    ("jamie.okafor", "dana", Category.MOOD_TREND, R, False),    # no consent
    ("robin.thompson", "kai", Category.MOOD_TREND, R, False),   # consent expired
    ("alex", "alex", Category.SKILLS, W, True),              # own practice log
    ("alex", "alex", Category.HOMEWORK, R, True),
    ("alex", "alex", Category.HOMEWORK, W, False),           # homework is set by the therapist
    ("alex", "alex", Category.ATTENDANCE, W, False),         # so is attendance
    ("dr.rivera", "alex", Category.SKILLS, R, True),         # reads practice and thought records
    ("dr.rivera", "alex", Category.SKILLS, W, False),        # but doesn't log practice for them
    ("dr.rivera", "alex", Category.HOMEWORK, W, True),
    ("dr.rivera", "alex", Category.ATTENDANCE, W, True),
    ("dr.rivera", "bailey", Category.HOMEWORK, W, False),    # not on her caseload
    ("pat.morgan", "alex", Category.SKILLS, R, False),       # thought records are never shared
    ("admin", "alex", Category.PROFILE, R, True),
    ("admin", "alex", Category.PROFILE, W, True),
    ("admin", "alex", Category.DIARY, R, False),                # minimum necessary
    ("admin", "alex", Category.NOTES, R, False),
]


@pytest.mark.parametrize("who, whose, category, action, expected", CASES)
def test_gate(session, demo, who, whose, category, action, expected):
    assert allowed(session, who, whose, category, action) is expected
    event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.actor_id == uid(session, who)
    assert event.participant_id == uid(session, whose)
    assert event.category == category.value and event.action == action.value
    assert event.allowed is expected


def test_revoked_consent_stops_access_at_once(session, demo):
    assert allowed(session, "pat.morgan", "alex", Category.MOOD_TREND, R)
    grant = session.exec(select(ConsentGrant).where(ConsentGrant.category == "mood_trend",
                                                    ConsentGrant.participant_id == uid(session, "alex"))).one()
    grant.revoked_at = utcnow()
    session.add(grant)
    session.commit()
    assert not allowed(session, "pat.morgan", "alex", Category.MOOD_TREND, R)


def test_family_can_never_see_unshareable_categories_even_with_a_grant(session, demo):
    never = [c for c in Category if c not in FAMILY_SHAREABLE]
    for category in never:
        session.add(ConsentGrant(participant_id=uid(session, "alex"), family_id=uid(session, "pat.morgan"),
                                 category=category.value, expires_at=utcnow() + timedelta(days=1)))
    session.commit()
    for category in never:
        assert not allowed(session, "pat.morgan", "alex", category, R), category


def test_admin_of_another_program_is_refused(session, demo):
    other = Program(name="Day IOP")
    session.add(other)
    session.commit()
    stranger = AppUser(username="admin2", name="Other Admin", role=Role.ADMIN.value,
                       password_hash="x", program_id=other.id)
    session.add(stranger)
    session.commit()
    assert not allowed(session, "admin2", "alex", Category.PROFILE, R)


def test_refusal_is_audited_even_if_the_caller_had_pending_work(session, demo):
    session.add(Program(name="never saved"))
    with pytest.raises(AccessDenied):
        authorize(session, actor(session, "alex"), uid(session, "bailey"), Category.DIARY, R)
    assert session.exec(select(Program).where(Program.name == "never saved")).first() is None
    refused = session.exec(select(AuditEvent).where(AuditEvent.allowed == False)).all()  # noqa: E712
    assert len(refused) == 1
