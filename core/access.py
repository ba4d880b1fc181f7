"""The one gate: may this user do this action on this participant's data? Every answer is audited.

Every read or write of participant data in core calls `authorize` first. Pages never decide
access; hiding a button is not access control.

The audit trail records who, whose data, which category, what action, allowed or refused (and
why, as a fixed code), when — and an *opaque reference* to the record concerned ("alert:123",
"diary_card:456", "2026-11-20" or "2026-11-01..2026-11-20"). Clinical detail (triggers, skill
names, questionnaire kinds) stays in the clinical tables: the program admin reads this trail and
must not read clinical content, so `record` refuses anything but a reference of that shape.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import bindparam, insert, literal
from sqlalchemy import select as core_select  # (sqlmodel's select types four columns at most)
from sqlmodel import Session, col, select

from core.db import rerun_memo, unit_of
from core.errors import AccessDenied
from core.i18n import N_
from core.models import (
    AppUser,
    AuditEvent,
    CaseloadAssignment,
    ConsentGrant,
    Discharge,
    FamilyLink,
    Program,
    Role,
    id_of,
    saved_id,
    table_of,
    utcnow,
)


class Category(StrEnum):
    """Kinds of participant data, as the clinic and the consent form name them."""

    PROFILE = "profile"  # name, program, therapist assignment
    DIARY = "diary"  # diary cards (daily values)
    NOTES = "notes"  # free text: private to participant and therapist
    SKILLS = "skills"  # practice log, thought records, favourites
    HOMEWORK = "homework"  # skills a therapist assigns
    CHECKUPS = "checkups"  # questionnaire answers, item by item
    SAFETY_PLAN = "safety_plan"
    ALERTS = "alerts"
    SHARING = "sharing"  # family links, consents, family access log
    # Summaries a participant may share with family (never item answers or free text):
    ATTENDANCE = "attendance"
    MOOD_TREND = "mood_trend"
    PRACTICE_COUNTS = "practice_counts"
    CHECKUP_TOTALS = "checkup_totals"
    SUBSTANCE_USE = "substance_use"  # needs the 42 CFR Part 2 consent elements
    # The program's arc (issue #19):
    GOALS = "goals"  # treatment-plan goals: the therapist writes them, the participant reads them
    GOAL_RATINGS = "goal_ratings"  # the participant's weekly progress ratings on those goals
    AFTERCARE = "aftercare"  # relapse-prevention and aftercare plan; family only with its own consent
    ENROLMENT = "enrolment"  # start date, discharge date and status (core/enrolment.py)


class Action(StrEnum):
    READ = "read"  # the record itself: days, sessions, items, versions
    READ_SUMMARY = "read_summary"  # aggregates only (weekly averages, counts, totals)
    WRITE = "write"


class Refusal(StrEnum):
    """Why the gate said no: stored on the audit row as a fixed code, never free text."""

    ACCOUNT_INACTIVE = "account_inactive"  # the acting account is deactivated or unknown
    UNKNOWN_PARTICIPANT = "unknown_participant"  # no such participant (told the same as "not yours")
    PARTICIPANT_INACTIVE = "participant_inactive"
    NOT_OWN_RECORD = "not_own_record"
    SET_BY_CARE_TEAM = "set_by_care_team"  # the participant reads it but does not change it
    NOT_ON_CASELOAD = "not_on_caseload"
    OTHER_PROGRAM = "other_program"
    THERAPIST_READS_ONLY = "therapist_reads_only"
    FAMILY_READS_ONLY = "family_reads_only"
    FAMILY_SUMMARY_ONLY = "family_summary_only"  # family never gets the record itself
    NEVER_SHARED = "never_shared"
    NO_CONSENT = "no_consent"
    NOT_CLINICAL_ROLE = "not_clinical_role"  # program admins do not see clinical content
    WRONG_ROLE = "wrong_role"
    UNKNOWN_ACCOUNT = "unknown_account"  # reset/unlock of an account that does not exist
    OWN_ACCOUNT = "own_account"  # the admin's own login: they use My account
    DISCHARGED = "discharged"  # the participant has left the program: their record is closed


REFUSAL_WORDS = {
    Refusal.ACCOUNT_INACTIVE: "account deactivated",
    Refusal.UNKNOWN_PARTICIPANT: "no such participant",
    Refusal.PARTICIPANT_INACTIVE: "participant deactivated",
    Refusal.NOT_OWN_RECORD: "not their own record",
    Refusal.SET_BY_CARE_TEAM: "set by the care team",
    Refusal.NOT_ON_CASELOAD: "not on their caseload",
    Refusal.OTHER_PROGRAM: "another program",
    Refusal.THERAPIST_READS_ONLY: "therapists read this, don't change it",
    Refusal.FAMILY_READS_ONLY: "family access is read-only",
    Refusal.FAMILY_SUMMARY_ONLY: "family see summaries only",
    Refusal.NEVER_SHARED: "never shared with family",
    Refusal.NO_CONSENT: "no active consent",
    Refusal.NOT_CLINICAL_ROLE: "admins don't see clinical content",
    Refusal.WRONG_ROLE: "not for this role",
    Refusal.UNKNOWN_ACCOUNT: "no such account",
    Refusal.OWN_ACCOUNT: "their own account",
    Refusal.DISCHARGED: "discharged from the program",
}
# One message for every refusal, so a refusal never tells anyone which ids exist or why.
REFUSED_MESSAGE = N_("You don't have access to this.")  # (translated where it is shown)


FAMILY_SHAREABLE = frozenset(
    {
        Category.ATTENDANCE,
        Category.MOOD_TREND,
        Category.PRACTICE_COUNTS,
        Category.CHECKUP_TOTALS,
        Category.SAFETY_PLAN,
        Category.SUBSTANCE_USE,
        Category.AFTERCARE,
    }
)
# A therapist reads everything on their caseload and writes only what care needs them to.
THERAPIST_WRITES = frozenset(
    {
        Category.SAFETY_PLAN,
        Category.ALERTS,
        Category.HOMEWORK,
        Category.ATTENDANCE,
        Category.CHECKUPS,
        Category.GOALS,
        Category.AFTERCARE,
        Category.ENROLMENT,
    }
)
# What the care team or the program sets for a participant; the participant reads it but does not
# change it (their own caseload included: PROFILE).
PARTICIPANT_READ_ONLY = frozenset(
    {Category.HOMEWORK, Category.ATTENDANCE, Category.PROFILE, Category.GOALS, Category.ENROLMENT}
)
# A program admin manages accounts, not clinical content (minimum necessary); enrolment and discharge
# (dates and how someone left) are the program's administration.
ADMIN_READS = frozenset({Category.PROFILE, Category.ENROLMENT})
ADMIN_WRITES = frozenset({Category.PROFILE, Category.ENROLMENT})
# After discharge the record is closed: the therapist still reads it, acknowledges and resolves its
# alerts and may correct the discharge; nothing else is written (core/enrolment.py).
DISCHARGED_THERAPIST_WRITES = frozenset({Category.ALERTS, Category.ENROLMENT})
# A deactivated participant's record is closed to everyone, except that their therapist still closes the
# loop on the alerts they raised before (the inbox keeps an open alert at the top until it is resolved).
INACTIVE_THERAPIST_CLOSES = frozenset({Category.ALERTS})

# Things recorded in the trail that are not one participant's data (admin screens, lists).
AREAS = frozenset(
    {
        "accounts",
        "caseload",
        "audit log",
        "program",
        "diary targets",
        "alerts",
        "attendance",
        "family links",
        "sharing",
        "messages",
        "handoff",
        "schedule",  # the program's weekly pattern and generated sessions (core/schedule.py)
        "dashboard",  # the program dashboard: aggregates only (core/dashboard.py)
    }
)
# The record types an audit reference may point at.
REF_KINDS = frozenset(
    {
        "alert",
        "attendance",
        "checkup",
        "checkup_request",
        "consent",
        "diary_card",
        "goal",
        "aftercare_plan",
        "homework",
        "invitation",
        "message",
        "participant",
        "practice",
        "recovery_counter",
        "safety_plan",
        "session",
        "target",
        "thought_record",
        "user",
    }
)
_REF = re.compile(
    r"(?P<kind>[a-z_]{1,20}):(?P<id>[0-9]{1,12})"
    r"|(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})(?:\.\.(?P<end>[0-9]{4}-[0-9]{2}-[0-9]{2}))?"
)
_ACTION = re.compile(r"[a-z_]{1,16}")
_MAX_ID = 2**31 - 1  # the id columns are 32-bit on PostgreSQL


def check_ref(ref: str) -> str:
    """An audit reference: "", "<record type>:<id>", a day, or "<day>..<day>". Anything else —
    free text, a trigger, a skill name — is a programming error and is refused loudly."""
    if not isinstance(ref, str):
        raise TypeError(f"An audit reference is a string, not {type(ref).__name__}.")
    if ref == "":
        return ref
    match = _REF.fullmatch(ref)
    if match is None or (match["kind"] is not None and match["kind"] not in REF_KINDS):
        raise ValueError(f"Not an opaque audit reference: {ref[:40]!r}. Use 'record_type:id' or a date.")
    return ref


def _check_entry(category: str, action: str) -> tuple[str, str]:
    category, action = str(category), str(action)
    if category not in Category._value2member_map_ and category not in AREAS:
        raise ValueError(f"Unknown audit category {category[:40]!r}.")
    if not _ACTION.fullmatch(action):
        raise ValueError(f"Not an audit action: {action[:40]!r}.")
    return category, action


@dataclass(frozen=True)
class Actor:
    """The logged-in person, as core needs to know them."""

    id: int
    role: Role
    username: str
    name: str
    program_id: int | None = None

    @classmethod
    def of(cls, user: AppUser) -> Actor:
        return cls(
            id=id_of(user), role=Role(user.role), username=user.username, name=user.name, program_id=user.program_id
        )


def _facts(session: Session) -> dict | None:
    """Facts the gate read earlier in this rerun (people, caseloads, consents), or None outside a
    unit of work. A rerun asks the same questions many times (Review: a dozen categories of one
    participant); the answers cannot change until something commits, and the cache goes then."""
    unit = unit_of(session)
    return None if unit is None else unit.cache


class _Person(NamedTuple):
    """What the gate knows of a person."""

    id: int
    role: str
    is_active: bool
    program_id: int | None
    discharged_on: date | None  # (an outer join: None until they are discharged)
    discharge_access_days: int | None
    program_zone: str | None
    timezone: str | None = None  # their own zone, if they set one (core.program.user_zone reads it here)


def _person_query(query):
    """`query` (of app_user) with what the gate knows of each person beyond their account row: their
    discharge day, their program's access period after discharge and their program's zone."""
    return (
        query.add_columns(
            col(Discharge.day).label("discharged_on"),
            col(Program.discharge_access_days),
            col(Program.timezone).label("program_zone"),
        )
        .outerjoin(Discharge, col(Discharge.participant_id) == col(AppUser.id))
        .outerjoin(Program, col(Program.id) == col(AppUser.program_id))
    )


def _people(session: Session, ids: set[int], *, caseload_of: int | None = None) -> dict[int, _Person]:
    """Role, active flag and program of each id, from the rerun's facts where it can. With
    `caseload_of` (a therapist's id), the same statement also answers whether each person it reads
    is on that therapist's caseload (the gate's next question about them: one round trip, not two)."""
    facts = _facts(session)
    known: dict[int, _Person | None] = (
        {} if facts is None else {i: facts[("person", i)] for i in ids if ("person", i) in facts}
    )
    missing = ids - set(known)
    if missing:
        on_caseload = (
            core_select(col(CaseloadAssignment.id))
            .where(
                col(CaseloadAssignment.therapist_id) == caseload_of,
                col(CaseloadAssignment.participant_id) == col(AppUser.id),
            )
            .exists()
            if caseload_of is not None
            else literal(None)
        )
        rows: dict[int, _Person] = {}
        caseload: dict[int, bool] = {}
        for (
            person_id,
            role,
            is_active,
            program_id,
            discharged_on,
            access_days,
            zone,
            own_zone,
            assigned,
        ) in session.execute(
            _person_query(
                core_select(
                    col(AppUser.id),
                    col(AppUser.role),
                    col(AppUser.is_active),
                    col(AppUser.program_id),
                )
            )
            .add_columns(col(AppUser.timezone), on_caseload.label("on_caseload"))
            .where(col(AppUser.id).in_(missing))
        ):
            person = _Person(
                saved_id(person_id), role, is_active, program_id, discharged_on, access_days, zone, own_zone
            )
            rows[person.id] = person
            caseload[person.id] = bool(assigned)
        for i in missing:
            known[i] = rows.get(i)
            if facts is not None:
                facts[("person", i)] = known[i]
                if caseload_of is not None:
                    facts[("caseload", caseload_of, i)] = caseload.get(i, False)
    return {i: row for i, row in known.items() if row is not None}


def person_for_login(session: Session, user_id: object) -> AppUser | None:
    """The account behind a login, for the login check on every rerun (ui.auth.current_actor), read
    afresh from the database; and, in the same statement, what the gate knows of that person (role,
    active flag, program, discharge, zones: `_people`'s columns), kept in the rerun's facts. The gate's
    first question in a rerun is about the acting person: it is answered from this read instead of a
    second statement (one round trip less per rerun). Not a decision and not audited: the login check
    decides whether the login still counts (core.auth.session_is_current) and the gate still decides
    every access (role, active flag, caseload, consent) and records it.

    A value that is not a whole id (forged or corrupted session state: True, "3", 3.0) finds nobody.
    The row always overwrites what the session held (`populate_existing`), and the facts live only
    until the rerun's unit of work ends or commits: nothing read in an earlier rerun is reused."""
    if not _valid_id(user_id):
        return None
    found = session.execute(_login_statement(), {"user_id": user_id}).first()
    if found is None:
        return None
    user, discharged_on, access_days, zone = found
    facts = _facts(session)
    if facts is not None:
        person = _Person(
            id_of(user), user.role, user.is_active, user.program_id, discharged_on, access_days, zone, user.timezone
        )
        facts[("person", person.id)] = person
    return user


@functools.cache
def _login_statement():
    """person_for_login's statement, built once per process with the id bound: built afresh it was
    about a tenth of a rerun's CPU on every screen (the select, its joins, SQLAlchemy's cache key)."""
    return (
        _person_query(core_select(AppUser))
        .where(col(AppUser.id) == bindparam("user_id"))
        .execution_options(populate_existing=True)
    )


def known_person(session: Session, person_id: int) -> tuple[str | None, str | None, int | None] | None:
    """(their own zone, their program's zone, their program's id) if the gate read this person
    earlier in the rerun (every core read authorizes first, so a read's own subject is always
    known), else None. Not a decision, and not audited: what the gate already holds, so a core read
    need not ask the database again for a person's zone or program."""
    facts = _facts(session)
    person = None if facts is None else facts.get(("person", person_id))
    return None if person is None else (person.timezone, person.program_zone, person.program_id)


def _cached(session: Session, key: tuple, ask) -> bool:
    return rerun_memo(session, key, ask)


def _is_on_caseload(session: Session, therapist_id: int, participant_id: int) -> bool:
    return _cached(
        session,
        ("caseload", therapist_id, participant_id),
        lambda: (
            session.exec(
                select(CaseloadAssignment.id).where(
                    CaseloadAssignment.therapist_id == therapist_id, CaseloadAssignment.participant_id == participant_id
                )
            ).first()
            is not None
        ),
    )


def has_active_consent(
    session: Session, *, family_id: int, participant_id: int, category: Category, now: datetime | None = None
) -> bool:
    """A current, unrevoked consent by a linked participant; for substance-use data only one that
    carries the 42 CFR Part 2 elements (purpose, typed signature, when signed)."""
    if now is not None:
        return _consent_now(session, family_id, participant_id, category, now)
    return _cached(
        session,
        ("consent", family_id, participant_id, category.value),
        lambda: _consent_now(session, family_id, participant_id, category, utcnow()),
    )


def _consent_now(session: Session, family_id: int, participant_id: int, category: Category, now: datetime) -> bool:
    query = (
        select(ConsentGrant.id)
        .join(
            FamilyLink,
            (col(FamilyLink.family_id) == ConsentGrant.family_id)
            & (col(FamilyLink.participant_id) == ConsentGrant.participant_id),
        )
        .where(
            ConsentGrant.participant_id == participant_id,
            ConsentGrant.family_id == family_id,
            ConsentGrant.category == category.value,
            col(ConsentGrant.revoked_at).is_(None),
            ConsentGrant.expires_at > now,
        )
    )
    if category is Category.SUBSTANCE_USE:
        query = query.where(
            ConsentGrant.purpose != "", ConsentGrant.signature != "", col(ConsentGrant.signed_at).is_not(None)
        )
    return session.exec(query).first() is not None


def _valid_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_ID


def _decide(session: Session, actor: Actor, participant_id: int, category: Category, action: Action) -> Refusal | None:
    people = _people(
        session,
        {actor.id, participant_id} if _valid_id(participant_id) else {actor.id},
        caseload_of=actor.id if actor.role is Role.THERAPIST and _valid_id(participant_id) else None,
    )
    # Only a real id finds a person: 4.0, Decimal(4) or True would otherwise match id 4 (or 1).
    me, subject = people.get(actor.id), people.get(participant_id) if _valid_id(participant_id) else None
    if me is None or not me.is_active or me.role != actor.role.value:
        return Refusal.ACCOUNT_INACTIVE
    if subject is None or subject.role != Role.PARTICIPANT.value:
        return Refusal.UNKNOWN_PARTICIPANT
    if not subject.is_active and not (actor.role is Role.THERAPIST and category in INACTIVE_THERAPIST_CLOSES):
        return Refusal.PARTICIPANT_INACTIVE
    discharged = subject.discharged_on is not None
    if actor.role is Role.PARTICIPANT:
        if actor.id != participant_id:
            return Refusal.NOT_OWN_RECORD
        if action is Action.WRITE and category in PARTICIPANT_READ_ONLY:
            return Refusal.SET_BY_CARE_TEAM
        # Their own standing, and who in their family sees what (and stopping it), stay theirs whatever
        # happens: a discharged participant may always read their sharing and end a consent. What would
        # start sharing refuses a discharged participant itself (sharing.create_invitation, sharing.grant).
        own_status = (category is Category.ENROLMENT and action is not Action.WRITE) or category is Category.SHARING
        if discharged and not own_status and (action is Action.WRITE or not _still_readable(subject)):
            return Refusal.DISCHARGED
        return None
    if actor.role is Role.THERAPIST:
        if not _is_on_caseload(session, actor.id, participant_id):
            return Refusal.NOT_ON_CASELOAD
        if subject.program_id != me.program_id:
            return Refusal.OTHER_PROGRAM
        if action is Action.WRITE and category not in THERAPIST_WRITES:
            return Refusal.THERAPIST_READS_ONLY
        if discharged and action is Action.WRITE and category not in DISCHARGED_THERAPIST_WRITES:
            return Refusal.DISCHARGED
        return None
    if actor.role is Role.FAMILY:
        if category not in FAMILY_SHAREABLE:
            return Refusal.NEVER_SHARED
        if action is Action.WRITE:
            return Refusal.FAMILY_READS_ONLY
        if action is not Action.READ_SUMMARY:
            return Refusal.FAMILY_SUMMARY_ONLY
        if not has_active_consent(session, family_id=actor.id, participant_id=participant_id, category=category):
            return Refusal.NO_CONSENT
        return None
    if actor.role is Role.ADMIN:
        allowed = ADMIN_WRITES if action is Action.WRITE else ADMIN_READS
        if category not in allowed:
            return Refusal.NOT_CLINICAL_ROLE
        if subject.program_id != me.program_id:
            return Refusal.OTHER_PROGRAM
        return None
    return Refusal.WRONG_ROLE


def _still_readable(subject: _Person) -> bool:
    """A discharged participant reads their own record until the program's access period after
    their discharge day ends (in the program's zone); their enrolment status and the crisis lines
    always."""
    from zoneinfo import ZoneInfo

    if subject.discharged_on is None:
        return True  # (not discharged: no access period has begun)
    days = subject.discharge_access_days if subject.discharge_access_days is not None else 90
    try:
        zone = ZoneInfo(subject.program_zone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return utcnow().astimezone(zone).date() <= subject.discharged_on + timedelta(days=days)


def own_discharge(session: Session, actor: Actor) -> str:
    """Where the acting participant stands, as the gate sees it: "none" (not discharged: `_decide` lets
    them read and write their own record), "reading" (discharged, still reading it) or "closed" (neither;
    also an account that is unknown, deactivated or not a participant's — failing closed). The facts
    `_decide` uses, so what a screen offers and what the gate allows cannot drift apart
    (core/enrolment.py: `remaining`). Not a read of a record but the gate's own knowledge of the acting
    account, like whether it is active, so not audited."""
    me = _people(session, {actor.id}).get(actor.id) if _valid_id(actor.id) else None
    if me is None or not me.is_active or me.role != Role.PARTICIPANT.value or actor.role is not Role.PARTICIPANT:
        return "closed"
    if me.discharged_on is None:
        return "none"
    return "reading" if _still_readable(me) else "closed"


_READS = frozenset({Action.READ.value, Action.READ_SUMMARY.value})


def _merge_refs(first: str, second: str) -> str:
    """One reference for two reads folded into one event: the days both cover ("a..b"), the same
    record, or blank (several records of the category)."""
    if first == second:
        return first
    days = [
        d
        for ref in (first, second)
        if (m := _REF.fullmatch(ref)) and m["day"]
        for d in (m["day"], m["end"] or m["day"])
    ]
    if len(days) == 4:
        low, high = min(days), max(days)
        return low if low == high else f"{low}..{high}"
    return ""


def record(
    session: Session,
    actor: Actor | None,
    *,
    category: str,
    action: str,
    participant_id: int | None = None,
    allowed: bool = True,
    ref: str = "",
    reason: Refusal | None = None,
    collapse: timedelta | None = None,
) -> None:
    """Record an audit event.

    Inside a rerun's unit of work (core.db.unit_of_work) an allowed event waits in the unit and is
    written with the rerun's other events, in one statement in the rerun's transaction; reads of
    the same participant and category by the same actor in one rerun are one event (its `ref`
    covers them, see `_merge_refs`). A refusal is written and committed at once, with everything
    the rerun recorded before it. Outside a unit, the event is written and committed at once.

    `ref` is an opaque reference (see `check_ref`). `collapse` is for an admin's views of
    non-clinical lists: one event per person, list and window instead of one per screen refresh.
    """
    category, action = _check_entry(category, action)
    ref = check_ref(ref)
    actor_id = actor.id if actor else None
    unit = unit_of(session)
    if collapse is not None and actor is not None:
        key = ("collapse", actor_id, category, action, participant_id, allowed)
        if unit is not None and unit.audit.seen(key):
            return
        seen = session.exec(
            select(AuditEvent.id).where(
                AuditEvent.actor_id == actor_id,
                AuditEvent.category == category,
                AuditEvent.action == action,
                AuditEvent.participant_id == participant_id,
                AuditEvent.allowed == allowed,
                AuditEvent.at > utcnow() - collapse,
            )
        ).first()
        if seen is not None:
            return
    row = {
        "at": utcnow(),
        "actor_id": actor_id,
        "actor_role": actor.role.value if actor else "anonymous",
        "participant_id": participant_id,
        "category": category,
        "action": action,
        "allowed": allowed,
        "reason": reason.value if reason else "",
        "ref": ref,
    }
    if unit is None:
        session.execute(insert(table_of(AuditEvent)), [row])
        session.commit()
        return
    _buffer(unit, row)
    if not allowed:
        session.commit()  # a refusal is on record before anything else happens


def _buffer(unit, row: dict) -> None:
    """Add a row to the unit's pending events, folding a repeated read into the first one."""
    key: tuple
    if row["allowed"] and row["action"] in _READS:
        key = (row["actor_id"], row["participant_id"], row["category"], row["action"])
        earlier = unit.audit.get(key)
        if earlier is not None:
            earlier["ref"] = _merge_refs(earlier["ref"], row["ref"])
            return
        if key in unit.audit.written:
            return  # already on record for this rerun (written with a write's commit)
    else:
        key = (len(unit.audit.pending) + len(unit.audit.inflight) + len(unit.audit.written), "event")
    unit.audit.add(key, row)


def record_many(
    session: Session, actor: Actor, participant_ids: list[int], *, category: str, action: str, ref: str = ""
) -> None:
    """One audit event per participant shown in a list, written in a single statement.

    For lists whose rows were already limited by the query itself (a caseload joined on the
    therapist's assignments), so access is decided there and the view is still recorded.
    """
    category, action = _check_entry(category, action)
    ref = check_ref(ref)
    if not participant_ids:
        return
    now = utcnow()
    rows = [
        {
            "at": now,
            "actor_id": actor.id,
            "actor_role": actor.role.value,
            "participant_id": pid,
            "category": category,
            "action": action,
            "allowed": True,
            "reason": "",
            "ref": ref,
        }
        for pid in participant_ids
    ]
    unit = unit_of(session)
    if unit is None:
        session.execute(insert(table_of(AuditEvent)), rows)
        session.commit()
        return
    for row in rows:
        _buffer(unit, row)


def authorize(
    session: Session, actor: Actor, participant_id: int, category: Category, action: Action, *, ref: str = ""
) -> None:
    """Allow the action or raise AccessDenied; either way, record who, whose data, what, when.

    An id that is not a participant's (or not an id at all) is refused like any other refusal,
    with the same message, and audited without the foreign key it would break.
    """
    ref = check_ref(ref)
    refusal = _decide(session, actor, participant_id, category, action)
    if refusal is not None:
        if unit_of(session) is None:
            session.rollback()  # (in a rerun's unit of work, what the rerun already did stands)
        subject = participant_id if refusal is not Refusal.UNKNOWN_PARTICIPANT else None
        if subject is None and _valid_id(participant_id):
            ref = f"participant:{participant_id}"
        record(
            session,
            actor,
            category=category,
            action=action,
            participant_id=subject,
            allowed=False,
            ref=ref,
            reason=refusal,
        )
        raise AccessDenied(REFUSED_MESSAGE)
    record(session, actor, category=category, action=action, participant_id=participant_id, ref=ref)


def require_role(session: Session, actor: Actor, *roles: Role, what: str) -> None:
    """For actions that are not about one participant (admin screens, caseload lists). A
    deactivated account is refused here too, whatever its role."""
    me = _people(session, {actor.id}).get(actor.id)
    refusal = (
        Refusal.ACCOUNT_INACTIVE
        if me is None or not me.is_active or me.role != actor.role.value
        else Refusal.WRONG_ROLE
        if actor.role not in roles
        else None
    )
    if refusal is not None:
        if unit_of(session) is None:
            session.rollback()
        record(session, actor, category=what, action="denied", allowed=False, reason=refusal)
        raise AccessDenied("This is not available for your role." if refusal is Refusal.WRONG_ROLE else REFUSED_MESSAGE)
