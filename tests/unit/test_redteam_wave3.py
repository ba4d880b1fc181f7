"""Red team, wave 3 (core and routes): odd data in the notification worker, the login-cookie and
calendar-feed routes. Each test either failed before its fix (said in its docstring) or keeps an
attempt that found nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import notify
from core.models import AppUser, NotificationSetting
from core.notify import Kind, Status
from tests.smtp_server import smtp_server, use_smtp
from tests.unchecked import lift_range_checks
from tests.unit.test_notify import DAY, EVENING, _outbox, _staff, _urgent_card


@pytest.mark.parametrize(
    "odd",
    [
        {"remind_minute": 24 * 60},  # 24:00, written by a script or an old import, not by the form
        {"remind_minute": -1},
    ],
)
def test_one_odd_reminder_row_does_not_stop_urgent_alert_emails(session, people, monkeypatch, odd):
    """A reminder setting out of range (the form never writes one; the table has no CHECK) made
    `time(24, 0)` raise inside schedule_reminders, every tick, before delivery: no email left the
    outbox for anyone, urgent alerts included, while the worker logged the same error forever."""
    _staff(session, people)
    quinn = people.participant()
    odd_one = people.participant("odd", name="Odd Row")
    row = session.get(AppUser, odd_one.id)
    row.email = "odd@example.org"
    session.add(row)
    lift_range_checks(session, "notification_setting")  # (the table refuses it since 0016: the reader still copes)
    session.add(NotificationSetting(user_id=odd_one.id, diary_reminder=True, **odd))
    session.commit()
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        _urgent_card(session, quinn)
        for minutes in (0, 1, 2):  # the odd row's moment, whatever the tick, may come around
            notify.tick(now=EVENING + timedelta(minutes=minutes, seconds=5))
    urgent = _outbox(session, kind=Kind.URGENT_ALERT)
    assert [m.status for m in urgent] == [Status.SENT]
    assert len(inbox.messages) >= 1


def test_odd_quiet_hours_do_not_stop_delivery_to_everyone(session, people, monkeypatch):
    """Quiet hours out of range (0 to 99:00) put every moment "in quiet hours", and the end of them
    raised `time(99, 0)` while delivering that person's reminder: the tick stopped there, every tick."""
    _staff(session, people)
    quinn = people.participant()
    odd_one = people.participant("odd", name="Odd Row")
    row = session.get(AppUser, odd_one.id)
    row.email = "odd@example.org"
    session.add(row)
    lift_range_checks(session, "notification_setting")
    session.add(
        NotificationSetting(user_id=odd_one.id, diary_reminder=True, quiet_start_minute=0, quiet_end_minute=99 * 60)
    )
    notify.enqueue(
        session,
        dedupe_key=f"diary:{odd_one.id}:{DAY}",
        kind=Kind.DIARY_REMINDER,
        subject="s",
        body="b",
        recipient_id=odd_one.id,
        program_id=people.program.id,
        now=EVENING,
    )
    session.commit()
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        _urgent_card(session, quinn)
        notify.tick(now=EVENING + timedelta(seconds=5))
    assert [m.status for m in _outbox(session, kind=Kind.URGENT_ALERT)] == [Status.SENT]
    assert [m.status for m in _outbox(session, kind=Kind.DIARY_REMINDER)] == [Status.SENT]  # no quiet hours


def test_an_odd_reminder_row_still_shows_the_persons_settings_and_calendar(session, people):
    """The same odd row broke the person's own Reminders screen (my_settings) and their calendar feed."""
    from core import feed

    quinn = people.participant()
    lift_range_checks(session, "notification_setting")
    session.add(NotificationSetting(user_id=quinn.id, remind_minute=24 * 60, quiet_start_minute=-5, quiet_end_minute=7))
    session.commit()
    mine = notify.my_settings(session, quinn)
    assert (mine.remind_at.hour, mine.quiet_start, mine.quiet_end) == (20, None, mine.quiet_end)
    url = feed.turn_on(session, quinn)
    body = feed.calendar_for_token(session, url.rsplit("/", 1)[1].removesuffix(".ics"))
    assert body is not None and b"BEGIN:VCALENDAR" in body


# --- the login-cookie and calendar routes (ui/session_routes.py, ui/feed_routes.py), called as ASGI ---


