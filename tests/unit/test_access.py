"""The one gate, role by role: what is allowed, what is refused, and that both are audited —
with an opaque reference only, never clinical content."""

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from core import accounts, audit
from core.access import (
    FAMILY_SHAREABLE,
    INACTIVE_THERAPIST_CLOSES,
    REFUSED_MESSAGE,
    Action,
    Actor,
    Category,
    Refusal,
    authorize,
    check_ref,
    has_active_consent,
    record,
    record_many,
    require_role,
)
from core.errors import AccessDenied
from core.models import AppUser, AuditEvent, ConsentGrant, FamilyLink, Program, Role, utcnow

R, S, W = Action.READ, Action.READ_SUMMARY, Action.WRITE


def actor(session, username):
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def uid(session, username):
    return actor(session, username).id


def allowed(session, who, whose, category, action):
    try:
        authorize(
            session, actor(session, who), whose if isinstance(whose, int) else uid(session, whose), category, action
        )
        return True
    except AccessDenied:
        return False


def last_event(session):
    return session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()


# Demo: alex, casey, eli... are on dr.rivera's caseload (even index); bailey, dana... on dr.chen's.
# pat.morgan (alex's parent) has active consent for attendance, mood trend and practice counts;
# jamie.okafor (dana) none; robin.thompson (kai) an expired mood-trend consent.
CASES = [
    ("alex", "alex", Category.DIARY, W, True),
    ("alex", "alex", Category.NOTES, R, True),
    ("alex", "alex", Category.PROFILE, R, True),
    ("alex", "alex", Category.PROFILE, W, False),  # can't move themselves to another caseload
    ("alex", "bailey", Category.DIARY, R, False),
    ("alex", "bailey", Category.MOOD_TREND, R, False),
    ("dr.rivera", "alex", Category.DIARY, R, True),
    ("dr.rivera", "alex", Category.NOTES, R, True),
    ("dr.rivera", "alex", Category.DIARY, W, False),  # therapists read the card, don't edit it
    ("dr.rivera", "alex", Category.PROFILE, W, False),  # nor the caseload
    ("dr.rivera", "alex", Category.SAFETY_PLAN, W, True),
    ("dr.rivera", "alex", Category.ALERTS, W, True),
    ("dr.rivera", "alex", Category.MOOD_TREND, S, True),  # the summary family would see
    ("dr.rivera", "bailey", Category.DIARY, R, False),  # not on her caseload
    ("dr.chen", "bailey", Category.CHECKUPS, R, True),
    ("pat.morgan", "alex", Category.MOOD_TREND, S, True),
    ("pat.morgan", "alex", Category.PRACTICE_COUNTS, S, True),
    ("pat.morgan", "alex", Category.ATTENDANCE, S, True),
    ("pat.morgan", "alex", Category.ATTENDANCE, R, False),  # consent covers the weekly counts, not each session
    ("pat.morgan", "alex", Category.MOOD_TREND, R, False),  # family get summaries only
    ("pat.morgan", "alex", Category.CHECKUP_TOTALS, S, False),  # not consented
    ("pat.morgan", "alex", Category.NOTES, S, False),  # never shareable
    ("pat.morgan", "alex", Category.DIARY, S, False),
    ("pat.morgan", "alex", Category.MOOD_TREND, W, False),  # family never writes
    ("pat.morgan", "bailey", Category.MOOD_TREND, S, False),  # not their person
    ("jamie.okafor", "dana", Category.MOOD_TREND, S, False),  # no consent
    ("robin.thompson", "kai", Category.MOOD_TREND, S, False),  # consent expired
    ("alex", "alex", Category.SKILLS, W, True),  # own practice log
    ("alex", "alex", Category.HOMEWORK, R, True),
    ("alex", "alex", Category.HOMEWORK, W, False),  # homework is set by the therapist
    ("alex", "alex", Category.ATTENDANCE, W, False),  # so is attendance
    ("dr.rivera", "alex", Category.SKILLS, R, True),  # reads practice and thought records
    ("dr.rivera", "alex", Category.SKILLS, W, False),  # but doesn't log practice for them
    ("dr.rivera", "alex", Category.HOMEWORK, W, True),
    ("dr.rivera", "alex", Category.ATTENDANCE, W, True),
    ("dr.rivera", "bailey", Category.HOMEWORK, W, False),  # not on her caseload
    ("pat.morgan", "alex", Category.SKILLS, S, False),  # thought records are never shared
    ("admin", "alex", Category.PROFILE, R, True),
    ("admin", "alex", Category.PROFILE, W, True),
    ("admin", "alex", Category.DIARY, R, False),  # minimum necessary
    ("admin", "alex", Category.NOTES, R, False),
    ("admin", "alex", Category.MOOD_TREND, S, False),
]


