"""The holes the second red-team pass left (tests/unit/test_redteam_wave2.py), closed: Part 2 data in
the FHIR hand-off and the family's aftercare summary, a discharge day with no lower bound, goals saved
over a colleague's newer ones, and a calendar address handed to someone it would answer 404. Each test
here failed before its fix."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlmodel import Session, col, select

from core import aftercare, enrolment, feed, fhir, goals, sharing
from core.access import Actor, Category
from core.errors import ValidationError
from core.models import AppUser, ConsentGrant, Discharge, FamilyLink, Program, Role, TreatmentGoal, utcnow
from core.program import user_today
from tests.unit.test_feed import _path, fetch

MEDICATION = "Naltrexone 50 mg each morning"
MEETING = "Tuesday NA, 7 pm, St Mark's hall"


def _plan(today: date) -> dict:
    return {
        "triggers": ["Friday paydays"],
        "warning_signs": ["Skipping meals"],
        "coping_steps": ["Urge surfing for 10 minutes"],
        "people": [{"name": "My sister Ana", "phone": "555-0123"}],
        "appointments": [{"provider": "Dr. Lee", "date": today + timedelta(days=10), "contact": "555-0199"}],
        "medication": MEDICATION,
        "meetings": [MEETING],
    }


def _tracking(session, people, on: bool) -> None:
    program = session.get(Program, people.program.id)
    program.substance_use_tracking = on
    session.add(program)
    session.commit()


def _care_plan_text(session, therapist: Actor, participant_id: int) -> str:
    bundle = Bundle.model_validate_json(fhir.handoff_json(session, therapist, participant_id))
    [plan] = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "CarePlan"]
    return plan.model_dump_json()


# --- 1. Part 2 data -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("tracks", [True, False], ids=["substance-use-program", "mental-health-program"])
def test_the_handoff_leaves_out_medication_and_meetings_in_a_substance_use_program(session, people, tracks):
    _tracking(session, people, tracks)
    quinn = people.participant()
    therapist = people.actor(people.therapist)
    aftercare.save_plan(
        session, therapist, participant_id=quinn.id, content=_plan(user_today(session, quinn.id)), base_version=None
    )
    text = _care_plan_text(session, therapist, quinn.id)
    assert "Friday paydays" in text and "Dr. Lee" in text  # the rest of the plan goes
    if tracks:
        assert MEDICATION not in text and "St Mark" not in text
        assert "needs its own Part 2 consent" in text  # the bundle says what was left out
    else:
        assert MEDICATION in text and "St Mark" in text and "Part 2" not in text


def _family(session, people, quinn) -> Actor:
    family = AppUser(
        username="fam", name="Fam Ily", role=Role.FAMILY.value, password_hash="!", program_id=people.program.id
    )
    session.add(family)
    session.flush()
    session.add(FamilyLink(family_id=family.id, participant_id=quinn.id, relationship="Sibling"))
    session.commit()
    return Actor.of(family)


@pytest.mark.parametrize(
    "tracks, part2, sees_meetings",
    [(True, False, False), (True, True, True), (False, False, True)],
    ids=["substance-use-plain-consent", "substance-use-part2-consent", "mental-health-program"],
)
def test_the_family_summary_drops_meetings_in_a_substance_use_program_without_part2_elements(
    session, people, tracks, part2, sees_meetings
):
    _tracking(session, people, tracks)
    quinn = people.participant()
    fam = _family(session, people, quinn)
    aftercare.save_plan(
        session, quinn, participant_id=quinn.id, content=_plan(user_today(session, quinn.id)), base_version=None
    )
    sharing.grant(
        session,
        quinn,
        family_id=fam.id,
        category=Category.AFTERCARE,
        until=user_today(session, quinn.id) + timedelta(days=30),
        shown_version=sharing.consent_version(Category.AFTERCARE),
    )
    if part2:  # the aftercare consent carrying the Part 2 elements (purpose, typed signature, when signed)
        grant = session.exec(select(ConsentGrant).where(col(ConsentGrant.revoked_at).is_(None))).one()
        grant.purpose, grant.signature, grant.signed_at = "support my recovery", "Quinn Rivers", utcnow()
        session.add(grant)
        session.commit()
    shown = aftercare.current_plan(session, fam, quinn.id)
    assert shown is not None and shown.items("triggers") == ["Friday paydays"]
    assert "medication" not in shown.content  # never, in any program
    assert (shown.items("meetings") == [MEETING]) is sees_meetings
    # The participant and the therapist still read the whole plan.
    assert aftercare.current_plan(session, quinn, quinn.id).items("meetings") == [MEETING]


# --- 2. a discharge day with no start date to bound it ------------------------------------------------------


def test_a_discharge_day_before_the_account_began_is_refused_when_there_is_no_start_date(session, people):
    quinn = people.participant()  # no started_on
    therapist = people.actor(people.therapist)
    today = user_today(session, therapist.id)
    for wrong in (today.replace(year=today.year - 1), date(2000, 1, 1), today - timedelta(days=3)):
        with pytest.raises(ValidationError) as refused:
            enrolment.discharge(session, therapist, participant_id=quinn.id, day=wrong, status="completed", today=today)
        assert set(refused.value.fields) == {"day"} and "check the year" in refused.value.fields["day"]
        session.rollback()
    assert session.exec(select(Discharge)).all() == []
    assert enrolment.standing(session, quinn, quinn.id, today).state == "active"  # their access is open
    done = enrolment.discharge(session, therapist, participant_id=quinn.id, day=today, status="completed", today=today)
    assert done.discharged_on == today


def test_an_old_account_without_a_start_date_is_bounded_by_the_longest_program(session, people):
    from core import clinical

    quinn = people.participant()
    user = session.get(AppUser, quinn.id)
    user.created_at = datetime.now(UTC) - timedelta(days=3 * 365)  # an account made long ago
    session.add(user)
    session.commit()
    therapist = people.actor(people.therapist)
    today = user_today(session, therapist.id)
    too_old = today - timedelta(days=clinical.DISCHARGE_LOOKBACK_DAYS + 1)
    with pytest.raises(ValidationError) as refused:
        enrolment.discharge(session, therapist, participant_id=quinn.id, day=too_old, status="completed", today=today)
    assert set(refused.value.fields) == {"day"}
    session.rollback()
    oldest = today - timedelta(days=clinical.DISCHARGE_LOOKBACK_DAYS)
    assert (
        enrolment.discharge(
            session, therapist, participant_id=quinn.id, day=oldest, status="completed", today=today
        ).discharged_on
        == oldest
    )


# --- 3. goals saved over a colleague's newer ones -----------------------------------------------------------


def _first_goal(session, therapist, quinn) -> list[goals.GoalView]:
    return goals.save_goals(
        session,
        therapist,
        participant_id=quinn.id,
        goals=[{"id": None, "text": "Sleep before midnight", "measure": "5 nights a week"}],
        base_version=None,
    )


def test_a_save_over_newer_goals_is_refused_and_the_colleagues_goal_stays(session, people):
    quinn = people.participant()
    therapist = people.actor(people.therapist)
    drawn = _first_goal(session, therapist, quinn)  # both therapists open the editor on this
    base = goals.version_of(drawn)
    [kept] = drawn
    mine = goals.save_goals(  # the first adds a goal
        session,
        therapist,
        participant_id=quinn.id,
        goals=[
            {"id": kept.id, "text": kept.text, "measure": kept.measure},
            {"id": None, "text": "Walk", "measure": "4x"},
        ],
        base_version=base,
    )
    assert [g.text for g in mine] == ["Sleep before midnight", "Walk"]
    with pytest.raises(goals.GoalsConflict) as told:  # the second edits the one goal they saw
        goals.save_goals(
            session,
            therapist,
            participant_id=quinn.id,
            goals=[{"id": kept.id, "text": "Sleep by 11 pm", "measure": kept.measure}],
            base_version=base,
        )
    assert set(told.value.fields) == {"goals"} and "nothing was saved" in told.value.fields["goals"]
    assert [g.text for g in told.value.current] == ["Sleep before midnight", "Walk"]  # what is on the plan now
    session.rollback()
    assert [g.text for g in goals.goals_for(session, therapist, quinn.id)] == ["Sleep before midnight", "Walk"]
    assert session.exec(select(TreatmentGoal).where(col(TreatmentGoal.retired_at).is_not(None))).all() == []
    # With the version they were shown next, their save goes through.
    again = goals.save_goals(
        session,
        therapist,
        participant_id=quinn.id,
        goals=[{"id": kept.id, "text": "Sleep by 11 pm", "measure": kept.measure}],
        base_version=goals.version_of(told.value.current),
    )
    assert [g.text for g in again] == ["Sleep by 11 pm"]


@pytest.mark.parametrize("threads", [2, 20])
def test_saves_over_the_same_version_at_once_write_one_and_tell_the_others(database_url, engine, people, threads):
    with Session(engine, expire_on_commit=False) as setup:
        quinn = people.participant()
        therapist = people.actor(people.therapist)
        drawn = _first_goal(setup, therapist, quinn)
    base, [kept] = goals.version_of(drawn), drawn
    barrier, outcomes, lock = threading.Barrier(threads), [], threading.Lock()

    def save(n: int) -> None:
        rows = [
            {"id": kept.id, "text": kept.text, "measure": kept.measure},
            {"id": None, "text": f"Goal {n}", "measure": "m"},
        ]
        try:
            with Session(engine, expire_on_commit=False) as own:
                barrier.wait()
                goals.save_goals(own, therapist, participant_id=quinn.id, goals=rows, base_version=base)
            result = "saved"
        except goals.GoalsConflict:
            result = "told"
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            result = repr(exc)
        with lock:
            outcomes.append(result)

    workers = [threading.Thread(target=save, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert sorted(outcomes) == ["saved"] + ["told"] * (threads - 1), outcomes
    with Session(engine) as check:
        active = check.exec(select(TreatmentGoal).where(col(TreatmentGoal.retired_at).is_(None))).all()
        assert len(active) == 2 and check.exec(select(TreatmentGoal)).all() == active  # nothing retired


def test_a_resent_form_is_no_conflict(session, people):
    """A second tap sends the same goals with the version the first tap was drawn from: it saves once."""
    quinn = people.participant()
    therapist = people.actor(people.therapist)
    first = _first_goal(session, therapist, quinn)
    second = _first_goal(session, therapist, quinn)
    assert [g.id for g in second] == [g.id for g in first]
    assert len(session.exec(select(TreatmentGoal)).all()) == 1


@pytest.mark.parametrize("bad", [7, b"x", "x" * 65, ["a"], 1.5])
def test_a_base_version_of_the_wrong_shape_is_refused(session, people, bad):
    quinn = people.participant()
    with pytest.raises(ValidationError):
        goals.save_goals(
            session,
            people.actor(people.therapist),
            participant_id=quinn.id,
            goals=[{"id": None, "text": "a", "measure": "b"}],
            base_version=bad,
        )
    session.rollback()
    assert session.exec(select(TreatmentGoal)).all() == []


# --- 5. the calendar feed -----------------------------------------------------------------------------------


def test_a_discharged_participant_is_not_handed_a_feed_address(session, people):
    today = date.today()
    quinn = people.participant(started_on=today - timedelta(days=30))
    therapist = people.actor(people.therapist)
    assert feed.feed_status(session, quinn).closed is False
    enrolment.discharge(
        session,
        therapist,
        participant_id=quinn.id,
        day=user_today(session, therapist.id),
        status="completed",
        today=user_today(session, therapist.id),
    )
    status = feed.feed_status(session, quinn)
    assert status.closed is True and status.on is False
    with pytest.raises(ValidationError) as refused:
        feed.turn_on(session, quinn)
    assert "program has ended" in refused.value.fields["calendar"]
    from core.models import CalendarFeed

    assert session.exec(select(CalendarFeed)).all() == []


def test_the_feed_answers_with_nosniff(session, people):
    quinn = people.participant(started_on=date.today() - timedelta(days=3))
    url = feed.turn_on(session, quinn)
    status, headers, _body = fetch(_path(url))
    assert status == 200 and headers.get("x-content-type-options") == "nosniff"
    status, headers, _body = fetch(f"{feed.PATH}/{'A' * 43}.ics")
    assert status == 404 and headers.get("x-content-type-options") == "nosniff"


def test_a_correction_keeping_an_old_discharge_day_still_saves(session, people):
    """The bound is for a new day: correcting the status of a discharge recorded long ago keeps its day."""
    from core import clinical

    quinn = people.participant()
    therapist = people.actor(people.therapist)
    today = user_today(session, therapist.id)
    long_ago = today - timedelta(days=clinical.DISCHARGE_LOOKBACK_DAYS + 30)
    session.add(Discharge(participant_id=quinn.id, day=long_ago, status="completed", recorded_by_id=therapist.id))
    session.commit()
    corrected = enrolment.discharge(
        session, therapist, participant_id=quinn.id, day=long_ago, status="transferred", today=today
    )
    assert (corrected.discharged_on, corrected.status) == (long_ago, "transferred")
    with pytest.raises(ValidationError):  # moving it further back is still refused
        enrolment.discharge(
            session,
            therapist,
            participant_id=quinn.id,
            day=long_ago - timedelta(days=1),
            status="transferred",
            today=today,
        )
