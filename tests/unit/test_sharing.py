"""Family sharing: invitations, consent by category and state, Part 2, revocation, aggregates only."""

from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from core import sharing
from core.access import FAMILY_SHAREABLE, Action, Actor, Category, authorize
from core.errors import AccessDenied, ValidationError
from core.models import AppUser, ConsentGrant, FamilyLink, utcnow
from core.seed import demo_today


def act(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def share(session, who: Actor, family_id: int, category: Category, until, **kw) -> None:
    """Share as the Sharing page does: with the version of the consent wording that was shown."""
    sharing.grant(
        session,
        who,
        family_id=family_id,
        category=category,
        until=until,
        shown_version=sharing.consent_version(category),
        **kw,
    )


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


@pytest.mark.parametrize(
    "category",
    sorted(
        FAMILY_SHAREABLE | {Category.NOTES, Category.DIARY, Category.CHECKUPS, Category.SKILLS, Category.HOMEWORK},
        key=lambda c: c.value,
    ),
)
@pytest.mark.parametrize("state", STATES)
def test_the_gate_for_every_category_and_consent_state(session, demo, category, state):
    alex, jamie_like = act(session, "bailey"), act(session, "jamie.okafor")
    link = FamilyLink(family_id=jamie_like.id, participant_id=alex.id, relationship="Friend")
    session.add(link)
    now = utcnow()
    if state != "none":
        session.add(
            ConsentGrant(
                participant_id=alex.id,
                family_id=jamie_like.id,
                category=category.value,
                granted_at=now - timedelta(days=100),
                expires_at=now - timedelta(days=1) if state == "expired" else now + timedelta(days=30),
                revoked_at=now - timedelta(minutes=1) if state == "revoked" else None,
            )
        )
    session.commit()
    expected = state == "active" and category in FAMILY_SHAREABLE and category is not Category.SUBSTANCE_USE
    try:
        authorize(session, jamie_like, alex.id, category, Action.READ_SUMMARY)
        allowed = True
    except AccessDenied:
        allowed = False
    assert allowed is expected  # (substance use also needs the Part 2 elements, which this row lacks)
    for never in (Action.WRITE, Action.READ):  # never a write, never the record itself, whatever the consent
        with pytest.raises(AccessDenied):
            authorize(session, jamie_like, alex.id, category, never)


def test_grant_then_revoke_takes_effect_at_once(session, demo):
    alex, pat = act(session, "alex"), act(session, "pat.morgan")
    weeks, values = sharing.mood_trend(session, pat, alex.id, TODAY)  # demo: active consent
    assert len(weeks) == sharing.FAMILY_WEEKS and any(v is not None for v in values)
    sharing.revoke(session, alex, family_id=pat.id, category=Category.MOOD_TREND)
    with pytest.raises(AccessDenied):
        sharing.mood_trend(session, pat, alex.id, TODAY)
    share(session, alex, pat.id, Category.MOOD_TREND, TODAY + timedelta(days=30))
    assert sharing.mood_trend(session, pat, alex.id, TODAY)[1] == values
    log = sharing.family_access_log(session, alex, alex.id)
    assert [v.allowed for v in log[:3]] == [True, False, True]


def test_substance_use_needs_the_part2_elements(session, demo):
    eli = act(session, "eli")
    code, _ = sharing.create_invitation(session, eli, name="Sam Santos", relationship="Brother")
    sam = Actor.of(sharing.redeem_invitation(session, code=code, username="sam.s", password="long enough", rounds=4))
    with pytest.raises(ValidationError) as caught:
        share(session, eli, sam.id, Category.SUBSTANCE_USE, TODAY + timedelta(days=30), purpose="", signature="Eli")
    assert set(caught.value.fields) == {"purpose", "signature"}
    share(
        session,
        eli,
        sam.id,
        Category.SUBSTANCE_USE,
        TODAY + timedelta(days=30),
        purpose="So he can support my recovery",
        signature="eli santos",
    )
    grant = session.exec(select(ConsentGrant).where(ConsentGrant.family_id == sam.id)).one()
    assert grant.signature == "eli santos" and grant.signed_at and grant.purpose
    weeks, craving, urges = sharing.substance_use(session, sam, eli.id, TODAY)
    assert any(c is not None for c in craving)


def test_family_gets_totals_but_never_items_or_notes(session, demo):
    alex, pat = act(session, "alex"), act(session, "pat.morgan")
    share(session, alex, pat.id, Category.CHECKUP_TOTALS, TODAY + timedelta(days=10))
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
        share(session, alex, jamie.id, Category.MOOD_TREND, TODAY + timedelta(days=5))
    pat = act(session, "pat.morgan")
    for bad in (TODAY, TODAY + timedelta(days=400)):
        with pytest.raises(ValidationError):
            share(session, alex, pat.id, Category.MOOD_TREND, bad)
    with pytest.raises(AccessDenied):
        share(session, pat, pat.id, Category.MOOD_TREND, TODAY + timedelta(days=5))


def test_family_sees_only_the_safety_plan_steps_marked_shareable(session, demo):
    from core import safety

    dana, jamie, chen = act(session, "dana"), act(session, "jamie.okafor"), act(session, "dr.chen")
    with pytest.raises(AccessDenied):
        safety.current_plan(session, jamie, dana.id)
    share(session, dana, jamie.id, Category.SAFETY_PLAN, TODAY + timedelta(days=30))
    assert safety.current_plan(session, jamie, dana.id).content == {}  # nothing marked yet
    plan = safety.current_plan(session, dana, dana.id)
    safety.save_plan(
        session,
        dana,
        participant_id=dana.id,
        base_version=plan.version,
        content={**plan.content, "shared_steps": ["help_contacts", "reasons_for_living"]},
    )
    seen = safety.current_plan(session, jamie, dana.id)
    assert set(seen.content) == {"help_contacts", "reasons_for_living"}
    assert "warning_signs" not in seen.content
    # The therapist's edits never change what the participant chose to share.
    plan = safety.current_plan(session, chen, dana.id)
    safety.save_plan(
        session,
        chen,
        participant_id=dana.id,
        base_version=plan.version,
        content={**plan.content, "shared_steps": ["warning_signs"]},
    )
    assert set(safety.current_plan(session, jamie, dana.id).content) == {"help_contacts", "reasons_for_living"}


def test_consent_dates_follow_the_participants_calendar(session, demo):
    """At 11:30 pm Monday in New York (Tuesday in UTC) 'until Tuesday' is tomorrow: allowed, and it
    lasts to the end of Tuesday in New York."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    alex, pat = act(session, "alex"), act(session, "pat.morgan")
    late = datetime(2026, 11, 24, 4, 30, tzinfo=UTC)
    with pytest.raises(ValidationError, match="after today"):
        share(session, alex, pat.id, Category.MOOD_TREND, date(2026, 11, 23), now=late)
    share(session, alex, pat.id, Category.MOOD_TREND, date(2026, 11, 24), now=late)
    grant = session.exec(
        select(ConsentGrant).where(
            ConsentGrant.family_id == pat.id,
            ConsentGrant.category == Category.MOOD_TREND.value,
            col(ConsentGrant.revoked_at).is_(None),
        )
    ).one()
    ends = grant.expires_at if grant.expires_at.tzinfo else grant.expires_at.replace(tzinfo=UTC)
    assert ends.astimezone(ZoneInfo("America/New_York")).date() == date(2026, 11, 24)
    assert ends.astimezone(ZoneInfo("America/New_York")).hour == 23


# --- invitation codes ------------------------------------------------------------------------------


def redeem(session, code, username="new.member"):
    return sharing.redeem_invitation(session, code=code, username=username, password="long enough", rounds=4)


def test_codes_are_stored_as_a_keyed_hash_not_a_bare_sha256(session, demo, monkeypatch):
    import hashlib
    import hmac

    from core import codes, config
    from core.models import FamilyInvitation

    casey = act(session, "casey")
    code, _ = sharing.create_invitation(session, casey, name="Morgan Nguyen")
    stored = session.exec(select(FamilyInvitation.code_hash)).one()
    plain = code.replace("-", "")
    assert stored not in {hashlib.sha256(code.encode()).hexdigest(), hashlib.sha256(plain.encode()).hexdigest()}
    key = config.settings().cookie_key.encode()
    assert (
        stored == hmac.new(key, f"iop-companion/family-invitation/v1\x00{plain}".encode(), hashlib.sha256).hexdigest()
    )
    assert codes.keyed_hash("password-reset", code) != stored  # one purpose can't stand in for another
    # With a different server secret the same code is worthless.
    monkeypatch.setenv("IOP_COOKIE_KEY", "a-different-secret-of-at-least-32-characters")
    config.settings.cache_clear()
    with pytest.raises(ValidationError, match="isn't right"):
        redeem(session, code)
    monkeypatch.delenv("IOP_COOKIE_KEY")
    config.settings.cache_clear()
    assert redeem(session, code).name == "Morgan Nguyen"


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: c,
        lambda c: c.lower(),
        lambda c: c.replace("-", ""),
        lambda c: c.replace("-", " "),
        lambda c: f"  {c.lower().replace('-', '')}  ",
        lambda c: c.replace("-", "–"),
        lambda c: c.translate(
            str.maketrans("0123456789ABCDEF", "０１２３４５６７８９ＡＢＣＤＥＦ")
        ),  # full-width keyboard
    ],
)
def test_a_code_is_accepted_with_or_without_dashes_and_spaces_in_any_case(session, demo, typed):
    code, _ = sharing.create_invitation(session, act(session, "casey"), name="Morgan Nguyen")
    assert redeem(session, typed(code)).name == "Morgan Nguyen"


@pytest.mark.parametrize("typed", ["", "   ", "----", None, 12345, "0" * 10_000, "ABC\x00D"])
def test_nonsense_codes_are_refused_beside_the_field(session, demo, typed):
    sharing.create_invitation(session, act(session, "casey"), name="Morgan Nguyen")
    with pytest.raises(ValidationError) as refused:
        sharing.redeem_invitation(session, code=typed, username="x.y.z", password="long enough", rounds=4)
    assert set(refused.value.fields) == {"code"}


def test_a_participant_withdraws_an_unused_code_and_it_stops_working(session, demo):
    casey, dana = act(session, "casey"), act(session, "dana")
    code, _ = sharing.create_invitation(session, casey, name="Morgan Nguyen", relationship="Sibling")
    other, _ = sharing.create_invitation(session, casey, name="Lee Park")
    pending = sharing.pending_invitations(session, casey, casey.id)
    assert [p.name for p in pending] == ["Lee Park", "Morgan Nguyen"]
    morgan = next(p for p in pending if p.name == "Morgan Nguyen")
    with pytest.raises(ValidationError):  # someone else can't withdraw it
        sharing.withdraw_invitation(session, dana, invitation_id=morgan.id)
    sharing.withdraw_invitation(session, casey, invitation_id=morgan.id)
    assert [p.name for p in sharing.pending_invitations(session, casey, casey.id)] == ["Lee Park"]
    with pytest.raises(ValidationError, match="no longer works"):
        redeem(session, code)
    with pytest.raises(ValidationError, match="already been used or withdrawn"):
        sharing.withdraw_invitation(session, casey, invitation_id=morgan.id)
    redeem(session, other)  # a used code can't be withdrawn either
    used = session.exec(select(sharing.FamilyInvitation.id).where(sharing.FamilyInvitation.name == "Lee Park")).one()
    with pytest.raises(ValidationError):
        sharing.withdraw_invitation(session, casey, invitation_id=used)
    for nonsense in (0, -5, 2**40, "1", None, True):
        with pytest.raises(ValidationError):
            sharing.withdraw_invitation(session, casey, invitation_id=nonsense)


def test_a_code_stops_working_when_its_participant_is_deactivated(session, demo):
    casey, admin = act(session, "casey"), act(session, "admin")
    code, _ = sharing.create_invitation(session, casey, name="Morgan Nguyen")
    from core import accounts

    accounts.set_active(session, admin, user_id=casey.id, active=False)
    with pytest.raises(ValidationError, match="no longer works"):
        redeem(session, code)
    assert session.exec(select(AppUser).where(AppUser.username == "new.member")).first() is None
    accounts.set_active(session, admin, user_id=casey.id, active=True)
    assert redeem(session, code).role == "family"


def test_a_failed_redemption_leaves_the_code_usable(session, demo):
    code, _ = sharing.create_invitation(session, act(session, "casey"), name="Morgan Nguyen")
    with pytest.raises(ValidationError) as refused:
        sharing.redeem_invitation(session, code=code, username="alex", password="long enough", rounds=4)
    assert "username" in refused.value.fields
    with pytest.raises(ValidationError) as refused:
        sharing.redeem_invitation(session, code=code, username="morgan.n", password="short", rounds=4)
    assert "password" in refused.value.fields
    assert redeem(session, code).username == "new.member"


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", "A\x00B"),
        ("name", "x" * 81),
        ("relationship", "y" * 41),
        ("email", "nope"),
        ("name", 42),
        ("email", "a@b.c\x00"),
    ],
)
def test_an_invitation_with_bad_details_is_refused_beside_the_field(session, demo, field, value):
    details = {"name": "Morgan Nguyen", "relationship": "Sibling", "email": "", field: value}
    with pytest.raises(ValidationError) as refused:
        sharing.create_invitation(session, act(session, "casey"), **details)
    assert field in refused.value.fields


# --- consent: one current grant, its wording, discloser and scope ---------------------------------------


def current_grants(session, participant_id, family_id, category):
    return session.exec(
        select(ConsentGrant).where(
            ConsentGrant.participant_id == participant_id,
            ConsentGrant.family_id == family_id,
            ConsentGrant.category == category.value,
            col(ConsentGrant.revoked_at).is_(None),
        )
    ).all()


def test_a_grant_records_the_program_the_wording_and_ends_older_ones_expired_included(session, demo):
    alex, pat = act(session, "alex"), act(session, "pat.morgan")
    expired = ConsentGrant(
        participant_id=alex.id,
        family_id=pat.id,
        category=Category.CHECKUP_TOTALS.value,
        granted_at=utcnow() - timedelta(days=40),
        expires_at=utcnow() - timedelta(days=10),
    )
    session.add(expired)
    session.commit()
    share(session, alex, pat.id, Category.CHECKUP_TOTALS, TODAY + timedelta(days=20))
    rows = current_grants(session, alex.id, pat.id, Category.CHECKUP_TOTALS)
    assert len(rows) == 1 and rows[0].id != expired.id
    assert rows[0].discloser == "Evening Adult IOP"
    assert rows[0].consent_version == sharing.consent_version(Category.CHECKUP_TOTALS) != ""
    session.refresh(expired)
    assert expired.revoked_at is not None


def test_a_consent_shown_in_other_words_is_refused(session, demo):
    alex, pat = act(session, "alex"), act(session, "pat.morgan")
    for shown in ("", "0" * 12, sharing.consent_version(Category.SUBSTANCE_USE)):
        with pytest.raises(ValidationError) as refused:
            sharing.grant(
                session,
                alex,
                family_id=pat.id,
                category=Category.CHECKUP_TOTALS,
                until=TODAY + timedelta(days=5),
                shown_version=shown,
            )
        assert "consent" in refused.value.fields
    assert not current_grants(session, alex.id, pat.id, Category.CHECKUP_TOTALS)


def test_the_consent_names_the_discloser_the_scope_and_how_to_revoke(session, demo):
    text = sharing.consent_text(
        Category.SUBSTANCE_USE,
        participant="Eli Santos",
        program="Evening Adult IOP",
        family="Sam Santos",
        until=date(2027, 2, 23),
        purpose="So he can support me",
    )
    for element in (
        "Eli Santos",
        "Evening Adult IOP",
        "Sam Santos",
        "February 23, 2027",
        "So he can support me",
        "craving",
        "revoke",
        "Stop",
        "42 CFR Part 2",
        "sign",
    ):
        assert element in text, element
    assert sharing.consent_version(Category.SUBSTANCE_USE) != sharing.consent_version(Category.MOOD_TREND)
    # The version follows the words: change the scope and the version changes with it.
    before = sharing.consent_version(Category.MOOD_TREND)
    sharing.CATEGORY_SCOPE[Category.MOOD_TREND] += " (changed)"
    try:
        assert sharing.consent_version(Category.MOOD_TREND) != before
    finally:
        sharing.CATEGORY_SCOPE[Category.MOOD_TREND] = sharing.CATEGORY_SCOPE[Category.MOOD_TREND][: -len(" (changed)")]
    assert sharing.consent_version(Category.MOOD_TREND) == before


def test_the_redisclosure_notice_is_statement_2_of_42_cfr_2_32_verbatim():
    assert sharing.REDISCLOSURE_NOTICE == "42 CFR part 2 prohibits unauthorized use or disclosure of these records."


def test_the_family_member_sees_what_they_were_given_why_by_whom_until_the_day_chosen(session, demo):
    eli = act(session, "eli")
    code, _ = sharing.create_invitation(session, eli, name="Sam Santos", relationship="Brother")
    sam = Actor.of(redeem(session, code, "sam.s"))
    share(
        session,
        eli,
        sam.id,
        Category.SUBSTANCE_USE,
        TODAY + timedelta(days=30),
        purpose="So he can support my recovery",
        signature="Eli Santos",
    )
    share(session, eli, sam.id, Category.MOOD_TREND, TODAY + timedelta(days=10))
    [person] = sharing.shared_with_me(session, sam)
    assert person.name == "Eli Santos" and person.relationship == "Brother"
    assert [i.category for i in person.items] == [Category.MOOD_TREND, Category.SUBSTANCE_USE]
    mood, substance = person.items
    assert mood.until == TODAY + timedelta(days=10)  # the day chosen, not the UTC day after
    assert substance.purpose == "So he can support my recovery" and substance.discloser == "Evening Adult IOP"
    assert "craving" in substance.scope and "their" in substance.scope
    assert sharing.family_of(session, eli, eli.id)[0].active[Category.MOOD_TREND] == TODAY + timedelta(days=10)


def test_the_who_looked_log_says_what_was_looked_at_in_plain_words(session, demo):
    alex, pat = act(session, "alex"), act(session, "pat.morgan")
    sharing.shared_with_me(session, pat)
    sharing.mood_trend(session, pat, alex.id, TODAY)
    with pytest.raises(AccessDenied):
        sharing.checkup_totals(session, pat, alex.id)
    log = sharing.family_access_log(session, alex, alex.id)
    assert [(v.what, v.allowed) for v in log[:3]] == [
        ("Your check-up totals", False),
        ("Your mood trend (weekly averages)", True),
        ("Which things you share with them", True),
    ]
    assert all(v.who == "Pat Morgan" for v in log[:3])
    assert not any(v.what in {"sharing", "mood_trend"} for v in log)
