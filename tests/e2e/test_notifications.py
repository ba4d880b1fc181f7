"""On a phone at 390×844: a participant turns on the diary-card reminder and their private
calendar; the calendar address (served by the same server, through app.py's st.App) answers an
.ics that `icalendar` reads back, and turning it off makes it 404 at once. The admin sees the
Messages screen with where mail goes."""

import urllib.error
import urllib.request

import pytest
from icalendar import Calendar

from core.feed import SESSION_TITLES
from tests.e2e.conftest import fits, settle, signed_in_at

pytestmark = pytest.mark.e2e


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def test_a_participant_turns_on_reminders_and_the_calendar_on_a_phone(server, phone, artifacts):
    signed_in_at(phone, server.url, "alex", "notifications")  # (not through Today's card and the menu)
    phone.get_by_text("Remind me to fill in my diary card").click()
    phone.get_by_text("Tell me when a check-up is due").click()
    phone.get_by_role("button", name="Save reminders").click()
    settle(phone)
    saved = phone.get_by_text("Reminders for your diary card, check-ups come at 20:00.")
    saved.wait_for()
    saved.scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "reminders-saved.png")

    phone.get_by_role("button", name="Turn on my calendar").click()
    settle(phone)
    address = phone.locator("[data-testid='stCode'] code").inner_text().strip()
    assert "/iop/calendar/" in address and address.endswith(".ics")
    subscribe = phone.get_by_role("link", name="Add to my calendar")
    assert subscribe.get_attribute("href") == "webcal://" + address.split("://", 1)[1]
    assert fits(phone)
    subscribe.scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "reminders-calendar-on.png")

    path = "/" + address.split("://", 1)[1].split("/", 1)[1]
    status, body = get(server.url + path)
    assert status == 200
    events = {str(e["SUMMARY"]): e for e in Calendar.from_ical(body).walk("VEVENT")}
    assert events["Diary card"]["RRULE"]["FREQ"] == ["DAILY"] and events["Diary card"].walk("VALARM")
    assert set(events) <= {"Diary card", "Check-up", "Homework", *SESSION_TITLES.values()}
    assert "Group session" in events  # the program's sessions are in the feed (#19), titled by kind only

    phone.get_by_role("button", name="Turn off").click()
    settle(phone)
    phone.get_by_role("button", name="Turn on my calendar").wait_for()
    assert get(server.url + path) == (404, b"")
    phone.screenshot(path=artifacts / "reminders-calendar-off.png", full_page=True)


def test_the_admin_reads_where_mail_goes_on_a_phone(server, phone, artifacts):
    signed_in_at(phone, server.url, "admin", "admin_messages")
    phone.get_by_text("Where mail goes:").wait_for()
    phone.get_by_label("Send a test email to").fill("admin@clinic.example.org")
    phone.get_by_role("button", name="Send a test email").click()
    settle(phone)
    result = phone.get_by_text("Written to the mail drop")
    result.wait_for()
    assert fits(phone)
    result.scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "admin-messages-test-sent.png")
    phone.get_by_text("Subject: IOP Companion test email").scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "admin-messages-mail-drop.png")