@pytest.mark.parametrize("who, whose, category, action, expected", CASES)
def test_gate(session, demo, who, whose, category, action, expected):
    assert allowed(session, who, whose, category, action) is expected
    event_ = last_event(session)
    assert event_.actor_id == uid(session, who)
    assert event_.participant_id == uid(session, whose)
    assert event_.category == category.value and event_.action == action.value
    assert event_.allowed is expected
    assert (event_.reason == "") is expected


ALLOWED = [(who, whose, category, action) for who, whose, category, action, ok in CASES if ok]


def set_active(session, username, active):
    user = session.exec(select(AppUser).where(AppUser.username == username)).one()
    user.is_active = active
    session.add(user)
    session.commit()


def test_a_deactivated_account_is_refused_whatever_else_holds(session, demo):
    """Every cell the table above allows, once with the actor and once with the participant
    deactivated: all refused, each refusal audited with its reason — except the participant's therapist
    on their alerts, which stay in the inbox until resolved (core.access.INACTIVE_THERAPIST_CLOSES)."""
    refused, closing_the_loop = [], 0
    for who, whose, category, action in ALLOWED:
        for gone in {who, whose}:
            if gone == whose != who and category in INACTIVE_THERAPIST_CLOSES and who.startswith("dr."):
                set_active(session, gone, False)
                assert allowed(session, who, whose, category, action)
                set_active(session, gone, True)
                closing_the_loop += 1
                continue
            set_active(session, gone, False)
            if not allowed(session, who, whose, category, action):
                expected = Refusal.ACCOUNT_INACTIVE if gone == who else Refusal.PARTICIPANT_INACTIVE
                event_ = last_event(session)
                assert event_.reason == expected.value and event_.allowed is False
                refused.append((who, whose, category, action, gone))
            set_active(session, gone, True)
            assert allowed(session, who, whose, category, action)
    cells = sum(len({who, whose}) for who, whose, _, _ in ALLOWED)
    assert len(refused) + closing_the_loop == cells > 20 and closing_the_loop > 0


def test_require_role_refuses_a_deactivated_account(session, demo):
    rivera = actor(session, "dr.rivera")
    require_role(session, rivera, Role.THERAPIST, what="caseload")
    user = session.get(AppUser, rivera.id)
    user.is_active = False
    session.add(user)
    session.commit()
    with pytest.raises(AccessDenied):
        require_role(session, rivera, Role.THERAPIST, what="caseload")
    with pytest.raises(AccessDenied):
        accounts.caseload_for(session, rivera)
    assert last_event(session).reason == Refusal.ACCOUNT_INACTIVE.value


def test_a_participant_cannot_move_themselves_to_another_caseload(session, demo):
    alex, chen = actor(session, "alex"), actor(session, "dr.chen")
    with pytest.raises(AccessDenied):
        accounts.assign_therapist(session, alex, participant_id=alex.id, therapist_id=chen.id)
    with pytest.raises(AccessDenied):
        accounts.assign_therapist(session, chen, participant_id=alex.id, therapist_id=chen.id)
    assert therapist_username(session, alex.id) == "dr.rivera"


def therapist_username(session, participant_id: int) -> str:
    """Whose caseload the participant is on, read straight from the table."""
    from core.models import CaseloadAssignment

    return session.exec(
        select(AppUser.username)
        .join(CaseloadAssignment, CaseloadAssignment.therapist_id == AppUser.id)
        .where(CaseloadAssignment.participant_id == participant_id)
    ).one()


def other_program(session):
    other = Program(name="Day IOP")
    session.add(other)
    session.commit()
    return other


