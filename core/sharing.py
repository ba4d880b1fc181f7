"""Family sharing: invitations, consent per family member and category, and what family may see.

Off by default. Each consent has an end date and can be revoked at once; substance-use data needs
the 42 CFR Part 2 elements (purpose and the participant's typed signature). Family members only
ever get aggregates — weekly averages, counts, totals — never notes, item answers or daily values:
every reader here asks the gate for `Action.READ_SUMMARY`, the only kind of read family are given.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from sqlalchemy import and_, update
from sqlalchemy import select as sql_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import accounts, auth, clinical, codes, inputs, throttle
from core.access import (
    REFUSED_MESSAGE,
    Action,
    Actor,
    Category,
    Refusal,
    authorize,
    record,
    record_many,
    require_role,
)
from core.db import hold_rows, rows_changed, unit_of
from core.enrolment import not_discharged
from core.errors import AccessDenied, ValidationError
from core.i18n import F_, N_, _
from core.models import (
    AppUser,
    Attendance,
    AuditEvent,
    Checkup,
    ConsentGrant,
    DiaryCard,
    DiaryTarget,
    DiaryUrge,
    Discharge,
    FamilyInvitation,
    FamilyLink,
    PracticeEntry,
    Program,
    Role,
    ThoughtRecord,
    id_of,
    utcnow,
)
from core.program import _first_zone, user_zone

CATEGORY_LABELS = {
    Category.ATTENDANCE: N_("Attendance"),
    Category.MOOD_TREND: N_("Mood trend (weekly averages)"),
    Category.PRACTICE_COUNTS: N_("Skills practice counts"),
    Category.CHECKUP_TOTALS: N_("Check-up totals and bands"),
    Category.SAFETY_PLAN: N_("Safety plan (shared parts)"),
    Category.SUBSTANCE_USE: N_("Substance use (cravings, use urges)"),
    Category.AFTERCARE: N_("Aftercare plan (without medication)"),
}
# Exactly what each category discloses: shown in the consent, stored (by version) with it, and
# shown to the family member beside what they were given (42 CFR 2.32(b): the scope goes with it).
CATEGORY_SCOPE = {
    Category.ATTENDANCE: "how many program sessions I came to each week, and how many were held",
    Category.MOOD_TREND: "my average mood (0–10) each week",
    Category.PRACTICE_COUNTS: (
        "how many skills I ticked on my diary cards and how many practice sessions I "
        "logged each week (counts only, never what I wrote)"
    ),
    Category.CHECKUP_TOTALS: (
        "my PHQ-9 (mood) and GAD-7 (worry) total scores and their ranges, never my answers to single questions"
    ),
    Category.SAFETY_PLAN: "the steps of my safety plan that I mark for family",
    Category.SUBSTANCE_USE: (
        "my weekly average craving (0–10) and substance-use urge (0–5) — substance use "
        "disorder information protected by federal rules (42 CFR Part 2)"
    ),
    Category.AFTERCARE: (
        "my relapse-prevention and aftercare plan: triggers, warning signs, coping steps, people to call, "
        "continuing-care appointments and meetings (never my medication plan)"
    ),
}
# The same scope as the family member reads it, beside what they were given.
SCOPE_FOR_FAMILY = {
    Category.ATTENDANCE: N_("how many program sessions they came to each week, and how many were held"),
    Category.MOOD_TREND: N_("their average mood (0–10) each week"),
    Category.PRACTICE_COUNTS: N_(
        "how many skills they ticked on their diary cards and how many practice sessions "
        "they logged each week (counts only, never what they wrote)"
    ),
    Category.CHECKUP_TOTALS: N_(
        "their PHQ-9 (mood) and GAD-7 (worry) total scores and their ranges, never their answers to single questions"
    ),
    Category.SAFETY_PLAN: N_("the steps of their safety plan that they mark for family"),
    Category.SUBSTANCE_USE: N_(
        "their weekly average craving (0–10) and substance-use urge (0–5) — substance use "
        "disorder information protected by federal rules (42 CFR Part 2)"
    ),
    Category.AFTERCARE: N_(
        "their relapse-prevention and aftercare plan: triggers, warning signs, coping steps, people to call, "
        "continuing-care appointments and meetings (never their medication plan)"
    ),
}
# What a participant can choose to share, in the order the Sharing page lists it.
OFFERED = (
    Category.ATTENDANCE,
    Category.MOOD_TREND,
    Category.PRACTICE_COUNTS,
    Category.CHECKUP_TOTALS,
    Category.SAFETY_PLAN,
    Category.SUBSTANCE_USE,
    Category.AFTERCARE,
)
DEFAULT_CONSENT_DAYS = 90
CONSENT_MAX_DAYS = 365  # a consent ends within a year (and can be renewed)
INVITATION_DAYS = 7
INVITATION_CODES = "family-invitation"  # the keyed hash's label for these codes
INVITATION_TRIES = "invitation-redeem"  # the throttle's key: tries are counted per client
INVITATION_ATTEMPTS = 10  # codes tried from one place …
INVITATION_WINDOW = timedelta(minutes=15)  # … within this long pause joining from there this long
INVITATION_MAX_PAUSE = timedelta(hours=4)  # pauses in a row double, up to this
FAMILY_WEEKS = 8
PURPOSE_MAX = 200
SIGNATURE_MAX = 120
# 42 CFR § 2.32(a)(2), "Statement 2", verbatim as amended by the 2024 final rule (89 FR 12472,
# Feb. 16, 2024; in force Apr. 16, 2024, compliance by Feb. 16, 2026):
# https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2/subpart-C/section-2.32
# (§ 2.32(a) requires "one of the following written statements"; before 2024 Statement 2 read
# "prohibits unauthorized disclosure", the amendment added "use or".) § 2.32(b) asks that the
# disclosure also carry the consent or a clear explanation of its scope: the family page shows
# CATEGORY_SCOPE, the purpose and the discloser beside it.
REDISCLOSURE_NOTICE = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
REDISCLOSURE_PLAIN = N_(
    "In plain words: this is shared with you alone. Please don't pass it on, show it "
    "to anyone, or use it for anything else."
)

# The consent wording. Its version (a hash of the words) is stored on every grant, so what the
# participant was shown can always be told apart from later wording.
_CONSENT = (
    "I, {participant}, agree that {program} may show {family} {scope}, in the IOP Companion app, "
    "until the end of {until}. I can stop this at any time on my Family sharing page by tapping "
    "“Stop”: it stops at once, except for what they have already seen."
)
_PART2_CONSENT = (
    "I, {participant}, consent to {program} disclosing to {family} {scope}, in the IOP Companion "
    "app, until the end of {until}, for this purpose: “{purpose}”. I understand that I may revoke "
    "this consent at any time, except to the extent that the program has already acted on it, by "
    "tapping “Stop” on my Family sharing page; it takes effect at once. {family} will be told that "
    "federal rules prohibit passing this information on. I sign by typing my full name; the date "
    "and time are recorded when I do."
)


def _wording(category: Category) -> str:
    return _PART2_CONSENT if category is Category.SUBSTANCE_USE else _CONSENT


def consent_version(category: Category) -> str:
    """A short id of the exact wording shown for this category (template and scope)."""
    words = f"{_wording(category)}\n{CATEGORY_SCOPE[category]}".encode()
    return hashlib.sha256(words).hexdigest()[:12]


def consent_text(
    category: Category, *, participant: str, program: str, family: str, until: date, purpose: str = ""
) -> str:
    """The consent as the participant reads it before sharing (plain text: escape it for Markdown)."""
    return _wording(category).format(
        participant=participant,
        program=program or "my program",
        family=family,
        scope=CATEGORY_SCOPE[category],
        until=f"{until:%B} {until.day}, {until.year}",
        purpose=purpose.strip() or "…",
    )


RELATIONSHIP_MAX = 40


class InvitationForm(inputs.Form):
    """A participant's invitation: who the family member is (NAMEs: hidden characters refused)."""

    name: Annotated[
        str,
        inputs.Name(
            accounts.NAME_MAX,
            N_("Their name"),
            required=F_("Enter their name (up to {limit} characters).", limit=accounts.NAME_MAX),
            too_long=F_("Their name: keep it under {limit} characters (it has {{n}}).", limit=accounts.NAME_MAX),
        ),
    ]
    relationship: Annotated[
        str,
        inputs.Name(
            RELATIONSHIP_MAX, N_("How they're related"), too_long=N_("Keep it short, e.g. Parent, Partner, Sibling.")
        ),
    ]
    email: Annotated[str, inputs.Email(accounts.EMAIL_RE, accounts.EMAIL_MAX)]


