"""Messages that leave the app: the outbox, the delivery worker, escalation, digests, reminders.

The transactional outbox: whatever needs someone told writes an `OutboxMessage` row in the same
transaction as the event that caused it (an urgent alert and its "tell the therapist" commit
together, or neither does), and a unique `dedupe_key` makes the same message impossible to queue
twice. The delivery worker, `python -m core.notify`, does the rest on a tick (every few seconds):

1. recover what a killed worker left: a row *claimed* but never handed to the mail server goes
   back to the queue (nothing left the building); a row killed *while sending* may have reached
   the server, so it is marked `uncertain` for the admin, never sent again by itself;
2. schedule what time makes due: escalation to the clinical lead, the therapists' morning digest
   (after raising missed check-ins, the daily job of core.alerts), participants' reminders;
3. deliver: claim due rows (`UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING` on
   PostgreSQL, so several workers never take the same row; on SQLite the same single statement
   runs under SQLite's one-writer lock, which is the safe equivalent), mark each `sending` just
   before the mail server gets it, then `sent`; a refusal keeps it queued with backoff (or
   `failed` when the server says the address itself is wrong), and the admin reads why.

Every message says the minimum: no names, scores, notes or diagnoses; a link into the app, where
the login decides who reads what. Mail goes out by SMTP when a host is configured, else into the
"mail drop" folder (demo mode, a laptop), which the admin reads on the Messages screen.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import email.policy
import hashlib
import logging
import os
import re
import signal
import smtplib
import socket
import ssl
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import ColumnElement, and_, func, or_, update
from sqlalchemy import select as core_select  # (sqlmodel's select types four columns at most)
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import clinical, inputs
from core.access import Actor, record, require_role
from core.clinical import Severity
from core.config import Settings, settings
from core.db import insert_if_absent, rows_changed, session_scope, upsert
from core.enrolment import not_discharged
from core.errors import ValidationError
from core.i18n import N_
from core.models import (
    Alert,
    AppUser,
    CaseloadAssignment,
    Checkup,
    CheckupRequest,
    DiaryCard,
    Homework,
    NotificationSetting,
    NotifyWorker,
    OutboxMessage,
    PracticeEntry,
    Program,
    Role,
    ThoughtRecord,
    id_of,
    saved_id,
    table_of,
    utcnow,
)
from core.program import _first_zone

log = logging.getLogger("iop.notify")


class Kind(StrEnum):
    URGENT_ALERT = "urgent_alert"  # to the participant's therapist, at once
    TODAY_ALERT = "today_alert"  # a same-day alert, to the therapist at once (no escalation)
    ESCALATION = "escalation"  # to the clinical lead, when nobody acknowledged in time
    DIGEST = "digest"  # the therapist's working-morning summary
    DIARY_REMINDER = "diary_reminder"
    CHECKUP_REMINDER = "checkup_reminder"
    HOMEWORK_REMINDER = "homework_reminder"
    SMTP_TEST = "smtp_test"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    Kind.URGENT_ALERT: "Urgent alert, to the therapist",
    Kind.TODAY_ALERT: "Alert for today, to the therapist",
    Kind.ESCALATION: "Escalation, to the clinical lead",
    Kind.DIGEST: "Morning digest",
    Kind.DIARY_REMINDER: "Diary-card reminder",
    Kind.CHECKUP_REMINDER: "Check-up reminder",
    Kind.HOMEWORK_REMINDER: "Practice reminder",
    Kind.SMTP_TEST: "Test email",
}
PARTICIPANT_KINDS = frozenset({Kind.DIARY_REMINDER, Kind.CHECKUP_REMINDER, Kind.HOMEWORK_REMINDER})
ALERT_KINDS = frozenset({Kind.URGENT_ALERT, Kind.TODAY_ALERT, Kind.ESCALATION})


class Status(StrEnum):
    QUEUED = "queued"  # waiting for its time (or for the next try)
    CLAIMED = "claimed"  # a worker took it; the mail server has not seen it yet
    SENDING = "sending"  # handed to the mail server right now
    SENT = "sent"
    FAILED = "failed"  # will not be tried again by itself: the reason says why
    UNCERTAIN = "uncertain"  # a worker stopped mid-send: it may or may not have arrived
    SKIPPED = "skipped"  # no longer needed (card filled in, alert acknowledged, day over)


STATUS_WORDS = {
    Status.QUEUED: "Queued",
    Status.CLAIMED: "Being sent",
    Status.SENDING: "Being sent",
    Status.SENT: "Sent",
    Status.FAILED: "Failed",
    Status.UNCERTAIN: "Uncertain: may not have arrived",
    Status.SKIPPED: "Not needed",
}

BATCH = 20  # rows one worker claims at a time
LEASE = timedelta(minutes=10)  # a claim older than this belongs to a worker that died
SMTP_TIMEOUT_S = 20  # per socket operation
BACKOFF_FIRST = timedelta(seconds=30)  # then doubling: 30 s, 1 min, 2 min ... up to an hour
BACKOFF_MAX = timedelta(hours=1)
MAX_ATTEMPTS = 12  # about seven hours of trying, then `failed` (the admin may retry)
TICK_SECONDS = 10
REMINDER_GRACE = timedelta(hours=2)  # a reminder whose moment passed longer ago is not queued
WORKER_SILENT_AFTER = timedelta(minutes=2)  # the admin is warned when no worker has checked in since
ERROR_MAX = 300
DEFAULT_REMIND_MINUTE = 20 * 60  # 8 pm, until the participant chooses
REMINDER_STEP_MINUTES = 5

# --- what the messages say (nothing clinical, nothing that names anyone) -------------------------

URGENT_SUBJECT = "An urgent alert is waiting for you in IOP Companion"
TODAY_SUBJECT = "An alert is waiting for you in IOP Companion"
NO_DETAILS = "This email leaves out every detail on purpose; log in to read them."


def _link(path: str) -> str:
    return f"{settings().public_url}/{path}"


def _alert_text(kind: Kind) -> tuple[str, str]:
    if kind is Kind.URGENT_ALERT:
        return URGENT_SUBJECT, (f"{URGENT_SUBJECT}.\n\nOpen it: {_link('alerts')}\n\n{NO_DETAILS}\n")
    return TODAY_SUBJECT, (f"{TODAY_SUBJECT}. Please look at it today.\n\nOpen it: {_link('alerts')}\n\n{NO_DETAILS}\n")


def _escalation_text(minutes: int) -> tuple[str, str]:
    subject = "An urgent alert in IOP Companion has not been acknowledged"
    return subject, (
        f"An urgent alert in your program has waited {minutes} minutes since the therapist was told, "
        f"and nobody has acknowledged it yet. You are the program's clinical lead.\n\n"
        f"See whose caseload it is on: {_link('notifications')}\n\n{NO_DETAILS}\n"
    )


def _digest_text(alerts: int, missed: int) -> tuple[str, str]:
    parts = [f"{alerts} alert{'s' if alerts != 1 else ''} to review"] if alerts else []
    if missed:
        parts.append(f"{missed} missed check-in{'s' if missed != 1 else ''}")
    return (
        "Your IOP Companion morning summary",
        f"Good morning. Waiting for you in IOP Companion: {' and '.join(parts)}.\n\n"
        f"Open your alerts: {_link('alerts')}\n\n{NO_DETAILS}\n",
    )


def _reminder_text(kind: Kind) -> tuple[str, str]:
    change = f"You asked for this reminder. To change or stop it: {_link('notifications')}\n"
    if kind is Kind.DIARY_REMINDER:
        return (
            "Time for today's diary card",
            f"A minute for today's diary card? One tap opens it: {_link('today')}\n\n{change}",
        )
    if kind is Kind.CHECKUP_REMINDER:
        return ("Your check-up is due", f"Your check-up is due. One tap opens it: {_link('checkups')}\n\n{change}")
    return (
        "Practice due today",
        f"You have practice due today. One tap opens your skills: {_link('skills')}\n\n{change}",
    )


# --- queueing (in the caller's transaction) ------------------------------------------------------


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    kind: Kind,
    subject: str,
    body: str,
    recipient_id: int | None = None,
    to_address: str = "",
    program_id: int | None = None,
    alert_id: int | None = None,
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
    status: Status = Status.QUEUED,
    last_error: str = "",
    now: datetime | None = None,
) -> int | None:
    """Queue one message in the caller's transaction; the caller's commit makes it real. Queuing a
    `dedupe_key` that exists already does nothing (None): a retried save, a second worker's tick."""
    now = now or utcnow()
    return insert_if_absent(
        session,
        OutboxMessage,
        {
            "dedupe_key": dedupe_key[:96],
            "kind": kind.value,
            "program_id": program_id,
            "recipient_id": recipient_id,
            "to_address": to_address,
            "alert_id": alert_id,
            "subject": subject[:200],
            "body": body[:2000],
            "status": status.value,
            "attempts": 0,
            "due_at": due_at or now,
            "expires_at": expires_at,
            "claimed_by": "",
            "claim_token": "",
            "claimed_at": None,
            "sent_at": None,
            "sent_via": "",
            "last_error": last_error[:ERROR_MAX],
            "created_at": now,
        },
        conflict=["dedupe_key"],
    )