def test_assigning_a_therapist_of_another_program_is_refused(session, demo):
    other = other_program(session)
    stranger = AppUser(
        username="dr.far", name="Dr Far", role=Role.THERAPIST.value, password_hash="x", program_id=other.id
    )
    session.add(stranger)
    session.commit()
    admin, alex = actor(session, "admin"), actor(session, "alex")
    from core.errors import ValidationError

    with pytest.raises(ValidationError, match="therapist"):
        accounts.assign_therapist(session, admin, participant_id=alex.id, therapist_id=stranger.id)
    assert therapist_username(session, alex.id) == "dr.rivera"
    # Even if an assignment across programs got into the table, the gate refuses that therapist.
    from core.models import CaseloadAssignment

    row = session.exec(select(CaseloadAssignment).where(CaseloadAssignment.participant_id == alex.id)).one()
    row.therapist_id = stranger.id
    session.add(row)
    session.commit()
    assert not allowed(session, "dr.far", "alex", Category.DIARY, R)
    assert last_event(session).reason == Refusal.OTHER_PROGRAM.value


def test_admin_of_another_program_is_refused(session, demo):
    other = other_program(session)
    stranger = AppUser(
        username="admin2", name="Other Admin", role=Role.ADMIN.value, password_hash="x", program_id=other.id
    )
    session.add(stranger)
    session.commit()
    assert not allowed(session, "admin2", "alex", Category.PROFILE, R)
    with pytest.raises(AccessDenied):
        accounts.assign_therapist(
            session, actor(session, "admin2"), participant_id=uid(session, "alex"), therapist_id=uid(session, "dr.chen")
        )


# Substance-use consent counts only with the 42 CFR Part 2 elements on the row.
PART2 = [
    ({"purpose": "", "signature": "", "signed_at": None}, False),
    ({"purpose": "support", "signature": "", "signed_at": None}, False),
    ({"purpose": "", "signature": "Eli Santos", "signed": True}, False),
    ({"purpose": "support", "signature": "Eli Santos", "signed_at": None}, False),
    ({"purpose": "support", "signature": "Eli Santos", "signed": True}, True),
]


@pytest.mark.parametrize("elements, expected", PART2)
def test_substance_use_consent_needs_purpose_and_signature(session, demo, elements, expected):
    eli, robin = actor(session, "eli"), actor(session, "robin.thompson")
    session.add(FamilyLink(family_id=robin.id, participant_id=eli.id, relationship="Friend"))
    now = utcnow()
    session.add(
        ConsentGrant(
            participant_id=eli.id,
            family_id=robin.id,
            category=Category.SUBSTANCE_USE.value,
            expires_at=now + timedelta(days=30),
            purpose=elements["purpose"],
            signature=elements["signature"],
            signed_at=now if elements.get("signed") else None,
        )
    )
    session.commit()
    assert (
        has_active_consent(session, family_id=robin.id, participant_id=eli.id, category=Category.SUBSTANCE_USE)
        is expected
    )
    assert allowed(session, "robin.thompson", "eli", Category.SUBSTANCE_USE, S) is expected


def test_consent_without_a_family_link_counts_for_nothing(session, demo):
    alex, jamie = actor(session, "alex"), actor(session, "jamie.okafor")
    session.add(
        ConsentGrant(
            participant_id=alex.id,
            family_id=jamie.id,
            category=Category.MOOD_TREND.value,
            expires_at=utcnow() + timedelta(days=3),
        )
    )
    session.commit()
    assert not allowed(session, "jamie.okafor", "alex", Category.MOOD_TREND, S)


def test_family_can_never_see_unshareable_categories_even_with_a_grant(session, demo):
    never = [c for c in Category if c not in FAMILY_SHAREABLE]
    for category in never:
        session.add(
            ConsentGrant(
                participant_id=uid(session, "alex"),
                family_id=uid(session, "pat.morgan"),
                category=category.value,
                expires_at=utcnow() + timedelta(days=1),
            )
        )
    session.commit()
    for category in never:
        for action in (R, S):
            assert not allowed(session, "pat.morgan", "alex", category, action), category


