"""Enrolment to discharge: the therapist (or admin) discharges with a status and a date; the gate
then closes the record (table-driven below), family consent ends in the same transaction unless
renewed, the participant leaves the active caseload but stays findable, and no missed-check-in
alert is raised for them. Bad dates and statuses are refused beside the field, nothing changed."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlmodel import col, func, select

from core import alerts, caseload, enrolment, practice, safety, schedule
from core.access import Action, Category, authorize, has_active_consent
from core.errors import AccessDenied, ValidationError
from core.models import Alert, AppUser, ConsentGrant, Discharge, Program, ProgramSession
from core.seed import demo_today
from tests.unit.test_diary import act
from tests.unit.test_gate_concurrency import wide_engine  # noqa: F401 - a fixture (a connection per thread)

TODAY = demo_today()


def _discharge(session, who, actor, *, day=None, status="completed", keep=False):
    return enrolment.discharge(
        session, actor, participant_id=who.id, day=day or TODAY, status=status, today=TODAY, keep_family_consent=keep
    )


def test_discharge_records_the_status_and_ends_family_consent_in_the_same_transaction(session, demo):
    rivera, alex, pat = act(session, "dr.rivera"), act(session, "alex"), act(session, "pat.morgan")
    assert has_active_consent(session, family_id=pat.id, participant_id=alex.id, category=Category.ATTENDANCE)
    assert enrolment.standing(session, rivera, alex.id, TODAY).state == "active"
    future = session.exec(
        select(func.count(ProgramSession.id)).where(
            ProgramSession.participant_id == alex.id, ProgramSession.day > TODAY
        )
    ).one()
    done = _discharge(session, alex, rivera, day=TODAY - timedelta(days=1))
    assert done.state == "discharged" and done.status == "completed"
    view = enrolment.standing(session, alex, alex.id, TODAY)
    assert view.label == "Discharged · Completed the program" and view.reads_until == TODAY - timedelta(days=1) + (
        timedelta(days=90)
    )
    current = session.exec(
        select(func.count(ConsentGrant.id)).where(
            ConsentGrant.participant_id == alex.id, col(ConsentGrant.revoked_at).is_(None)
        )
    ).one()
    assert current == 0 and not has_active_consent(
        session, family_id=pat.id, participant_id=alex.id, category=Category.ATTENDANCE
    )
    left = session.exec(
        select(func.count(ProgramSession.id)).where(
            ProgramSession.participant_id == alex.id, ProgramSession.day > TODAY
        )
    ).one()
    assert future > 0 and left == 0  # future sessions without a roll are gone


def test_renewed_family_consent_is_kept(session, demo):
    rivera, alex, pat = act(session, "dr.rivera"), act(session, "alex"), act(session, "pat.morgan")
    _discharge(session, alex, rivera, keep=True)
    assert has_active_consent(session, family_id=pat.id, participant_id=alex.id, category=Category.ATTENDANCE)


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"day": TODAY + timedelta(days=1)}, "day", "can't be in the future"),
        ({"day": date(2020, 1, 1)}, "day", "before they enrolled"),
        ({"status": "cured"}, "status", "Choose how they left the program"),
        ({"status": None}, "status", "Choose how they left"),
        ({"day": "2026-11-20"}, "day", "discharge date"),
        ({"keep_family_consent": "no"}, "keep_family_consent", "family sharing"),
        ({"participant_id": 4.0}, "participant_id", "caseload"),
    ],
)
def test_bad_discharges_are_refused_beside_the_field_and_nothing_changes(session, demo, change, field, words):
    rivera, alex = act(session, "dr.rivera"), act(session, "alex")
    args = dict(participant_id=alex.id, day=TODAY, status="completed", today=TODAY, keep_family_consent=False)
    with pytest.raises(ValidationError) as refused:
        enrolment.discharge(session, rivera, **(args | change))
    assert words in refused.value.fields[field]
    session.rollback()
    assert session.exec(select(Discharge).where(Discharge.participant_id == alex.id)).first() is None
    assert enrolment.standing(session, alex, alex.id, TODAY).state == "active"


def test_only_their_therapist_or_the_admin_discharges(session, demo):
    chen, alex, pat = act(session, "dr.chen"), act(session, "alex"), act(session, "pat.morgan")
    for who in (chen, alex, pat):
        with pytest.raises(AccessDenied):
            _discharge(session, alex, who)
    _discharge(session, alex, act(session, "admin"), status="transferred")
    assert enrolment.standing(session, act(session, "dr.rivera"), alex.id, TODAY).status == "transferred"


R, W = Action.READ, Action.WRITE
# (who, category, action, allowed while reads last, allowed after the access period)
AFTER_DISCHARGE = [
    ("alex", Category.DIARY, R, True, False),
    ("alex", Category.SAFETY_PLAN, R, True, False),
    ("alex", Category.CHECKUPS, R, True, False),
    ("alex", Category.ENROLMENT, R, True, True),  # their status: why the rest is closed
    ("alex", Category.DIARY, W, False, False),
    ("alex", Category.SAFETY_PLAN, W, False, False),
    ("alex", Category.SHARING, R, True, True),  # who in the family sees what: always theirs to see
    ("alex", Category.SHARING, W, True, True),  # and to stop (sharing.create_invitation/grant refuse new sharing)
    ("dr.rivera", Category.DIARY, R, True, True),  # findable, readable
    ("dr.rivera", Category.ALERTS, W, True, True),  # open alerts can be closed
    ("dr.rivera", Category.ENROLMENT, W, True, True),  # a discharge can be corrected
    ("dr.rivera", Category.HOMEWORK, W, False, False),
    ("dr.rivera", Category.ATTENDANCE, W, False, False),
    ("dr.rivera", Category.SAFETY_PLAN, W, False, False),
    ("pat.morgan", Category.ATTENDANCE, Action.READ_SUMMARY, False, False),  # consent ended
    ("admin", Category.ENROLMENT, R, True, True),
    ("admin", Category.DIARY, R, False, False),
]


@pytest.mark.parametrize("period_over", [False, True])
def test_what_the_gate_allows_after_discharge(session, demo, period_over):
    alex = act(session, "alex")
    days_ago = 91 if period_over else 1
    program = session.get(Program, demo.id)
    day = TODAY - timedelta(days=days_ago)
    user = session.get(AppUser, alex.id)
    user.started_on = min(user.started_on, day)
    session.add(user)
    session.commit()
    _discharge(session, alex, act(session, "dr.rivera"), day=day)
    assert program.discharge_access_days == 90
    for username, category, action, allowed_within, allowed_after in AFTER_DISCHARGE:
        allowed = allowed_after if period_over else allowed_within
        who = act(session, username)
        if allowed:
            authorize(session, who, alex.id, category, action)
        else:
            with pytest.raises(AccessDenied):
                authorize(session, who, alex.id, category, action)


def test_a_discharged_participant_reads_their_plan_but_cannot_change_it(session, demo):
    dana, chen = act(session, "dana"), act(session, "dr.chen")
    rivera = act(session, "dr.rivera")
    owner = next(t for t in (rivera, chen) if _on_caseload(session, t, dana))
    plan = safety.current_plan(session, dana, dana.id)
    _discharge(session, dana, owner)
    assert safety.current_plan(session, dana, dana.id).version == plan.version
    with pytest.raises(AccessDenied):
        safety.save_plan(session, dana, participant_id=dana.id, base_version=plan.version, content=plan.content)
    with pytest.raises(AccessDenied):
        practice.assign_homework(session, owner, participant_id=dana.id, skill_id="tipp", due_on=None, note="")


def _on_caseload(session, therapist, participant) -> bool:
    try:
        authorize(session, therapist, participant.id, Category.PROFILE, Action.READ)
    except AccessDenied:
        return False
    return True


def test_the_discharged_leave_the_active_caseload_stay_findable_and_get_no_missed_checkin_alerts(session, demo):
    rivera, casey = act(session, "dr.rivera"), act(session, "casey")  # casey stopped checking in
    assert casey.id in {r.participant_id for r in caseload.caseload_rows(session, rivera, TODAY)}
    _discharge(session, casey, rivera, status="left_against_advice")
    assert casey.id not in {r.participant_id for r in caseload.caseload_rows(session, rivera, TODAY)}
    found = enrolment.discharged_caseload(session, rivera)
    assert [(r.id, r.status, r.discharged_on) for r in found] == [(casey.id, "left_against_advice", TODAY)]
    with pytest.raises(AccessDenied):  # and no new sessions on their record
        schedule.add_session(
            session,
            rivera,
            participant_id=casey.id,
            kind="individual",
            day=TODAY,
            start=time(13),
            end=time(14),
            today=TODAY,
        )


def test_no_missed_checkin_alert_after_discharge(session, people):
    therapist = people.actor(people.therapist)
    quiet = people.participant("quiet", name="Quiet", started_on=TODAY - timedelta(days=20))
    gone = people.participant("gone", name="Gone", started_on=TODAY - timedelta(days=20))
    enrolment.discharge(
        session, therapist, participant_id=gone.id, day=TODAY - timedelta(days=5), status="stepped_down", today=TODAY
    )
    opened = alerts.raise_missed_checkins(session, None, TODAY, program_id=people.program.id)
    who = session.exec(select(Alert.participant_id)).all()
    assert opened == 1 and who == [quiet.id]  # neither has a card; only the one still in the program


# --- What a discharged participant may still do (enrolment.remaining), and that it is what the gate does --

U = enrolment.Use


def _set_phase(session, who, phase: str) -> None:
    """Put `who` in a phase: before discharge, discharged today / a day ago / on a future day (a row
    written directly: core refuses that date, but a clock or zone skew could still produce one), or
    after the access period."""
    user = session.get(AppUser, who.id)
    user.started_on = min(user.started_on, TODAY - timedelta(days=120))
    session.add(user)
    session.commit()
    if phase == "before":
        return
    if phase == "future":
        rivera = act(session, "dr.rivera").id
        session.add(
            Discharge(participant_id=who.id, day=TODAY + timedelta(days=3), status="completed", recorded_by_id=rivera)
        )
        session.commit()
        return
    days_ago = {"today": 0, "within": 1, "after": 91}[phase]
    _discharge(session, who, act(session, "dr.rivera"), day=TODAY - timedelta(days=days_ago))


@pytest.mark.parametrize(
    "phase, expected, uses",
    [
        ("before", enrolment.Phase.IN_PROGRAM, set(U)),
        ("today", enrolment.Phase.READING, {U.HOME, U.ACCOUNT, U.TOOLS, U.READ, U.PRIVACY}),
        ("future", enrolment.Phase.READING, {U.HOME, U.ACCOUNT, U.TOOLS, U.READ, U.PRIVACY}),
        ("within", enrolment.Phase.READING, {U.HOME, U.ACCOUNT, U.TOOLS, U.READ, U.PRIVACY}),
        ("after", enrolment.Phase.CLOSED, {U.HOME, U.ACCOUNT, U.TOOLS, U.PRIVACY}),
    ],
)
def test_what_remains_is_what_the_gate_allows(session, demo, phase, expected, uses):
    """The menu and page guards ask `remaining`; every read and write asks the gate: they agree, for
    every category the participant's own screens read or write."""
    alex = act(session, "alex")
    _set_phase(session, alex, phase)
    left = enrolment.remaining(session, alex)
    assert left.phase is expected
    assert {u for u in U if left.may(u)} == uses
    own = [c for c in Category if c not in {Category.ENROLMENT}]
    for category in own:
        for action, use in ((Action.READ, U.READ), (Action.WRITE, U.WRITE)):
            if category is Category.SHARING:
                use = U.PRIVACY  # seeing and stopping family sharing (starting it: sharing's own check)
            if action is Action.WRITE and category in {Category.HOMEWORK, Category.ATTENDANCE, Category.PROFILE}:
                continue  # set by the care team: never the participant's to write
            if action is Action.WRITE and category is Category.GOALS:
                continue
            try:
                authorize(session, alex, alex.id, category, action)
                allowed = True
            except AccessDenied:
                allowed = False
            assert allowed == left.may(use), (phase, category, action)
    authorize(session, alex, alex.id, Category.ENROLMENT, Action.READ)  # their own standing: always


