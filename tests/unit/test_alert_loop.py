"""The alert loop, table-driven: every trigger × (new card, edited card up, edited card down,
after resolve, failed form). What must hold in every cell: no risk signal is lost, an open alert
always shows the latest answers, an acknowledged or resolved alert is never silently reused when
things get worse, and one save makes one alert."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from core import alerts, checkups, clinical, diary
from core.access import Actor
from core.alerts import IncompleteWithRisk
from core.errors import ValidationError
from core.models import Alert, AppUser, CaseloadAssignment, DiaryCard, Program, Role

# 2026-11-24 03:30 UTC is still the evening of Nov 23 in New York.
EVENING = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
DAY = date(2026, 11, 23)


@dataclass
class People:
    participant: Actor
    therapist: Actor
    admin: Actor


def _user(session, username, role, program_id, **extra) -> Actor:
    user = AppUser(
        username=username, name=username.title(), role=role.value, password_hash="x", program_id=program_id, **extra
    )
    session.add(user)
    session.flush()
    return Actor.of(user)


@pytest.fixture
def people(session) -> People:
    return alert_loop_people(session)


def alert_loop_people(session) -> People:
    """One program, one therapist, one participant who started a week ago, one admin; a
    program-added target "Gambling" with its own rule (urge 3+ -> review, acted -> urgent)."""
    program = Program(name="Test IOP", timezone="America/New_York", substance_use_tracking=True)
    session.add(program)
    session.flush()
    diary.ensure_default_targets(session, program.id)
    therapist = _user(session, "ther", Role.THERAPIST, program.id)
    admin = _user(session, "adm", Role.ADMIN, program.id)
    participant = _user(session, "pat", Role.PARTICIPANT, program.id, started_on=DAY - timedelta(days=7))
    session.add(CaseloadAssignment(participant_id=participant.id, therapist_id=therapist.id))
    session.commit()
    gambling = diary.add_target(session, admin, label="Gambling")
    diary.set_target_rule(
        session, admin, target_id=gambling.id, min_urge=3, urge_severity="review", acted_severity="urgent"
    )
    session.commit()
    return People(participant, therapist, admin)


# --- how each trigger is driven ----------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    name: str
    form: str  # "diary" | "phq9" | "worsening"
    below: dict  # answers that fire nothing
    fire: dict  # answers that fire it
    higher: dict | None  # the same rule fired more strongly (None: it has one level)
    top: dict | None  # a further rise after `higher` (or after `fire`): a stronger or new reason
    reason: str  # the reason key it adds
    severity: str


def urges(**values):
    return {"urges": {k: (v if isinstance(v, tuple) else (v, False)) for k, v in values.items()}}


def both(*parts: dict) -> dict:
    merged: dict = {}
    for part in parts:
        for key, value in part.items():
            merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) else value
    return merged


WORDS = {"note": "Honestly I don't want to be here anymore."}
TRIGGERS = [
    Trigger(
        "suicidal urge",
        "diary",
        urges(suicidal_thoughts=3),
        urges(suicidal_thoughts=4),
        urges(suicidal_thoughts=5),
        urges(suicidal_thoughts=(5, True)),
        "urge:suicidal_thoughts",
        "urgent",
    ),
    Trigger(
        "suicidal act",
        "diary",
        urges(suicidal_thoughts=(2, False)),
        urges(suicidal_thoughts=(2, True)),
        None,
        urges(suicidal_thoughts=(2, True), self_harm=5),
        "acted:suicidal_thoughts",
        "urgent",
    ),
    Trigger(
        "self-harm urge",
        "diary",
        urges(self_harm=3),
        urges(self_harm=4),
        urges(self_harm=5),
        urges(self_harm=(5, True)),
        "urge:self_harm",
        "urgent",
    ),
    Trigger(
        "self-harm act, urge unrated",
        "diary",
        urges(self_harm=(None, False)),
        urges(self_harm=(None, True)),
        None,
        urges(self_harm=(None, True), suicidal_thoughts=4),
        "acted:self_harm",
        "urgent",
    ),
    Trigger(
        "lapse (substance use acted)",
        "diary",
        urges(substance_use=(5, False)),
        urges(substance_use=(5, True)),
        None,
        urges(substance_use=(5, True), self_harm=4),
        "acted:substance_use",
        "review",
    ),
    Trigger(
        "program target urge",
        "diary",
        urges(gambling=2),
        urges(gambling=3),
        urges(gambling=5),
        urges(gambling=(5, True)),
        "urge:gambling",
        "review",
    ),
    Trigger(
        "program target act",
        "diary",
        urges(gambling=(1, False)),
        urges(gambling=(1, True)),
        None,
        urges(gambling=(4, True)),
        "acted:gambling",
        "urgent",
    ),
    Trigger(
        "crisis words in the note",
        "diary",
        {"note": "Long day, dead tired."},
        WORDS,
        None,
        both(WORDS, urges(self_harm=4)),
        "crisis_words:diary note",
        "review",
    ),
    Trigger("PHQ-9 item 9", "phq9", {"item9": 0}, {"item9": 1}, {"item9": 3}, None, "phq9_item9", "urgent"),
    Trigger(
        "PHQ-9 worse than intake",
        "worsening",
        {"total": 12},
        {"total": 13},
        {"total": 17},
        {"total": 19},
        "phq9_worsening",
        "review",
    ),
]


class Driver:
    """Saves the trigger's answers the way the participant's screens do.

    A diary card is saved again on the same day (an edit). A PHQ-9 is one check-up: until it is
    complete, each tap of Submit with a blank item is a refused form whose item 9 is routed; the
    complete submission ends it. A worsening is each week's new check-up against intake.
    """

    def __init__(self, session: Session, people: People, trigger: Trigger):
        self.s, self.p, self.t = session, people, trigger
        self.week = 0
        self.refused: ValidationError | None = None
        if trigger.form == "worsening":  # an intake of 8 a week before
            self._phq9(total=8, item9=0, now=EVENING - timedelta(days=7))

    def save(self, answers: dict, *, complete: bool | None = None):
        complete = (self.t.form != "phq9") if complete is None else complete
        self.refused = None
        try:
            if self.t.form == "diary":
                values = dict(mood=5 if complete else None, emotions={}, urges={}, note="")
                values.update(answers)
                return diary.save_card(
                    self.s,
                    self.p.participant,
                    participant_id=self.p.participant.id,
                    day=DAY,
                    card=diary.CardInput(**values),
                    now=EVENING,
                ).risk
            if self.t.form == "phq9":
                return self._phq9(total=None, item9=answers["item9"], complete=complete, now=EVENING).risk
            self.week += 1
            return self._phq9(
                total=answers["total"],
                item9=0,
                complete=complete,
                now=EVENING - timedelta(days=7) + timedelta(days=7 * self.week),
            ).worsening
        except ValidationError as exc:
            if complete:
                raise
            self.refused = exc
            return alerts.risk_of(exc)

    def _phq9(self, *, total, item9, now, complete=True):
        values = [0] * 9
        values[8] = item9
        rest, i = (total if total is not None else 6) - item9, 0
        while rest > 0:
            step = min(3, rest)
            values[i] += step
            rest -= step
            i += 1
        if not complete:
            values[0] = None
        return checkups.submit(
            self.s, self.p.participant, participant_id=self.p.participant.id, kind="phq9", answers=values, now=now
        )

    def alerts(self) -> list[Alert]:
        self.s.expire_all()
        rows = self.s.exec(select(Alert).where(Alert.participant_id == self.p.participant.id).order_by(Alert.id)).all()
        return [a for a in rows if any(r["key"] == self.t.reason for r in a.reasons)]

    def close(self, alert: Alert) -> None:
        alerts.acknowledge(self.s, self.p.therapist, alert_id=alert.id, note="Called them; plan reviewed.")
        alerts.resolve(self.s, self.p.therapist, alert_id=alert.id)


def level(alert: Alert, key: str) -> int:
    return next(r["level"] for r in alert.reasons if r["key"] == key)


def level_of(trigger: Trigger, answers: dict) -> int:
    """The level the trigger's reason should carry for these answers."""
    if trigger.reason.startswith("urge:"):
        return answers["urges"][trigger.reason.split(":")[1]][0]
    return answers.get("item9", answers.get("total", 1))


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda t: t.name)
def test_new(session, people, trigger):
    drive = Driver(session, people, trigger)
    outcome = drive.save(trigger.fire, complete=True)
    assert outcome.risky and outcome.state == alerts.OPENED
    [alert] = drive.alerts()
    assert alert.severity == trigger.severity and alert.resolved_at is None and alert.id == outcome.alert_id
    assert {r["key"] for r in alert.reasons} == {trigger.reason}
    if trigger.form == "diary":  # saving the card again changes that alert, never adds one
        assert drive.save(trigger.fire).state == alerts.UPDATED and len(drive.alerts()) == 1


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda t: t.name)
def test_edited_card_up(session, people, trigger):
    drive = Driver(session, people, trigger)
    assert not drive.save(trigger.below).risky and drive.alerts() == []
    assert drive.save(trigger.fire).state == alerts.OPENED  # an edit that crosses the line opens it
    if trigger.higher is not None:
        outcome = drive.save(trigger.higher, complete=True)
        [alert] = drive.alerts()
        assert outcome.state == alerts.UPDATED and outcome.alert_id == alert.id
        assert level(alert, trigger.reason) == level_of(trigger, trigger.higher) > level_of(trigger, trigger.fire)
        shown = alert.detail + " " + alert.latest  # the text shows the new rating
        assert str(level_of(trigger, trigger.higher)) in shown or "Nearly every day" in shown
    if trigger.top is not None:  # acknowledged, still open: a rise opens the next alert, visibly
        [alert] = drive.alerts()
        alerts.acknowledge(session, people.therapist, alert_id=alert.id, note="Spoke with them.")
        outcome = drive.save(trigger.top)
        assert outcome.state == alerts.ESCALATED
        newest = drive.alerts()[-1]
        assert newest.id == outcome.alert_id and newest.acknowledged_at is None
        assert newest.escalated_from_id == alert.id and newest.detail.startswith("Rose after the earlier alert")


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda t: t.name)
def test_edited_card_down(session, people, trigger):
    drive = Driver(session, people, trigger)
    strongest = trigger.higher or trigger.fire
    drive.save(strongest)
    outcome = drive.save(trigger.below, complete=True)
    assert not outcome.risky  # nothing fires now, so no crisis panel...
    [alert] = drive.alerts()
    assert alert.resolved_at is None  # ...but the signal is not erased
    assert level(alert, trigger.reason) == level_of(trigger, strongest)
    expected_latest = {"diary": "Latest on the card", "phq9": "PHQ-9 total", "worsening": "Latest PHQ-9 total 12"}
    assert expected_latest[trigger.form] in alert.latest  # the open alert shows the latest answers
    if trigger.name == "suicidal urge":
        assert "Suicidal thoughts 3/5" in alert.latest and "5 of 5" in alert.detail


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda t: t.name)
def test_after_resolve(session, people, trigger):
    drive = Driver(session, people, trigger)
    drive.save(trigger.fire)
    [alert] = drive.alerts()
    drive.close(alert)
    same = drive.save(trigger.fire)
    assert same.risky and same.state == alerts.SEEN and len(drive.alerts()) == 1  # the same answers: seen
    outcome = drive.save(trigger.higher or trigger.top, complete=True)
    assert outcome.state == alerts.ESCALATED  # a rise: a new alert
    reopened = drive.alerts()[-1]
    assert reopened.id == outcome.alert_id and reopened.resolved_at is None
    assert reopened.seq == 1 and reopened.escalated_from_id == alert.id
    assert reopened.detail.startswith("Rose after the earlier alert was resolved")


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda t: t.name)
def test_failed_form(session, people, trigger):
    drive = Driver(session, people, trigger)
    routed = drive.save(trigger.fire, complete=False)
    assert drive.refused is not None and drive.refused.fields  # refused, the missing answer named
    if trigger.form == "worsening":  # a total can't be worse until the form is complete
        assert not routed.risky and drive.alerts() == []
        drive.week -= 1
    else:
        assert isinstance(drive.refused, IncompleteWithRisk)
        assert routed.risky and routed.state == alerts.OPENED  # routed from the risk answers alone
        [alert] = drive.alerts()
        assert alert.severity == trigger.severity
        if trigger.form == "diary":
            assert (
                session.exec(select(DiaryCard).where(DiaryCard.participant_id == people.participant.id)).first() is None
            )
    outcome = drive.save(trigger.fire, complete=True)  # finishing the form: the same alert
    assert outcome.risky and len(drive.alerts()) == 1