def alert_raised(session: Session, alert_id: int | None, *, now: datetime | None = None) -> None:
    """Called by core.alerts.route in the transaction that opened or raised an alert. An urgent (or
    same-day) alert tells the participant's therapist at once; review-level alerts wait for the
    morning digest. Acknowledged or resolved alerts tell nobody."""
    if alert_id is None:
        return
    alert = session.get(Alert, alert_id)
    if alert is None or alert.acknowledged_at is not None or alert.resolved_at is not None:
        return
    kind = {Severity.URGENT.value: Kind.URGENT_ALERT, Severity.SAME_DAY.value: Kind.TODAY_ALERT}.get(alert.severity)
    if kind is None:
        return
    row = session.exec(
        select(AppUser.program_id, CaseloadAssignment.therapist_id)
        .join(CaseloadAssignment, col(CaseloadAssignment.participant_id) == AppUser.id, isouter=True)
        .where(AppUser.id == alert.participant_id)
    ).first()
    program_id, therapist_id = row if row else (None, None)
    _tell_therapist(session, id_of(alert), kind, f"alert:{alert.id}:{kind.value}", therapist_id, program_id, now)


def _tell_therapist(
    session: Session,
    alert_id: int,
    kind: Kind,
    dedupe_key: str,
    therapist_id: int | None,
    program_id: int | None,
    now: datetime | None,
) -> None:
    subject, body = _alert_text(kind)
    enqueue(
        session,
        dedupe_key=dedupe_key,
        kind=kind,
        subject=subject,
        body=body,
        recipient_id=therapist_id,
        program_id=program_id,
        alert_id=alert_id,
        now=now,
        status=Status.QUEUED if therapist_id else Status.FAILED,
        last_error="" if therapist_id else "The participant has no therapist assigned.",
    )


def caseload_moved(session: Session, participant_id: int, therapist_id: int, *, now: datetime | None = None) -> None:
    """Called in the transaction that puts a participant on a new therapist's caseload: their open,
    unacknowledged urgent and same-day alerts are now in that therapist's inbox, so that therapist is told
    of each as the one before was when it opened (its own key: the first email's key is the alert's)."""
    rows = session.exec(
        select(Alert.id, Alert.severity, AppUser.program_id)
        .join(AppUser, col(AppUser.id) == Alert.participant_id)
        .where(
            Alert.participant_id == participant_id,
            col(Alert.acknowledged_at).is_(None),
            col(Alert.resolved_at).is_(None),
            col(Alert.severity).in_([Severity.URGENT.value, Severity.SAME_DAY.value]),
        )
    ).all()
    for alert_id, severity, program_id in rows:
        kind = Kind.URGENT_ALERT if severity == Severity.URGENT.value else Kind.TODAY_ALERT
        key = f"alert:{alert_id}:{kind.value}:to:{therapist_id}"
        _tell_therapist(session, saved_id(alert_id), kind, key, therapist_id, program_id, now)


# --- scheduling what time makes due --------------------------------------------------------------


def schedule_missed_alert_notices(session: Session, now: datetime) -> int:
    """A safety net under `alert_raised`: any open, unacknowledged urgent or same-day alert whose
    therapist has not been told (an alert written by other code, or before this module existed) is
    queued now. One query when there is nothing to do."""
    told = select(OutboxMessage.id).where(
        OutboxMessage.alert_id == Alert.id,
        col(OutboxMessage.kind).in_([Kind.URGENT_ALERT.value, Kind.TODAY_ALERT.value]),
    )
    missing = session.exec(
        select(Alert.id).where(
            col(Alert.acknowledged_at).is_(None),
            col(Alert.resolved_at).is_(None),
            col(Alert.severity).in_([Severity.URGENT.value, Severity.SAME_DAY.value]),
            ~told.exists(),
        )
    ).all()
    for alert_id in missing:
        alert_raised(session, alert_id, now=now)
    if missing:
        session.commit()
    return len(missing)


def _local(now: datetime, zone: ZoneInfo) -> datetime:
    return now.astimezone(zone)


def _end_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)


def schedule_escalations(session: Session, now: datetime) -> int:
    """Urgent alerts still unacknowledged the program's window after the therapist was told go to
    the program's clinical lead(s) — each lead once; "no lead named" is recorded for the admin to see."""
    shortest = timedelta(minutes=clinical.ESCALATION_MINUTES_RANGE[0])
    rows = session.execute(
        core_select(
            col(Alert.id),
            col(OutboxMessage.created_at),
            col(OutboxMessage.recipient_id),
            col(Program.id),
            col(Program.escalation_minutes),
        )
        .join(
            OutboxMessage,
            (col(OutboxMessage.alert_id) == Alert.id) & (col(OutboxMessage.kind) == Kind.URGENT_ALERT.value),
        )
        .join(AppUser, col(AppUser.id) == Alert.participant_id)
        .join(Program, col(Program.id) == AppUser.program_id)
        .where(
            col(Alert.acknowledged_at).is_(None),
            col(Alert.resolved_at).is_(None),
            col(OutboxMessage.created_at) <= now - shortest,
        )
    ).all()
    # (read within the clinical range: a window written straight into the table, 10**12 minutes say,
    # overflowed the date in every tick, before delivery, and nothing was sent)
    low, high = clinical.ESCALATION_MINUTES_RANGE
    due = [
        (alert_id, therapist_id, program_id, window)
        for alert_id, told_at, therapist_id, program_id, minutes in rows
        if told_at + timedelta(minutes=(window := min(max(minutes, low), high))) <= now
    ]
    if not due:
        return 0
    programs = {program_id for _, _, program_id, _ in due}
    leads: dict[int | None, list[int]] = defaultdict(list)
    for lead_id, program_id in session.exec(
        select(col(AppUser.id), col(AppUser.program_id)).where(
            col(AppUser.program_id).in_(programs),
            col(AppUser.is_clinical_lead).is_(True),
            AppUser.role == Role.THERAPIST.value,
            col(AppUser.is_active).is_(True),
        )
    ):
        leads[program_id].append(saved_id(lead_id))
    existing = set(
        session.exec(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.kind == Kind.ESCALATION.value, col(OutboxMessage.alert_id).in_([d[0] for d in due])
            )
        )
    )
    queued = 0
    for alert_id, therapist_id, program_id, minutes in due:
        subject, body = _escalation_text(minutes)
        targets = [lead for lead in leads.get(program_id, []) if lead != therapist_id]
        for lead_id in targets:
            key = f"alert:{alert_id}:escalation:{lead_id}"
            if key not in existing and enqueue(
                session,
                dedupe_key=key,
                kind=Kind.ESCALATION,
                subject=subject,
                body=body,
                recipient_id=lead_id,
                program_id=program_id,
                alert_id=alert_id,
                now=now,
            ):
                queued += 1
        key = f"alert:{alert_id}:escalation:none"
        if not targets and key not in existing:
            enqueue(
                session,
                dedupe_key=key,
                kind=Kind.ESCALATION,
                subject=subject,
                body=body,
                program_id=program_id,
                alert_id=alert_id,
                status=Status.FAILED,
                now=now,
                last_error="No clinical lead (other than the therapist) is named for the program: "
                "the admin names one on the Messages screen.",
            )
    session.commit()
    return queued


def schedule_digests(session: Session, now: datetime) -> int:
    """Each therapist's working-morning digest: open review-level alerts and missed check-ins, as
    counts. Missed check-ins are raised first (core.alerts' daily job). One row per therapist and
    day, even when there is nothing to say (kept as "not needed"), so the day's work runs once."""
    from core.alerts import MISSED_CHECKIN, raise_missed_checkins  # core.alerts imports this module

    queued = 0
    for program in session.exec(select(Program)).all():
        zone = _first_zone(program.timezone)
        local = _local(now, zone)
        if (
            local.weekday() not in clinical.WORKING_DAYS
            or not clinical.DIGEST_HOUR <= local.hour < clinical.DIGEST_UNTIL_HOUR
        ):
            continue
        day = local.date()
        therapists = session.exec(
            select(AppUser.id).where(
                AppUser.program_id == program.id, AppUser.role == Role.THERAPIST.value, col(AppUser.is_active).is_(True)
            )
        ).all()
        keys = {saved_id(t): f"digest:{t}:{day}" for t in therapists}
        done = set(
            session.exec(select(OutboxMessage.dedupe_key).where(col(OutboxMessage.dedupe_key).in_(keys.values())))
        )
        if not set(keys.values()) - done:
            continue
        raise_missed_checkins(session, None, day, program_id=program.id)
        counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for therapist_id, trigger, n in session.exec(
            select(CaseloadAssignment.therapist_id, Alert.trigger, func.count(col(Alert.id)))
            .join(Alert, col(Alert.participant_id) == CaseloadAssignment.participant_id)
            .where(
                col(CaseloadAssignment.therapist_id).in_(therapists),
                col(Alert.resolved_at).is_(None),
                Alert.severity == Severity.REVIEW.value,
            )
            .group_by(col(CaseloadAssignment.therapist_id), col(Alert.trigger))
        ):
            counts[therapist_id][1 if trigger == MISSED_CHECKIN else 0] += n
        for therapist_id, key in keys.items():
            if key in done:
                continue
            alerts, missed = counts.get(therapist_id, (0, 0))
            subject, body = _digest_text(alerts, missed)
            nothing = not alerts and not missed
            if (
                enqueue(
                    session,
                    dedupe_key=key,
                    kind=Kind.DIGEST,
                    subject=subject,
                    body=body,
                    recipient_id=therapist_id,
                    program_id=program.id,
                    expires_at=_end_of_day(day, zone),
                    now=now,
                    status=Status.SKIPPED if nothing else Status.QUEUED,
                    last_error="Nothing open that morning." if nothing else "",
                )
                and not nothing
            ):
                queued += 1
        session.commit()
    return queued


