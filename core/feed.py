"""A person's private calendar: an iCalendar feed at an address nobody can guess, that stops
working the moment its owner turns it off.

A phone calendar that subscribes to the address reminds the participant of their diary card (an
event every day at their reminder time, with an alarm), their check-ups and their homework due
dates — with no push service and no app on the phone. A therapist's feed shows how many check-ups
and homework fall due on their caseload each day. Titles say only "Diary card", "Check-up",
"Homework": a calendar is synced to servers the program does not control, so nothing clinical and
no name ever goes into one.

The address carries a random 256-bit token; only its keyed hash is stored (core/codes.py), so a
copy of the database does not give anyone the addresses. Turning the feed off (or making a new
link) clears the hash in the same statement that answers "done", and every request looks the
token up afresh: an old address answers 404, with no detail, at once.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from icalendar import Alarm, Calendar, Event
from sqlmodel import Session, col, select

from core import clinical, codes, i18n
from core.access import Actor, Category, record, record_many, require_role
from core.config import settings
from core.db import upsert
from core.enrolment import not_discharged
from core.errors import ValidationError
from core.i18n import N_, _
from core.models import (
    AppUser,
    CalendarFeed,
    CaseloadAssignment,
    Discharge,
    Homework,
    PracticeEntry,
    Program,
    Role,
    ThoughtRecord,
    saved_id,
    utcnow,
)
from core.program import user_zone

PURPOSE = "calendar-feed"
PATH = "/iop/calendar"
TOKEN_BYTES = 32
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # what secrets.token_urlsafe(32) makes, nothing else
FEED_ROLES = (Role.PARTICIPANT, Role.THERAPIST)
DAYS_AHEAD = 60  # how far ahead homework and check-ups are listed
CARD_MINUTES = 10


def feed_url(token: str) -> str:
    return f"{settings().public_url}{PATH}/{token}.ics"


def webcal_url(url: str) -> str:
    """The same address as `webcal://`, which phones open in their calendar app to subscribe."""
    return "webcal://" + url.split("://", 1)[1]


@dataclass(frozen=True)
class FeedStatus:
    on: bool
    since: datetime | None
    closed: bool = False  # a discharged participant: no feed to offer (its address would answer 404)


def feed_status(session: Session, actor: Actor) -> FeedStatus:
    require_role(session, actor, *FEED_ROLES, what="accounts")
    row = session.exec(select(CalendarFeed).where(CalendarFeed.user_id == actor.id)).first()
    closed = actor.role is Role.PARTICIPANT and _discharged(session, actor.id)
    on = row is not None and row.token_hash is not None and not closed
    return FeedStatus(on, row.created_at if row is not None and on else None, closed)


def closed_message() -> str:
    """Why a discharged participant has no calendar feed (shown instead of the button)."""
    return i18n._("Your program has ended, so there is no calendar to add any more: the reminders stopped with it.")


def turn_on(session: Session, actor: Actor, *, now: datetime | None = None) -> str:
    """A new private address (any earlier one stops working). Returned once: only its hash is kept."""
    require_role(session, actor, *FEED_ROLES, what="accounts")
    if actor.role is Role.PARTICIPANT and _discharged(session, actor.id):
        raise ValidationError.one("calendar", closed_message())  # its address would only answer 404
    token = secrets.token_urlsafe(TOKEN_BYTES)
    upsert(
        session,
        CalendarFeed,
        {
            "user_id": actor.id,
            "token_hash": codes.secret_hash(PURPOSE, token),
            "created_at": now or utcnow(),
            "revoked_at": None,
        },
        conflict=["user_id"],
        update=["token_hash", "created_at", "revoked_at"],
    )
    session.commit()
    record(session, actor, category="accounts", action="calendar_on", ref=f"user:{actor.id}")
    return feed_url(token)


def turn_off(session: Session, actor: Actor, *, now: datetime | None = None) -> None:
    require_role(session, actor, *FEED_ROLES, what="accounts")
    row = session.exec(select(CalendarFeed).where(CalendarFeed.user_id == actor.id)).first()
    if row is not None and row.token_hash is not None:
        row.token_hash, row.revoked_at = None, now or utcnow()
        session.add(row)
        session.commit()
    record(session, actor, category="accounts", action="calendar_off", ref=f"user:{actor.id}")


def owner_of(session: Session, token: object) -> Actor | None:
    """Whose feed this token opens: None for anything that is not a live token of an active
    participant or therapist (malformed, unknown, turned off, account deactivated, discharged)."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    user = session.exec(
        select(AppUser)
        .join(CalendarFeed, col(CalendarFeed.user_id) == AppUser.id)
        .where(CalendarFeed.token_hash == codes.secret_hash(PURPOSE, token))
    ).first()
    if user is None or not user.is_active or user.role not in {r.value for r in FEED_ROLES}:
        return None
    if user.role == Role.PARTICIPANT.value and _discharged(session, saved_id(user.id)):
        return None  # the program is over for them: no more reminders (core/enrolment.py)
    return Actor.of(user)


