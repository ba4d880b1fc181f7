"""Participants' reminders, counted at a real SMTP server: the diary card at the time they chose, in
their own time zone, not when today's card is filled in; a check-up due; practice due today; quiet
hours respected; one tap from the email opens the screen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from core import diary, notify
from core.models import AppUser, Checkup, Homework, OutboxMessage
from core.notify import Status
from tests.smtp_server import free_port, smtp_server, use_smtp
from tests.unit.test_notify import CLINICAL

DAY = date(2026, 11, 24)  # a Tuesday
NY_8PM = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 8 pm that evening in New York
ADDRESS = "quinn@home.example.org"


def _opted_in(
    session,
    people,
    *,
    tz=None,
    at="20:00",
    quiet=(None, None),
    diary_on=True,
    checkup=False,
    homework=False,
    started_on=DAY - timedelta(days=10),
):
    quinn = people.participant(tz=tz, started_on=started_on)
    notify.set_email(session, quinn, email=ADDRESS)
    notify.save_reminders(
        session,
        quinn,
        diary=diary_on,
        checkup=checkup,
        homework=homework,
        remind_at=at,
        quiet_start=quiet[0],
        quiet_end=quiet[1],
    )
    return quinn


def _sent(session) -> list[OutboxMessage]:
    session.expire_all()
    return session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_the_diary_reminder_comes_at_the_chosen_time_once_and_one_tap_opens_the_card(session, people, monkeypatch):
    _opted_in(session, people)
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=NY_8PM - timedelta(minutes=1))
        assert inbox.count() == 0
        notify.tick(now=NY_8PM)
        notify.tick(now=NY_8PM + timedelta(minutes=20))
    [message] = inbox.messages
    assert message["To"] == ADDRESS and message["Subject"] == "Time for today's diary card"
    assert "One tap opens it: https://iop.clinic.example.org/today" in message.get_content()
    assert CLINICAL.search(f"{message['Subject']}\n{message.get_content()}") is None


def test_the_reminder_follows_the_participants_own_time_zone(session, people, monkeypatch):
    _opted_in(session, people, tz="America/Los_Angeles")
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=NY_8PM)  # 5 pm in Los Angeles
        assert inbox.count() == 0
        notify.tick(now=NY_8PM + timedelta(hours=3))  # 8 pm there
    assert inbox.count() == 1


def test_no_reminder_when_todays_card_is_filled_in(session, people, monkeypatch):
    quinn = _opted_in(session, people)
    diary.save_card(
        session, quinn, participant_id=quinn.id, day=DAY, now=NY_8PM - timedelta(hours=2), card=diary.CardInput(mood=6)
    )
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=NY_8PM)
    assert inbox.count() == 0 and _sent(session) == []


def test_a_card_filled_in_while_the_reminder_waited_skips_it(session, people, monkeypatch):
    quinn = _opted_in(session, people)
    use_smtp(monkeypatch, free_port())  # the mail server is down at 8 pm
    notify.tick(now=NY_8PM)
    [waiting] = _sent(session)
    assert waiting.status == Status.QUEUED
    diary.save_card(
        session,
        quinn,
        participant_id=quinn.id,
        day=DAY,
        now=NY_8PM + timedelta(minutes=1),
        card=diary.CardInput(mood=6),
    )
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=NY_8PM + timedelta(minutes=2))
    [row] = _sent(session)
    assert inbox.count() == 0 and row.status == Status.SKIPPED and "already filled in" in row.last_error


def test_a_reminder_that_could_not_go_before_midnight_is_dropped_not_sent_tomorrow(session, people, monkeypatch):
    _opted_in(session, people)
    use_smtp(monkeypatch, free_port())
    notify.tick(now=NY_8PM)
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=NY_8PM + timedelta(hours=4, minutes=1))  # 00:01 the next day in New York
    assert inbox.count() == 0
    assert _sent(session)[0].status == Status.SKIPPED


def test_turning_reminders_on_after_the_time_sends_nothing_late(session, people, monkeypatch):
    _opted_in(session, people)
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=NY_8PM + notify.REMINDER_GRACE)  # the worker first runs at 10 pm
    assert inbox.count() == 0


def test_quiet_hours_hold_a_late_reminder_until_they_end_or_drop_it(session, people, monkeypatch):
    _opted_in(session, people, at="21:00", quiet=("21:30", "23:45"))
    use_smtp(monkeypatch, free_port())
    notify.tick(now=NY_8PM + timedelta(hours=1))  # 9 pm: queued, but the server is down
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=NY_8PM + timedelta(hours=1, minutes=40))  # 9:40 pm: quiet hours
        [row] = _sent(session)
        assert inbox.count() == 0 and row.status == Status.QUEUED
        assert row.due_at == datetime(2026, 11, 25, 4, 45, tzinfo=UTC) and "quiet hours" in row.last_error
        notify.tick(now=NY_8PM + timedelta(hours=3, minutes=45))  # 11:45 pm: quiet hours over
    assert inbox.count() == 1


def test_a_check_up_due_and_practice_due_today_are_reminded_once(session, people, monkeypatch):
    quinn = _opted_in(session, people, diary_on=False, checkup=True, homework=True)
    for kind in ("phq9", "gad7", "pacs"):
        session.add(
            Checkup(
                participant_id=quinn.id,
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
            participant_id=quinn.id,
            skill_id="stop",
            assigned_by_id=people.therapist.id,
            assigned_on=DAY - timedelta(days=2),
            due_on=DAY,
            assigned_at=NY_8PM - timedelta(days=2),
        )
    )
    session.commit()
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=NY_8PM)
        notify.tick(now=NY_8PM + timedelta(minutes=30))
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert subjects == ["Practice due today", "Your check-up is due"]
    links = "\n".join(m.get_content() for m in inbox.messages)
    assert "https://iop.clinic.example.org/checkups" in links and "https://iop.clinic.example.org/skills" in links


def test_practice_already_done_is_not_reminded(session, people, monkeypatch):
    from core import practice

    quinn = _opted_in(session, people, diary_on=False, homework=True)
    session.add(
        Homework(
            participant_id=quinn.id,
            skill_id="stop",
            assigned_by_id=people.therapist.id,
            assigned_on=DAY - timedelta(days=2),
            due_on=DAY,
            assigned_at=NY_8PM - timedelta(days=2),
        )
    )
    session.commit()
    practice.save_practice(
        session,
        quinn,
        participant_id=quinn.id,
        entry_key="k1",
        now=NY_8PM - timedelta(hours=3),
        entry=practice.PracticeInput(skill_id="stop", distress_before=6, distress_after=3),
    )
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=NY_8PM)
    assert inbox.count() == 0


def test_nobody_is_reminded_who_did_not_opt_in_or_was_deactivated(session, people, monkeypatch):
    people.participant("ren", name="Ren Ito")  # never turned reminders on
    quinn = _opted_in(session, people)
    user = session.get(AppUser, quinn.id)
    user.is_active = False
    session.add(user)
    session.commit()
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=NY_8PM)
    assert inbox.count() == 0


def test_my_settings_read_back_what_was_saved(session, people):
    quinn = _opted_in(session, people, at="07:15", quiet=("22:00", "07:00"), checkup=True)
    mine = notify.my_settings(session, quinn)
    assert (mine.email, mine.diary, mine.checkup, mine.homework) == (ADDRESS, True, True, False)
    assert (str(mine.remind_at), str(mine.quiet_start), str(mine.quiet_end)) == ("07:15:00", "22:00:00", "07:00:00")
    assert mine.zone == "America/New_York"


@pytest.mark.parametrize(
    "minute, start, end, quiet",
    [
        (23 * 60, 22 * 60, 7 * 60, True),
        (6 * 60, 22 * 60, 7 * 60, True),
        (7 * 60, 22 * 60, 7 * 60, False),
        (12 * 60, 13 * 60, 14 * 60, False),
        (13 * 60, 13 * 60, 14 * 60, True),
        (5, None, None, False),
    ],
)
def test_quiet_hours_may_run_past_midnight(minute, start, end, quiet):
    assert notify.in_quiet_hours(minute, start, end) is quiet