def test_revoked_consent_stops_access_at_once(session, demo):
    assert allowed(session, "pat.morgan", "alex", Category.MOOD_TREND, S)
    grant = session.exec(
        select(ConsentGrant).where(
            ConsentGrant.category == "mood_trend", ConsentGrant.participant_id == uid(session, "alex")
        )
    ).one()
    grant.revoked_at = utcnow()
    session.add(grant)
    session.commit()
    assert not allowed(session, "pat.morgan", "alex", Category.MOOD_TREND, S)


@pytest.mark.parametrize("who", ["dr.rivera", "alex", "admin"])
def test_an_unknown_participant_id_is_refused_and_audited_like_any_refusal(session, demo, who):
    for bad_id in (99999, 0, -1, 2**40, True, "5", None, 5.0):
        with pytest.raises(AccessDenied) as unknown:
            authorize(session, actor(session, who), bad_id, Category.DIARY, R)
        first = last_event(session)
        with pytest.raises(AccessDenied) as not_yours:
            authorize(session, actor(session, who), uid(session, "bailey"), Category.DIARY, R)
        assert str(unknown.value) == str(not_yours.value) == REFUSED_MESSAGE  # nothing tells which ids exist
        assert first.allowed is False and first.actor_id == uid(session, who) and first.participant_id is None
        assert first.reason == Refusal.UNKNOWN_PARTICIPANT.value
        assert first.ref == ("participant:99999" if bad_id == 99999 else ""), bad_id
    assert len(session.exec(select(AuditEvent).where(AuditEvent.allowed == False)).all()) == 16  # noqa: E712


def test_an_id_that_is_not_a_participant_is_refused_without_naming_them(session, demo):
    assert not allowed(session, "dr.rivera", uid(session, "dr.chen"), Category.DIARY, R)
    event_ = last_event(session)
    assert event_.participant_id is None and event_.ref == f"participant:{uid(session, 'dr.chen')}"


def test_refusal_is_audited_even_if_the_caller_had_pending_work(session, demo):
    session.add(Program(name="never saved"))
    with pytest.raises(AccessDenied):
        authorize(session, actor(session, "alex"), uid(session, "bailey"), Category.DIARY, R)
    assert session.exec(select(Program).where(Program.name == "never saved")).first() is None
    refused = session.exec(select(AuditEvent).where(AuditEvent.allowed == False)).all()  # noqa: E712
    assert len(refused) == 1


# --- the audit trail holds references, never clinical content -----------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        "",
        "alert:123",
        "diary_card:456",
        "user:7",
        "2026-11-20",
        "2026-11-01..2026-11-20",
        "invitation:1",
        "participant:99999",
    ],
)
def test_opaque_references_are_accepted(ref):
    assert check_ref(ref) == ref


BAD_REFS = [
    "suicidal_urge_high from diary:2026-11-20",
    "submit phq9",
    "grant substance_use to 4",
    "practice tipp",
    "alert:abc",
    "suicidal_urge_high:5",
    "phq9:3",
    "favourite:2",
    "2026-11-20 note",
    "alert:1\x00",
    "x" * 300,
    " alert:1",
]


@pytest.mark.parametrize("ref", BAD_REFS)
def test_free_text_is_not_a_reference(ref):
    with pytest.raises(ValueError):
        check_ref(ref)


def test_anything_but_a_reference_is_refused_before_it_is_written(session, demo):
    alex = actor(session, "alex")
    before = len(session.exec(select(AuditEvent.id)).all())
    for ref in BAD_REFS:
        with pytest.raises(ValueError):
            record(session, alex, category=Category.DIARY, action="read", participant_id=alex.id, ref=ref)
        with pytest.raises(ValueError):
            authorize(session, alex, alex.id, Category.DIARY, R, ref=ref)
        with pytest.raises(ValueError):
            record_many(session, alex, [alex.id], category=Category.DIARY, action="read", ref=ref)
    assert len(session.exec(select(AuditEvent.id)).all()) == before


@pytest.mark.parametrize("ref", [123, None, b"alert:1"])
def test_a_reference_must_be_text(ref):
    with pytest.raises(TypeError):
        check_ref(ref)


def test_categories_and_actions_come_from_a_closed_set(session, demo):
    for category, action in [("suicidal_urge_high", "read"), ("diary", "submit phq9"), ("diary", "x" * 40)]:
        with pytest.raises(ValueError):
            record(session, actor(session, "alex"), category=category, action=action)