class ConsentForm(inputs.Form):
    """What a consent records besides the person and category; the Part 2 purpose and signature
    are statements the participant signs, so hidden characters are refused, never removed."""

    family_id: Annotated[int, inputs.RecordId("That person isn't connected to you.")]
    until: Annotated[date, inputs.Day("Choose an end date.")]
    purpose: Annotated[
        str,
        inputs.Name(
            PURPOSE_MAX,
            N_("Purpose"),
            optional=True,
            too_long=F_("Purpose: keep it under {limit} characters (it has {{n}}).", limit=PURPOSE_MAX),
        ),
    ]
    signature: Annotated[
        str,
        inputs.Name(
            SIGNATURE_MAX,
            N_("Signature"),
            optional=True,
            too_long=F_("Signature: keep it under {limit} characters (it has {{n}}).", limit=SIGNATURE_MAX),
        ),
    ]


# --- invitations ------------------------------------------------------------------------------


def create_invitation(
    session: Session, actor: Actor, *, name: str, relationship: str = "", email: str = "", now: datetime | None = None
) -> tuple[str, datetime]:
    """A one-time code for a family member, valid INVITATION_DAYS days. Returns (code, expiry)."""
    authorize(session, actor, actor.id, Category.SHARING, Action.WRITE)
    _refuse_if_discharged(session, actor)  # (the gate lets a discharged participant stop sharing, not start)
    invitation = InvitationForm.check(name=name, relationship=relationship, email=email)
    name, relationship, email = invitation.name, invitation.relationship, invitation.email
    code = codes.new_code()
    expires = (now or utcnow()) + timedelta(days=INVITATION_DAYS)
    session.add(
        FamilyInvitation(
            participant_id=actor.id,
            code_hash=codes.keyed_hash(INVITATION_CODES, code),
            name=name,
            relationship=relationship,
            email=email,
            expires_at=expires,
        )
    )
    session.commit()
    return code, expires