def test_remaining_fails_closed_for_an_unknown_or_deactivated_account(session, demo):
    from core.access import Actor
    from core.models import Role

    ghost = Actor(id=987654, role=Role.PARTICIPANT, username="ghost", name="Ghost")
    assert enrolment.remaining(session, ghost).phase is enrolment.Phase.CLOSED
    for forged in (0, -1, 2**40):
        assert enrolment.remaining(session, Actor(id=forged, role=Role.PARTICIPANT, username="x", name="x")).phase is (
            enrolment.Phase.CLOSED
        )
    therapist_as_participant = Actor(id=act(session, "dr.rivera").id, role=Role.PARTICIPANT, username="x", name="x")
    assert enrolment.remaining(session, therapist_as_participant).phase is enrolment.Phase.CLOSED
    alex = act(session, "alex")
    user = session.get(AppUser, alex.id)
    user.is_active = False
    session.add(user)
    session.commit()
    assert enrolment.remaining(session, alex).phase is enrolment.Phase.CLOSED
    assert enrolment.remaining(session, act(session, "dr.rivera")).phase is enrolment.Phase.IN_PROGRAM


def test_twenty_discharges_of_one_participant_at_once_leave_one_row(session, demo, wide_engine):  # noqa: F811
    """Twenty taps (or the therapist and the admin, on many devices) at the same moment: one discharge
    row, consents ended once, no error shown to anyone."""
    from tests.unit.test_gate_concurrency import THREADS, at_once

    alex = act(session, "alex")
    rivera = act(session, "dr.rivera")
    engine = wide_engine

    def work(own, i):
        return enrolment.discharge(
            own,
            rivera,
            participant_id=alex.id,
            day=TODAY,
            status="completed" if i % 2 else "stepped_down",
            today=TODAY,
        )

    results, errors = at_once(engine, work)
    assert errors == [] and len(results) == THREADS
    rows = session.exec(select(Discharge).where(Discharge.participant_id == alex.id)).all()
    assert len(rows) == 1 and rows[0].status in {"completed", "stepped_down"}
    assert enrolment.remaining(session, alex).phase is enrolment.Phase.READING