def _call(handler, body: bytes | list[bytes] = b"", *, headers=None, method="POST", path_params=None):
    """One request to a route handler, as the server passes it; returns (response, chunks left unread)."""
    import asyncio
    import threading

    from starlette.requests import Request

    scope = {
        "type": "http",
        "method": method,
        "path": "/",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "query_string": b"",
        "scheme": "http",
        "server": ("testserver", 80),
        "path_params": path_params or {},
    }
    chunks = [body] if isinstance(body, bytes) else list(body)

    async def receive():
        if chunks:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    # In a thread of its own: a browser test earlier on this worker (Playwright's sync API) leaves an
    # event loop running on this thread, where asyncio.run() refuses to start.
    got = []
    worker = threading.Thread(target=lambda: got.append(asyncio.run(handler(Request(scope, receive)))))
    worker.start()
    worker.join()
    return got[0], len(chunks)


@pytest.mark.parametrize(
    "body",
    [b"null", b"[]", b"1", b'"x"', b'{"code": {"a": 1}}', b'{"code": "\\u0000"}', b"\xff\xfe", b'{"code": 12}'],
)
def test_the_cookie_route_answers_odd_bodies_without_a_cookie(database_url, body):
    from ui import session_routes

    response, _left = _call(session_routes.set_login_cookie, body)
    assert response.status_code in (400, 410) and "set-cookie" not in response.headers


def test_a_deeply_nested_body_is_a_bad_request_not_a_server_error(database_url):
    """1,000 '[' fit in the 1 KB a hand-off may be: json.loads raised RecursionError, which the route
    did not catch (only ValueError and the like), so anyone could make the server log a traceback and
    answer 500."""
    from ui import session_routes

    response, _left = _call(session_routes.set_login_cookie, b"[" * 1000)
    assert response.status_code == 400


def test_a_huge_body_is_refused_before_it_is_all_read(database_url):
    """The route read the whole body (up to the server's upload limit, 200 MB) before checking its
    1 KB limit: anyone, logged in or not, could make the server hold that much per request."""
    from ui import session_routes

    response, left = _call(session_routes.set_login_cookie, [b"x" * 1024] * 1000)
    assert response.status_code == 413
    assert left > 990  # stopped reading soon after the limit


@pytest.mark.parametrize(
    "token",
    ["", "../../etc/passwd", "A" * 42 + "\x00", "A" * 43 + "\n", "٣" * 43, "A" * 10_000, "%41" * 15, "A" * 44],
)
def test_the_calendar_route_answers_a_bare_404_to_any_odd_token(database_url, token):
    from ui import feed_routes

    response, _left = _call(feed_routes.calendar_feed, method="GET", path_params={"token": token})
    assert response.status_code == 404 and response.body == b""
    assert response.headers["cache-control"] == "no-store"


def test_a_turned_off_feed_and_a_discharged_owner_answer_404(session, people):
    from core import feed
    from ui import feed_routes

    quinn = people.participant()
    token = feed.turn_on(session, quinn).rsplit("/", 1)[1].removesuffix(".ics")
    ok, _ = _call(feed_routes.calendar_feed, method="GET", path_params={"token": token})
    assert ok.status_code == 200 and b"BEGIN:VCALENDAR" in ok.body
    feed.turn_off(session, quinn)
    gone, _ = _call(feed_routes.calendar_feed, method="GET", path_params={"token": token})
    assert gone.status_code == 404 and gone.body == b""


def test_twenty_simultaneous_new_feed_links_leave_one_row_and_one_live_address(engine, session, people):
    """A double (or twentyfold) tap on "Make a new link": one feed row, and exactly one of the
    addresses handed out still opens (each new one stops the last)."""
    import threading

    from sqlmodel import Session, func, select

    from core import feed
    from core.models import CalendarFeed

    quinn = people.participant()
    barrier, urls, errors = threading.Barrier(20), [], []

    def tap():
        try:
            with Session(engine, expire_on_commit=False) as own:
                barrier.wait()
                urls.append(feed.turn_on(own, quinn))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=tap) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    session.expire_all()
    assert session.exec(select(func.count()).select_from(CalendarFeed)).one() == 1
    live = [u for u in urls if feed.owner_of(session, u.rsplit("/", 1)[1].removesuffix(".ics")) is not None]
    assert len(urls) == 20 and len(live) == 1