def _discharged(session: Session, user_id: int) -> bool:
    return session.exec(select(Discharge.id).where(Discharge.participant_id == user_id)).first() is not None


def calendar_for_token(session: Session, token: object, *, now: datetime | None = None) -> bytes | None:
    """The .ics for a feed address, or None (the route answers 404 with no detail)."""
    actor = owner_of(session, token)
    if actor is None:
        return None
    now = now or utcnow()
    if actor.role is Role.PARTICIPANT:  # in the language they read the app in (titles only)
        with i18n.using(session.exec(select(AppUser.language).where(AppUser.id == actor.id)).one()):
            return participant_calendar(session, actor, now=now).to_ical()
    return therapist_calendar(session, actor, now=now).to_ical()


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//IOP Companion//Private calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    return cal


def _all_day(uid: str, day: date, title: str, link: str, now: datetime, *, alarm_at: timedelta | None = None) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("summary", title)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    event.add("url", link)
    event.add("description", f"Open IOP Companion: {link}")
    if alarm_at is not None:
        event.add_component(_alarm(title, alarm_at))
    return event


def _alarm(title: str, trigger: timedelta) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", title)
    alarm.add("trigger", trigger)
    return alarm


def participant_calendar(session: Session, actor: Actor, *, now: datetime) -> Calendar:
    """The daily diary card at the participant's reminder time (with an alarm), check-up due days
    and homework due days. Read as the participant themselves, through the gate (audited)."""
    from core import checkups, practice
    from core.notify import remind_minute_of

    zone = user_zone(session, actor.id)
    today = now.astimezone(zone).date()
    base = settings().public_url
    cal = _calendar("IOP Companion")
    user = session.get(AppUser, actor.id)
    if user is None:  # (accounts are deactivated, never deleted: owner_of refuses those first)
        return cal
    program = session.get(Program, user.program_id) if user.program_id else None
    feed = session.exec(select(CalendarFeed).where(CalendarFeed.user_id == actor.id)).first()
    minute = remind_minute_of(session, actor.id)
    first = min(feed.created_at.astimezone(zone).date() if feed else today, today)
    card = Event()
    card.add("uid", f"diary-card-{actor.id}@iop-companion")
    card.add("dtstamp", now)
    card.add("summary", _("Diary card"))
    card.add("dtstart", datetime.combine(first, time(minute // 60, minute % 60), zone))
    card.add("duration", timedelta(minutes=CARD_MINUTES))
    rule: dict[str, object] = {"freq": "daily"}
    if program and user.started_on:
        last = user.started_on + timedelta(weeks=clinical.program_weeks(program.length_weeks))
        if last >= first:
            rule["until"] = datetime.combine(last, time(23, 59), zone)
    card.add("rrule", rule)
    card.add("url", f"{base}/today")
    card.add("description", _("A minute for today's card: {url}").format(url=f"{base}/today"))
    card.add_component(_alarm(_("Diary card"), timedelta(0)))
    cal.add_component(card)

    days = set()
    for status in checkups.statuses(session, actor, actor.id, today):
        day = status.due_day if status.is_due else status.next_day
        if day is not None and day <= today + timedelta(days=DAYS_AHEAD):
            days.add(max(day, today) if status.is_due else day)
    for day in sorted(days):
        cal.add_component(
            _all_day(
                f"checkup-{actor.id}-{day}@iop-companion",
                day,
                _("Check-up"),
                f"{base}/checkups",
                now,
                alarm_at=timedelta(minutes=minute),
            )
        )
    homework = {
        h.due_on
        for h in practice.homework_for(session, actor, actor.id, include_done=False)
        if h.due_on is not None and today <= h.due_on <= today + timedelta(days=DAYS_AHEAD)
    }
    for day in sorted(homework):
        cal.add_component(
            _all_day(
                f"homework-{actor.id}-{day}@iop-companion",
                day,
                _("Homework"),
                f"{base}/skills",
                now,
                alarm_at=timedelta(minutes=minute),
            )
        )
    for event in session_events(session, actor, actor.id, today, now):
        cal.add_component(event)
    cal.add_missing_timezones(first_date=first - timedelta(days=1), last_date=today + timedelta(days=400))
    return cal


SESSION_TITLES = {"group": N_("Group session"), "individual": N_("Individual session"), "family": N_("Family session")}
SESSION_TITLE = N_("Session")  # a kind the titles do not know
SESSIONS_BEHIND_DAYS = 7  # a week of past sessions stays on the calendar


def _timed(uid: str, starts: datetime, ends: datetime, title: str, link: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("summary", title)
    event.add("dtstart", starts)
    event.add("dtend", ends)
    event.add("url", link)
    event.add("description", f"Open IOP Companion: {link}")
    return event


def session_events(session: Session, actor: Actor, participant_id: int, today: date, now: datetime) -> list[Event]:
    """The participant's program sessions (core/schedule.py) from a week ago to DAYS_AHEAD, titled by
    kind only ("Group session"): a group's topic can say what the program treats, so it stays out."""
    from core import schedule

    base = settings().public_url
    return [
        _timed(
            f"session-{s.id}@iop-companion",
            s.starts_at,
            s.ends_at,
            _(SESSION_TITLES.get(s.kind, SESSION_TITLE)),
            f"{base}/today",
            now,
        )
        for s in schedule.sessions_between(
            session,
            actor,
            participant_id,
            today - timedelta(days=SESSIONS_BEHIND_DAYS),
            today + timedelta(days=DAYS_AHEAD),
        )
    ]


def caseload_session_events(session: Session, actor: Actor, today: date, now: datetime) -> list[Event]:
    """The therapist's sessions: one event per session time and kind, with how many of their caseload
    are expected (a count, never names). One aggregate query joined on their own assignments."""
    from sqlalchemy import func

    from core.models import ProgramSession

    require_role(session, actor, Role.THERAPIST, what="caseload")
    rows = session.exec(
        select(
            ProgramSession.kind,
            ProgramSession.starts_at,
            ProgramSession.ends_at,
            func.count(col(ProgramSession.id)),
        )
        .join(CaseloadAssignment, col(CaseloadAssignment.participant_id) == col(ProgramSession.participant_id))
        .where(
            CaseloadAssignment.therapist_id == actor.id,
            ProgramSession.day >= today - timedelta(days=SESSIONS_BEHIND_DAYS),
            ProgramSession.day <= today + timedelta(days=DAYS_AHEAD),
        )
        .group_by(col(ProgramSession.kind), col(ProgramSession.starts_at), col(ProgramSession.ends_at))
        .order_by(col(ProgramSession.starts_at))
    ).all()
    base = settings().public_url
    return [
        _timed(
            f"caseload-session-{actor.id}-{kind}-{starts:%Y%m%dT%H%M}@iop-companion",
            starts,
            ends,
            f"{SESSION_TITLES.get(kind, 'Session')} ({count})",
            f"{base}/attendance",
            now,
        )
        for kind, starts, ends, count in rows
    ]


def therapist_calendar(session: Session, actor: Actor, *, now: datetime) -> Calendar:
    """How many check-ups and homework fall due on the caseload each day (counts, never names).
    A fixed number of queries whatever the caseload."""
    from core.notify import checkup_schedule

    require_role(session, actor, Role.THERAPIST, what="caseload")
    zone = user_zone(session, actor.id)
    today = now.astimezone(zone).date()
    horizon = today + timedelta(days=DAYS_AHEAD)
    base = settings().public_url
    cal = _calendar("IOP Companion caseload")
    people = session.exec(
        select(AppUser.id, AppUser.program_id)
        .join(CaseloadAssignment, col(CaseloadAssignment.participant_id) == AppUser.id)
        .where(
            CaseloadAssignment.therapist_id == actor.id,
            col(AppUser.is_active).is_(True),
            not_discharged(col(AppUser.id)),
        )
    ).all()
    ids = [saved_id(pid) for pid, _ in people]
    checkups: dict[date, set[int]] = defaultdict(set)
    for pid, statuses in checkup_schedule(
        session, [(saved_id(pid), program_id, today) for pid, program_id in people]
    ).items():
        for status in statuses:
            day = max(status.due_day, today) if status.is_due else status.next_day
            if day is not None and day <= horizon and status.due_slot != "p0":
                checkups[day].add(pid)
    homework: dict[date, set[int]] = defaultdict(set)
    rows = (
        session.exec(
            select(Homework).where(
                col(Homework.participant_id).in_(ids),
                col(Homework.removed_at).is_(None),
                col(Homework.due_on) >= today,
                col(Homework.due_on) <= horizon,
            )
        ).all()
        if ids
        else []
    )
    if rows:
        since = min(h.assigned_at for h in rows)
        done = defaultdict(list)
        for pid, skill_id, at in session.exec(
            select(PracticeEntry.participant_id, PracticeEntry.skill_id, PracticeEntry.created_at).where(
                col(PracticeEntry.participant_id).in_(ids), PracticeEntry.created_at >= since
            )
        ):
            done[pid].append((skill_id, at))
        for pid, at in session.exec(
            select(ThoughtRecord.participant_id, ThoughtRecord.created_at).where(
                col(ThoughtRecord.participant_id).in_(ids), ThoughtRecord.created_at >= since
            )
        ):
            done[pid].append(("thought_record", at))
        for h in rows:
            if h.due_on is None:  # (the query asked for homework due in the coming days only)
                continue
            if not any(skill == h.skill_id and at >= h.assigned_at for skill, at in done[h.participant_id]):
                homework[h.due_on].add(h.participant_id)
    shown = sorted(set().union(*checkups.values(), *homework.values()))
    record_many(session, actor, shown, category=Category.HOMEWORK, action="read_summary")
    for day, who in sorted(checkups.items()):
        cal.add_component(
            _all_day(
                f"caseload-checkups-{actor.id}-{day}@iop-companion",
                day,
                f"Check-ups due ({len(who)})",
                f"{base}/caseload",
                now,
            )
        )
    for event in caseload_session_events(session, actor, today, now):
        cal.add_component(event)
    for day, who in sorted(homework.items()):
        cal.add_component(
            _all_day(
                f"caseload-homework-{actor.id}-{day}@iop-companion",
                day,
                f"Homework due ({len(who)})",
                f"{base}/caseload",
                now,
            )
        )
    return cal
