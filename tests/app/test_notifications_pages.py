"""The notification screens through app.py's router: a participant turns on reminders and the
calendar; bad times and addresses are refused beside the field with what was typed kept; a
therapist's alert shows who was emailed; the admin reads the outbox, the mail drop and tests SMTP."""

from __future__ import annotations

from datetime import time

from sqlmodel import select

from core import notify
from core.models import AppUser, NotificationSetting, OutboxMessage
from tests.app.conftest import log_in, open_page, texts
from tests.unit.test_feed import _path, fetch


def _user(session, username) -> AppUser:
    return session.exec(select(AppUser).where(AppUser.username == username)).one()


def test_a_participant_turns_on_reminders_and_the_calendar(app, session):
    log_in(app, "alex")
    open_page(app, "pages/notifications.py")
    assert app.title[0].value == "Reminders"
    app.checkbox(key="remind_diary").check()
    app.checkbox(key="remind_homework").check()
    app.time_input(key="remind_at").set_value(time(19, 45))
    next(b for b in app.button if b.label == "Save reminders").click()
    app.run()
    assert any("Reminders for your diary card, practice come at 19:45." in s.value for s in app.success)
    session.expire_all()
    row = session.exec(
        select(NotificationSetting).where(NotificationSetting.user_id == _user(session, "alex").id)
    ).one()
    assert (row.diary_reminder, row.homework_reminder, row.checkup_reminder, row.remind_minute) == (
        True,
        True,
        False,
        19 * 60 + 45,
    )
    next(b for b in app.button if b.label == "Turn on my calendar").click()
    app.run()
    [url] = [c.value for c in app.code]
    assert "/iop/calendar/" in url and url.endswith(".ics")
    status, _, body = fetch(_path(url))
    assert status == 200 and b"SUMMARY:Diary card" in body and b"DTSTART;TZID=" in body
    next(b for b in app.button if b.label == "Turn off").click()
    app.run()
    assert fetch(_path(url))[0] == 404 and not app.code


def test_a_reminder_time_in_quiet_hours_is_refused_beside_the_field_and_kept(app, session):
    log_in(app, "alex")
    open_page(app, "pages/notifications.py")
    app.checkbox(key="remind_diary").check()
    app.time_input(key="remind_at").set_value(time(23, 0))
    app.checkbox(key="quiet_on").check()
    next(b for b in app.button if b.label == "Save reminders").click()
    app.run()
    assert any("inside your quiet hours" in e.value for e in app.error)
    assert app.time_input(key="remind_at").value == time(23, 0) and app.checkbox(key="remind_diary").value
    session.expire_all()
    assert session.exec(select(NotificationSetting)).all() == []


def test_a_malformed_email_is_refused_and_kept(app, session):
    log_in(app, "alex")
    open_page(app, "pages/notifications.py")
    app.text_input(key="notify_email").input("alex@@example")
    next(b for b in app.button if b.label == "Save email").click()
    app.run()
    assert any("doesn't look like an email address" in e.value for e in app.error)
    assert app.text_input(key="notify_email").value == "alex@@example"
    session.expire_all()
    assert _user(session, "alex").email == "alex@demo.iop.example"


def test_a_therapist_sees_who_was_emailed_on_the_alert(app, session, tmp_path, monkeypatch):
    from core import config

    monkeypatch.setenv("IOP_MAILDROP_DIR", str(tmp_path / "drop"))
    config.settings.cache_clear()
    notify.tick()  # the seeded urgent alerts are told to their therapist (the safety net), into the mail drop
    log_in(app, "dr.chen")  # Dana's therapist
    open_page(app, "pages/alerts.py")
    assert "Emailed you: sent" in "\n".join(c.value for c in app.caption).replace("\u2060", "").replace("\\", "")
    open_page(app, "pages/notifications.py")
    assert app.title[0].value == "Notifications"
    assert "Escalated to you" not in texts(app)


def test_the_admin_reads_the_outbox_tests_email_and_names_a_lead(app, session, tmp_path, monkeypatch):
    from core import config

    monkeypatch.setenv("IOP_MAILDROP_DIR", str(tmp_path / "drop"))
    config.settings.cache_clear()
    log_in(app, "admin")
    open_page(app, "pages/admin_messages.py")
    shown = texts(app)
    assert "Into the mail drop folder" in shown and "No delivery worker has run yet" in shown
    app.text_input(key="smtp_test_to").input("admin@clinic.example.org")
    next(b for b in app.button if b.label == "Send a test email").click()
    app.run()
    assert any("Written to the mail drop" in s.value for s in app.success), texts(app)
    assert any("IOP Companion test email" in c.value for c in app.code)  # the mail drop reader
    app.number_input(key="escalation_minutes").set_value(45)
    next(b for b in app.button if b.label == "Save window").click()
    app.run()
    assert any("escalate after 45 minutes" in s.value for s in app.success)
    chen = _user(session, "dr.chen")
    app.multiselect(key="clinical_leads").select(chen.id)
    next(b for b in app.button if b.label == "Save clinical leads").click()
    app.run()
    session.expire_all()
    assert _user(session, "dr.chen").is_clinical_lead and not _user(session, "dr.rivera").is_clinical_lead
    [test] = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "smtp_test")).all()
    assert test.status == "sent" and test.sent_via == "maildrop"


def test_a_clinical_lead_sees_escalations_waiting_without_the_participant(app, session, tmp_path, monkeypatch):
    from datetime import timedelta

    from core import config
    from core.models import utcnow

    monkeypatch.setenv("IOP_MAILDROP_DIR", str(tmp_path / "drop"))
    config.settings.cache_clear()
    rivera = _user(session, "dr.rivera")  # the lead; Dana's urgent alerts are on Dr. Chen's caseload
    rivera.is_clinical_lead = True
    session.add(rivera)
    session.commit()
    notify.tick()
    notify.tick(now=utcnow() + timedelta(minutes=31))
    log_in(app, "dr.rivera")
    open_page(app, "pages/notifications.py")
    shown = texts(app)
    assert "Urgent alert not yet acknowledged" in shown and "Dr. Marcus Chen" in shown.replace("\\", "")
    assert "Dana" not in shown


def test_the_admins_test_address_is_refused_beside_the_field_and_kept(app, session):
    log_in(app, "admin")
    open_page(app, "pages/admin_messages.py")
    app.text_input(key="smtp_test_to").input("josé@clinic.example.org")
    next(b for b in app.button if b.label == "Send a test email").click()
    app.run()
    assert any("before the @" in e.value for e in app.error)
    assert app.text_input(key="smtp_test_to").value == "josé@clinic.example.org"
    session.expire_all()
    assert session.exec(select(OutboxMessage).where(OutboxMessage.kind == "smtp_test")).all() == []
