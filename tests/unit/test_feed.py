"""The private calendar feed, fetched through its real HTTP route (ui/feed_routes.py, the route
app.py mounts) and parsed back with `icalendar`: the daily card with its alarm at the participant's
time in their zone, check-up and homework due days, nothing clinical anywhere; turning it off (or a
new link) makes the old address 404 at once; unknown or malformed tokens 404 with no detail."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlmodel import select

from core import codes, feed, notify
from core.errors import AccessDenied
from core.models import AppUser, AuditEvent, CalendarFeed, Checkup, Homework
from tests.unit.test_notify import CLINICAL
from ui import feed_routes

DAY = date(2026, 11, 24)


def fetch(path: str) -> tuple[int, dict[str, str], bytes]:
    """GET `path` from the feed route, as Starlette serves it inside `st.App`."""
    from starlette.applications import Starlette

    app = Starlette(routes=feed_routes.ROUTES)
    sent: list[dict] = []

    async def call():
        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "raw_path": path.encode("utf-8", "surrogateescape"),
            "query_string": b"",
            "headers": [(b"host", b"iop.test")],
            "http_version": "1.1",
            "scheme": "https",
            "server": ("iop.test", 443),
            "client": ("127.0.0.1", 5000),
            "root_path": "",
        }

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)

    # In a thread of its own: a browser test earlier in the run (Playwright's sync API) leaves an
    # event loop running on this one, where asyncio.run() refuses to start.
    worker = threading.Thread(target=asyncio.run, args=(call(),))
    worker.start()
    worker.join()
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def quinn(session, people):
    who = people.participant(started_on=DAY - timedelta(days=7))
    for kind in ("phq9", "gad7", "pacs"):
        session.add(
            Checkup(
                participant_id=who.id,
                kind=kind,
                slot_key="p0",
                day=DAY - timedelta(days=7),
                answers=[0],
                total=0,
                band="minimal",
            )
        )
    session.add(
        Homework(
            participant_id=who.id,
            skill_id="urge_surfing",
            assigned_by_id=people.therapist.id,
            assigned_on=DAY - timedelta(days=1),
            due_on=DAY + timedelta(days=3),
        )
    )
    session.commit()
    notify.set_email(session, who, email="quinn@home.example.org")
    notify.save_reminders(session, who, diary=True, checkup=False, homework=False, remind_at="19:30")
    return who


def test_the_feed_lists_the_card_with_an_alarm_check_ups_and_homework_and_nothing_clinical(session, quinn, monkeypatch):
    monkeypatch.setattr(feed, "utcnow", lambda: datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    url = feed.turn_on(session, quinn, now=datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    status, headers, body = fetch(_path(url))
    assert status == 200 and headers["content-type"].startswith("text/calendar")
    assert headers["cache-control"] == "no-store"
    cal = Calendar.from_ical(body)
    events = {e["SUMMARY"]: e for e in cal.walk("VEVENT")}
    card = events["Diary card"]
    assert card["RRULE"]["FREQ"] == ["DAILY"]
    start = card.decoded("DTSTART")
    assert (start.time(), str(start.tzinfo)) == (time(19, 30), "America/New_York")
    assert card["RRULE"]["UNTIL"][0].date() == DAY - timedelta(days=7) + timedelta(weeks=10)
    [alarm] = card.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY" and alarm.decoded("TRIGGER") == timedelta(0)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]
    days = {(str(e["SUMMARY"]), e.decoded("DTSTART")) for e in cal.walk("VEVENT") if e["SUMMARY"] != "Diary card"}
    assert days == {("Check-up", DAY), ("Homework", DAY + timedelta(days=3))}
    assert set(events) == {"Diary card", "Check-up", "Homework"}
    text = body.decode()
    assert CLINICAL.search(text.replace("DESCRIPTION:Diary card", "")) is None
    assert "urge" not in text.lower() and "Urge surfing" not in text


def test_only_a_keyed_hash_of_the_token_is_stored(session, quinn):
    url = feed.turn_on(session, quinn)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    row = session.exec(select(CalendarFeed).where(CalendarFeed.user_id == quinn.id)).one()
    assert row.token_hash == codes.secret_hash(feed.PURPOSE, token) and token not in row.token_hash
    assert len(token) == 43


def test_turning_it_off_or_making_a_new_link_404s_the_old_address_at_once(session, quinn):
    first = feed.turn_on(session, quinn)
    assert fetch(_path(first))[0] == 200
    second = feed.turn_on(session, quinn)
    assert fetch(_path(first))[:3:2] == (404, b"") and fetch(_path(second))[0] == 200
    feed.turn_off(session, quinn)
    assert fetch(_path(second))[0] == 404
    assert feed.feed_status(session, quinn).on is False


@pytest.mark.parametrize(
    "token",
    ["x", "A" * 43, "A" * 42 + "!", "..%2F..%2Fetc", "%00" + "A" * 40, "A" * 5000, "' OR 1=1 --", "AAAA%2FBBBB"],
)
def test_unknown_or_malformed_tokens_get_a_bare_404(database_url, token):
    status, headers, body = fetch(f"{feed.PATH}/{token}.ics")
    assert (status, body) == (404, b"") and headers.get("cache-control") == "no-store"


def test_a_deactivated_account_s_feed_stops(session, quinn):
    url = feed.turn_on(session, quinn)
    user = session.get(AppUser, quinn.id)
    user.is_active = False
    session.add(user)
    session.commit()
    assert fetch(_path(url))[0] == 404


def test_fetching_the_feed_is_audited_as_the_participant_reading_their_own(session, quinn):
    url = feed.turn_on(session, quinn)
    fetch(_path(url))
    session.expire_all()
    reads = session.exec(select(AuditEvent).where(AuditEvent.actor_id == quinn.id, AuditEvent.action == "read")).all()
    assert {e.category for e in reads} >= {"checkups", "homework"}


def test_family_and_admins_have_no_feed(session, people):
    with pytest.raises(AccessDenied):
        feed.turn_on(session, people.actor(people.admin))


def test_a_therapists_feed_counts_what_falls_due_without_names(session, people, quinn):
    ren = people.participant("ren", name="Ren Ito", started_on=DAY - timedelta(days=7))
    session.add(
        Homework(
            participant_id=ren.id,
            skill_id="stop",
            assigned_by_id=people.therapist.id,
            assigned_on=DAY - timedelta(days=1),
            due_on=DAY + timedelta(days=3),
        )
    )
    session.commit()
    therapist = people.actor(people.therapist)
    url = feed.turn_on(session, therapist)
    status, _, body = fetch(_path(url))
    assert status == 200
    cal = Calendar.from_ical(body)
    titles = {(str(e["SUMMARY"]), e.decoded("DTSTART")) for e in cal.walk("VEVENT")}
    assert ("Homework due (2)", DAY + timedelta(days=3)) in titles
    text = body.decode()
    for name in ("Quinn", "Rivers", "Ren", "Ito", "stop", "STOP"):
        assert name not in text


def test_a_participant_who_reads_spanish_gets_the_feed_titles_in_spanish(session, quinn, monkeypatch):
    """The calendar is participant-facing too: its titles follow the language chosen in My account."""
    from core import accounts

    monkeypatch.setattr(feed, "utcnow", lambda: datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    accounts.set_language(session, user_id=quinn.id, language="es")
    session.commit()
    url = feed.turn_on(session, quinn, now=datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    status, _headers, body = fetch(_path(url))
    assert status == 200
    titles = {str(e["SUMMARY"]) for e in Calendar.from_ical(body).walk("VEVENT")}
    assert titles == {"Tarjeta diaria", "Control", "Tarea"}
    assert "Un minuto para la tarjeta de hoy" in body.decode()