def _minute_time(minute: int) -> time:
    return time(minute // 60, minute % 60)


def _stored_minute(value: object) -> int | None:
    """A minute of the day as stored, or None for one out of range. The form never writes one and the
    table had no CHECK before migration 0016: a script's or an import's 1440 made `time(24, 0)` raise in the worker's
    tick, before delivery, so no email left the outbox for anyone (urgent alerts included)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60 else None


def _remind_minute(value: object) -> int:
    found = _stored_minute(value)
    return DEFAULT_REMIND_MINUTE if found is None else found


def in_quiet_hours(minute_of_day: int, start: int | None, end: int | None) -> bool:
    """Quiet hours may run past midnight (22:00–07:00)."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= minute_of_day < end
    return minute_of_day >= start or minute_of_day < end


def _quiet_until(local: datetime, start: int | None, end: int | None) -> datetime | None:
    """When the quiet hours around `local` end (None when `local` is not in quiet hours)."""
    minute = local.hour * 60 + local.minute
    if end is None or not in_quiet_hours(minute, start, end):
        return None
    end_day = local.date() if minute < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, _minute_time(end), local.tzinfo)


@dataclass(frozen=True)
class _Due:
    user_id: int
    program_id: int | None
    day: date
    zone: ZoneInfo
    setting: NotificationSetting


def checkup_schedule(session: Session, people: list[tuple[int, int | None, date]]) -> dict[int, list]:
    """Each person's check-up status per questionnaire (core.checkups' schedule rule) for
    (participant id, program id, their today): three queries however many people. Used by the
    worker (reminders) and the calendar feed; nobody's answers are read, only which slots are filled."""
    from core.checkups import _status, kinds_for  # the schedule rule, in one place

    if not people:
        return {}
    ids = [pid for pid, _, _ in people]
    programs = {
        p.id: p
        for p in session.exec(
            select(Program).where(col(Program.id).in_({program_id for _, program_id, _ in people if program_id}))
        )
    }
    taken: dict[int, list[Checkup]] = defaultdict(list)
    for checkup in session.exec(select(Checkup).where(col(Checkup.participant_id).in_(ids))):
        taken[checkup.participant_id].append(checkup)
    requests: dict[int, list[CheckupRequest]] = defaultdict(list)
    for request in session.exec(
        select(CheckupRequest)
        .where(col(CheckupRequest.participant_id).in_(ids), col(CheckupRequest.fulfilled_by_id).is_(None))
        .order_by(col(CheckupRequest.id))
    ):
        requests[request.participant_id].append(request)
    found: dict[int, list] = {}
    for pid, program_id, today in people:
        program = programs.get(program_id)
        interval = program.checkup_interval_days if program else clinical.CHECKUP_INTERVAL_DAYS
        found[pid] = [
            _status(
                kind,
                [c for c in taken[pid] if c.kind == kind and c.slot_key.startswith("p")],
                next((q.id for q in requests[pid] if q.kind == kind), None),
                today,
                interval,
            )
            for kind in kinds_for(program)
        ]
    return found


def _checkups_due(session: Session, people: list[_Due]) -> dict[int, date]:
    """For each person, the day of the check-up slot due now, if any (intake is the therapist's to
    arrange, so it is not reminded)."""
    due: dict[int, date] = {}
    for pid, statuses in checkup_schedule(session, [(p.user_id, p.program_id, p.day) for p in people]).items():
        days = [s.due_day for s in statuses if s.is_due and s.due_slot != "p0"]
        if days:
            due[pid] = min(days)
    return due


def _homework_due(session: Session, people: list[_Due]) -> set[int]:
    """People with homework due on their today and not yet practised (two queries for everyone)."""
    if not people:
        return set()
    days = {p.user_id: p.day for p in people}
    rows = [
        h
        for h in session.exec(
            select(Homework).where(col(Homework.participant_id).in_(days), col(Homework.removed_at).is_(None))
        )
        if h.due_on == days[h.participant_id]
    ]
    if not rows:
        return set()
    since = min(h.assigned_at for h in rows)
    practised = defaultdict(list)
    for pid, skill_id, at in session.exec(
        select(PracticeEntry.participant_id, PracticeEntry.skill_id, PracticeEntry.created_at).where(
            col(PracticeEntry.participant_id).in_({h.participant_id for h in rows}), PracticeEntry.created_at >= since
        )
    ):
        practised[pid].append((skill_id, at))
    for pid, at in session.exec(
        select(ThoughtRecord.participant_id, ThoughtRecord.created_at).where(
            col(ThoughtRecord.participant_id).in_({h.participant_id for h in rows}), ThoughtRecord.created_at >= since
        )
    ):
        practised[pid].append(("thought_record", at))
    return {
        h.participant_id
        for h in rows
        if not any(skill == h.skill_id and at >= h.assigned_at for skill, at in practised[h.participant_id])
    }


def schedule_reminders(session: Session, now: datetime) -> int:
    """Participants' reminders whose moment (their chosen time, in their zone) has just passed:
    the diary card unless today's is filled in, a check-up due, practice due today. A fixed
    number of queries however many people."""
    rows = session.execute(
        core_select(
            NotificationSetting, col(AppUser.id), col(AppUser.program_id), col(AppUser.timezone), col(Program.timezone)
        )
        .join(AppUser, col(AppUser.id) == NotificationSetting.user_id)
        .join(Program, col(Program.id) == AppUser.program_id, isouter=True)
        .where(
            col(AppUser.is_active).is_(True),
            not_discharged(AppUser.id),  # no reminders after discharge
            col(AppUser.role) == Role.PARTICIPANT.value,
            col(AppUser.email).is_not(None),
            or_(
                col(NotificationSetting.diary_reminder).is_(True),
                col(NotificationSetting.checkup_reminder).is_(True),
                col(NotificationSetting.homework_reminder).is_(True),
            ),
        )
    ).all()
    people: list[_Due] = []
    for setting, user_id, program_id, own_zone, program_zone in rows:
        zone = _first_zone(own_zone, program_zone)
        day = _local(now, zone).date()
        moment = datetime.combine(day, _minute_time(_remind_minute(setting.remind_minute)), zone)
        if moment <= now < moment + REMINDER_GRACE:
            people.append(_Due(saved_id(user_id), program_id, day, zone, setting))
    if not people:
        return 0
    carded = {
        (pid, d)
        for pid, d in session.exec(
            select(DiaryCard.participant_id, col(DiaryCard.day)).where(
                col(DiaryCard.participant_id).in_([p.user_id for p in people]),
                col(DiaryCard.day).in_({p.day for p in people}),
            )
        )
    }
    want: list[tuple[_Due, Kind, str]] = []
    for p in people:
        if p.setting.diary_reminder and (p.user_id, p.day) not in carded:
            want.append((p, Kind.DIARY_REMINDER, f"diary:{p.user_id}:{p.day}"))
    checkups = _checkups_due(session, [p for p in people if p.setting.checkup_reminder])
    homework = _homework_due(session, [p for p in people if p.setting.homework_reminder])
    for p in people:
        if p.user_id in checkups:
            want.append((p, Kind.CHECKUP_REMINDER, f"checkup:{p.user_id}:{checkups[p.user_id]}"))
        if p.user_id in homework:
            want.append((p, Kind.HOMEWORK_REMINDER, f"homework:{p.user_id}:{p.day}"))
    if not want:
        return 0
    existing = set(
        session.exec(
            select(OutboxMessage.dedupe_key).where(col(OutboxMessage.dedupe_key).in_([key for _, _, key in want]))
        )
    )
    queued = 0
    for p, kind, key in want:
        if key in existing:
            continue
        subject, body = _reminder_text(kind)
        if enqueue(
            session,
            dedupe_key=key,
            kind=kind,
            subject=subject,
            body=body,
            recipient_id=p.user_id,
            program_id=p.program_id,
            expires_at=_end_of_day(p.day, p.zone),
            now=now,
        ):
            queued += 1
    session.commit()
    return queued