@dataclass(frozen=True)
class PendingInvitation:
    id: int
    name: str
    relationship: str
    created_at: datetime
    expires_at: datetime


def pending_invitations(
    session: Session, actor: Actor, participant_id: int, now: datetime | None = None
) -> list[PendingInvitation]:
    """Codes given out that nobody has used yet and that still work, newest first."""
    authorize(session, actor, participant_id, Category.SHARING, Action.READ)
    rows = session.exec(
        select(FamilyInvitation)
        .where(
            FamilyInvitation.participant_id == participant_id,
            col(FamilyInvitation.used_at).is_(None),
            col(FamilyInvitation.withdrawn_at).is_(None),
            FamilyInvitation.expires_at > (now or utcnow()),
        )
        .order_by(col(FamilyInvitation.created_at).desc(), col(FamilyInvitation.id).desc())
    ).all()
    return [PendingInvitation(id_of(r), r.name, r.relationship, r.created_at, r.expires_at) for r in rows]


def withdraw_invitation(session: Session, actor: Actor, *, invitation_id: int, now: datetime | None = None) -> None:
    """The participant takes back a code nobody has used yet; it stops working at once."""
    valid = inputs.is_id(invitation_id)
    authorize(
        session, actor, actor.id, Category.SHARING, Action.WRITE, ref=f"invitation:{invitation_id}" if valid else ""
    )
    withdrawn = (
        valid
        and rows_changed(
            session.execute(
                update(FamilyInvitation)
                .where(
                    col(FamilyInvitation.id) == invitation_id,
                    col(FamilyInvitation.participant_id) == actor.id,
                    col(FamilyInvitation.used_at).is_(None),
                    col(FamilyInvitation.withdrawn_at).is_(None),
                )
                .values(withdrawn_at=now or utcnow())
            )
        )
        == 1
    )
    session.commit()
    if not withdrawn:
        raise ValidationError.one("invitation", _("That code has already been used or withdrawn."))


