"""Tables of IOP Companion. Timestamps are UTC-aware; convert to a person's zone at the edge.

Input validation lives beside each capability (table models do not validate ranges).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import JSON, CheckConstraint, Column, Index, Table, UniqueConstraint, false, inspect, text
from sqlmodel import Field, SQLModel

from core import clinical

DEFAULT_SUBSTANCES = ("alcohol", "cannabis", "opioids", "stimulants", "benzodiazepines", "other")
DEFAULT_SUBSTANCES_JSON = '["alcohol", "cannabis", "opioids", "stimulants", "benzodiazepines", "other"]'


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Saved(Protocol):
    id: int | None


def id_of(row: _Saved) -> int:
    """A saved row's id. A row has one only once it is flushed; reading it earlier is a bug, said
    here rather than stored as a NULL foreign key (what `id: int | None` on every table means)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id until it is saved (flush first)")
    return row.id


def saved_id(value: int | None) -> int:
    """An id read back with a query (`select(AppUser.id, ...)`): never NULL in the database; the
    models say `int | None` only because an unsaved row has none yet."""
    if value is None:
        raise ValueError("an id read from the database was None")
    return value


def in_range(table: str, column: str, low: int, high: int | None = None) -> CheckConstraint:
    """A named CHECK that keeps a stored number (a minute of the day, a window, an interval, a length,
    a count) in the range its reader expects: a row written by a script or an import could otherwise
    stop the notification worker or the pages (the readers clamp too). NULL passes, as in SQL."""
    rule = f"{column} >= {low}" if high is None else f"{column} BETWEEN {low} AND {high}"
    return CheckConstraint(rule, name=f"ck_{table}_{column}")


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table, for aliases and bulk statements (SQLModel sets `__table__` on
    each table class without declaring it to type checkers)."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


class Role(StrEnum):
    PARTICIPANT = "participant"
    THERAPIST = "therapist"
    FAMILY = "family"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            "participant": "Participant",
            "therapist": "Therapist",
            "family": "Family member",
            "admin": "Program admin",
        }[self.value]


class Program(SQLModel, table=True):
    __table_args__ = (
        in_range("program", "length_weeks", *clinical.PROGRAM_WEEKS_RANGE),
        in_range("program", "checkup_interval_days", *clinical.CHECKUP_INTERVAL_RANGE),
        in_range("program", "escalation_minutes", *clinical.ESCALATION_MINUTES_RANGE),
        in_range("program", "discharge_access_days", *clinical.DISCHARGE_ACCESS_RANGE),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    timezone: str = Field(default="America/New_York", max_length=64)
    schedule: str = Field(default="", max_length=200)
    length_weeks: int = 10
    substance_use_tracking: bool = False
    checkup_interval_days: int = Field(default=7, sa_column_kwargs={"server_default": "7"})
    crisis_region: str = Field(default="US", max_length=8)
    # Local additions to the region's crisis resources: [{"name", "detail", "call", "text"}].
    local_crisis_resources: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # An urgent alert nobody has acknowledged this many minutes after the therapist was told goes
    # to the program's clinical lead (core/notify.py; default core.clinical.ESCALATION_MINUTES).
    escalation_minutes: int = Field(default=30, sa_column_kwargs={"server_default": "30"})
    # After discharge a participant reads their own record and safety plan for this many days.
    discharge_access_days: int = Field(default=90, sa_column_kwargs={"server_default": "90"})

    # Substance-use programs: the substances their card offers (core.clinical.SUBSTANCES keys), and
    # the medications for addiction treatment asked about on the card ([]: not asked).
    substances: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SUBSTANCES),
        sa_column=Column(JSON, nullable=False, server_default=text(f"'{DEFAULT_SUBSTANCES_JSON}'")),
    )
    mat_medications: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default=text("'[]'"))
    )
    created_at: datetime = Field(default_factory=utcnow)