# --- delivering ------------------------------------------------------------------------------------


class Delivery(Exception):
    """Why a message (or the whole connection) did not go: `permanent` ones are not retried."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.reason, self.permanent = reason[:ERROR_MAX], permanent


class MailDrop:
    """Writes each message as an .eml file (named by its outbox id, so writing it twice leaves one
    file) into a folder the admin reads on the Messages screen: demo mode, or no SMTP configured."""

    via = "maildrop"

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def __enter__(self) -> MailDrop:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise Delivery(f"The mail drop folder {self.folder} can't be written: {exc.strerror or exc}") from exc
        return self

    def __exit__(self, *exc) -> None:
        return None

    def path_for(self, outbox_id: int) -> Path:
        return self.folder / f"{outbox_id:08d}.eml"

    def send(self, message: EmailMessage, outbox_id: int) -> None:
        final = self.path_for(outbox_id)
        partial = final.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(bytes(message))
        os.replace(partial, final)


class Smtp:
    """One SMTP connection for a batch of messages (standard library smtplib)."""

    via = "smtp"

    def __init__(self, config: Settings):
        self.config = config
        self.conn: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.config.smtp_host}:{self.config.smtp_port}"

    def __enter__(self) -> Smtp:
        c = self.config
        try:
            if c.smtp_security == "ssl":
                self.conn = smtplib.SMTP_SSL(
                    c.smtp_host, c.smtp_port, timeout=SMTP_TIMEOUT_S, context=ssl.create_default_context()
                )
            else:
                self.conn = smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=SMTP_TIMEOUT_S)
                if c.smtp_security == "starttls":
                    self.conn.starttls(context=ssl.create_default_context())
            if c.smtp_username:
                self.conn.login(c.smtp_username, c.smtp_password)
        except smtplib.SMTPAuthenticationError as exc:
            self._close()
            raise Delivery(f"The mail server at {self.where} refused the login ({exc.smtp_code}).") from exc
        except smtplib.SMTPNotSupportedError as exc:
            self._close()
            raise Delivery(
                f"The mail server at {self.where} does not offer STARTTLS: check IOP_SMTP_SECURITY."
            ) from exc
        except smtplib.SMTPResponseException as exc:
            self._close()
            raise Delivery(
                f"The mail server at {self.where} answered {exc.smtp_code}: {_said(exc.smtp_error)}"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._close()
            raise Delivery(f"Could not reach the mail server at {self.where}: {_os_reason(exc)}") from exc
        return self

    def send(self, message: EmailMessage, outbox_id: int) -> None:
        assert self.conn is not None
        self.conn.send_message(message)

    def _close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.close()
            self.conn = None

    def __exit__(self, *exc) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.conn.quit()
            self._close()


def _said(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:160]


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "no answer in time"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def transport_for(config: Settings | None = None) -> Smtp | MailDrop:
    config = config or settings()
    return Smtp(config) if config.smtp_configured else MailDrop(config.maildrop_dir)


def where_mail_goes(config: Settings | None = None) -> str:
    config = config or settings()
    if config.smtp_configured:
        login = f" as {config.smtp_username}" if config.smtp_username else ""
        return f"By email through {config.smtp_host}:{config.smtp_port} ({config.smtp_security}){login}."
    return (
        f"Into the mail drop folder {config.maildrop_dir}: nobody receives these by email. Set IOP_SMTP_HOST "
        "(and the other IOP_SMTP_ settings) to send them."
    )


def message_id(row_id: int, dedupe_key: str) -> str:
    """The same message always has the same Message-ID, so a resend can be recognised downstream."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:12]
    return f"<iop-{row_id}-{digest}@iop-companion>"


def sendable(address: str) -> str | None:
    """The address as the mail goes to it: an international domain in its ASCII (IDNA) form; None
    when it can't be sent without SMTPUTF8 (letters beyond ASCII before the @), which neither
    smtplib's headers nor most servers handle: the email package would encode it into a
    different, wrong address. None too for one with a line break or another control character (only
    an import or a script writes one; the email package refused it with a ValueError that stopped the
    worker's whole batch, urgent alerts included)."""
    if not address.isprintable():
        return None
    if address.isascii():
        return address
    try:
        return validate_email(address, check_deliverability=False, allow_smtputf8=False).ascii_email
    except EmailNotValidError:
        return None


def build_email(
    *, row_id: int, dedupe_key: str, to: str, subject: str, body: str, now: datetime, config: Settings | None = None
) -> EmailMessage:
    config = config or settings()
    message = EmailMessage()
    message["From"] = config.mail_from
    message["To"] = sendable(to) or to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(row_id, dedupe_key)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    message["X-IOP-Outbox"] = str(row_id)
    message.set_content(body)
    return message


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


@dataclass
class Claim:
    id: int
    kind: str
    dedupe_key: str
    recipient_id: int | None
    to_address: str
    alert_id: int | None
    subject: str
    body: str
    attempts: int
    expires_at: datetime | None
    token: str


_T = table_of(OutboxMessage).c


def claim(session: Session, *, worker: str, now: datetime, limit: int = BATCH) -> list[Claim]:
    """Take up to `limit` due messages for this worker, in one statement, and commit. Rows another
    worker holds are skipped (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one writer at a time).

    The rows to take are chosen once, in a MATERIALIZED CTE. As `id IN (SELECT … LIMIT … FOR UPDATE SKIP
    LOCKED)`, PostgreSQL could plan a nested-loop semi-join that ran the subquery again for every row of the
    table (it does once the table's statistics say it is empty: an ANALYZE while the queue was empty); each
    run skipped the rows this statement had just updated and locked the next ones, so one claim took the
    whole queue whatever the limit, and a second worker found every row locked and nothing to send."""
    token = uuid.uuid4().hex
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == Status.QUEUED.value, OutboxMessage.due_at <= now)
        .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    rows = session.execute(
        update(table_of(OutboxMessage))
        .where(_T.id.in_(select(due.c.id)))
        .values(
            status=Status.CLAIMED.value,
            claimed_by=worker[:64],
            claim_token=token,
            claimed_at=now,
            attempts=_T.attempts + 1,
        )
        .returning(
            _T.id,
            _T.kind,
            _T.dedupe_key,
            _T.recipient_id,
            _T.to_address,
            _T.alert_id,
            _T.subject,
            _T.body,
            _T.attempts,
            _T.expires_at,
        )
    ).all()
    session.commit()
    claims = [
        Claim(id_, kind, key, recipient, to, alert, subject, body, attempts, expires, token)
        for id_, kind, key, recipient, to, alert, subject, body, attempts, expires in rows
    ]
    return sorted(claims, key=lambda c: c.id)


def _settle(
    session: Session,
    claim_: Claim,
    *,
    status: Status,
    now: datetime,
    reason: str = "",
    due_at: datetime | None = None,
    via: str = "",
    from_states=(Status.CLAIMED,),
    attempts_back: bool = False,
) -> bool:
    """Record a message's outcome, only if this worker's claim still holds it. True if it did."""
    values: dict = {"status": status.value, "last_error": reason[:ERROR_MAX]}
    if status is Status.SENT:
        values.update(sent_at=now, sent_via=via)
    if due_at is not None:
        values["due_at"] = due_at
    if attempts_back:
        values["attempts"] = _T.attempts - 1
    if status is Status.QUEUED:
        values.update(claim_token="", claimed_by="")
    result = session.execute(
        update(table_of(OutboxMessage))
        .where(_T.id == claim_.id, _T.claim_token == claim_.token, _T.status.in_([s.value for s in from_states]))
        .values(**values)
    )
    session.commit()
    return rows_changed(result) == 1


def _retry_or_fail(
    session: Session, claim_: Claim, reason: str, now: datetime, *, from_states=(Status.CLAIMED,)
) -> Status:
    if claim_.attempts >= MAX_ATTEMPTS:
        _settle(
            session,
            claim_,
            status=Status.FAILED,
            now=now,
            from_states=from_states,
            reason=f"Gave up after {claim_.attempts} tries. Last: {reason}",
        )
        return Status.FAILED
    _settle(
        session,
        claim_,
        status=Status.QUEUED,
        now=now,
        reason=reason,
        due_at=now + backoff(claim_.attempts),
        from_states=from_states,
    )
    return Status.QUEUED


@dataclass
class _Recipient:
    email: str | None
    active: bool
    zone: ZoneInfo
    quiet: tuple[int | None, int | None]
    discharged: bool = False