def test_every_trigger_has_a_row_in_the_table():
    """A new rule must join the table: the defaults, a program rule, words, and the check-ups."""
    keys = {t.reason for t in TRIGGERS}
    for target, rule in clinical.DEFAULT_TARGET_RULES.items():
        if rule.urge_severity:
            assert f"urge:{target}" in keys
        if rule.acted_severity:
            assert f"acted:{target}" in keys
    assert {"phq9_item9", "phq9_worsening", "crisis_words:diary note"} <= keys


# --- one save, one alert; grouping and the inbox ------------------------------------------------


def test_one_bad_evening_is_one_alert_listing_every_reason(session, people):
    risk = diary.save_card(
        session,
        people.participant,
        participant_id=people.participant.id,
        day=DAY,
        now=EVENING,
        card=diary.CardInput(
            mood=1,
            urges={"suicidal_thoughts": (5, True), "self_harm": (4, True), "substance_use": (4, True)},
            note="I want to end it all",
        ),
    ).risk
    rows = session.exec(select(Alert).where(Alert.participant_id == people.participant.id)).all()
    assert len(rows) == 1
    assert {r["key"] for r in rows[0].reasons} == {
        "urge:suicidal_thoughts",
        "acted:suicidal_thoughts",
        "urge:self_harm",
        "acted:self_harm",
        "acted:substance_use",
        "crisis_words:diary note",
    }
    assert rows[0].severity == "urgent" and len(risk.reasons) == 6 and risk.followup
    assert "end it all" not in rows[0].detail + rows[0].latest  # the note is never quoted