def test_an_admin_cannot_reach_another_programs_people_or_messages(session, demo, people):
    """The demo program's admin with the ids of another program's participant, therapist and outbox
    message: every admin action refuses (nothing written, nothing read), never an error of another kind."""
    from datetime import date

    from sqlmodel import select

    from core import accounts, auth, enrolment, program
    from core.access import Actor
    from core.errors import AccessDenied, ValidationError
    from core.models import CaseloadAssignment, Discharge, OutboxMessage

    admin = Actor.of(session.exec(select(AppUser).where(AppUser.username == "admin")).one())
    rivera = session.exec(select(AppUser).where(AppUser.username == "dr.rivera")).one()
    theirs = people.participant()
    their_therapist = people.therapist
    message = notify.enqueue(
        session,
        dedupe_key="other:1",
        kind=Kind.DIARY_REMINDER,
        subject="s",
        body="b",
        recipient_id=theirs.id,
        program_id=people.program.id,
        status=Status.FAILED,
    )
    session.commit()
    refused = (AccessDenied, ValidationError)
    attempts = [
        lambda: accounts.set_active(session, admin, user_id=theirs.id, active=False),
        lambda: accounts.assign_therapist(session, admin, participant_id=theirs.id, therapist_id=rivera.id),
        lambda: accounts.assign_therapist(session, admin, participant_id=theirs.id, therapist_id=their_therapist.id),
        lambda: auth.issue_reset_code(session, admin, user_id=theirs.id),
        lambda: auth.unlock(session, admin, user_id=their_therapist.id),
        lambda: notify.send_again(session, admin, message_id=message),
        lambda: notify.set_clinical_leads(session, admin, [their_therapist.id]),
        lambda: program.participant_overview(session, admin, theirs.id),
        lambda: enrolment.discharge(
            session, admin, participant_id=theirs.id, day=date.today(), status="completed", today=date.today()
        ),
    ]
    for attempt in attempts:
        with pytest.raises(refused):
            attempt()
        session.rollback()
    assert notify.maildrop_text(session, admin, message_id=message) is None
    session.expire_all()
    mine = session.get(AppUser, theirs.id)
    assert mine.is_active and not session.get(AppUser, their_therapist.id).is_clinical_lead
    assert (
        session.exec(
            select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == theirs.id)
        ).one()
        == their_therapist.id
    )
    assert session.get(OutboxMessage, message).status == Status.FAILED
    assert session.exec(select(Discharge).where(Discharge.participant_id == theirs.id)).first() is None
    seen = notify.overview(session, admin)
    assert message not in [r.id for r in seen.rows]
    assert their_therapist.id not in [t[0] for t in seen.therapists]


@pytest.mark.parametrize(
    "address", ["odd@example.org\r\nBcc: evil@example.net", "odd@exa mple.org", "", "not an address", "ödd@例え.jp"]
)
def test_one_odd_stored_address_does_not_stop_urgent_alert_emails(session, people, monkeypatch, address):
    """An address written straight into the table (an import, a script; the form refuses these) on a
    message queued before the urgent one: that message fails or is skipped on its own, the urgent alert
    still goes, and no second header ever reaches the mail server."""
    _staff(session, people)
    quinn = people.participant()
    odd_one = people.participant("odd", name="Odd Row")
    row = session.get(AppUser, odd_one.id)
    row.email = address
    session.add(row)
    notify.enqueue(
        session,
        dedupe_key=f"checkup:{odd_one.id}:{DAY}",
        kind=Kind.CHECKUP_REMINDER,
        subject="s",
        body="b",
        recipient_id=odd_one.id,
        program_id=people.program.id,
        now=EVENING - timedelta(minutes=1),
    )
    session.commit()
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        _urgent_card(session, quinn)
        notify.tick(now=EVENING + timedelta(seconds=5))
    assert [m.status for m in _outbox(session, kind=Kind.URGENT_ALERT)] == [Status.SENT]
    assert all("evil" not in str(m) for m in inbox.messages)
    [odd_message] = _outbox(session, kind=Kind.CHECKUP_REMINDER)
    if "\n" in address:
        assert odd_message.status == Status.FAILED and "hidden character" in odd_message.last_error