def _recipients(session: Session, claims: list[Claim]) -> dict[int, _Recipient]:
    ids = {c.recipient_id for c in claims if c.recipient_id}
    if not ids:
        return {}
    rows = session.execute(
        core_select(
            col(AppUser.id),
            col(AppUser.email),
            col(AppUser.is_active),
            col(AppUser.timezone),
            col(Program.timezone),
            col(NotificationSetting.quiet_start_minute),
            col(NotificationSetting.quiet_end_minute),
            ~not_discharged(AppUser.id),
        )
        .join(Program, col(Program.id) == AppUser.program_id, isouter=True)
        .join(NotificationSetting, col(NotificationSetting.user_id) == AppUser.id, isouter=True)
        .where(col(AppUser.id).in_(ids))
    ).all()
    return {
        uid: _Recipient(
            email, active, _first_zone(own, program), (_stored_minute(qs), _stored_minute(qe)), bool(discharged)
        )
        for uid, email, active, own, program, qs, qe, discharged in rows
    }


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    uncertain: int = 0
    reasons: list[str] = field(default_factory=list)

    def add(self, status: Status, reason: str = "") -> None:
        name = {
            Status.SENT: "sent",
            Status.QUEUED: "retried",
            Status.FAILED: "failed",
            Status.SKIPPED: "skipped",
            Status.UNCERTAIN: "uncertain",
        }[status]
        setattr(self, name, getattr(self, name) + 1)
        if reason and reason not in self.reasons:
            self.reasons.append(reason)


def _needless(
    session: Session, claims: list[Claim], recipients: dict[int, _Recipient], now: datetime
) -> dict[int, str]:
    """Messages that no longer need sending, and why (two queries for a whole batch)."""
    why: dict[int, str] = {}
    alert_ids = {c.alert_id for c in claims if c.alert_id}
    closed = (
        set(
            session.exec(
                select(Alert.id).where(
                    col(Alert.id).in_(alert_ids),
                    or_(col(Alert.acknowledged_at).is_not(None), col(Alert.resolved_at).is_not(None)),
                )
            )
        )
        if alert_ids
        else set()
    )
    diary = [c for c in claims if c.kind == Kind.DIARY_REMINDER.value]
    carded = set()
    if diary:
        wanted = {(c.recipient_id, date.fromisoformat(c.dedupe_key.rsplit(":", 1)[1])) for c in diary}
        carded = {
            (pid, d)
            for pid, d in session.exec(
                select(DiaryCard.participant_id, col(DiaryCard.day)).where(
                    col(DiaryCard.participant_id).in_({p for p, _ in wanted}),
                    col(DiaryCard.day).in_({d for _, d in wanted}),
                )
            )
        }
    for c in claims:
        person = recipients.get(c.recipient_id) if c.recipient_id else None
        if c.expires_at is not None and now >= c.expires_at:
            why[c.id] = "Its day was over before it could be sent."
        elif c.alert_id in closed and c.kind in ALERT_KINDS:
            why[c.id] = "The alert was acknowledged before this was sent."
        elif (
            c.kind == Kind.DIARY_REMINDER.value
            and (c.recipient_id, date.fromisoformat(c.dedupe_key.rsplit(":", 1)[1])) in carded
        ):
            why[c.id] = "That day's card was already filled in."
        elif person is not None and not person.active:
            why[c.id] = "The account is deactivated."
        elif person is not None and person.discharged and c.kind in {k.value for k in PARTICIPANT_KINDS}:
            why[c.id] = "They were discharged before this reminder was sent."  # (scheduling skips them too)
    return why


def deliver(
    session: Session, *, worker: str, now: datetime, transport=None, limit: int = BATCH, report: Report | None = None
) -> Report:
    """Claim one batch of due messages and send it. Returns what happened (and why)."""
    report = report or Report()
    claims = claim(session, worker=worker, now=now, limit=limit)
    if not claims:
        return report
    recipients = _recipients(session, claims)
    needless = _needless(session, claims, recipients, now)
    ready: list[tuple[Claim, str]] = []
    for c in claims:
        person = recipients.get(c.recipient_id) if c.recipient_id else None
        if c.id in needless:
            _settle(session, c, status=Status.SKIPPED, now=now, reason=needless[c.id])
            report.add(Status.SKIPPED)
            continue
        address = c.to_address or (person.email if person else None)
        if not address or not sendable(address):
            reason = (
                "The address has a line break or another hidden character: correct it on the account."
                if address and not address.isprintable()
                else "The address has accents or non-Latin letters before the @, which this mail setup can't send to."
                if address
                else "The recipient's account has no email address."
                if c.recipient_id
                else "Nobody to send it to."
            )
            _settle(session, c, status=Status.FAILED, now=now, reason=reason)
            report.add(Status.FAILED, reason)
            continue
        if c.kind in {k.value for k in PARTICIPANT_KINDS} and person is not None:
            until = _quiet_until(_local(now, person.zone), *person.quiet)
            if until is not None:
                if c.expires_at is not None and until >= c.expires_at:
                    _settle(session, c, status=Status.SKIPPED, now=now, reason="Quiet hours lasted past its day.")
                    report.add(Status.SKIPPED)
                else:
                    _settle(
                        session,
                        c,
                        status=Status.QUEUED,
                        now=now,
                        due_at=until.astimezone(UTC),
                        attempts_back=True,
                        reason="Held for the person's quiet hours.",
                    )
                    report.deferred += 1
                continue
        ready.append((c, address))
    if not ready:
        return report
    transport = transport or transport_for()
    try:
        with transport as channel:
            for index, (c, address) in enumerate(ready):
                outgoing = build_email(
                    row_id=c.id, dedupe_key=c.dedupe_key, to=address, subject=c.subject, body=c.body, now=now
                )
                if not _settle(session, c, status=Status.SENDING, now=now):
                    continue  # the claim was taken back as stale: someone else has it now
                try:
                    channel.send(outgoing, c.id)
                except smtplib.SMTPRecipientsRefused as exc:
                    codes = [code for code, _ in exc.recipients.values()]
                    reason = "The mail server refused the address: " + "; ".join(
                        f"{code} {_said(said)}" for code, said in exc.recipients.values()
                    )
                    if all(code >= 500 for code in codes):
                        _settle(session, c, status=Status.FAILED, now=now, reason=reason, from_states=(Status.SENDING,))
                        report.add(Status.FAILED, reason)
                    else:
                        report.add(_retry_or_fail(session, c, reason, now, from_states=(Status.SENDING,)), reason)
                except smtplib.SMTPResponseException as exc:  # the server answered: it did not take the message
                    reason = f"The mail server answered {exc.smtp_code}: {_said(exc.smtp_error)}"
                    if exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPSenderRefused):
                        _settle(session, c, status=Status.FAILED, now=now, reason=reason, from_states=(Status.SENDING,))
                        report.add(Status.FAILED, reason)
                    else:
                        report.add(_retry_or_fail(session, c, reason, now, from_states=(Status.SENDING,)), reason)
                except (OSError, smtplib.SMTPException) as exc:
                    # The connection broke mid-message with no answer: it may have arrived. Never
                    # send it again by itself; the admin decides. The rest of the batch waits.
                    reason = f"The connection broke while sending ({_os_reason(exc)}): it may not have arrived."
                    _settle(session, c, status=Status.UNCERTAIN, now=now, reason=reason, from_states=(Status.SENDING,))
                    report.add(Status.UNCERTAIN, reason)
                    for rest, _ in ready[index + 1 :]:
                        report.add(_retry_or_fail(session, rest, reason, now), reason)
                    break
                else:
                    _settle(
                        session,
                        c,
                        status=Status.SENT,
                        now=now,
                        via=channel.via,
                        from_states=(Status.SENDING, Status.UNCERTAIN),
                    )
                    report.add(Status.SENT)
    except Delivery as exc:  # could not connect or log in: everything stays queued, with the reason
        log.warning("mail not sent: %s", exc.reason)
        for c, _ in ready:
            report.add(_retry_or_fail(session, c, exc.reason, now), exc.reason)
    return report


def recover_stale(session: Session, now: datetime) -> tuple[int, int]:
    """Rows left by a worker that died: claimed but never handed over go back to the queue; those
    it was handing over are marked uncertain. Returns (requeued, uncertain)."""
    stale = now - LEASE
    requeued = rows_changed(
        session.execute(
            update(table_of(OutboxMessage))
            .where(_T.status == Status.CLAIMED.value, _T.claimed_at < stale)
            .values(
                status=Status.QUEUED.value,
                claim_token="",
                claimed_by="",
                last_error="A worker stopped before sending it; it was queued again.",
            )
        )
    )
    uncertain = rows_changed(
        session.execute(
            update(table_of(OutboxMessage))
            .where(_T.status == Status.SENDING.value, _T.claimed_at < stale)
            .values(
                status=Status.UNCERTAIN.value,
                last_error="A worker stopped while handing it to the mail server: it may not have arrived.",
            )
        )
    )
    session.commit()
    if requeued or uncertain:
        log.warning("recovered %s claimed message(s); %s uncertain", requeued, uncertain)
    return requeued, uncertain


