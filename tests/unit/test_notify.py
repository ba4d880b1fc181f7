"""Alerts that reach people: an urgent diary card emails the therapist (through a real SMTP server,
aiosmtpd, in this process) with nothing clinical in it; nobody acknowledging it within the window
escalates to the clinical lead; review-level alerts wait for the working-morning digest; a mail
server that is down or refusing loses nothing; a worker killed mid-send never sends twice."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from core import alerts, clinical, diary, notify
from core.access import Actor
from core.errors import ValidationError
from core.models import Alert, AppUser, OutboxMessage
from core.notify import Kind, Status
from tests.smtp_server import Inbox, smtp_server, use_smtp

# Tuesday 2026-11-24, 6:30 pm in New York (23:30 UTC): the participant's card is for that day.
EVENING = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
DAY = date(2026, 11, 24)
THERAPIST_EMAIL = "tess.ting@clinic.example.org"
LEAD_EMAIL = "lee.lead@clinic.example.org"
NOTE = "I want to end it all tonight, Rivers family farm"
# Words that would tell a reader something clinical or who it is about.
CLINICAL = re.compile(
    r"\b(suicid\w*|self.?harm|urges?|acted|crisis|phq\S*|gad\S*|scores?|diagnos\w*|mood|notes?|"
    r"risk|substance|quinn|rivers|tess|ting|end it all|farm|[0-9] of 5|5/5)\b",
    re.IGNORECASE,
)


def _staff(session, people):
    people.therapist.email = THERAPIST_EMAIL
    lead = AppUser(
        username="dr.lead",
        name="Dr. Lee Lead",
        role="therapist",
        password_hash="!",
        program_id=people.program.id,
        email=LEAD_EMAIL,
        is_clinical_lead=True,
    )
    session.add_all([people.therapist, lead])
    session.commit()
    return lead


def _urgent_card(session, who: Actor, now=EVENING):
    return diary.save_card(
        session,
        who,
        participant_id=who.id,
        day=DAY,
        now=now,
        card=diary.CardInput(mood=2, urges={"suicidal_thoughts": (5, False)}, note=NOTE),
    )


def _outbox(session, **where) -> list[OutboxMessage]:
    session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return session.exec(query).all()


def _text(message) -> str:
    return f"{message['Subject']}\n{message.get_content()}"


def test_an_urgent_diary_card_emails_the_therapist_with_nothing_clinical_in_it(session, people, monkeypatch):
    _staff(session, people)
    quinn = people.participant()
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        risk = _urgent_card(session, quinn)
        assert risk.risk.state == alerts.OPENED
        [queued] = _outbox(session)
        assert (queued.kind, queued.status, queued.alert_id) == (Kind.URGENT_ALERT, Status.QUEUED, risk.risk.alert_id)
        done = notify.tick(now=EVENING + timedelta(seconds=5))
        assert done.delivery.sent == 1
    [message] = inbox.messages
    assert message["To"] == THERAPIST_EMAIL
    assert message["Subject"] == "An urgent alert is waiting for you in IOP Companion"
    assert "https://iop.clinic.example.org/alerts" in message.get_content()
    assert CLINICAL.search(_text(message)) is None, _text(message)
    [sent] = _outbox(session)
    assert sent.status == Status.SENT and sent.sent_via == "smtp" and sent.sent_at is not None


def test_the_message_is_written_in_the_alerts_own_transaction(session, people):
    """Rolled back with the alert, committed with it: never an alert without its email, nor the reverse."""
    quinn = people.participant()
    reason = clinical.Reason("urge:suicidal_thoughts", clinical.Severity.URGENT, "Suicidal thoughts urge 5 of 5", 5)
    alerts.route(
        session, None, participant_id=quinn.id, source_key=f"diary:{DAY}", day=DAY, reasons=[reason], now=EVENING
    )
    session.rollback()
    assert _outbox(session) == [] and session.exec(select(Alert)).all() == []
    alerts.route(
        session, None, participant_id=quinn.id, source_key=f"diary:{DAY}", day=DAY, reasons=[reason], now=EVENING
    )
    session.commit()
    [alert] = session.exec(select(Alert)).all()
    assert [(m.kind, m.alert_id) for m in _outbox(session)] == [(Kind.URGENT_ALERT, alert.id)]


def test_saving_the_same_urgent_card_again_queues_one_email(session, people):
    _staff(session, people)
    quinn = people.participant()
    for urge in (4, 5, 5):
        diary.save_card(
            session,
            quinn,
            participant_id=quinn.id,
            day=DAY,
            now=EVENING,
            card=diary.CardInput(mood=2, urges={"suicidal_thoughts": (urge, False)}),
        )
    assert len(_outbox(session, kind=Kind.URGENT_ALERT.value)) == 1


def test_a_review_alert_waits_for_the_working_morning_digest(session, people, monkeypatch):
    lead = _staff(session, people)
    quinn = people.participant(started_on=DAY - timedelta(days=20))
    diary.save_card(
        session,
        quinn,
        participant_id=quinn.id,
        day=DAY,
        now=EVENING,
        card=diary.CardInput(mood=5, urges={"substance_use": (2, True)}),
    )  # a lapse: review
    assert _outbox(session) == []  # nobody is told at once
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        wednesday_7_59 = datetime(2026, 11, 25, 12, 59, tzinfo=UTC)  # 7:59 am in New York
        notify.tick(now=wednesday_7_59)
        assert inbox.count() == 0
        notify.tick(now=wednesday_7_59 + timedelta(minutes=1))
        notify.tick(now=wednesday_7_59 + timedelta(minutes=5))  # a second tick adds nothing
    [digest] = inbox.messages
    assert digest["To"] == THERAPIST_EMAIL and digest["Subject"] == "Your IOP Companion morning summary"
    assert "1 alert to review" in digest.get_content()
    assert CLINICAL.search(_text(digest)) is None, _text(digest)
    rows = _outbox(session, kind=Kind.DIGEST.value)
    assert {(r.recipient_id, r.status) for r in rows} == {
        (people.therapist.id, Status.SENT),
        (lead.id, Status.SKIPPED),
    }  # the lead: nothing (its row need not be the last: the therapists are read in no set order)


def test_the_digest_raises_missed_check_ins_first_and_skips_the_weekend(session, people, monkeypatch):
    _staff(session, people)
    people.participant(started_on=date(2026, 11, 20))  # never filled in a card
    saturday_9am = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=saturday_9am)
        assert inbox.count() == 0 and _outbox(session, kind=Kind.DIGEST.value) == []
        notify.tick(now=saturday_9am + timedelta(days=2))  # Monday 9 am
    [digest] = [m for m in inbox.messages if m["To"] == THERAPIST_EMAIL]
    assert "1 missed check-in" in digest.get_content()
    assert session.exec(select(Alert).where(Alert.trigger == alerts.MISSED_CHECKIN)).one()


def test_escalation_to_the_clinical_lead_after_the_window(session, people, monkeypatch):
    lead = _staff(session, people)
    quinn = people.participant()
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        alert_id = _urgent_card(session, quinn).risk.alert_id
        notify.tick(now=EVENING)
        notify.tick(now=EVENING + timedelta(minutes=29, seconds=59))
        assert [m["To"] for m in inbox.messages] == [THERAPIST_EMAIL]
        notify.tick(now=EVENING + timedelta(minutes=30))
        notify.tick(now=EVENING + timedelta(minutes=45))  # escalated once, not on every tick
    assert [m["To"] for m in inbox.messages] == [THERAPIST_EMAIL, LEAD_EMAIL]
    escalation = inbox.messages[1]
    assert "not been acknowledged" in escalation["Subject"] and "30 minutes" in escalation.get_content()
    assert CLINICAL.search(_text(escalation)) is None, _text(escalation)
    # The alert's history shows both, and the lead sees whose caseload it is on (not whose alert).
    therapist = people.actor(people.therapist)
    notices = notify.alert_notices(session, therapist, [alert_id])[alert_id]
    assert [(n.kind, n.to, n.status) for n in notices] == [
        (Kind.URGENT_ALERT, "you", Status.SENT),
        (Kind.ESCALATION, "Dr. Lee Lead (clinical lead)", Status.SENT),
    ]
    [waiting] = notify.escalations_for_lead(session, Actor.of(lead))
    assert waiting.therapist == "Dr. Tess Ting" and waiting.alert_ref == f"alert:{alert_id}"
    assert notify.escalations_for_lead(session, therapist) == []


def test_an_acknowledged_alert_is_not_escalated_and_a_program_sets_its_own_window(session, people, monkeypatch):
    _staff(session, people)
    people.program.escalation_minutes = 10
    session.add(people.program)
    session.commit()
    quinn, ren = people.participant(), people.participant("ren", name="Ren Ito")
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        first = _urgent_card(session, quinn).risk.alert_id
        _urgent_card(session, ren)
        notify.tick(now=EVENING)
        alerts.acknowledge(session, people.actor(people.therapist), alert_id=first, note="Called Quinn at 6:40.")
        notify.tick(now=EVENING + timedelta(minutes=10))
    assert [m["To"] for m in inbox.messages] == [THERAPIST_EMAIL, THERAPIST_EMAIL, LEAD_EMAIL]
    [escalation] = _outbox(session, kind=Kind.ESCALATION.value)
    assert escalation.alert_id != first


def test_no_clinical_lead_is_recorded_where_the_admin_and_therapist_see_it(session, people, monkeypatch):
    people.therapist.email = THERAPIST_EMAIL
    session.add(people.therapist)
    session.commit()
    quinn = people.participant()
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        alert_id = _urgent_card(session, quinn).risk.alert_id
        notify.tick(now=EVENING)
        notify.tick(now=EVENING + timedelta(minutes=31))
    [none] = _outbox(session, kind=Kind.ESCALATION.value)
    assert none.status == Status.FAILED and "No clinical lead" in none.last_error
    notices = notify.alert_notices(session, people.actor(people.therapist), [alert_id])[alert_id]
    assert notices[-1].status == Status.FAILED and "No clinical lead" in notices[-1].reason
    overview = notify.overview(session, people.actor(people.admin))
    assert any("No clinical lead" in r.reason for r in overview.rows)


def test_an_alert_acknowledged_before_its_email_left_is_not_sent(session, people, monkeypatch):
    _staff(session, people)
    quinn = people.participant()
    alert_id = _urgent_card(session, quinn).risk.alert_id
    alerts.acknowledge(session, people.actor(people.therapist), alert_id=alert_id, note="Seen in the app already.")
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=EVENING)
    assert inbox.count() == 0
    [row] = _outbox(session)
    assert row.status == Status.SKIPPED and "acknowledged" in row.last_error


# --- faults: the mail server down, refusing, a worker killed ----------------------------------------


def test_a_mail_server_that_is_down_keeps_messages_queued_and_the_admin_sees_why(session, people, monkeypatch):
    _staff(session, people)
    quinn = people.participant()
    from tests.smtp_server import free_port

    port = free_port()  # nothing listens here
    use_smtp(monkeypatch, port)
    _urgent_card(session, quinn)
    done = notify.tick(now=EVENING)
    assert done.delivery.retried == 1 and done.delivery.sent == 0
    [row] = _outbox(session)
    assert row.status == Status.QUEUED and row.attempts == 1
    assert "Could not reach the mail server at 127.0.0.1" in row.last_error
    assert row.due_at == EVENING + notify.BACKOFF_FIRST
    overview = notify.overview(session, people.actor(people.admin))
    assert overview.counts == {"queued": 1} and "Could not reach" in overview.waiting_reason
    notify.tick(now=EVENING + timedelta(seconds=10))  # not yet due again: not tried
    assert _outbox(session)[0].attempts == 1
    with smtp_server(port=port) as (inbox, _):  # the server comes back
        notify.tick(now=EVENING + timedelta(seconds=31))
        notify.tick(now=EVENING + timedelta(minutes=5))
    assert inbox.outbox_ids() == [row.id]
    assert _outbox(session)[0].status == Status.SENT


def test_retries_back_off_and_give_up_as_failed_after_the_last_try(session, people, monkeypatch):
    _staff(session, people)
    quinn = people.participant()
    from tests.smtp_server import free_port

    use_smtp(monkeypatch, free_port())
    _urgent_card(session, quinn)
    now, waits = EVENING, []
    for _ in range(notify.MAX_ATTEMPTS):
        notify.tick(now=now)
        [row] = _outbox(session, kind=Kind.URGENT_ALERT.value)
        waits.append(row.due_at - now)
        now = row.due_at
    assert row.status == Status.FAILED and f"after {notify.MAX_ATTEMPTS} tries" in row.last_error
    assert waits[:4] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert max(waits[:-1]) == notify.BACKOFF_MAX


@pytest.mark.parametrize(
    "reply, status", [("550 5.1.1 No such mailbox", Status.FAILED), ("451 4.3.0 Try again later", Status.QUEUED)]
)
def test_a_refused_address_fails_and_a_temporary_refusal_retries(session, people, monkeypatch, reply, status):
    _staff(session, people)
    quinn = people.participant()
    with smtp_server(Inbox(refuse_rcpt=reply)) as (inbox, port):
        use_smtp(monkeypatch, port)
        _urgent_card(session, quinn)
        notify.tick(now=EVENING)
    [row] = _outbox(session)
    assert inbox.count() == 0 and row.status == status
    assert reply.split()[0] in row.last_error and "refused the address" in row.last_error


def test_a_therapist_without_an_email_address_is_a_visible_failure(session, people, monkeypatch):
    quinn = people.participant()
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        _urgent_card(session, quinn)
        notify.tick(now=EVENING)
    [row] = _outbox(session)
    assert inbox.count() == 0 and row.status == Status.FAILED and "no email address" in row.last_error


def test_a_claim_left_by_a_dead_worker_is_sent_once_after_the_lease(session, people, monkeypatch):
    """Killed after claiming, before the mail server saw anything: queued again, then sent once."""
    _staff(session, people)
    quinn = people.participant()
    _urgent_card(session, quinn)
    [claimed] = notify.claim(session, worker="dead-worker", now=EVENING)
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=EVENING + timedelta(minutes=1))  # still leased: nobody else takes it
        assert inbox.count() == 0
        notify.tick(now=EVENING + notify.LEASE + timedelta(minutes=1))
        notify.tick(now=EVENING + notify.LEASE + timedelta(minutes=2))
    assert inbox.outbox_ids() == [claimed.id]
    # The dead worker's claim token no longer settles anything.
    assert notify._settle(session, claimed, status=Status.SENT, now=EVENING, from_states=tuple(Status)) is False


def test_a_message_held_by_a_stale_claim_is_not_sent_by_its_old_worker(session, people, monkeypatch):
    _staff(session, people)
    quinn = people.participant()
    _urgent_card(session, quinn)
    [old] = notify.claim(session, worker="slow-worker", now=EVENING)
    notify.recover_stale(session, EVENING + notify.LEASE + timedelta(seconds=1))
    [new] = notify.claim(session, worker="other", now=EVENING + notify.LEASE + timedelta(seconds=2))
    assert new.id == old.id and new.token != old.token
    assert notify._settle(session, old, status=Status.SENDING, now=EVENING) is False  # the slow one stands down


def test_send_again_is_the_admins_decision_for_failed_and_uncertain_messages(session, people, monkeypatch):
    _staff(session, people)
    quinn = people.participant()
    admin = people.actor(people.admin)
    _urgent_card(session, quinn)
    [row] = _outbox(session)
    with pytest.raises(ValidationError, match="Only failed or uncertain"):
        notify.send_again(session, admin, message_id=row.id)
    row.status = Status.UNCERTAIN.value
    session.add(row)
    session.commit()
    for bad in (None, "1", True, 10**6):
        with pytest.raises(ValidationError):
            notify.send_again(session, admin, message_id=bad)
    notify.send_again(session, admin, message_id=row.id, now=EVENING)
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=EVENING)
    assert inbox.outbox_ids() == [row.id]


# --- where mail goes without SMTP, and the admin's test button ---------------------------------------


def test_without_smtp_messages_land_in_the_mail_drop_the_admin_reads(session, people, tmp_path, monkeypatch):
    from core import config

    monkeypatch.setenv("IOP_MAILDROP_DIR", str(tmp_path / "drop"))
    config.settings.cache_clear()
    _staff(session, people)
    quinn = people.participant()
    _urgent_card(session, quinn)
    notify.tick(now=EVENING)
    [row] = _outbox(session)
    assert row.status == Status.SENT and row.sent_via == "maildrop"
    [file] = (tmp_path / "drop").glob("*.eml")
    assert "An urgent alert is waiting for you in IOP Companion" in file.read_text()
    admin = people.actor(people.admin)
    assert "To: " + THERAPIST_EMAIL in notify.maildrop_text(session, admin, message_id=row.id)
    assert "mail drop" in notify.overview(session, admin).where
    notify.MailDrop(tmp_path / "drop").send(
        notify.build_email(row_id=row.id, dedupe_key="x", to="a@b.org", subject="s", body="b", now=EVENING), row.id
    )
    assert len(list((tmp_path / "drop").glob("*"))) == 1  # written again: still one file


def test_the_smtp_test_button_reports_what_the_server_said(session, people, monkeypatch):
    admin = people.actor(people.admin)
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        result = notify.send_test(session, admin, to="Admin@Clinic.Example.org ")
    assert result.status == Status.SENT and inbox.messages[0]["To"] == "Admin@clinic.example.org"
    from tests.smtp_server import free_port

    use_smtp(monkeypatch, free_port())
    down = notify.send_test(session, admin, to="admin@clinic.example.org")
    assert down.status == Status.FAILED and "Could not reach the mail server" in down.reason
    with pytest.raises(ValidationError):
        notify.send_test(session, admin, to="admin@clinic\r\nBcc: all@example.org")
    with pytest.raises(Exception, match="not available"):
        notify.send_test(session, people.actor(people.therapist), to="x@clinic.example.org")


def test_the_admin_sets_the_window_and_the_clinical_leads(session, people):
    admin = people.actor(people.admin)
    for bad in (4, 241, "30", None, True, 30.5):
        with pytest.raises(ValidationError):
            notify.set_escalation_minutes(session, admin, bad)
    assert notify.set_escalation_minutes(session, admin, 45).escalation_minutes == 45
    for bad in ([people.admin.id], "1", [True], [10**6]):
        with pytest.raises(ValidationError):
            notify.set_clinical_leads(session, admin, bad)
    notify.set_clinical_leads(session, admin, [people.therapist.id])
    session.refresh(people.therapist)
    assert people.therapist.is_clinical_lead
    assert [t for t in notify.overview(session, admin).therapists if t[2]] == [
        (people.therapist.id, "Dr. Tess Ting", True)
    ]


# --- what people set: email, reminder times, quiet hours ------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "not-an-email",
        "a@b",
        "two@@example.org",
        "x@example.org\nBcc: y@z.org",
        "nul\x00@example.org",
        "a" * 250 + "@example.org",
        "![x](https://evil.example/i.png)",
        None,
        12,
        ["a@b.org"],
    ],
)
def test_malformed_email_addresses_are_refused_at_entry(session, people, typed):
    quinn = people.participant()
    with pytest.raises(ValidationError) as refused:
        notify.set_email(session, quinn, email=typed)
    assert "email" in refused.value.fields
    assert session.get(AppUser, quinn.id).email is None


def test_an_email_another_account_uses_is_refused(session, people):
    _staff(session, people)
    quinn = people.participant()
    with pytest.raises(ValidationError, match="Another account"):
        notify.set_email(session, quinn, email=THERAPIST_EMAIL.upper())
    assert notify.set_email(session, quinn, email=" quinn@home.example.org ") == "quinn@home.example.org"


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"remind_at": "25:00"}, "remind_at"),
        ({"remind_at": "nonsense"}, "remind_at"),
        ({"remind_at": None}, "remind_at"),
        ({"remind_at": "20:07"}, "remind_at"),
        ({"remind_at": 1200}, "remind_at"),
        ({"remind_at": "23:00", "quiet_start": "22:00", "quiet_end": "07:00"}, "remind_at"),
        ({"remind_at": "06:30", "quiet_start": "22:00", "quiet_end": "07:00"}, "remind_at"),
        ({"quiet_start": "22:00"}, "quiet_end"),
        ({"quiet_start": "22:00", "quiet_end": "22:00"}, "quiet_end"),
        ({"diary": "yes"}, "diary"),
    ],
)
def test_reminder_times_are_validated(session, people, kwargs, field):
    quinn = people.participant()
    notify.set_email(session, quinn, email="quinn@home.example.org")
    values = {"diary": True, "checkup": False, "homework": False, "remind_at": "20:00", **kwargs}
    with pytest.raises(ValidationError) as refused:
        notify.save_reminders(session, quinn, **values)
    assert field in refused.value.fields


def test_reminders_need_an_email_and_only_participants_set_them(session, people):
    quinn = people.participant()
    with pytest.raises(ValidationError, match="email address first"):
        notify.save_reminders(session, quinn, diary=True, checkup=False, homework=False, remind_at="20:00")
    notify.save_reminders(session, quinn, diary=False, checkup=False, homework=False, remind_at="20:00")
    with pytest.raises(Exception, match="not available"):
        notify.save_reminders(
            session, people.actor(people.therapist), diary=True, checkup=False, homework=False, remind_at="20:00"
        )


def test_no_digest_in_the_afternoon_the_next_morning_lists_everything(session, people, monkeypatch):
    _staff(session, people)
    quinn = people.participant(started_on=DAY - timedelta(days=20))
    diary.save_card(
        session,
        quinn,
        participant_id=quinn.id,
        day=DAY,
        now=EVENING,
        card=diary.CardInput(mood=5, urges={"substance_use": (2, True)}),
    )
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=datetime(2026, 11, 25, 17, 0, tzinfo=UTC))  # Wednesday noon in New York
        assert inbox.count() == 0
        notify.tick(now=datetime(2026, 11, 26, 13, 30, tzinfo=UTC))  # Thursday 8:30 am
    assert [m["To"] for m in inbox.messages] == [THERAPIST_EMAIL]


def test_names_typed_by_people_never_reach_an_email(session, people, monkeypatch):
    from tests.hostile_text import FULL

    _staff(session, people)
    people.therapist.name = f"Dr. {FULL}"[:80]
    session.add(people.therapist)
    session.commit()
    quinn = people.participant(name=FULL[:80])
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        _urgent_card(session, quinn)
        notify.tick(now=EVENING)
    [message] = inbox.messages
    assert "evil" not in message.as_string().lower()


# --- holes the property suite found (tests/property/test_core_writes.py), kept as regression tests -------


@pytest.mark.parametrize("bad", [2**31, 2**63, -(2**63), 0, -1, 1.0, "7", None, True])
def test_a_message_id_that_cannot_be_a_row_is_a_message_not_a_database_error(session, people, bad):
    """Ids past the column reached the database: 2**63 an OverflowError on SQLite, 2**31 and beyond
    'integer out of range' (DataError) on PostgreSQL."""
    admin = people.actor(people.admin)
    with pytest.raises(ValidationError) as refused:
        notify.send_again(session, admin, message_id=bad)
    assert refused.value.fields == {"message": "That message doesn't exist."}
    assert notify.maildrop_text(session, admin, message_id=bad) is None


@pytest.mark.parametrize("typed", ["20:00\x00", "2000", "T20:00", "20", "20:00Z", "20:00+01:00", "٢٠:٠٠", "20:00" * 4])
def test_a_reminder_time_typed_as_text_is_hours_and_minutes_and_nothing_else(session, people, typed):
    """time.fromisoformat took '20:00\\x00', '2000', 'T20:00' and '20' as 8 pm (and refused ' 8:05 ')."""
    quinn = people.participant()
    with pytest.raises(ValidationError) as refused:
        notify.save_reminders(session, quinn, diary=False, checkup=False, homework=False, remind_at=typed)
    assert set(refused.value.fields) == {"remind_at"}
    notify.save_reminders(session, quinn, diary=False, checkup=False, homework=False, remind_at=" 8:05 ")
    assert notify.my_settings(session, quinn).remind_at.isoformat() == "08:05:00"


def test_each_reminder_tick_has_its_own_message(session, people):
    quinn = people.participant()
    with pytest.raises(ValidationError) as refused:
        notify.save_reminders(session, quinn, diary=False, checkup="yes", homework=1, remind_at="20:00")
    assert set(refused.value.fields) == {"checkup", "homework"}


def test_an_address_mail_cannot_reach_is_refused_at_entry(session, people):
    """A non-ASCII local part needs SMTPUTF8: the email package wrote '=?utf-8?b?...?=@example.org',
    a different address, and the message went nowhere (or to someone else)."""
    quinn = people.participant()
    with pytest.raises(ValidationError, match="before the @") as refused:
        notify.set_email(session, quinn, email="José.Núñez@example.org")
    assert set(refused.value.fields) == {"email"} and session.get(AppUser, quinn.id).email is None
    with pytest.raises(ValidationError, match="before the @"):
        notify.send_test(session, people.actor(people.admin), to="用户@例子.广告")


def test_an_international_domain_is_sent_to_in_its_ascii_form(session, people, tmp_path):
    admin = people.actor(people.admin)
    row = notify.send_test(session, admin, to="Ana@Bücher.Example.org", transport=notify.MailDrop(tmp_path))
    assert row.status == Status.SENT and row.to == "Ana@bücher.example.org"
    assert "To: Ana@xn--bcher-kva.example.org\n" in notify.MailDrop(tmp_path).path_for(row.id).read_text()


def test_a_stored_address_mail_cannot_reach_fails_with_the_reason_not_a_wrong_address(session, people, tmp_path):
    """Accounts made by the admin take any address with an @ (core/accounts.py): the worker says why
    it can't send rather than sending to a garbled one."""
    _staff(session, people)
    people.therapist.email = "tëss@clinic.example.org"
    session.add(people.therapist)
    session.commit()
    _urgent_card(session, people.participant())
    notify.tick(now=EVENING, transport=notify.MailDrop(tmp_path))
    [row] = _outbox(session, kind=Kind.URGENT_ALERT.value)
    assert row.status == Status.FAILED and "before the @" in row.last_error
    assert list(tmp_path.glob("*.eml")) == []


def test_only_active_therapists_of_the_admins_own_program_can_lead(session, people):
    admin = people.actor(people.admin)
    gone = AppUser(
        username="dr.gone",
        name="Dr. Gone",
        role="therapist",
        password_hash="!",
        program_id=people.program.id,
        is_active=False,
    )
    loose = AppUser(username="dr.loose", name="Dr. Loose", role="therapist", password_hash="!")  # no program
    stray = AppUser(username="stray.admin", name="Stray Admin", role="admin", password_hash="!")  # no program
    session.add_all([gone, loose, stray])
    session.commit()
    with pytest.raises(ValidationError, match="of your program"):
        notify.set_clinical_leads(session, admin, [gone.id])
    with pytest.raises(ValidationError, match="not attached to a program"):
        notify.set_clinical_leads(session, Actor.of(stray), [loose.id])
    with pytest.raises(ValidationError, match="from the list"):
        notify.set_clinical_leads(session, admin, list(range(1, 5000)))
    session.expire_all()
    assert not session.get(AppUser, gone.id).is_clinical_lead and not session.get(AppUser, loose.id).is_clinical_lead
