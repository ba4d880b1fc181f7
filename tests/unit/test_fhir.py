"""The discharge hand-off Bundle: valid FHIR (fhir.resources R4B models), round-tripped through JSON,
with the LOINC codes, the goals and the aftercare plan; minimum necessary; the therapist's only."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from pydantic import ValidationError as PydanticError
from sqlmodel import select

from core import aftercare, checkups, fhir, goals
from core.access import Actor
from core.errors import AccessDenied
from core.models import AppUser, AuditEvent
from core.program import user_today


def act(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def _of(bundle: Bundle, kind: str) -> list:
    return [e.resource for e in bundle.entry if e.resource.get_resource_type() == kind]


def test_the_bundle_round_trips_and_holds_the_checkups_goals_and_aftercare_plan(session, demo):
    alex, rivera = act(session, "alex"), act(session, "dr.rivera")
    today = user_today(session, alex.id)
    aftercare.save_plan(
        session,
        rivera,
        participant_id=alex.id,
        content={
            "triggers": ["Paydays"],
            "appointments": [{"provider": "Dr. Lee", "date": today + timedelta(days=9), "contact": "555-0199"}],
            "medication": "Sertraline 50 mg mornings",
        },
        base_version=None,
    )
    text = fhir.handoff_json(session, rivera, alex.id)
    bundle = Bundle.model_validate_json(text)  # parsed and validated again by the library
    assert bundle.type == "collection"
    assert bundle.model_dump_json(indent=2, exclude_none=True) == text  # round trip, nothing lost

    past = checkups.histories(session, rivera, alex.id, ("phq9", "gad7"))
    totals = {(o.code.coding[0].code, str(o.effectiveDateTime), o.valueInteger) for o in _of(bundle, "Observation")}
    assert totals == {
        ({"phq9": "44261-6", "gad7": "70274-6"}[k], p.day.isoformat(), p.total) for k in past for p in past[k]
    }
    questionnaires = {q.url.rsplit("/", 1)[-1]: q for q in _of(bundle, "Questionnaire")}
    assert [i.linkId for i in questionnaires["phq9"].item][:2] == ["44250-9", "44255-8"]
    assert len(questionnaires["phq9"].item) == 9 and len(questionnaires["gad7"].item) == 7
    assert questionnaires["phq9"].code[0].code == "44249-1"
    latest_phq9 = past["phq9"][-1]
    response = next(
        r
        for r in _of(bundle, "QuestionnaireResponse")
        if r.questionnaire.endswith("/phq9") and str(r.authored) == latest_phq9.day.isoformat()
    )
    assert [i.answer[0].valueCoding.code for i in response.item] == [fhir.ANSWERS[a][0] for a in latest_phq9.answers]

    on_plan = goals.goals_for(session, rivera, alex.id)
    assert [(g.description.text, g.target[0].detailString) for g in _of(bundle, "Goal")] == [
        (g.text, g.measure) for g in on_plan
    ]
    [plan] = _of(bundle, "CarePlan")
    [visit] = plan.activity
    assert str(visit.detail.scheduledPeriod.start) == (today + timedelta(days=9)).isoformat()
    assert visit.detail.description == "Dr. Lee · 555-0199"
    assert any("Paydays" in n.text for n in plan.note)
    # The demo program tracks substance use: the medication plan and meetings are Part 2 data, left out.
    assert not any("Sertraline" in n.text for n in plan.note) and any("Part 2" in n.text for n in plan.note)
    assert len(plan.goal) == len(on_plan)
    refs = {e.fullUrl for e in bundle.entry}
    assert all(r.subject.reference in refs for r in _of(bundle, "Observation"))


def test_minimum_necessary_a_name_and_no_substance_use_data(session, demo):
    eli, eli_therapist = act(session, "eli"), None
    for name in ("dr.rivera", "dr.chen"):
        try:
            bundle = fhir.handoff_bundle(session, act(session, name), eli.id)
        except AccessDenied:
            continue
        eli_therapist = name
        break
    assert eli_therapist is not None
    [patient] = _of(bundle, "Patient")
    assert patient.name[0].text == "Eli Santos"
    dumped = patient.model_dump(exclude_none=True)
    assert set(dumped) == {"resourceType", "active", "name"}  # no telecom, address, birth date, email
    text = bundle.model_dump_json()
    assert "pacs" not in text.lower() and "audit" not in text.lower() and "dast" not in text.lower()


def test_only_the_therapist_of_the_caseload_gets_it_and_the_export_is_recorded(session, demo):
    alex, rivera, chen = act(session, "alex"), act(session, "dr.rivera"), act(session, "dr.chen")
    for who in (alex, chen, act(session, "pat.morgan"), act(session, "admin")):
        with pytest.raises(AccessDenied):
            fhir.handoff_bundle(session, who, alex.id)
    fhir.handoff_bundle(session, rivera, alex.id)
    events = session.exec(
        select(AuditEvent).where(AuditEvent.actor_id == rivera.id, AuditEvent.category == "handoff")
    ).all()
    assert [(e.action, e.participant_id, e.ref) for e in events] == [("export", alex.id, f"participant:{alex.id}")]


def test_hostile_goal_words_travel_as_data(session, demo):
    alex, rivera = act(session, "alex"), act(session, "dr.rivera")
    goals.save_goals(
        session,
        rivera,
        participant_id=alex.id,
        goals=[{"id": None, "text": '"}]},{"resourceType":"Patient" ![x](y)', "measure": "<b>weekly</b>"}],
        base_version=goals.version_of(goals.goals_for(session, rivera, alex.id)),
    )
    bundle = Bundle.model_validate_json(fhir.handoff_json(session, rivera, alex.id))
    [goal] = _of(bundle, "Goal")
    assert goal.description.text == '"}]},{"resourceType":"Patient" ![x](y)'
    assert len(_of(bundle, "Patient")) == 1


def test_the_models_refuse_a_resource_missing_what_fhir_requires():
    with pytest.raises(PydanticError):
        Observation(code={"text": "PHQ-9 total"})  # no status: FHIR requires one


# --- Checked against FHIR R4 (4.0.1) by a second, independent implementation ---------------------------
# fhir.resources builds the Bundle with its R4B (4.3.0) models; SMART on FHIR's client-py (`fhirclient`)
# has models generated from the R4 4.0.1 specification, and its strict parsing refuses a wrong type, an
# element R4 does not define, or a missing required element (FHIRValidationError). A receiving system on
# R4 reads what passes here.


def _therapist_of(session, participant: Actor) -> Actor:
    for name in ("dr.rivera", "dr.chen"):
        try:
            fhir.handoff_bundle(session, act(session, name), participant.id)
        except AccessDenied:
            continue
        return act(session, name)
    raise AssertionError("no therapist has this participant on their caseload")


def _r4(data: dict):
    from fhirclient.models.bundle import Bundle as R4Bundle

    return R4Bundle(data, strict=True)


def _alex_with_everything(session) -> tuple[Actor, Actor]:
    alex, rivera = act(session, "alex"), act(session, "dr.rivera")
    today = user_today(session, alex.id)
    aftercare.save_plan(
        session,
        rivera,
        participant_id=alex.id,
        content={
            "triggers": ["Paydays"],
            "warning_signs": ["Skipping meals"],
            "appointments": [{"provider": "Dr. Lee", "date": today + timedelta(days=9), "contact": "555-0199"}],
            "medication": "Sertraline 50 mg mornings",
        },
        base_version=None,
    )
    return alex, rivera


@pytest.mark.parametrize("who", ["sam", "jordan", "alex"])
def test_the_handoff_is_valid_fhir_r4_4_0_1(session, demo, who):
    """The demo's hand-offs (Sam, discharged; Jordan, with the seed's aftercare plan) and Alex with
    everything (PHQ-9, GAD-7, goals with weekly ratings, an aftercare plan with an appointment): every
    resource parses as R4, and R4's models give back exactly what we sent (nothing dropped as unknown)."""
    if who == "alex":
        participant, therapist = _alex_with_everything(session)
    else:
        participant = act(session, who)
        therapist = _therapist_of(session, participant)
    data = json.loads(fhir.handoff_json(session, therapist, participant.id))
    kinds = {entry["resource"]["resourceType"] for entry in data["entry"]}
    expected = {"Patient", "Questionnaire", "QuestionnaireResponse", "Observation", "Goal"} | (
        {"CarePlan"} if who != "sam" else set()
    )
    assert expected <= kinds
    parsed = _r4(data)
    assert parsed.as_json() == data
    goal_notes = [e.resource.note for e in parsed.entry if e.resource.resource_type == "Goal"]
    if who == "alex":
        assert any(notes and "week of" in notes[0].text for notes in goal_notes)