def heartbeat(session: Session, worker: str, now: datetime) -> None:
    upsert(
        session,
        NotifyWorker,
        {"name": worker[:64], "started_at": now, "last_seen_at": now},
        conflict=["name"],
        update=["last_seen_at"],
    )
    session.commit()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


@dataclass
class Tick:
    escalations: int = 0
    digests: int = 0
    reminders: int = 0
    delivery: Report = field(default_factory=Report)


def tick(
    *,
    now: datetime | None = None,
    worker: str | None = None,
    transport=None,
    max_batches: int = 50,
    stop: threading.Event | None = None,
) -> Tick:
    """One pass of the worker: recover, schedule, deliver what is due (in batches)."""
    now = now or utcnow()
    worker = worker or worker_name()
    done = Tick()
    with session_scope() as session:
        heartbeat(session, worker, now)
        recover_stale(session, now)
        schedule_missed_alert_notices(session, now)
        done.escalations = schedule_escalations(session, now)
        done.digests = schedule_digests(session, now)
        done.reminders = schedule_reminders(session, now)
        for _ in range(max_batches):
            before = (
                done.delivery.sent
                + done.delivery.retried
                + done.delivery.failed
                + done.delivery.skipped
                + done.delivery.uncertain
                + done.delivery.deferred
            )
            deliver(session, worker=worker, now=now, transport=transport, report=done.delivery)
            after = (
                done.delivery.sent
                + done.delivery.retried
                + done.delivery.failed
                + done.delivery.skipped
                + done.delivery.uncertain
                + done.delivery.deferred
            )
            if after == before or (stop is not None and stop.is_set()):
                break
    return done


# --- what people type or choose here: checked by these forms (core/inputs.py) before anything is written ---

EMAIL_MAX = 254
LEADS_MAX = 200  # more therapists than any program has: a longer list is not a form's
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")


def _address(value: object) -> str:
    """A well-formed address (email_validator's rules; domain lower-cased), or a Problem beside the field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise inputs.Problem("Enter an email address.")
    if not isinstance(value, str) or len(value) > EMAIL_MAX * 2:
        raise inputs.Problem(N_("That doesn't look like an email address."))
    typed = value.strip()
    if len(typed) > EMAIL_MAX or inputs.unseen(typed):
        raise inputs.Problem(N_("That doesn't look like an email address."))
    local = typed.rpartition("@")[0]
    if local and not local.isascii():
        raise inputs.Problem(
            N_(
                "Our mail can't reach an address with accents or non-Latin letters before the @ "
                "(after it is fine). Please use another address."
            )
        )
    try:
        address = validate_email(typed, check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError:
        raise inputs.Problem(N_("That doesn't look like an email address (like name@example.org).")) from None
    if len(address) > EMAIL_MAX or inputs.unseen(address):  # normalising can change the length
        raise inputs.Problem(N_("That doesn't look like an email address."))
    return address


class EmailForm(inputs.Form):
    """A person's own address, or the admin's test address: refused at entry when malformed."""

    email: Annotated[str, inputs.Custom(_address, inputs.Limit(max_chars=EMAIL_MAX))]


def _minute(label: str, *, required: str | None = None) -> inputs.Check:
    """A time of day on the 5-minute mark (a `time` from the page, or "20:00"), stored as minutes after midnight."""

    def check(value: object) -> int | None:
        if value is None:
            if required:
                raise inputs.Problem(required)
            return None
        if isinstance(value, str):
            found = _TIME.fullmatch(value.strip()) if len(value) <= 16 else None
            try:
                hour, minute, second = (int(part) for part in found.groups(0)) if found else (-1, 0, 0)
                value = time(hour, minute, second) if found else None
            except ValueError:
                value = None
            if value is None:
                raise inputs.Problem(f"{label}: use a time like 20:00.")
        if type(value) is not time or value.tzinfo is not None:
            raise inputs.Problem(f"{label}: choose a time.")
        if value.second or value.microsecond or value.minute % REMINDER_STEP_MINUTES:
            raise inputs.Problem(f"{label}: choose a time on the {REMINDER_STEP_MINUTES}-minute mark.")
        return value.hour * 60 + value.minute

    return inputs.Custom(check)


class ReminderForm(inputs.Form):
    """A participant's reminders: three ticks, when they come, and quiet hours (both ends or neither)."""

    diary: Annotated[bool, inputs.Flag("Tick the reminders you want.")]
    checkup: Annotated[bool, inputs.Flag("Tick the reminders you want.")]
    homework: Annotated[bool, inputs.Flag("Tick the reminders you want.")]
    remind_at: Annotated[int, _minute("Reminder time", required="Choose when reminders come.")]
    quiet_start: Annotated[int | None, _minute("Quiet hours start")]
    quiet_end: Annotated[int | None, _minute("Quiet hours end")]


def _therapist_ids(value: object) -> tuple[int, ...]:
    if (
        not isinstance(value, list | tuple | set | frozenset)
        or len(value) > LEADS_MAX
        or not all(inputs.is_id(i) for i in value)
    ):
        raise inputs.Problem("Choose therapists from the list.")
    return tuple(sorted(set(value)))


class LeadsForm(inputs.Form):
    leads: Annotated[tuple[int, ...], inputs.Custom(_therapist_ids)]


class EscalationForm(inputs.Form):
    minutes: Annotated[
        int,
        inputs.Whole(
            *clinical.ESCALATION_MINUTES_RANGE,
            "Choose between {} and {} minutes.".format(*clinical.ESCALATION_MINUTES_RANGE),
            optional=False,
        ),
    ]


class MessageForm(inputs.Form):
    message: Annotated[int, inputs.RecordId("That message doesn't exist.")]


# --- the admin's side ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageRow:
    id: int
    kind: str
    to: str
    status: str
    attempts: int
    created_at: datetime
    due_at: datetime
    sent_at: datetime | None
    reason: str
    via: str


@dataclass(frozen=True)
class Overview:
    where: str
    counts: dict[str, int]
    rows: list[MessageRow]
    worker_seen_at: datetime | None
    escalation_minutes: int
    therapists: list[tuple[int, str, bool]]  # (id, name, is clinical lead)
    waiting_reason: str  # the newest reason a queued message gave, if any


def _admin_sees(actor: Actor) -> ColumnElement[bool]:
    """Which outbox messages an admin may read (or send again): their program's, and those with no
    program whose recipient is in their program. A message queued for someone with no program (an
    account made before it had one; a program-less admin's own test) carries no program: every
    program's admin used to see it, recipient's name and all. An admin with no program sees the
    program-less ones addressed to themselves and those addressed to no account (a test email a
    program-less admin sent from the Messages screen: typed address only; it vanished from their
    screen and could not be sent again). (No `program_id == None` here: that would read as IS NULL.)"""
    programless = col(OutboxMessage.program_id).is_(None)
    if actor.program_id is None:
        return and_(
            programless,
            or_(col(OutboxMessage.recipient_id) == actor.id, col(OutboxMessage.recipient_id).is_(None)),
        )
    ours = select(AppUser.id).where(col(AppUser.program_id) == actor.program_id)
    return or_(
        col(OutboxMessage.program_id) == actor.program_id,
        and_(programless, col(OutboxMessage.recipient_id).in_(ours)),
    )


def _admins_message(session: Session, actor: Actor, message_id: object) -> OutboxMessage | None:
    if not inputs.is_id(message_id):
        return None
    return session.exec(select(OutboxMessage).where(OutboxMessage.id == message_id, _admin_sees(actor))).first()


def overview(session: Session, actor: Actor, *, limit: int = 100) -> Overview:
    """The program's outbox for its admin: counts by status, the newest messages with their reason,
    whether a worker is alive, the escalation window and the clinical leads. No clinical content
    is in the outbox, so the admin may read all of it."""
    require_role(session, actor, Role.ADMIN, what="messages")
    record(session, actor, category="messages", action="read", collapse=timedelta(hours=1))
    program = session.get(Program, actor.program_id) if actor.program_id else None
    mine = _admin_sees(actor)
    counts = {
        status: n
        for status, n in session.exec(
            select(OutboxMessage.status, func.count(col(OutboxMessage.id))).where(mine).group_by(OutboxMessage.status)
        )
    }
    who = table_of(AppUser).alias("who")
    rows = [
        MessageRow(
            id_of(m),
            m.kind,
            (name or m.to_address or "—"),
            m.status,
            m.attempts,
            m.created_at,
            m.due_at,
            m.sent_at,
            m.last_error,
            m.sent_via,
        )
        for m, name in session.exec(
            select(OutboxMessage, who.c.name)
            .join(who, who.c.id == OutboxMessage.recipient_id, isouter=True)
            .where(mine)
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit)
        )
    ]
    waiting = (
        session.exec(
            select(OutboxMessage.last_error)
            .where(
                mine,
                OutboxMessage.status == Status.QUEUED.value,
                OutboxMessage.last_error != "",
                OutboxMessage.attempts > 0,
            )
            .order_by(col(OutboxMessage.due_at).desc())
        ).first()
        or ""
    )
    seen = session.exec(select(func.max(NotifyWorker.last_seen_at))).first()
    therapists = [
        (saved_id(uid), name, lead)
        for uid, name, lead in session.exec(
            select(AppUser.id, AppUser.name, AppUser.is_clinical_lead)
            .where(
                AppUser.program_id == actor.program_id,
                AppUser.role == Role.THERAPIST.value,
                col(AppUser.is_active).is_(True),
            )
            .order_by(AppUser.name)
        )
    ]
    return Overview(
        where_mail_goes(),
        counts,
        rows,
        seen,
        program.escalation_minutes if program else clinical.ESCALATION_MINUTES,
        therapists,
        waiting,
    )