@pytest.mark.parametrize("minutes", [2**31 - 1, -5, 0])
def test_an_odd_stored_escalation_window_still_escalates_within_the_clinical_range(
    session, people, monkeypatch, minutes
):
    """A program's escalation window written straight into the table (the form keeps it in range): the
    largest integer meant an urgent alert was never escalated (and on SQLite, which stores more, 10**12
    overflowed the date in every tick, before delivery: nothing was sent); 0 or -5 must not escalate
    before the shortest window. Read within clinical.ESCALATION_MINUTES_RANGE."""
    from core import clinical
    from core.models import Program

    lead = _staff(session, people)
    quinn = people.participant()
    program = session.get(Program, people.program.id)
    lift_range_checks(session, "program")
    program.escalation_minutes = minutes
    session.add(program)
    session.commit()
    low, high = clinical.ESCALATION_MINUTES_RANGE
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        _urgent_card(session, quinn)
        notify.tick(now=EVENING)
        notify.tick(now=EVENING + timedelta(minutes=low) - timedelta(seconds=1))
        assert not _outbox(session, kind=Kind.ESCALATION)  # never before the shortest window
        notify.tick(now=EVENING + timedelta(minutes=high))
    assert [m.status for m in _outbox(session, kind=Kind.URGENT_ALERT)] == [Status.SENT]
    assert [m.recipient_id for m in _outbox(session, kind=Kind.ESCALATION)] == [lead.id]


@pytest.mark.parametrize("days", [0, -7])
def test_an_odd_stored_checkup_interval_is_read_within_the_programs_range(session, people, monkeypatch, days):
    """A check-up interval of 0 written straight into the program (the admin's form allows 3 to 28)
    divided by zero wherever the schedule is worked out: Today, Check-ups, the calendar feed, and the
    reminder worker's tick (before delivery: no email left, urgent alerts included)."""
    from datetime import date

    from core import checkups, feed
    from core.models import Checkup, Program

    _staff(session, people)
    quinn = people.participant()
    odd_one = people.participant("odd", name="Odd Row")
    row = session.get(AppUser, odd_one.id)
    row.email = "odd@example.org"
    session.add(row)
    session.add(NotificationSetting(user_id=odd_one.id, checkup_reminder=True, remind_minute=18 * 60 + 30))
    for kind in checkups.KINDS:  # an intake taken two weeks ago, so the schedule counts intervals
        session.add(
            Checkup(
                participant_id=odd_one.id,
                kind=kind,
                slot_key="p0",
                day=date(2026, 11, 10),
                answers=[],
                total=0,
                band="minimal",
            )
        )
    program = session.get(Program, people.program.id)
    lift_range_checks(session, "program")
    program.checkup_interval_days = days
    session.add(program)
    session.commit()
    assert checkups.statuses(session, odd_one, odd_one.id, date(2026, 11, 24))
    url = feed.turn_on(session, odd_one)
    assert feed.calendar_for_token(session, url.rsplit("/", 1)[1].removesuffix(".ics")) is not None
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        _urgent_card(session, quinn)
        notify.tick(now=EVENING + timedelta(seconds=5))
    assert [m.status for m in _outbox(session, kind=Kind.URGENT_ALERT)] == [Status.SENT]


def test_an_odd_stored_program_length_still_gives_a_calendar_and_a_bounded_schedule(session, people):
    """A program length written straight into the table (the schedule form allows 1 to 26 weeks):
    the participant's calendar feed overflowed the date (a 503 to their calendar app, every hour), and
    generating sessions would have walked millions of days. Read within clinical.PROGRAM_WEEKS_RANGE."""
    from datetime import date

    from sqlmodel import func, select

    from core import feed, schedule
    from core.access import Actor
    from core.models import Program, ProgramSession, ScheduleSlot

    quinn = people.participant(started_on=date(2026, 11, 2))
    program = session.get(Program, people.program.id)
    lift_range_checks(session, "program")
    program.length_weeks = 2**31 - 1
    session.add(program)
    session.add(ScheduleSlot(program_id=program.id, weekday=0, start_minute=18 * 60, end_minute=21 * 60, topic=""))
    session.commit()
    url = feed.turn_on(session, quinn)
    assert feed.calendar_for_token(session, url.rsplit("/", 1)[1].removesuffix(".ics")) is not None
    schedule.generate_sessions(session, Actor.of(people.admin), participant_ids=[quinn.id])
    made = session.exec(
        select(func.count()).select_from(ProgramSession).where(ProgramSession.participant_id == quinn.id)
    ).one()
    assert 0 < made <= 26  # one Monday a week, for at most the longest program
