"""Red team, wave 15 (second team): the staff side and the machinery, attacked as a stranger would.

1. The alert inbox: an alert that rose (same source, same alert) after the therapist read it, then
   acknowledged from the screen they read; a rise and an acknowledgement at the same moment; two
   acknowledgements of one alert at once (two tabs); the open alert of a participant deactivated since;
   an extra check-up asked for from two taps at once.
2. Who sees what: every core function that takes a participant's id, called by another caseload's
   therapist and by the program admin.
3. The admin's accounts: two admins deactivating each other at the same moment.

Each test either failed before its fix (said in its docstring) or keeps an attempt that found nothing
and guards what no other test does. Database tests run on SQLite and on PostgreSQL (`database_url`).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

import core
from core import accounts, alerts, audit, checkups, diary, notify, screeners
from core.access import Actor
from core.errors import AccessDenied, ValidationError
from core.models import Alert, AppUser, AuditEvent, CheckupRequest, OutboxMessage, Program
from tests.conftest import at_once
from tests.unit.test_alert_loop import DAY, EVENING, alert_loop_people

# ---- 1. the alert inbox -------------------------------------------------------------------------

CRISIS_NOTE = "Honestly I don't want to be here anymore."


@pytest.fixture
def loop(session):
    return alert_loop_people(session)


def _save(session, who, *, urges=None, note="", now=EVENING, day=DAY):
    return diary.save_card(
        session,
        who,
        participant_id=who.id,
        day=day,
        now=now,
        card=diary.CardInput(mood=4, urges=urges or {}, note=note),
    ).risk


def people_actor(user: AppUser) -> Actor:
    return Actor.of(user)


def _inbox(session, therapist):
    session.expire_all()
    return [i for i in alerts.inbox(session, therapist, today=DAY) if i.trigger != alerts.MISSED_CHECKIN]


def _urgent_emails(session, alert_id: int) -> int:
    return len(
        session.exec(
            select(OutboxMessage.id).where(
                OutboxMessage.alert_id == alert_id, OutboxMessage.kind == notify.Kind.URGENT_ALERT.value
            )
        ).all()
    )


def test_an_alert_that_rose_after_the_therapist_read_it_is_not_acknowledged_unseen(session, loop):
    """The therapist reads a review-level alert (crisis words in a note) and writes what they will do;
    meanwhile the participant edits the same day's card to a suicidal urge of 5, acted on: the same alert
    rises to urgent (it is not acknowledged yet, so the save updates it). The acknowledgement sent from the
    screen drawn before the rise must not close the loop on the urgent answers nobody has read: it is
    refused with a message, the alert stays unacknowledged, and its urgent email still goes out.
    (Before the fix the acknowledgement took the alert's id alone: the urgent rise was acknowledged with a
    note about the crisis words, the worker dropped the urgent email as "acknowledged before this was sent",
    and no escalation ever reached the clinical lead.)"""
    who = loop.participant
    assert _save(session, who, note=CRISIS_NOTE).state == alerts.OPENED
    [seen] = _inbox(session, loop.therapist)
    assert seen.severity == "review"
    rose = _save(
        session, who, urges={"suicidal_thoughts": (5, True)}, note=CRISIS_NOTE, now=EVENING + timedelta(minutes=3)
    )
    assert rose.state == alerts.UPDATED and rose.alert_id == seen.id
    with pytest.raises(ValidationError) as refused:
        alerts.acknowledge_many(
            session,
            loop.therapist,
            alert_ids=[seen.id],
            note="Read the note; we will talk in group tomorrow.",
            seen={seen.id: seen.updated_at},
        )
    assert "changed" in " ".join(refused.value.fields.values())
    session.expire_all()
    alert = session.get(Alert, seen.id)
    assert alert.acknowledged_at is None and alert.severity == "urgent"
    assert _urgent_emails(session, alert.id) == 1  # queued by the rise, and still due: nobody acknowledged it
    [now_shown] = _inbox(session, loop.therapist)  # read again, it acknowledges
    assert (
        alerts.acknowledge_many(
            session,
            loop.therapist,
            alert_ids=[now_shown.id],
            note="Called them now.",
            seen={now_shown.id: now_shown.updated_at},
        )
        == 1
    )
    session.expire_all()
    assert session.get(Alert, seen.id).acknowledgement == "Called them now."


def test_an_alert_read_and_acknowledged_unchanged_is_acknowledged(session, loop):
    """The version check refuses only a change: an alert read as it is (never updated) acknowledges."""
    who = loop.participant
    _save(session, who, urges={"self_harm": (4, False)})
    [seen] = _inbox(session, loop.therapist)
    assert seen.updated_at is None
    assert (
        alerts.acknowledge_many(session, loop.therapist, alert_ids=[seen.id], note="Called.", seen={seen.id: None}) == 1
    )


def test_an_acknowledgement_committed_between_a_rises_read_and_its_write_leaves_the_rise_unacknowledged(
    engine, session, loop, monkeypatch
):
    """The participant's save reads the open, unacknowledged review-level alert; before it writes the rise,
    the therapist's acknowledgement of what they read commits (injected at that moment, on PostgreSQL; on
    SQLite the save holds the one writer's turn, so the acknowledgement there comes first). The rise must
    not be merged into the alert the therapist just acknowledged: it opens the next alert, unacknowledged,
    urgent, with its urgent email queued. (Before the fix the save's UPDATE wrote the urgent answers into
    the acknowledged alert: no new alert, the urgent email dropped as "acknowledged", no escalation.)"""
    who = loop.participant
    _save(session, who, note=CRISIS_NOTE)
    [seen] = _inbox(session, loop.therapist)
    describe, injected = alerts._describe, []

    def acknowledge_elsewhere() -> None:
        with Session(engine, expire_on_commit=False) as own:
            alerts.acknowledge_many(own, loop.therapist, alert_ids=[seen.id], note="Read it.", seen={seen.id: None})

    def describe_after_an_acknowledgement(reasons):
        if not injected:
            injected.append(True)
            assert at_once(1, lambda _: acknowledge_elsewhere()) == []
        return describe(reasons)

    if engine.dialect.name == "postgresql":
        monkeypatch.setattr(alerts, "_describe", describe_after_an_acknowledgement)
    else:
        acknowledge_elsewhere()
    rose = _save(
        session, who, urges={"suicidal_thoughts": (5, True)}, note=CRISIS_NOTE, now=EVENING + timedelta(minutes=1)
    )
    assert rose.state == alerts.ESCALATED
    session.expire_all()
    first, second = session.exec(select(Alert).where(Alert.participant_id == who.id).order_by(Alert.seq)).all()
    assert first.acknowledgement == "Read it." and first.severity == "review"
    assert second.id == rose.alert_id and second.severity == "urgent" and second.acknowledged_at is None
    assert _urgent_emails(session, second.id) == 1


def test_two_acknowledgements_of_one_alert_at_once_keep_one_note(engine, session, loop):
    """Two tabs (or a double tap on a slow line) acknowledge the same alert at the same moment with
    different notes: one acknowledgement counts, the other is told, and the note kept is the one counted
    (before the fix both read the alert unacknowledged and the later write replaced the first note)."""
    who = loop.participant
    _save(session, who, urges={"self_harm": (5, False)})
    [seen] = _inbox(session, loop.therapist)
    counted: list[int] = [0, 0]

    def work(i: int) -> None:
        with Session(engine, expire_on_commit=False) as own:
            counted[i] = alerts.acknowledge_many(
                own, loop.therapist, alert_ids=[seen.id], note=f"Note from tab {i}.", seen={seen.id: None}
            )

    assert at_once(2, work) == []
    assert sorted(counted) == [0, 1]
    session.expire_all()
    assert session.get(Alert, seen.id).acknowledgement == f"Note from tab {counted.index(1)}."


def test_a_deactivated_participants_open_alert_can_still_be_closed_by_their_therapist(session, loop):
    """The admin deactivates a participant whose urgent alert is open. The inbox keeps it at the top (an
    open alert stays until resolved), so their therapist must be able to close the loop: acknowledge with
    what was done, then resolve. Everything else of the record stays closed to them. (Before the fix the
    gate refused both, "You don't have access to this.", and the urgent alert sat at the top of the inbox
    for good.)"""
    who = loop.participant
    _save(session, who, urges={"self_harm": (5, False)})
    accounts.set_active(session, loop.admin, user_id=who.id, active=False)
    session.commit()
    [item] = _inbox(session, loop.therapist)
    assert item.severity == "urgent"
    assert alerts.acknowledge_many(
        session, loop.therapist, alert_ids=[item.id], note="Called; they left the program.", seen={item.id: None}
    )
    alerts.resolve(session, loop.therapist, alert_id=item.id)
    assert _inbox(session, loop.therapist) == []
    with pytest.raises(AccessDenied):
        diary.cards_between(session, loop.therapist, who.id, DAY, DAY)


def test_a_participant_moved_to_another_therapist_with_an_urgent_alert_open_brings_the_new_therapist_word(
    session, loop
):
    """An urgent alert opens and its email goes to the participant's therapist; before anyone acknowledges
    it, the admin moves the participant to a colleague (the first therapist is away, say). The alert is now
    in the colleague's inbox, so the colleague must be told too, as the first therapist was; an alert
    already acknowledged tells nobody again. (Before the fix the email's dedupe key was the alert's own: the
    colleague was never told and learnt of it at their next login, or from the clinical lead.)"""
    who = loop.participant
    colleague = AppUser(
        username="dr.two", name="Dr. Two", role="therapist", password_hash="!", program_id=loop.participant.program_id
    )
    session.add(colleague)
    session.commit()
    _save(session, who, urges={"suicidal_thoughts": (5, False)})
    _save(session, who, urges={"self_harm": (5, False)}, now=EVENING, day=DAY - timedelta(days=1))
    first, second = sorted(i.id for i in _inbox(session, loop.therapist))
    alerts.acknowledge_many(session, loop.therapist, alert_ids=[second], note="Called.", seen={second: None})
    accounts.assign_therapist(session, loop.admin, participant_id=who.id, therapist_id=colleague.id)
    told = session.exec(
        select(OutboxMessage.alert_id, OutboxMessage.recipient_id, OutboxMessage.status).where(
            OutboxMessage.kind == notify.Kind.URGENT_ALERT.value
        )
    ).all()
    assert sorted((a, r) for a, r, _ in told) == sorted(
        [(first, loop.therapist.id), (second, loop.therapist.id), (first, colleague.id)]
    )
    waiting = [i.id for i in _inbox(session, people_actor(colleague)) if i.acknowledged_at is None]
    assert waiting == [first]  # (in the colleague's inbox, as the email says)
    accounts.assign_therapist(session, loop.admin, participant_id=who.id, therapist_id=colleague.id)  # again
    assert len(session.exec(select(OutboxMessage.id).where(OutboxMessage.recipient_id == colleague.id)).all()) == 1


# ---- 2. who sees what: every core function that takes a participant's id -------------------------

# The caller has already asked the gate (core.alerts: route and screen_free_text), or it is the gate.
_GATE_ITSELF = {"access.authorize", "access.record", "alerts.route", "alerts.screen_free_text"}
# Their form is checked before the gate, with messages that are the same for anyone's id: nothing written.
_FORM_FIRST = {"enrolment.discharge", "schedule.add_session", "accounts.assign_therapist"}
# The program admin's own categories (PROFILE, ENROLMENT: core.access.ADMIN_READS) and the audit log.
_ADMIN_READS = {"enrolment.standing", "program.participant_overview", "audit.audit_log"}


def _stand_in(parameter: inspect.Parameter, *, session, actor, participant_id):
    """A value of the right kind for each argument, so that only the gate can stop the call."""
    name = parameter.name
    if name == "session":
        return session
    if name == "actor":
        return actor
    if name == "participant_id":
        return participant_id
    if name == "now":
        return EVENING
    if any(part in name for part in ("day", "start", "end", "today", "since", "until", "week", "first", "last")):
        return DAY
    return None


def _takers_of_a_participant_id():
    for info in pkgutil.iter_modules(core.__path__):
        module = importlib.import_module(f"core.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            parameters = inspect.signature(fn).parameters
            if (
                fn.__module__ == module.__name__
                and not name.startswith("_")
                and {"session", "actor", "participant_id"} <= set(parameters)
                and f"{info.name}.{name}" not in _GATE_ITSELF
            ):
                yield f"{info.name}.{name}", fn, parameters


def test_every_core_function_taking_a_participant_id_refuses_another_caseload_and_the_admin(session, demo):
    """Dr. Rivera (another caseload, same program) and the program admin call every core function that
    takes a participant's id, with Dana's id and every other argument of the right kind: each is refused by
    the gate with one refusal on record (or, for the few whose form is checked first, refused with the
    form's message), except the admin's own categories. A new reader or writer that forgets the gate
    fails here without anyone listing it."""
    dana = Actor.of(session.exec(select(AppUser).where(AppUser.username == "dana")).one())
    strangers = {
        role: Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())
        for role, username in (("therapist", "dr.rivera"), ("admin", "admin"))
    }
    refusals = select(func.count()).select_from(AuditEvent).where(col(AuditEvent.allowed).is_(False))
    outcomes: dict[str, str] = {}
    for qualified, fn, parameters in _takers_of_a_participant_id():
        for role, actor in strangers.items():
            args, kwargs = [], {}
            for p in parameters.values():
                if p.default is not inspect.Parameter.empty and p.name != "participant_id":
                    continue
                value = _stand_in(p, session=session, actor=actor, participant_id=dana.id)
                (kwargs.__setitem__(p.name, value) if p.kind is p.KEYWORD_ONLY else args.append(value))
            refused_before = session.exec(refusals).one()
            try:
                fn(*args, **kwargs)
                outcome = "allowed"
            except AccessDenied:
                outcome = "refused"
            except ValidationError:
                outcome = "form"
            session.rollback()
            if outcome == "refused":
                assert session.exec(refusals).one() == refused_before + 1, (qualified, role)
            outcomes[f"{qualified} {role}"] = outcome
    unexpected = {
        key: outcome
        for key, outcome in outcomes.items()
        if outcome != "refused"
        and not (outcome == "form" and key.split()[0] in _FORM_FIRST)
        and not (outcome == "allowed" and key.endswith(" admin") and key.split()[0] in _ADMIN_READS)
    }
    assert unexpected == {}
    assert len(outcomes) > 60  # (the sweep found the readers and writers)


@pytest.mark.parametrize(("ask", "kind"), [(checkups.request_extra, "phq9"), (screeners.request, "auditc")])
def test_an_extra_check_up_requested_from_two_taps_at_once_is_asked_once(engine, session, loop, ask, kind):
    """The therapist's "ask for an extra PHQ-9" (or for an AUDIT-C again) tapped on a slow line or from
    several tabs, really at once: one request waits for the participant, the other taps are told one is
    already waiting. (Before the fix the taps passed the "already waiting?" read together and wrote a
    request each, 2 to 4 of 6 for the PHQ-9 on both databases, now and then for the AUDIT-C: the
    participant's check-up fulfilled one and the others asked them for the same one straight after.)"""
    who = loop.participant
    told: list[BaseException] = []

    def work(_: int) -> None:
        with Session(engine, expire_on_commit=False) as own:
            try:
                ask(own, loop.therapist, participant_id=who.id, kind=kind)
            except ValidationError as exc:
                told.append(exc)

    assert at_once(6, work) == []
    session.expire_all()
    waiting = session.exec(
        select(CheckupRequest).where(
            CheckupRequest.participant_id == who.id, col(CheckupRequest.fulfilled_by_id).is_(None)
        )
    ).all()
    assert len(waiting) == 1 and len(told) == 5


def test_the_audit_log_never_names_another_programs_participant(session, people):
    """A therapist of this program tries another program's participant by id (a typed address, a script):
    the refusal is on record, and the admin reads it. The row says someone of another program was tried,
    never their name: the admin of one program must not learn who is in treatment in another. (Before the
    fix the log joined the participant's name whatever their program.)"""
    other = Program(name="Other IOP", timezone="America/Chicago", crisis_region="US")
    session.add(other)
    session.flush()
    stranger = AppUser(
        username="elsewhere", name="Elsie Where", role="participant", password_hash="!", program_id=other.id
    )
    session.add(stranger)
    session.commit()
    with pytest.raises(AccessDenied):
        diary.cards_between(session, people.actor(people.therapist), stranger.id, DAY, DAY)
    rows = audit.audit_log(session, people.actor(people.admin), refused_only=True).rows
    [row] = [r for r in rows if r.category == audit.CATEGORY_WORDS["diary"]]
    assert "Elsie" not in row.participant + row.ref and row.actor == "Dr. Tess Ting"
    assert row.participant == f"not in this program (#{stranger.id})"


# ---- 3. the admin's accounts ----------------------------------------------------------------------


def test_two_admins_deactivating_each_other_at_once_leave_one_active(engine, session, people):
    """Neither admin can deactivate their own account, so one admin always remains, one tap at a time. Two
    admins deactivating each other at the same moment (ten rounds) must not leave the program with no
    active admin: nobody could then create an account, reset a password or reassign a caseload without
    the database itself. One deactivation counts, the other is refused. (Before the fix both counted, on
    SQLite and on PostgreSQL, in the first round.)"""
    second = AppUser(
        username="admin.two", name="Abe Admin", role="admin", password_hash="!", program_id=people.program.id
    )
    session.add(second)
    session.commit()
    admins = [people.actor(people.admin), people.actor(second)]
    for round_ in range(10):
        for admin in admins:
            session.get(AppUser, admin.id).is_active = True
        session.commit()

        def work(i: int) -> None:
            with Session(engine, expire_on_commit=False) as own:
                accounts.set_active(own, admins[i], user_id=admins[1 - i].id, active=False)
                own.commit()

        failures = at_once(2, work)
        session.expire_all()
        active = [a.id for a in admins if session.get(AppUser, a.id).is_active]
        assert len(active) == 1, (round_, failures)
        assert len(failures) == 1 and isinstance(failures[0], AccessDenied | ValidationError), failures