def send_again(session: Session, actor: Actor, *, message_id: int, now: datetime | None = None) -> None:
    """The admin puts a failed or uncertain message back in the queue (for an uncertain one, after
    deciding a second copy is better than none)."""
    require_role(session, actor, Role.ADMIN, what="messages")
    row = _admins_message(session, actor, MessageForm.check(message=message_id).message)
    if row is None:
        raise ValidationError.one("message", "That message doesn't exist.")
    if row.status not in (Status.FAILED.value, Status.UNCERTAIN.value):
        raise ValidationError.one("message", "Only failed or uncertain messages can be sent again.")
    if row.kind == Kind.ESCALATION.value and row.recipient_id is None:
        raise ValidationError.one("message", "Name a clinical lead first: the next check escalates to them.")
    row.status, row.attempts, row.due_at = Status.QUEUED.value, 0, now or utcnow()
    row.claim_token, row.claimed_by = "", ""
    row.last_error = f"Sent again by the admin (was: {row.last_error})"[:ERROR_MAX]
    session.add(row)
    record(session, actor, category="messages", action="resend", ref=f"message:{row.id}")


def send_test(session: Session, actor: Actor, *, to: str, now: datetime | None = None, transport=None) -> MessageRow:
    """The admin's test button: one plain message sent now, through the same path as every other
    (recorded in the outbox like them). Returns how it went."""
    require_role(session, actor, Role.ADMIN, what="messages")
    address = EmailForm.check(email=to).email
    now = now or utcnow()
    row_id = enqueue(
        session,
        dedupe_key=f"test:{uuid.uuid4().hex}",
        kind=Kind.SMTP_TEST,
        subject="IOP Companion test email",
        body="This is a test from IOP Companion's Messages screen. If you can read it, email works.\n",
        to_address=address,
        program_id=actor.program_id,
        due_at=now - timedelta(seconds=1),
        now=now,
    )
    session.commit()
    record(session, actor, category="messages", action="test", ref=f"message:{row_id}")
    # Claim exactly this row (not other due messages) and send it through the ordinary path.
    token = uuid.uuid4().hex
    session.execute(
        update(table_of(OutboxMessage))
        .where(_T.id == row_id, _T.status == Status.QUEUED.value)
        .values(
            status=Status.CLAIMED.value, claimed_by=f"admin:{actor.id}", claim_token=token, claimed_at=now, attempts=1
        )
    )
    session.commit()
    m = session.get_one(OutboxMessage, row_id)
    _send_one(
        session,
        Claim(id_of(m), m.kind, m.dedupe_key, None, address, None, m.subject, m.body, 1, None, token),
        address,
        now,
        transport or transport_for(),
    )
    session.refresh(m)
    return MessageRow(
        id_of(m),
        m.kind,
        m.to_address,
        m.status,
        m.attempts,
        m.created_at,
        m.due_at,
        m.sent_at,
        m.last_error,
        m.sent_via,
    )


def _send_one(session: Session, claim_: Claim, address: str, now: datetime, transport) -> None:
    try:
        with transport as channel:
            _settle(session, claim_, status=Status.SENDING, now=now)
            try:
                channel.send(
                    build_email(
                        row_id=claim_.id,
                        dedupe_key=claim_.dedupe_key,
                        to=address,
                        subject=claim_.subject,
                        body=claim_.body,
                        now=now,
                    ),
                    claim_.id,
                )
            except smtplib.SMTPRecipientsRefused as exc:
                _settle(
                    session,
                    claim_,
                    status=Status.FAILED,
                    now=now,
                    from_states=(Status.SENDING,),
                    reason="The mail server refused the address: "
                    + "; ".join(f"{code} {_said(said)}" for code, said in exc.recipients.values()),
                )
            except smtplib.SMTPResponseException as exc:
                _settle(
                    session,
                    claim_,
                    status=Status.FAILED,
                    now=now,
                    from_states=(Status.SENDING,),
                    reason=f"The mail server answered {exc.smtp_code}: {_said(exc.smtp_error)}",
                )
            except (OSError, smtplib.SMTPException) as exc:
                _settle(
                    session,
                    claim_,
                    status=Status.UNCERTAIN,
                    now=now,
                    from_states=(Status.SENDING,),
                    reason=f"The connection broke while sending ({_os_reason(exc)}).",
                )
            else:
                _settle(session, claim_, status=Status.SENT, now=now, via=channel.via, from_states=(Status.SENDING,))
    except Delivery as exc:
        _settle(session, claim_, status=Status.FAILED, now=now, reason=exc.reason)


def maildrop_text(session: Session, actor: Actor, *, message_id: int) -> str | None:
    """The admin reads a message that went to the mail drop (their program's only)."""
    require_role(session, actor, Role.ADMIN, what="messages")
    row = _admins_message(session, actor, message_id)
    if row is None or row.sent_via != MailDrop.via:
        return None
    path = MailDrop(settings().maildrop_dir).path_for(id_of(row))
    try:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    except OSError:
        return None
    head = "\n".join(f"{name}: {message[name]}" for name in ("From", "To", "Subject", "Date") if message[name])
    return f"{head}\n\n{message.get_content()}"


def set_escalation_minutes(session: Session, actor: Actor, minutes: int) -> Program:
    require_role(session, actor, Role.ADMIN, what="program")
    minutes = EscalationForm.check(minutes=minutes).minutes
    program = session.get(Program, actor.program_id) if actor.program_id else None
    if program is None:
        raise ValidationError.one("minutes", "Your account is not attached to a program.")
    program.escalation_minutes = minutes
    session.add(program)
    record(session, actor, category="program", action="write")
    return program


def set_clinical_leads(session: Session, actor: Actor, therapist_ids: list[int]) -> None:
    """Which of the program's active therapists are its clinical leads (escalations go to them).
    A lead who was deactivated meanwhile is no longer one after the next save."""
    require_role(session, actor, Role.ADMIN, what="accounts")
    wanted = set(LeadsForm.check(leads=therapist_ids).leads)
    if actor.program_id is None:
        raise ValidationError.one("leads", "Your account is not attached to a program.")
    therapists = session.exec(
        select(AppUser).where(AppUser.program_id == actor.program_id, AppUser.role == Role.THERAPIST.value)
    ).all()
    if wanted - {t.id for t in therapists if t.is_active}:
        raise ValidationError.one("leads", "Choose therapists of your program.")
    for t in therapists:
        if t.is_clinical_lead != (t.id in wanted):
            t.is_clinical_lead = t.id in wanted
            session.add(t)
            record(session, actor, category="accounts", action="write", ref=f"user:{t.id}")
    session.commit()


# --- what a person sets: their email address, reminders, quiet hours --------------------------------


@dataclass(frozen=True)
class MySettings:
    email: str
    diary: bool
    checkup: bool
    homework: bool
    remind_at: time
    quiet_start: time | None
    quiet_end: time | None
    zone: str


def my_settings(session: Session, actor: Actor) -> MySettings:
    require_role(session, actor, Role.PARTICIPANT, Role.THERAPIST, what="accounts")
    from core.program import user_zone

    user = session.get_one(AppUser, actor.id)  # (require_role found the account)
    row = session.exec(select(NotificationSetting).where(NotificationSetting.user_id == actor.id)).first()
    row = row or NotificationSetting(user_id=actor.id, remind_minute=DEFAULT_REMIND_MINUTE)
    quiet = (_stored_minute(row.quiet_start_minute), _stored_minute(row.quiet_end_minute))
    return MySettings(
        user.email or "",
        row.diary_reminder,
        row.checkup_reminder,
        row.homework_reminder,
        _minute_time(_remind_minute(row.remind_minute)),
        _minute_time(quiet[0]) if quiet[0] is not None else None,
        _minute_time(quiet[1]) if quiet[1] is not None else None,
        user_zone(session, actor.id).key,
    )