def _set(path: tuple, value):
    def change(data: dict) -> None:
        target = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _first(data: dict, kind: str) -> int:
    return next(i for i, e in enumerate(data["entry"]) if e["resource"]["resourceType"] == kind)


@pytest.mark.parametrize(
    "break_it",
    [
        # A wrong type: an Observation's valueInteger as text.
        lambda d: _set(("entry", _first(d, "Observation"), "resource", "valueInteger"), "seven")(d),
        # R5-only elements: Goal.continuous, Bundle.issues.
        lambda d: _set(("entry", _first(d, "Goal"), "resource", "continuous"), True)(d),
        lambda d: _set(("issues",), {"reference": "OperationOutcome/1"})(d),
        # A required element missing: a Goal's description (1..1 in R4).
        lambda d: d["entry"][_first(d, "Goal")]["resource"].pop("description"),
        # A repeating element given once: CarePlan.activity is 0..* (an array in JSON).
        lambda d: _set(
            ("entry", _first(d, "CarePlan"), "resource", "activity"),
            d["entry"][_first(d, "CarePlan")]["resource"]["activity"][0],
        )(d),
    ],
    ids=["wrong-type", "r5-goal-continuous", "r5-bundle-issues", "missing-required", "array-as-object"],
)
def test_the_r4_check_refuses_a_broken_bundle(session, demo, break_it):
    from fhirclient.models.fhirabstractbase import FHIRValidationError

    alex, rivera = _alex_with_everything(session)
    data = json.loads(fhir.handoff_json(session, rivera, alex.id))
    _r4(copy.deepcopy(data))  # (the unbroken bundle passes: the failure below is the change's)
    break_it(data)
    with pytest.raises(FHIRValidationError):
        _r4(data)