class AppUser(SQLModel, table=True):
    """A person who can log in. (`user` is reserved in PostgreSQL.)"""

    __tablename__ = "app_user"
    # Pickers, the audit log's program filter and the scheduled job look people up by program
    # (and role); nothing looks up a role across programs.
    __table_args__ = (Index("ix_app_user_program_role", "program_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=80)
    email: str | None = Field(default=None, max_length=254, unique=True)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=100)
    program_id: int | None = Field(default=None, foreign_key="program.id")
    timezone: str | None = Field(default=None, max_length=64)
    # "en" or "es" (core.i18n.LANGUAGES), chosen in My account by participants and family; None
    # until chosen (the login screen's choice is used meanwhile).
    language: str | None = Field(default=None, max_length=8)
    started_on: date | None = None  # participants: first day in the program
    is_active: bool = True
    is_demo: bool = False
    # A login (this browser session or a login cookie) names the version it began with; logout,
    # a password change or reset, and deactivation add one, ending every older login everywhere.
    session_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # Set for an account made with a first password from the program: choose your own first.
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # A therapist who is told when an urgent alert waits past the program's escalation window.
    is_clinical_lead: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    last_login_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class CaseloadAssignment(SQLModel, table=True):
    """A participant's therapist: one at a time, so a participant appears in one caseload."""

    __tablename__ = "caseload_assignment"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id", unique=True)
    therapist_id: int = Field(foreign_key="app_user.id", index=True)
    assigned_at: datetime = Field(default_factory=utcnow)
    assigned_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class FamilyLink(SQLModel, table=True):
    """A family member connected to a participant; what they may see is in ConsentGrant."""

    __tablename__ = "family_link"
    __table_args__ = (UniqueConstraint("family_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="app_user.id")  # (the unique constraint's first column)
    participant_id: int = Field(foreign_key="app_user.id", index=True)
    relationship: str = Field(default="", max_length=40)
    created_at: datetime = Field(default_factory=utcnow)


class ConsentGrant(SQLModel, table=True):
    """One participant's consent for one family member to see one category, until it ends.

    At most one row per family member and category is not revoked (a partial unique index):
    a new grant ends the older ones, expired ones included, in the same transaction.
    """

    __tablename__ = "consent_grant"
    __table_args__ = (
        Index("ix_consent_lookup", "participant_id", "family_id", "category"),
        Index("ix_consent_family", "family_id"),  # what a family member is shown
        Index(
            "uq_consent_one_current",
            "participant_id",
            "family_id",
            "category",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id")
    family_id: int = Field(foreign_key="app_user.id")
    category: str = Field(max_length=32)
    granted_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    # 42 CFR Part 2 elements, recorded for substance-use data (§2.31): the rest are implied by
    # the row (patient, recipient, what, expiry) or recorded here (who discloses, the wording).
    purpose: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    signature: str = Field(
        default="",
        max_length=120,  # the participant's typed full name
        sa_column_kwargs={"server_default": ""},
    )
    signed_at: datetime | None = None
    discloser: str = Field(
        default="",
        max_length=120,  # the program's name when consent was given
        sa_column_kwargs={"server_default": ""},
    )
    consent_version: str = Field(
        default="",
        max_length=16,  # which consent wording was shown
        sa_column_kwargs={"server_default": ""},
    )


class FamilyInvitation(SQLModel, table=True):
    """A one-time code a participant gives a family member; only its keyed hash is stored.
    It works once, until it expires, is withdrawn, or its participant is deactivated."""

    __tablename__ = "family_invitation"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=80)
    relationship: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    withdrawn_at: datetime | None = None
    family_id: int | None = Field(default=None, foreign_key="app_user.id")


class AuditEvent(SQLModel, table=True):
    """Who did what to whose data, and whether it was allowed (HIPAA audit controls).

    No free text: `ref` is an opaque reference to the record concerned ("alert:123", a day) and
    `reason` a fixed refusal code, so the admin who reads the trail never reads clinical content.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_participant_at", "participant_id", "at"),
        Index("ix_audit_actor_at", "actor_id", "at"),
        # The admin's other filters: one category, and refusals only (few rows among many).
        Index("ix_audit_category_at", "category", "at"),
        Index("ix_audit_refused_at", "at", sqlite_where=text("allowed = 0"), postgresql_where=text("NOT allowed")),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_role: str = Field(max_length=16)
    participant_id: int | None = Field(default=None, foreign_key="app_user.id")
    category: str = Field(max_length=32)
    action: str = Field(max_length=16)
    allowed: bool = True
    reason: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    ref: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})


class DiaryTarget(SQLModel, table=True):
    """A behaviour the program tracks urges for. Retired targets keep their history.

    The alert rule columns are the program's own rule for this target (core.clinical.TargetRule);
    the two safety targets always use the clinical rules, whatever is stored here.
    """

    __tablename__ = "diary_target"
    __table_args__ = (UniqueConstraint("program_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    key: str = Field(max_length=40)
    label: str = Field(max_length=60)
    position: int = 0
    active: bool = True
    alert_min_urge: int | None = None
    alert_urge_severity: str = Field(default="none", max_length=16, sa_column_kwargs={"server_default": "none"})
    alert_acted_severity: str = Field(default="none", max_length=16, sa_column_kwargs={"server_default": "none"})


class DiaryCard(SQLModel, table=True):
    """One participant's card for one day (in their time zone). One per day, enforced here."""

    __tablename__ = "diary_card"
    __table_args__ = (UniqueConstraint("participant_id", "day", name="uq_diary_card_day"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id")
    day: date
    mood: int
    sadness: int | None = None
    anxiety: int | None = None
    anger: int | None = None
    shame: int | None = None
    joy: int | None = None
    craving: int | None = None
    sleep_hours: float | None = None
    medication: str | None = Field(default=None, max_length=16)
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    note: str = Field(default="", max_length=2000)
    late: bool = False  # filled in after its day
    # The language the card was filled in ("en"/"es"), shown to the therapist on Review.
    language: str = Field(default="en", max_length=8, sa_column_kwargs={"server_default": "en"})
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class DiaryUrge(SQLModel, table=True):
    __tablename__ = "diary_urge"
    __table_args__ = (UniqueConstraint("card_id", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="diary_card.id")
    target_id: int = Field(foreign_key="diary_target.id")
    urge: int | None = None
    acted: bool = False


class Alert(SQLModel, table=True):
    """A risk signal for the participant's therapist; it stays open until resolved.

    One save opens at most one alert, listing its reasons. `source_key` names what it is about
    ("diary:2026-11-23", "phq9:p3", "worsening:phq9"); while an alert for a source is open and not
    yet acknowledged, saves update it. Once acknowledged or resolved, a rise opens the next one
    (`seq` + 1), so a closed alert is never silently reused and never hides an escalation.
    """

    __table_args__ = (
        UniqueConstraint("participant_id", "source_key", "seq", name="uq_alert_source_seq"),
        Index("ix_alert_open", "participant_id", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id")
    trigger: str = Field(max_length=60)  # the most severe reason's key
    severity: str = Field(max_length=16)
    source_key: str = Field(max_length=60)
    seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    day: date | None = None  # the participant's day it is about (Review opens there)
    detail: str = Field(default="", max_length=500)
    # [{"key", "severity", "text", "level", "followup"}]: every reason, each at its strongest
    reasons: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    latest: str = Field(
        default="",
        max_length=300,  # the latest answers behind it, after any edit
        sa_column_kwargs={"server_default": ""},
    )
    escalated_from_id: int | None = Field(default=None, foreign_key="alert.id")
    opened_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    acknowledgement: str = Field(default="", max_length=1000)
    resolved_at: datetime | None = None


class RiskFollowup(SQLModel, table=True):
    """A participant's answers to the structured suicide-risk follow-up, for one alert."""

    __tablename__ = "risk_followup"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id", index=True)
    alert_id: int = Field(foreign_key="alert.id", unique=True)
    answers: dict = Field(sa_column=Column(JSON, nullable=False))
    level: str = Field(max_length=16)
    taken_at: datetime = Field(default_factory=utcnow)


class Checkup(SQLModel, table=True):
    """One completed questionnaire. `slot_key` is the schedule slot it fills ("p0" = intake,
    "p1" the first week after, "extra-12" a therapist's extra request), one per slot."""

    __table_args__ = (
        UniqueConstraint("participant_id", "kind", "slot_key", name="uq_checkup_slot"),
        Index("ix_checkup_participant_kind_day", "participant_id", "kind", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id")
    kind: str = Field(max_length=8)  # phq9 | gad7 | pacs
    slot_key: str = Field(max_length=24)
    day: date  # the participant's own calendar day
    answers: list[int] = Field(sa_column=Column(JSON, nullable=False))
    function_answer: int | None = None  # "how difficult": not scored
    total: int
    band: str = Field(max_length=32)
    late: bool = False
    # The language the questions were shown in ("en"/"es"), shown to the therapist on Review.
    language: str = Field(default="en", max_length=8, sa_column_kwargs={"server_default": "en"})
    taken_at: datetime = Field(default_factory=utcnow)


class CheckupRequest(SQLModel, table=True):
    """A therapist's request for an extra check-up outside the weekly schedule."""

    __tablename__ = "checkup_request"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id", index=True)
    kind: str = Field(max_length=8)
    requested_by_id: int = Field(foreign_key="app_user.id")
    requested_at: datetime = Field(default_factory=utcnow)
    fulfilled_by_id: int | None = Field(default=None, foreign_key="checkup.id")


class SafetyPlanVersion(SQLModel, table=True):
    """One saved version of a participant's safety plan; the newest is the plan. Never edited."""

    __tablename__ = "safety_plan_version"
    __table_args__ = (UniqueConstraint("participant_id", "version", name="uq_safety_plan_version"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id")
    version: int
    content: dict = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int = Field(foreign_key="app_user.id")


class PracticeEntry(SQLModel, table=True):
    """One time a participant practised a skill: how distressed before and after, did it help.

    `entry_key` is made when the form opens, so a double tap or a resent form saves one row.
    Editable on the participant's own day it was logged; after that it is kept as it is.
    """

    __tablename__ = "practice_entry"
    __table_args__ = (
        UniqueConstraint("participant_id", "entry_key", name="uq_practice_entry_key"),
        Index("ix_practice_participant_day", "participant_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id")
    entry_key: str = Field(max_length=40)
    skill_id: str = Field(max_length=40)
    day: date  # the participant's own calendar day
    situation: str = Field(default="", max_length=120)
    distress_before: int  # 0–10 (an urge's strength for urge surfing)
    distress_after: int | None = None
    helped: str | None = Field(default=None, max_length=8)  # yes | a_bit | no
    note: str = Field(default="", max_length=1000)
    tool: str = Field(default="", max_length=16)  # which interactive tool logged it, if any
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ThoughtRecord(SQLModel, table=True):
    """A CBT seven-column thought record. Private to the participant and their therapist."""

    __tablename__ = "thought_record"
    __table_args__ = (UniqueConstraint("participant_id", "entry_key", name="uq_thought_record_key"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id")
    entry_key: str = Field(max_length=40)
    day: date
    situation: str = Field(max_length=300)
    # [{"name": "anxious", "before": 80, "after": 50}]: intensity 0–100 before and after
    emotions: list[dict] = Field(sa_column=Column(JSON, nullable=False))
    automatic_thought: str = Field(max_length=500)
    evidence_for: str = Field(default="", max_length=1000)
    evidence_against: str = Field(default="", max_length=1000)
    balanced_thought: str = Field(default="", max_length=500)
    balanced_belief: int | None = None  # 0–100
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Homework(SQLModel, table=True):
    """A skill a therapist asked a participant to practise. Done once practice is logged after it."""

    __table_args__ = (UniqueConstraint("participant_id", "skill_id", "assigned_on", name="uq_homework_day"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id")
    skill_id: str = Field(max_length=40)
    assigned_by_id: int = Field(foreign_key="app_user.id")
    assigned_on: date
    assigned_at: datetime = Field(default_factory=utcnow)
    due_on: date | None = None
    note: str = Field(default="", max_length=300)
    removed_at: datetime | None = None


class FavouriteSkill(SQLModel, table=True):
    __tablename__ = "favourite_skill"
    __table_args__ = (UniqueConstraint("participant_id", "skill_id", name="uq_favourite_skill"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id")
    skill_id: str = Field(max_length=40)
    created_at: datetime = Field(default_factory=utcnow)


class Attendance(SQLModel, table=True):
    """Whether a participant came to a program session, recorded by their therapist."""

    __table_args__ = (
        UniqueConstraint("session_id", name="uq_attendance_session_id"),
        Index("ix_attendance_participant_day", "participant_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The session it was taken against (one row per session); day and kind repeat the session's.
    session_id: int = Field(foreign_key="program_session.id")
    participant_id: int = Field(foreign_key="app_user.id")
    day: date
    session_kind: str = Field(max_length=16)  # group | individual | family
    status: str = Field(max_length=16)  # present | late | absent | excused
    recorded_by_id: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = Field(default_factory=utcnow)


class Throttle(SQLModel, table=True):
    """Attempts at something guessable (a password, a code) per key and client; see core/throttle.py."""

    __tablename__ = "throttle"
    __table_args__ = (
        UniqueConstraint("key", "client", name="uq_throttle_key_client"),
        in_range("throttle", "hits", 0),  # a negative count would allow more attempts than the limit
        in_range("throttle", "strikes", 0),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120)
    client: str = Field(default="", max_length=64)
    hits: int = 0  # attempts counted in the current window
    window_started_at: datetime = Field(default_factory=utcnow, index=True)
    blocked_until: datetime | None = None  # set when the limit is reached
    strikes: int = 0  # blocks in a row: each one lasts twice as long


class OneTimeCode(SQLModel, table=True):
    """A code that works once, until it expires: a password reset (24 h) or the hand-off that
    turns a password login into a login cookie (minutes). Only an HMAC of the code is stored."""

    __tablename__ = "one_time_code"

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=16)  # reset | login
    code_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    issued_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class OutboxMessage(SQLModel, table=True):
    """An email waiting to leave, or the record that it left (the transactional outbox).

    Written in the same transaction as the event that caused it, so an alert is never opened
    without its notification, and `dedupe_key` makes the same notification impossible to queue
    twice. The delivery worker (core/notify.py) claims rows, sends them and records the outcome:
    queued -> claimed -> sending -> sent | failed | uncertain | skipped. Subject and body hold no
    names, scores, notes or diagnoses (minimum necessary), so the admin may read them.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_status_due", "status", "due_at"), in_range("outbox_message", "attempts", 0))

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=96, unique=True)
    kind: str = Field(max_length=24)
    program_id: int | None = Field(default=None, foreign_key="program.id", index=True)
    recipient_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    to_address: str = Field(default="", max_length=254)  # only when not the recipient's (the SMTP test)
    alert_id: int | None = Field(default=None, foreign_key="alert.id", index=True)
    subject: str = Field(max_length=200)
    body: str = Field(max_length=2000)
    status: str = Field(default="queued", max_length=12)
    attempts: int = 0
    due_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None  # a reminder is pointless after its day: skipped then
    claimed_by: str = Field(default="", max_length=64)
    claim_token: str = Field(default="", max_length=32)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    sent_via: str = Field(default="", max_length=12)  # smtp | maildrop
    last_error: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


class NotificationSetting(SQLModel, table=True):
    """What a person asked to be reminded of, when (minutes after midnight in their own zone),
    and their quiet hours. Reminders are off until the person turns them on."""

    __tablename__ = "notification_setting"
    __table_args__ = (
        in_range("notification_setting", "remind_minute", *clinical.MINUTE_OF_DAY_RANGE),
        in_range("notification_setting", "quiet_start_minute", *clinical.MINUTE_OF_DAY_RANGE),
        in_range("notification_setting", "quiet_end_minute", *clinical.MINUTE_OF_DAY_RANGE),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", unique=True)
    diary_reminder: bool = False
    checkup_reminder: bool = False
    homework_reminder: bool = False
    remind_minute: int = 20 * 60
    quiet_start_minute: int | None = None
    quiet_end_minute: int | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class CalendarFeed(SQLModel, table=True):
    """A person's private calendar subscription. Only a keyed hash of its token is stored; turning
    it off (or making a new link) clears or replaces the hash, so the old address stops at once."""

    __tablename__ = "calendar_feed"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", unique=True)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class NotifyWorker(SQLModel, table=True):
    """Each delivery worker's last sign of life, so the admin can see that one is running."""

    __tablename__ = "notify_worker"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    started_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class TreatmentGoal(SQLModel, table=True):
    """One treatment-plan goal the therapist and participant agreed on, with how they'll know it is
    being met. Written by the therapist; a goal taken off the plan keeps its ratings (`retired_at`)."""

    __tablename__ = "treatment_goal"
    __table_args__ = (
        Index("ix_treatment_goal_participant", "participant_id", "retired_at"),
        # One goal on the plan per position: two saves at the same moment cannot both add goals.
        Index(
            "uq_treatment_goal_active_position",
            "participant_id",
            "position",
            unique=True,
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id")
    position: int  # 1–5: the order the plan lists them in
    text: str = Field(max_length=200)
    measure: str = Field(max_length=200)  # "how we'll know"
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    retired_at: datetime | None = None


class GoalRating(SQLModel, table=True):
    """The participant's weekly rating (0–10) of progress on one goal: one per goal and week, so a
    double tap or two devices make one row (an upsert on the pair)."""

    __tablename__ = "goal_rating"
    __table_args__ = (UniqueConstraint("goal_id", "week_start", name="uq_goal_rating_week"),)

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="treatment_goal.id")
    participant_id: int = Field(foreign_key="app_user.id", index=True)
    week_start: date  # the Monday of the participant's week
    rating: int
    rated_at: datetime = Field(default_factory=utcnow)


class AftercarePlanVersion(SQLModel, table=True):
    """One saved version of a participant's relapse-prevention and aftercare plan; the newest is the
    plan. Never edited (versioned like the safety plan)."""

    __tablename__ = "aftercare_plan_version"
    __table_args__ = (UniqueConstraint("participant_id", "version", name="uq_aftercare_plan_version"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id")
    version: int
    content: dict = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int = Field(foreign_key="app_user.id")


# --- the program's arc: schedule, sessions, discharge (issue #19) -------------------------------


class ScheduleSlot(SQLModel, table=True):
    """One weekly group session of the program's pattern: a weekday (0 = Monday), start and end as
    minutes after midnight in the program's time zone, and the group's topic that day."""

    __tablename__ = "schedule_slot"
    __table_args__ = (
        UniqueConstraint("program_id", "weekday", "start_minute", name="uq_schedule_slot"),
        in_range("schedule_slot", "weekday", *clinical.WEEKDAY_RANGE),
        in_range("schedule_slot", "start_minute", *clinical.MINUTE_OF_DAY_RANGE),
        in_range("schedule_slot", "end_minute", *clinical.MINUTE_OF_DAY_RANGE),
    )

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id")
    weekday: int
    start_minute: int
    end_minute: int
    topic: str = Field(default="", max_length=80)


class ProgramSession(SQLModel, table=True):
    """A session one participant is expected at: group sessions generated from the weekly pattern
    for their enrolment, and individual or family sessions their therapist adds. `starts_at` and
    `ends_at` are UTC; `day` is the program's calendar day of the start. One row per participant,
    kind and start (a unique constraint), so generating twice never duplicates a session."""

    __tablename__ = "program_session"
    __table_args__ = (
        UniqueConstraint("participant_id", "kind", "starts_at", name="uq_program_session"),
        Index("ix_program_session_participant_day", "participant_id", "day"),
        Index("ix_program_session_program_day", "program_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id")
    program_id: int | None = Field(default=None, foreign_key="program.id")
    kind: str = Field(max_length=16)  # group | individual | family
    day: date
    starts_at: datetime
    ends_at: datetime
    topic: str = Field(default="", max_length=80)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")  # None: generated
    created_at: datetime = Field(default_factory=utcnow)


class Discharge(SQLModel, table=True):
    """How and when a participant left the program (one row per participant). Before it, they are
    enrolled (until their start date) and then active."""

    __tablename__ = "discharge"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id", unique=True)
    day: date
    status: str = Field(max_length=24)  # completed | stepped_down | left_against_advice | transferred
    family_consent_kept: bool = False
    recorded_by_id: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = Field(default_factory=utcnow)


class SubstanceUse(SQLModel, table=True):
    """What was used on a card's day, roughly how much (core/recovery.py): one row per substance."""

    __tablename__ = "substance_use"
    __table_args__ = (UniqueConstraint("card_id", "substance", name="uq_substance_use_card"),)

    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="diary_card.id")
    substance: str = Field(max_length=16)
    amount: int | None = None
    unit: str = Field(default="", max_length=8)


class CardTrigger(SQLModel, table=True):
    """What was going on around a card's substance urge or use (people, places, feelings, HALT)."""

    __tablename__ = "card_trigger"
    __table_args__ = (UniqueConstraint("card_id", "trigger", name="uq_card_trigger"),)

    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="diary_card.id")
    trigger: str = Field(max_length=16)


class PracticeTrigger(SQLModel, table=True):
    """What was going on when a skill was practised (the practice log's optional triggers)."""

    __tablename__ = "practice_trigger"
    __table_args__ = (UniqueConstraint("entry_id", "trigger", name="uq_practice_trigger"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="practice_entry.id")
    trigger: str = Field(max_length=16)


class MatDose(SQLModel, table=True):
    """A medication for addiction treatment taken as prescribed that day, or not (one per card and medication)."""

    __tablename__ = "mat_dose"
    __table_args__ = (UniqueConstraint("card_id", "medication", name="uq_mat_dose_card"),)

    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="diary_card.id")
    medication: str = Field(max_length=16)
    taken: str = Field(max_length=16)  # yes | no | not_prescribed


class RecoveryCounter(SQLModel, table=True):
    """A days-in-recovery counter the participant keeps for one substance (or "any"), shown or hidden."""

    __tablename__ = "recovery_counter"
    __table_args__ = (UniqueConstraint("participant_id", "substance", name="uq_recovery_counter"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="app_user.id")
    substance: str = Field(max_length=16)
    start_on: date  # the first day without it, in the participant's own calendar
    shown: bool = True
    updated_at: datetime = Field(default_factory=utcnow)