def set_email(session: Session, actor: Actor, *, email: str) -> str:
    """A person's own address for notifications (refused at entry when malformed or taken)."""
    require_role(session, actor, Role.PARTICIPANT, Role.THERAPIST, what="accounts")
    address = EmailForm.check(email=email).email
    taken = session.exec(
        select(AppUser.id).where(func.lower(AppUser.email) == address.lower(), AppUser.id != actor.id)
    ).first()
    if taken is not None:
        raise ValidationError.one("email", N_("Another account already uses this email."))
    user = session.get_one(AppUser, actor.id)  # (require_role found the account)
    user.email = address
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # taken a moment ago by someone else
        session.rollback()
        raise ValidationError.one("email", N_("Another account already uses this email.")) from None
    record(session, actor, category="accounts", action="write", ref=f"user:{actor.id}")
    return address


def save_reminders(
    session: Session,
    actor: Actor,
    *,
    diary: bool,
    checkup: bool,
    homework: bool,
    remind_at: object,
    quiet_start: object = None,
    quiet_end: object = None,
) -> MySettings:
    """A participant's reminders (opt-in), the time they come (in their own zone) and quiet hours."""
    require_role(session, actor, Role.PARTICIPANT, what="accounts")
    errors: dict[str, str] = {}
    flags = {
        name: ReminderForm.value(name, value, errors)
        for name, value in (("diary", diary), ("checkup", checkup), ("homework", homework))
    }
    minute = ReminderForm.value("remind_at", remind_at, errors)
    start = ReminderForm.value("quiet_start", quiet_start, errors)
    end = ReminderForm.value("quiet_end", quiet_end, errors)
    if (start is None) != (end is None) and "quiet_start" not in errors and "quiet_end" not in errors:
        errors["quiet_end" if end is None else "quiet_start"] = N_("Give both ends of your quiet hours, or neither.")
    elif start is not None and start == end:
        errors["quiet_end"] = N_("Quiet hours need to end at a different time from when they start.")
    elif minute is not None and in_quiet_hours(minute, start, end):
        errors["remind_at"] = N_("That time is inside your quiet hours: choose another, or change the quiet hours.")
    user = session.get_one(AppUser, actor.id)  # (require_role found the account)
    if not errors and any(flags.values()) and not user.email:
        errors["email"] = N_("Add your email address first, so the reminders have somewhere to go.")
    if errors:
        raise ValidationError(errors)
    upsert(
        session,
        NotificationSetting,
        {
            "user_id": actor.id,
            "diary_reminder": flags["diary"],
            "checkup_reminder": flags["checkup"],
            "homework_reminder": flags["homework"],
            "remind_minute": minute,
            "quiet_start_minute": start,
            "quiet_end_minute": end,
            "updated_at": utcnow(),
        },
        conflict=["user_id"],
        update=[
            "diary_reminder",
            "checkup_reminder",
            "homework_reminder",
            "remind_minute",
            "quiet_start_minute",
            "quiet_end_minute",
            "updated_at",
        ],
    )
    session.commit()
    record(session, actor, category="accounts", action="write", ref=f"user:{actor.id}")
    return my_settings(session, actor)


def remind_minute_of(session: Session, user_id: int) -> int:
    """When a person's daily card reminder comes (their choice, else 8 pm): the calendar feed too."""
    minute = session.exec(
        select(NotificationSetting.remind_minute).where(NotificationSetting.user_id == user_id)
    ).first()
    return _remind_minute(minute)


# --- what therapists see: an alert's notifications, escalations waiting for a lead ------------------


@dataclass(frozen=True)
class Notice:
    kind: str
    to: str
    status: str
    at: datetime  # when it was sent, else when it was queued
    reason: str

    @property
    def words(self) -> str:
        what = {
            Kind.URGENT_ALERT.value: "Emailed",
            Kind.TODAY_ALERT.value: "Emailed",
            Kind.ESCALATION.value: "Escalated to",
        }.get(self.kind, "Told")
        return f"{what} {self.to}: {STATUS_WORDS.get(Status(self.status), self.status).lower()}"


def alert_notices(session: Session, actor: Actor, alert_ids: list[int]) -> dict[int, list[Notice]]:
    """Every notification and escalation sent (or tried) for these alerts, oldest first — for
    the therapist's own caseload only (one query)."""
    require_role(session, actor, Role.THERAPIST, what="alerts")
    ids = [i for i in alert_ids if isinstance(i, int) and not isinstance(i, bool)]
    found: dict[int, list[Notice]] = defaultdict(list)
    if not ids:
        return found
    who = table_of(AppUser).alias("who")
    rows = session.exec(
        select(OutboxMessage, who.c.name, who.c.is_clinical_lead)
        .join(Alert, col(Alert.id) == OutboxMessage.alert_id)
        .join(CaseloadAssignment, col(CaseloadAssignment.participant_id) == Alert.participant_id)
        .join(who, who.c.id == OutboxMessage.recipient_id, isouter=True)
        .where(col(OutboxMessage.alert_id).in_(ids), CaseloadAssignment.therapist_id == actor.id)
        .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
    ).all()
    for m, name, lead in rows:
        if m.alert_id is None:  # (the query asked for these alerts' messages only)
            continue
        found[m.alert_id].append(notice_of(m, name, lead, actor.id))
    return found


def notice_of(m: OutboxMessage, name: str | None, lead: bool | None, viewer_id: int) -> Notice:
    """One notice of `alert_notices`, as the therapist reads it (core.review reads the alerts with
    their notices in one statement)."""
    to = (
        "you"
        if m.recipient_id == viewer_id
        else f"{name} (clinical lead)"
        if lead and m.kind == Kind.ESCALATION.value
        else name or "nobody"
    )
    return Notice(m.kind, to, m.status, m.sent_at or m.created_at, m.last_error)


@dataclass(frozen=True)
class Waiting:
    alert_ref: str
    therapist: str
    therapist_email: str
    opened_at: datetime
    escalated_at: datetime


def escalations_for_lead(session: Session, actor: Actor) -> list[Waiting]:
    """For a clinical lead: urgent alerts escalated to them and still not acknowledged — whose
    caseload and since when, never the participant or what was entered (that stays with the
    participant's therapist, whom the lead contacts)."""
    require_role(session, actor, Role.THERAPIST, what="alerts")
    therapist = table_of(AppUser).alias("therapist")
    rows = session.execute(
        core_select(
            col(Alert.id), therapist.c.name, therapist.c.email, col(Alert.opened_at), col(OutboxMessage.created_at)
        )
        .join(OutboxMessage, col(OutboxMessage.alert_id) == Alert.id)
        .join(CaseloadAssignment, col(CaseloadAssignment.participant_id) == Alert.participant_id)
        .join(therapist, therapist.c.id == CaseloadAssignment.therapist_id)
        .where(
            col(OutboxMessage.kind) == Kind.ESCALATION.value,
            col(OutboxMessage.recipient_id) == actor.id,
            col(Alert.acknowledged_at).is_(None),
            col(Alert.resolved_at).is_(None),
        )
        .order_by(col(Alert.opened_at))
    ).all()
    if rows:
        record(session, actor, category="alerts", action="read_escalations")
    return [
        Waiting(f"alert:{alert_id}", name, email or "", opened, escalated)
        for alert_id, name, email, opened, escalated in rows
    ]


def is_clinical_lead(session: Session, actor: Actor) -> bool:
    return bool(session.exec(select(AppUser.is_clinical_lead).where(AppUser.id == actor.id)).first())


# --- the worker process ------------------------------------------------------------------------------


def run(*, interval: float = TICK_SECONDS, once: bool = False, stop: threading.Event | None = None) -> int:
    """Tick until stopped (SIGTERM/SIGINT finish the message in hand, then exit)."""
    stop = stop or threading.Event()
    worker = worker_name()
    log.info("notification worker %s started; mail goes: %s", worker, where_mail_goes())
    while True:
        try:
            done = tick(worker=worker, stop=stop)
            d = done.delivery
            if d.sent or d.failed or d.retried or d.uncertain or d.skipped:
                log.info(
                    "sent %s, will retry %s, failed %s, uncertain %s, not needed %s%s",
                    d.sent,
                    d.retried,
                    d.failed,
                    d.uncertain,
                    d.skipped,
                    f" ({d.reasons[0]})" if d.reasons else "",
                )
        except Exception:  # a database outage must not stop the worker; it tries again
            log.exception("notification tick failed; trying again in %ss", interval)
        if once or stop.wait(interval):
            return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m core.notify", description="Send IOP Companion's queued emails and reminders."
    )
    parser.add_argument("--once", action="store_true", help="one pass, then exit (for cron or a test)")
    parser.add_argument("--interval", type=float, default=TICK_SECONDS, help="seconds between passes")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("IOP_LOG_LEVEL", "INFO").upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings()  # refuse an unsafe configuration before doing anything
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return run(interval=max(args.interval, 0.2), once=args.once, stop=stop)


if __name__ == "__main__":
    raise SystemExit(main())