def test_two_devices_saving_a_risky_card_at_once_make_one_alert(engine, session, people):
    barrier, failures = threading.Barrier(4), []

    def tap(urge):
        try:
            with Session(engine, expire_on_commit=False) as own:
                barrier.wait()
                diary.save_card(
                    own,
                    people.participant,
                    participant_id=people.participant.id,
                    day=DAY,
                    now=EVENING,
                    card=diary.CardInput(mood=3, urges={"self_harm": (urge, False)}),
                )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=tap, args=(u,)) for u in (4, 5, 4, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failures == []
    session.expire_all()
    rows = session.exec(select(Alert).where(Alert.participant_id == people.participant.id)).all()
    assert len(rows) == 1 and level(rows[0], "urge:self_harm") in (4, 5)


def test_worsening_is_one_open_alert_per_measure_updated_week_by_week(session, people):
    drive = Driver(session, people, TRIGGERS[-1])
    for total in (13, 15, 14):
        drive.save({"total": total})
    [alert] = drive.alerts()
    assert level(alert, "phq9_worsening") == 15 and "total 14" in alert.latest


def test_a_therapist_acknowledges_related_alerts_with_one_note(session, people):
    who = people.participant
    diary.save_card(
        session,
        who,
        participant_id=who.id,
        day=DAY,
        now=EVENING,
        card=diary.CardInput(mood=2, urges={"self_harm": (5, False)}),
    )
    diary.save_card(
        session,
        who,
        participant_id=who.id,
        day=DAY - timedelta(days=1),
        now=EVENING,
        card=diary.CardInput(mood=2, urges={"suicidal_thoughts": (4, False)}),
    )
    items = alerts.inbox(session, people.therapist, today=DAY)
    ids = [i.id for i in items if i.participant_id == who.id and i.trigger != alerts.MISSED_CHECKIN]
    assert len(ids) == 2
    assert alerts.acknowledge_many(session, people.therapist, alert_ids=ids, note="Called; both reviewed.") == 2
    session.expire_all()
    for alert_id in ids:
        row = session.get(Alert, alert_id)
        assert row.acknowledgement == "Called; both reviewed." and row.acknowledged_by_id == people.therapist.id
    from core.models import AuditEvent

    acks = session.exec(select(AuditEvent).where(AuditEvent.category == "alerts", AuditEvent.action == "write")).all()
    assert len(acks) == 2  # each acknowledgement audited on its own


@pytest.mark.parametrize("note", ["", "   ", None, 42, "x" * (alerts.ACK_NOTE_MAX + 1), "\x00 \u202e"])
def test_an_acknowledgement_needs_a_real_note(session, people, note):
    diary.save_card(
        session,
        people.participant,
        participant_id=people.participant.id,
        day=DAY,
        now=EVENING,
        card=diary.CardInput(mood=2, urges={"self_harm": (5, False)}),
    )
    [item] = [i for i in alerts.inbox(session, people.therapist, today=DAY) if i.trigger != alerts.MISSED_CHECKIN]
    with pytest.raises(ValidationError):
        alerts.acknowledge_many(session, people.therapist, alert_ids=[item.id], note=note)


def test_nobody_else_acknowledges_and_a_missing_alert_is_a_message(session, people):
    from core.errors import AccessDenied

    diary.save_card(
        session,
        people.participant,
        participant_id=people.participant.id,
        day=DAY,
        now=EVENING,
        card=diary.CardInput(mood=2, urges={"self_harm": (5, False)}),
    )
    alert = session.exec(select(Alert)).first()
    for intruder in (people.participant, people.admin):
        with pytest.raises(AccessDenied):
            alerts.acknowledge_many(session, intruder, alert_ids=[alert.id], note="x")
    with pytest.raises(ValidationError):
        alerts.acknowledge_many(session, people.therapist, alert_ids=[999_999], note="x")
    with pytest.raises(ValidationError):
        alerts.acknowledge_many(session, people.therapist, alert_ids=["1; drop table"], note="x")


def test_the_inbox_shows_what_triggered_it_and_the_cards_note(session, people):
    who = people.participant
    diary.save_card(
        session,
        who,
        participant_id=who.id,
        day=DAY,
        now=EVENING,
        card=diary.CardInput(mood=2, urges={"self_harm": (5, True)}, note="Rough night after the call."),
    )
    [item] = [i for i in alerts.inbox(session, people.therapist, today=DAY) if i.trigger != alerts.MISSED_CHECKIN]
    assert item.day == DAY and item.note == "Rough night after the call."
    assert [r.key for r in item.reasons] == ["urge:self_harm", "acted:self_harm"]
    assert "Self-harm 5/5, acted" in item.latest


def test_a_retired_or_unknown_target_never_breaks_routing(session, people):
    """Garbage in an urge answer is refused beside the field; the usable risk answers still route."""
    with pytest.raises(IncompleteWithRisk) as refused:
        diary.save_card(
            session,
            people.participant,
            participant_id=people.participant.id,
            day=DAY,
            now=EVENING,
            card=diary.CardInput(
                mood=4,
                urges={"self_harm": (5, False), "gambling": ("lots", None), "nope": (1, True), "suicidal_thoughts": 7},
            ),
        )
    assert set(refused.value.fields) == {"urge_gambling", "urge_nope", "urge_suicidal_thoughts"}
    assert refused.value.risk.reasons == ["Self-harm: urge rated 5 of 5 on the diary card"]