WRONG_CODE = "That code isn't right. Check it with the person who invited you."
USED_CODE = "That code has already been used. Ask for a new one."
DEAD_CODE = "That code no longer works. Ask the person who invited you for a new one."


def redeem_invitation(
    session: Session,
    *,
    code: str,
    username: str,
    password: str,
    rounds: int,
    client: str = "",
    now: datetime | None = None,
) -> AppUser:
    """A family member creates their own account with a code; each code works once.

    The code is claimed by one conditional UPDATE (… WHERE used_at IS NULL AND not withdrawn AND
    not expired AND its participant is active): of any number of simultaneous redemptions exactly
    one changes the row, and the account, the link and the claim commit together or not at all.
    Tries are counted per client (an IP address) before the code is looked at, like passwords:
    INVITATION_ATTEMPTS in INVITATION_WINDOW, then a pause that doubles each time, so nobody can
    walk through the code space.
    """
    now = now or utcnow()
    attempt = throttle.hit(
        session,
        INVITATION_TRIES,
        client=client,
        limit=INVITATION_ATTEMPTS,
        window=INVITATION_WINDOW,
        max_block=INVITATION_MAX_PAUSE,
        now=now,
    )
    if not attempt.allowed:
        minutes = attempt.minutes_left
        raise ValidationError.one(
            "code",
            f"Too many codes were tried from here, so joining is paused for "
            f"{minutes} minute{'' if minutes == 1 else 's'}. Check the code with the "
            "person who invited you, then try again.",
        )
    invitation = session.exec(
        select(FamilyInvitation).where(FamilyInvitation.code_hash == codes.keyed_hash(INVITATION_CODES, code))
    ).first()
    if invitation is None or not codes.normalise(code):
        raise ValidationError.one("code", WRONG_CODE)
    if invitation.used_at is not None:
        raise ValidationError.one("code", USED_CODE)
    if invitation.expires_at <= now:
        raise ValidationError.one(
            "code", f"That code has expired (codes last {INVITATION_DAYS} days). Ask for a new one."
        )
    participant = session.get(AppUser, invitation.participant_id)
    discharged = session.exec(select(Discharge.id).where(Discharge.participant_id == invitation.participant_id))
    if invitation.withdrawn_at is not None or participant is None or not participant.is_active or discharged.first():
        raise ValidationError.one("code", DEAD_CODE)  # (after discharge no sharing starts: see create_invitation)
    username = username.strip().lower() if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    errors = accounts.validate_new_account(
        session,
        username=username,
        name=invitation.name,
        email=invitation.email,
        role=Role.FAMILY.value,
        password=password,
    )
    if errors:
        raise ValidationError(errors)
    password_hash = auth.hash_password(password, rounds=rounds)  # slow: before the claim, not inside it
    active_participant = select(AppUser.id).where(
        AppUser.id == invitation.participant_id, col(AppUser.is_active).is_(True), not_discharged(AppUser.id)
    )
    claimed = rows_changed(
        session.execute(
            update(FamilyInvitation)
            .where(
                col(FamilyInvitation.id) == invitation.id,
                col(FamilyInvitation.used_at).is_(None),
                col(FamilyInvitation.withdrawn_at).is_(None),
                col(FamilyInvitation.expires_at) > now,
                col(FamilyInvitation.participant_id).in_(active_participant),
            )
            .values(used_at=now)
        )
    )
    if claimed != 1:
        session.rollback()
        raise ValidationError.one("code", USED_CODE)
    user = AppUser(
        username=username,
        name=invitation.name,
        email=invitation.email or None,
        role=Role.FAMILY.value,
        password_hash=password_hash,
        program_id=participant.program_id,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # the same username (or email) was taken a moment ago: the code stays unused
        session.rollback()
        if auth.find_user(session, username):
            raise ValidationError.one("username", "That username was just taken. Try another.") from None
        raise ValidationError.one(
            "code", "That invitation's email address is already in use. Ask for a new invitation without it."
        ) from None
    session.add(
        FamilyLink(family_id=id_of(user), participant_id=id_of(participant), relationship=invitation.relationship)
    )
    session.execute(update(FamilyInvitation).where(col(FamilyInvitation.id) == invitation.id).values(family_id=user.id))
    record(
        session,
        Actor.of(user),
        category=Category.SHARING,
        action="join",
        participant_id=participant.id,
        ref=f"invitation:{invitation.id}",
    )
    return user


# --- consent ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyMember:
    id: int
    name: str
    relationship: str
    active: dict[Category, date]  # category -> the last day shared (the day the participant chose)


def _zone_of(session: Session, participant_id: int) -> ZoneInfo:
    return user_zone(session, participant_id)


def _end_current(session: Session, participant_id: int, family_id: int, category: Category, now: datetime) -> None:
    """End every unrevoked consent for this person and category — expired ones too — so the
    one-current-consent index has room for the next."""
    session.execute(
        update(ConsentGrant)
        .where(
            col(ConsentGrant.participant_id) == participant_id,
            col(ConsentGrant.family_id) == family_id,
            col(ConsentGrant.category) == category.value,
            col(ConsentGrant.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )


def _lock_link(session: Session, participant_id: int, family_id: int) -> bool:
    """The family link, locked for this transaction on PostgreSQL (SQLite serialises writers), so
    two grants for one person at the same moment are made one after the other."""
    return (
        session.exec(
            select(FamilyLink.id)
            .where(FamilyLink.participant_id == participant_id, FamilyLink.family_id == family_id)
            .with_for_update()
        ).first()
        is not None
    )


def _refuse_if_discharged(session: Session, actor: Actor) -> None:
    """Checked again with the participant's row held (core.db.hold_rows): a discharge committed since
    the gate let this grant through ends every consent, and a grant must not slip in after it."""
    hold_rows(session, AppUser, col(AppUser.id) == actor.id)
    if session.exec(select(Discharge.id).where(Discharge.participant_id == actor.id)).first() is not None:
        if unit_of(session) is None:
            session.rollback()  # (as the gate: in a rerun's unit of work, what the rerun already did stands)
        record(
            session,
            actor,
            category=Category.SHARING,
            action=Action.WRITE,
            participant_id=actor.id,
            allowed=False,
            reason=Refusal.DISCHARGED,
        )
        raise AccessDenied(REFUSED_MESSAGE)


def grant(
    session: Session,
    actor: Actor,
    *,
    family_id: int,
    category: Category,
    until: date,
    purpose: str = "",
    signature: str = "",
    shown_version: str = "",
    now: datetime | None = None,
) -> None:
    """Share one category with one family member until a date (replacing any current consent).

    `shown_version` is the `consent_version` of the wording the participant was shown; it is
    stored with the consent, with the program's name as the discloser.
    """
    valid_family = inputs.is_id(family_id)
    authorize(session, actor, actor.id, Category.SHARING, Action.WRITE, ref=f"user:{family_id}" if valid_family else "")
    now = now or utcnow()
    if not isinstance(category, str) or category not in OFFERED:
        raise ValidationError.one("category", "This can't be shared from the app yet.")
    category = Category(category)
    errors: dict[str, str] = {}
    purpose = ConsentForm.value("purpose", purpose, errors) or ""
    signature = ConsentForm.value("signature", signature, errors) or ""
    if not valid_family or not _linked(session, actor.id, family_id):
        raise ValidationError.one("family", "That person isn't connected to you.")
    zone = _zone_of(session, actor.id)
    today = now.astimezone(zone).date()
    if ConsentForm.value("until", until, errors) is None:
        pass
    elif until <= today or until > today + timedelta(days=CONSENT_MAX_DAYS):
        errors["until"] = _("Choose an end date after today and within a year.")
    if category is Category.SUBSTANCE_USE:
        if "purpose" not in errors and not purpose:
            errors["purpose"] = _("Say why you're sharing this (for example: so they can support my recovery).")
        if "signature" not in errors and signature.lower() != " ".join(actor.name.split()).lower():
            errors["signature"] = _("Type your full name exactly as “{name}” to sign.").format(name=actor.name)
    if shown_version != consent_version(category):
        errors["consent"] = _("The wording of this consent has changed. Read it again, then share.")
    if errors:
        raise ValidationError(errors)
    program = (
        session.exec(
            select(Program.name).join(AppUser, col(AppUser.program_id) == Program.id).where(AppUser.id == actor.id)
        ).first()
        or ""
    )
    expires_at = datetime.combine(until, datetime.max.time(), tzinfo=zone).astimezone(now.tzinfo)

    def new_grant() -> ConsentGrant:  # (a fresh row for each attempt)
        return ConsentGrant(
            participant_id=actor.id,
            family_id=family_id,
            category=category.value,
            granted_at=now,
            expires_at=expires_at,
            purpose=purpose,
            signature=signature,
            signed_at=now if signature else None,
            discloser=program[:120],
            consent_version=shown_version,
        )

    for attempt in range(3):
        _refuse_if_discharged(session, actor)
        if not _lock_link(session, actor.id, family_id):
            session.rollback()
            raise ValidationError.one("family", "That person isn't connected to you.")
        _end_current(session, actor.id, family_id, category, now)
        session.add(new_grant())
        try:
            session.commit()
            return
        except IntegrityError:  # another grant for the same person committed first: go on top of it
            session.rollback()
            if attempt == 2:
                raise


def revoke(session: Session, actor: Actor, *, family_id: int, category: Category, now: datetime | None = None) -> None:
    """Stop sharing at once (from the family member's next screen refresh)."""
    valid_family = inputs.is_id(family_id)
    authorize(session, actor, actor.id, Category.SHARING, Action.WRITE, ref=f"user:{family_id}" if valid_family else "")
    if not isinstance(category, str) or category not in OFFERED:
        raise ValidationError.one("category", "This can't be shared from the app yet.")
    if not valid_family or not _linked(session, actor.id, family_id):
        raise ValidationError.one("family", "That person isn't connected to you.")
    _end_current(session, actor.id, family_id, Category(category), now or utcnow())
    session.commit()


def _linked(session: Session, participant_id: int, family_id: int) -> bool:
    return (
        session.exec(
            select(FamilyLink.id).where(FamilyLink.participant_id == participant_id, FamilyLink.family_id == family_id)
        ).first()
        is not None
    )


def _last_day(expires_at: datetime, zone: ZoneInfo) -> date:
    """A consent lasts to the end of the day the participant chose, in their zone: that day."""
    return expires_at.astimezone(zone).date()


def family_of(session: Session, actor: Actor, participant_id: int) -> list[FamilyMember]:
    """Who is connected and what each may see now (participant and their therapist)."""
    authorize(session, actor, participant_id, Category.SHARING, Action.READ)
    now, zone = utcnow(), _zone_of(session, participant_id)
    # One statement: each link with its consents in force (an outer join: a link sharing nothing is
    # one row with no category).
    rows = session.execute(
        sql_select(
            col(FamilyLink.family_id),
            col(AppUser.name),
            col(FamilyLink.relationship),
            col(ConsentGrant.category),
            col(ConsentGrant.expires_at),
        )
        .join(AppUser, col(AppUser.id) == col(FamilyLink.family_id))
        .outerjoin(
            ConsentGrant,
            and_(
                col(ConsentGrant.participant_id) == col(FamilyLink.participant_id),
                col(ConsentGrant.family_id) == col(FamilyLink.family_id),
                col(ConsentGrant.revoked_at).is_(None),
                col(ConsentGrant.expires_at) > now,
            ),
        )
        .where(col(FamilyLink.participant_id) == participant_id)
        .order_by(col(AppUser.name), col(FamilyLink.family_id))
    ).all()
    members: dict[int, FamilyMember] = {}
    for family_id, name, relationship, category, expires_at in rows:
        member = members.setdefault(family_id, FamilyMember(family_id, name, relationship, {}))
        if category is not None:
            member.active[Category(category)] = _last_day(expires_at, zone)
    return list(members.values())


@dataclass(frozen=True)
class FamilyView:
    at: datetime
    who: str
    what: str
    allowed: bool


# What a family member's look at each category is called on the participant's "who looked" log.
LOOKED_AT = {
    Category.ATTENDANCE: "Your attendance (sessions per week)",
    Category.MOOD_TREND: "Your mood trend (weekly averages)",
    Category.PRACTICE_COUNTS: "Your skills practice counts",
    Category.CHECKUP_TOTALS: "Your check-up totals",
    Category.SAFETY_PLAN: "The parts of your safety plan you shared",
    Category.SUBSTANCE_USE: "Your craving and use-urge averages",
    Category.AFTERCARE: "Your aftercare plan (without medication)",
}


def _looked_at(category: str, action: str) -> str:
    if category == Category.SHARING.value:
        return "Joined with your invitation code" if action == "join" else "Which things you share with them"
    if category in Category._value2member_map_ and Category(category) in LOOKED_AT:
        return LOOKED_AT[Category(category)]
    return "Something you haven't shared"  # a refused try at a category that is never shared


def family_access_log(session: Session, actor: Actor, participant_id: int, limit: int = 100) -> list[FamilyView]:
    """Every time a family member looked (or tried to look), newest first, in plain words."""
    authorize(session, actor, participant_id, Category.SHARING, Action.READ)
    rows = session.exec(
        select(AuditEvent, AppUser.name)
        .join(AppUser, col(AppUser.id) == AuditEvent.actor_id)
        .where(AuditEvent.participant_id == participant_id, AuditEvent.actor_role == Role.FAMILY.value)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    ).all()
    return [FamilyView(e.at, name, _looked_at(e.category, e.action), e.allowed) for e, name in rows]


@dataclass(frozen=True)
class SharedItem:
    """One thing a family member was given: what exactly, why, by whom, until when."""

    category: Category
    label: str
    scope: str
    purpose: str
    discloser: str
    until: date
    granted_at: datetime


@dataclass(frozen=True)
class SharedPerson:
    participant_id: int
    name: str
    relationship: str
    items: list[SharedItem]

    @property
    def categories(self) -> set[Category]:
        return {i.category for i in self.items}


def shared_with_me(session: Session, actor: Actor) -> list[SharedPerson]:
    """For a family member: each linked participant and what they share now, with its scope and purpose."""
    require_role(session, actor, Role.FAMILY, what="sharing")
    now = utcnow()
    links = session.exec(
        select(FamilyLink, AppUser.name, AppUser.timezone, Program.timezone)
        .join(AppUser, col(AppUser.id) == FamilyLink.participant_id)
        .join(Program, col(Program.id) == AppUser.program_id, isouter=True)
        .where(FamilyLink.family_id == actor.id, col(AppUser.is_active).is_(True))
        .order_by(AppUser.name)
    ).all()
    grants = session.exec(
        select(ConsentGrant)
        .where(
            ConsentGrant.family_id == actor.id, col(ConsentGrant.revoked_at).is_(None), ConsentGrant.expires_at > now
        )
        .order_by(ConsentGrant.category)
    ).all()
    record_many(
        session, actor, [link.participant_id for link, *_ in links], category=Category.SHARING, action="read_summary"
    )
    people = []
    for link, name, own_zone, program_zone in links:
        zone = _first_zone(own_zone, program_zone)
        items = [
            SharedItem(
                Category(g.category),
                CATEGORY_LABELS[Category(g.category)],
                SCOPE_FOR_FAMILY[Category(g.category)],
                g.purpose,
                g.discloser,
                _last_day(g.expires_at, zone),
                g.granted_at,
            )
            for g in grants
            if g.participant_id == link.participant_id and g.category in OFFERED
        ]
        people.append(
            SharedPerson(
                link.participant_id, name, link.relationship, sorted(items, key=lambda i: OFFERED.index(i.category))
            )
        )
    return people


# --- what family may see: aggregates only ----------------------------------------------------------


def _weeks(today: date) -> list[date]:
    this_week = today - timedelta(days=today.weekday())
    return [this_week - timedelta(weeks=n) for n in range(FAMILY_WEEKS - 1, -1, -1)]


def _weekly(points: Sequence[tuple[date, float | None]], weeks: list[date], how: str) -> list[float | None]:
    buckets: dict[date, list[float]] = defaultdict(list)
    for day, value in points:
        if value is not None:
            buckets[day - timedelta(days=day.weekday())].append(value)
    if how == "sum":
        return [sum(buckets.get(w, [])) for w in weeks]
    return [round(sum(buckets[w]) / len(buckets[w]), 1) if buckets.get(w) else None for w in weeks]


def _span(weeks: list[date]) -> str:
    return f"{weeks[0]}..{weeks[-1] + timedelta(days=6)}"


def mood_trend(session: Session, actor: Actor, participant_id: int, today: date) -> tuple[list[date], list]:
    weeks = _weeks(today)
    authorize(session, actor, participant_id, Category.MOOD_TREND, Action.READ_SUMMARY, ref=_span(weeks))
    rows = session.exec(
        select(col(DiaryCard.day), DiaryCard.mood).where(
            DiaryCard.participant_id == participant_id, DiaryCard.day >= weeks[0]
        )
    ).all()
    return weeks, _weekly(list(rows), weeks, "avg")


def practice_counts(session: Session, actor: Actor, participant_id: int, today: date) -> tuple[list[date], list, list]:
    """Per week: skills ticked on diary cards, and practice sessions logged (counts only, no text)."""
    weeks = _weeks(today)
    authorize(session, actor, participant_id, Category.PRACTICE_COUNTS, Action.READ_SUMMARY, ref=_span(weeks))
    rows = session.exec(
        select(col(DiaryCard.day), DiaryCard.skills).where(
            DiaryCard.participant_id == participant_id, DiaryCard.day >= weeks[0]
        )
    ).all()
    logged = [
        *session.exec(
            select(col(PracticeEntry.day)).where(
                PracticeEntry.participant_id == participant_id, PracticeEntry.day >= weeks[0]
            )
        ),
        *session.exec(
            select(col(ThoughtRecord.day)).where(
                ThoughtRecord.participant_id == participant_id, ThoughtRecord.day >= weeks[0]
            )
        ),
    ]
    return (
        weeks,
        _weekly([(day, len(skills or [])) for day, skills in rows], weeks, "sum"),
        _weekly([(day, 1) for day in logged], weeks, "sum"),
    )


def attendance_weekly(
    session: Session, actor: Actor, participant_id: int, today: date
) -> tuple[list[date], list, list]:
    """Per week: program sessions attended, and sessions held (excused absences left out)."""
    weeks = _weeks(today)
    authorize(session, actor, participant_id, Category.ATTENDANCE, Action.READ_SUMMARY, ref=_span(weeks))
    rows = session.exec(
        select(col(Attendance.day), Attendance.status).where(
            Attendance.participant_id == participant_id, Attendance.day >= weeks[0]
        )
    ).all()
    return (
        weeks,
        _weekly([(day, 1) for day, status in rows if status in clinical.ATTENDED], weeks, "sum"),
        _weekly([(day, 1) for day, status in rows if status != "excused"], weeks, "sum"),
    )


def checkup_totals(session: Session, actor: Actor, participant_id: int) -> list[tuple[date, str, int, str]]:
    """Totals and bands only — never the answers to single questions."""
    authorize(session, actor, participant_id, Category.CHECKUP_TOTALS, Action.READ_SUMMARY)
    return [
        (day, kind, total, band)
        for day, kind, total, band in session.exec(
            select(col(Checkup.day), Checkup.kind, Checkup.total, Checkup.band)
            .where(Checkup.participant_id == participant_id, col(Checkup.kind).in_(("phq9", "gad7")))
            .order_by(col(Checkup.day))
        )
    ]


def substance_use(session: Session, actor: Actor, participant_id: int, today: date) -> tuple[list[date], list, list]:
    """Weekly average craving and substance-use urge (Part 2 data: shown with the notice)."""
    weeks = _weeks(today)
    authorize(session, actor, participant_id, Category.SUBSTANCE_USE, Action.READ_SUMMARY, ref=_span(weeks))
    cravings = session.exec(
        select(col(DiaryCard.day), col(DiaryCard.craving)).where(
            DiaryCard.participant_id == participant_id, DiaryCard.day >= weeks[0]
        )
    ).all()
    urges = session.exec(
        select(col(DiaryCard.day), col(DiaryUrge.urge))
        .join(DiaryUrge, col(DiaryUrge.card_id) == DiaryCard.id)
        .join(DiaryTarget, col(DiaryTarget.id) == DiaryUrge.target_id)
        .where(
            DiaryCard.participant_id == participant_id, DiaryCard.day >= weeks[0], DiaryTarget.key == "substance_use"
        )
    ).all()
    return weeks, _weekly(list(cravings), weeks, "avg"), _weekly(list(urges), weeks, "avg")