def test_what_used_to_leak_now_leaves_only_references(session, demo):
    """The old trail said "suicidal_urge_high from diary:…", "submit phq9", "grant substance_use",
    "practice tipp". Do each of those things and read the trail as the admin would."""
    from core import checkups, diary, practice, sharing
    from core.seed import demo_today

    today = demo_today()
    eli = actor(session, "eli")
    diary.save_card(
        session,
        eli,
        participant_id=eli.id,
        day=today,
        card=diary.CardInput(
            mood=2,
            urges={"suicidal_thoughts": (5, True), "self_harm": (0, False), "substance_use": (5, True)},
            craving=9,
            skills=["tipp"],
            note="a very private note",
        ),
    )
    checkups.submit(session, eli, participant_id=eli.id, kind="phq9", answers=[3] * 9)
    practice.save_practice(
        session,
        eli,
        participant_id=eli.id,
        entry_key="k1",
        entry=practice.PracticeInput(
            skill_id="tipp", distress_before=8, distress_after=4, helped="yes", situation="after the call"
        ),
    )
    practice.set_favourite(session, eli, eli.id, "tipp", True)
    code, _ = sharing.create_invitation(session, eli, name="Sam Santos", relationship="Brother")
    sam = Actor.of(sharing.redeem_invitation(session, code=code, username="sam.s", password="long enough", rounds=4))
    sharing.grant(
        session,
        eli,
        family_id=sam.id,
        category=Category.SUBSTANCE_USE,
        until=today + timedelta(days=9),
        purpose="So he can support me",
        signature="Eli Santos",
        shown_version=sharing.consent_version(Category.SUBSTANCE_USE),
    )
    rows = audit.audit_log(session, actor(session, "admin"), limit=1000).rows
    assert rows
    shown = "\n".join(f"{r.actor} {r.participant} {r.category} {r.action} {r.reason} {r.ref}" for r in rows).lower()
    for clinical_word in (
        "suicid",
        "phq",
        "tipp",
        "private note",
        "after the call",
        "substance_use",
        "urge_high",
        "support me",
        "craving",
    ):
        assert clinical_word not in shown, clinical_word
    assert all(e.ref == check_ref(e.ref) for e in session.exec(select(AuditEvent)))


def test_who_saw_danas_diary_last_week_is_one_query(session, demo, engine):
    from core import diary
    from core.seed import demo_today

    dana, chen, admin = actor(session, "dana"), actor(session, "dr.chen"), actor(session, "admin")
    today = demo_today()
    diary.cards_between(session, chen, dana.id, today - timedelta(days=6), today)
    statements = []

    def count(conn, cursor, sql, params, context, many):
        if "FROM audit_event" in sql and sql.lstrip().upper().startswith("SELECT"):
            statements.append(sql)

    event.listen(engine, "before_cursor_execute", count)
    try:
        found = audit.audit_log(
            session,
            admin,
            participant_id=dana.id,
            category=Category.DIARY.value,
            start=today - timedelta(days=7),
            end=today + timedelta(days=1),
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert found.rows and {(r.actor, r.participant, r.category, r.action) for r in found.rows} == {
        (chen.name, dana.name, "Diary cards", "looked")
    }
    answering = [sql for sql in statements if "whose" in sql]
    assert len(answering) == 1  # names, filters and the page in one statement


def test_the_admin_reads_names_not_ids_in_the_trail(session, demo):
    admin, alex, chen = actor(session, "admin"), actor(session, "alex"), actor(session, "dr.chen")
    accounts.assign_therapist(session, admin, participant_id=alex.id, therapist_id=chen.id)
    with pytest.raises(AccessDenied):
        authorize(session, actor(session, "dr.rivera"), 99999, Category.DIARY, R)
    rows = audit.audit_log(session, admin, limit=5).rows
    assigned = next(r for r in rows if r.action == "changed" and r.category == "Profile and caseload")
    assert (assigned.actor, assigned.participant, assigned.ref) == (admin.name, alex.name, chen.name)
    unknown = next(r for r in rows if not r.allowed)
    assert unknown.reason == "no such participant" and unknown.ref == "no such person (#99999)"
    assert unknown.actor_role == "Therapist"
