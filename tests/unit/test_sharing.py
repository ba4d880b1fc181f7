"""Family sharing: invitations, consent by category and state, Part 2, revocation, aggregates only."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from core import sharing
from core.access import FAMILY_SHAREABLE, Action, Actor, Category, authorize
from core.errors import AccessDenied, ValidationError
from core.models import AppUser, ConsentGrant, FamilyLink, utcnow
from core.seed import demo_today


def act(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


TODAY = demo_today()  # the day the demo was seeded for, on the program calendar


def test_an_invitation_makes_one_linked_family_account_once(session, demo):
    casey = act(session, "casey")
    code, expires = sharing.create_invitation(session, casey, name="Morgan Nguyen", relationship="Sibling")
    assert (expires - utcnow()).days in (6, 7)
    user = sharing.redeem_invitation(session, code=code.lower(), username="morgan.n", password="long enough", rounds=4)
    assert user.role == "family" and user.name == "Morgan Nguyen"
    assert session.exec(select(FamilyLink).where(FamilyLink.family_id == user.id)).one().participant_id == casey.id
    with pytest.raises(ValidationError, match="already been used"):
        sharing.redeem_invitation(session, code=code, username="morgan.two", password="long enough", rounds=4)
    # Joining shows nothing: sharing is off by default.
    assert not sharing.family_of(session, casey, casey.id)[0].active


def test_expired_and_wrong_codes_are_refused(session, demo):
    casey = act(session, "casey")
    code, _ = sharing.create_invitation(session, casey, name="Old Friend", now=utcnow() - timedelta(days=8))
    with pytest.raises(ValidationError, match="expired"):
        sharing.redeem_invitation(session, code=code, username="old.friend", password="long enough", rounds=4)
    with pytest.raises(ValidationError, match="isn't right"):
        sharing.redeem_invitation(session, code="0000-0000-0000", username="x.y.z", password="long enough", rounds=4)


STATES = ["none", "active", "expired", "revoked"]


@pytest.mark.parametrize("category", sorted(FAMILY_SHAREABLE | {Category.NOTES, Category.DIARY, Category.CHECKUPS,
                                                                Category.SKILLS, Category.HOMEWORK},
                                            key=lambda c: c.value))
@pytest.mark.parametrize("state", STATES)
def test_the_gate_for_every_category_and_consent_state(session, demo, category, state):
    alex, jamie_like = act(session, "bailey"), act(session, "jamie.okafor")
    link = FamilyLink(family_id=jamie_like.id, participant_id=alex.id, relationship="Friend")
    session.add(link)
    now = utcnow()
    if state != "none":
        session.add(ConsentGrant(participant_id=alex.id, family_id=jamie_like.id, category=category.value,
                                 granted_at=now - timedelta(days=100),
                                 expires_at=now - timedelta(days=1) if state == "expired" else now + timedelta(days=30),
                                 revoked_at=now - timedelta(minutes=1) if state == "revoked" else None))
    session.commit()
    expected = state == "active" and category in FAMILY_SHAREABLE
    try:
        authorize(session, jamie_like, alex.id, category, Action.READ)
        allowed = True
    except AccessDenied:
        allowed = False
    assert allowed is expected
    with pytest.raises(AccessDenied):   # and never a write, whatever the consent
        authorize(session, jamie_like, alex.id, category, Action.WRITE)


def test_grant_then_revoke_takes_effect_at_once(session, demo):
    alex, pat = act(session, "alex"), act(session, "pat.morgan")
    weeks, values = sharing.mood_trend(session, pat, alex.id, TODAY)      # demo: active consent
    assert len(weeks) == sharing.FAMILY_WEEKS and any(v is not None for v in values)
    sharing.revoke(session, alex, family_id=pat.id, category=Category.MOOD_TREND)
    with pytest.raises(AccessDenied):
        sharing.mood_trend(session, pat, alex.id, TODAY)
    sharing.grant(session, alex, family_id=pat.id, category=Category.MOOD_TREND, until=TODAY + timedelta(days=30))
    assert sharing.mood_trend(session, pat, alex.id, TODAY)[1] == values
    log = sharing.family_access_log(session, alex, alex.id)
    assert [v.allowed for v in log[:3]] == [True, False, True]


def test_substance_use_needs_the_part2_elements(session, demo):
    eli = act(session, "eli")
    code, _ = sharing.create_invitation(session, eli, name="Sam Santos", relationship="Brother")
    sam = Actor.of(sharing.redeem_invitation(session, code=code, username="sam.s", password="long enough", rounds=4))
    with pytest.raises(ValidationError) as caught:
        sharing.grant(session, eli, family_id=sam.id, category=Category.SUBSTANCE_USE,
                      until=TODAY + timedelta(days=30), purpose="", signature="Eli")
    assert set(caught.value.fields) == {"purpose", "signature"}
    sharing.grant(session, eli, family_id=sam.id, category=Category.SUBSTANCE_USE, until=TODAY + timedelta(days=30),
                  purpose="So he can support my recovery", signature="eli santos")
    grant = session.exec(select(ConsentGrant).where(ConsentGrant.family_id == sam.id)).one()
    assert grant.signature == "eli santos" and grant.signed_at and grant.purpose
    weeks, craving, urges = sharing.substance_use(session, sam, eli.id, TODAY)
    assert any(c is not None for c in craving)


def test_family_gets_totals_but_never_items_or_notes(session, demo):
    alex, pat = act(session, "alex"), act(session, "pat.morgan")
    sharing.grant(session, alex, family_id=pat.id, category=Category.CHECKUP_TOTALS, until=TODAY + timedelta(days=10))
    totals = sharing.checkup_totals(session, pat, alex.id)
    assert totals and all(len(row) == 4 for row in totals)
    from core import checkups, diary
    with pytest.raises(AccessDenied):
        checkups.history(session, pat, alex.id, "phq9")
    with pytest.raises(AccessDenied):
        diary.cards_between(session, pat, alex.id, TODAY - timedelta(days=7), TODAY)


def test_only_connected_people_and_sensible_dates(session, demo):
    alex, jamie = act(session, "alex"), act(session, "jamie.okafor")
    with pytest.raises(ValidationError, match="isn't connected"):
        sharing.grant(session, alex, family_id=jamie.id, category=Category.MOOD_TREND, until=TODAY + timedelta(days=5))
    pat = act(session, "pat.morgan")
    for bad in (TODAY, TODAY + timedelta(days=400)):
        with pytest.raises(ValidationError):
            sharing.grant(session, alex, family_id=pat.id, category=Category.MOOD_TREND, until=bad)
    with pytest.raises(AccessDenied):
        sharing.grant(session, pat, family_id=pat.id, category=Category.MOOD_TREND, until=TODAY + timedelta(days=5))


def test_family_sees_only_the_safety_plan_steps_marked_shareable(session, demo):
    from core import safety

    dana, jamie, chen = act(session, "dana"), act(session, "jamie.okafor"), act(session, "dr.chen")
    with pytest.raises(AccessDenied):
        safety.current_plan(session, jamie, dana.id)
    sharing.grant(session, dana, family_id=jamie.id, category=Category.SAFETY_PLAN, until=TODAY + timedelta(days=30))
    assert safety.current_plan(session, jamie, dana.id).content == {}          # nothing marked yet
    plan = safety.current_plan(session, dana, dana.id)
    safety.save_plan(session, dana, participant_id=dana.id, base_version=plan.version,
                     content={**plan.content, "shared_steps": ["help_contacts", "reasons_for_living"]})
    seen = safety.current_plan(session, jamie, dana.id)
    assert set(seen.content) == {"help_contacts", "reasons_for_living"}
    assert "warning_signs" not in seen.content
    # The therapist's edits never change what the participant chose to share.
    plan = safety.current_plan(session, chen, dana.id)
    safety.save_plan(session, chen, participant_id=dana.id, base_version=plan.version,
                     content={**plan.content, "shared_steps": ["warning_signs"]})
    assert set(safety.current_plan(session, jamie, dana.id).content) == {"help_contacts", "reasons_for_living"}


def test_consent_dates_follow_the_participants_calendar(session, demo):
    """At 11:30 pm Monday in New York (Tuesday in UTC) 'until Tuesday' is tomorrow: allowed, and it
    lasts to the end of Tuesday in New York."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    alex, pat = act(session, "alex"), act(session, "pat.morgan")
    late = datetime(2026, 11, 24, 4, 30, tzinfo=UTC)
    with pytest.raises(ValidationError, match="after today"):
        sharing.grant(session, alex, family_id=pat.id, category=Category.MOOD_TREND, until=date(2026, 11, 23), now=late)
    sharing.grant(session, alex, family_id=pat.id, category=Category.MOOD_TREND, until=date(2026, 11, 24), now=late)
    grant = session.exec(select(ConsentGrant).where(ConsentGrant.family_id == pat.id,
                                                    ConsentGrant.category == Category.MOOD_TREND.value,
                                                    ConsentGrant.revoked_at == None)).one()  # noqa: E711
    ends = grant.expires_at if grant.expires_at.tzinfo else grant.expires_at.replace(tzinfo=UTC)
    assert ends.astimezone(ZoneInfo("America/New_York")).date() == date(2026, 11, 24)
    assert ends.astimezone(ZoneInfo("America/New_York")).hour == 23
