"""The discharge hand-off: a FHIR R4 Bundle for the next provider, built and validated with the
`fhir.resources` models (no hand-written JSON shapes).

`fhir.resources` 8.x ships the current FHIR release (R5) at the top level and the R4 line as the
`R4B` sub-package (4.3.0): its author chose not to keep a separate R4 (4.0.1) package, as R4B only
changed resources we do not use (medication definitions, evidence, subscriptions). Every resource
here — Patient, Questionnaire, QuestionnaireResponse, Observation, Goal, CarePlan, Bundle — has the
same shape in R4 and R4B. That claim is checked, not assumed: tests/unit/test_fhir.py parses every
hand-off with SMART on FHIR's `fhirclient` (models generated from R4 4.0.1, strict: a wrong type, an
element R4 lacks or a missing required one is refused) and gets back exactly what we sent. Nothing the
R4B models produce here differed from R4.

What goes in (minimum necessary): the Patient's name only (the app records no birth date, address
or identifier a receiving system could use, and no contact details leave with it); the PHQ-9 and
GAD-7 check-ups as QuestionnaireResponses with their Questionnaires and LOINC codes, and an
Observation for each total; the treatment-plan goals as Goals (their weekly ratings as notes); the
aftercare plan as a CarePlan (appointments as scheduled activities). Never the diary, free-text
notes, safety plan or family data, and never substance-use (42 CFR Part 2) data: no craving scale,
AUDIT-C or DAST-10, and in a program that tracks substance use no medication plan or mutual-help
meetings (the CarePlan says they were left out) — those need their own Part 2 consent to the
receiving provider.

LOINC codes, checked against loinc.org (LOINC terms are © Regenstrief Institute, free to use):
- PHQ-9 total 44261-6 (https://loinc.org/44261-6, "Patient Health Questionnaire 9 item (PHQ-9)
  total score [Reported]"), a member of the panel 44249-1 "PHQ-9 quick depression assessment panel
  [Reported.PHQ]" (listed on the same page).
- GAD-7 total 70274-6 and the GAD-7 items 69725-0, 68509-9, 69733-4, 69734-2, 69735-9, 69689-8,
  69736-7, and the PHQ-9 items 44250-9, 44255-8, 44259-0, 44254-1, 44251-7, 44258-2, 44252-5, 44253-3,
  44260-8: the PHQ-SADS panel https://loinc.org/69729-2 lists each in the questionnaires' order,
  and HL7's US Core PHQ-9 example (https://hl7.org/fhir/us/core/STU6.1/QuestionnaireResponse-phq-9-example.html)
  uses the same PHQ-9 item codes.
- Answers 0–3: LA6568-5 Not at all, LA6569-3 Several days, LA6570-1 More than half the days,
  LA6571-9 Nearly every day (answer list https://loinc.org/LL358-3, used by all sixteen items).
The GAD-7 panel code could not be confirmed on loinc.org, so the GAD-7 Questionnaire carries no
panel code (its items and total are coded); the "how difficult" follow-up item is not exported.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.careplan import CarePlan, CarePlanActivity, CarePlanActivityDetail
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.goal import Goal, GoalTarget
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.questionnaire import Questionnaire, QuestionnaireItem, QuestionnaireItemAnswerOption
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)
from fhir.resources.R4B.reference import Reference
from sqlmodel import Session

from core import aftercare, checkups, goals
from core.access import Actor, record, require_role
from core.config import settings
from core.models import Role
from core.program import participant_overview

LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FHIR_VERSION = "4.0.1"  # R4: what the Bundle is (built with the R4B models, checked as R4; see the docstring)
# Per questionnaire: (panel code or None, total code, item codes in the questionnaire's order).
CODES = {
    "phq9": (
        "44249-1",
        "44261-6",
        ("44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"),
    ),
    "gad7": (None, "70274-6", ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")),
}
TOTAL_NAMES = {
    "44261-6": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    "70274-6": "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
}
ANSWERS = (  # LOINC answer list LL358-3: the score is the position
    ("LA6568-5", "Not at all"),
    ("LA6569-3", "Several days"),
    ("LA6570-1", "More than half the days"),
    ("LA6571-9", "Nearly every day"),
)
MEDIA_TYPE = "application/fhir+json"


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _loinc(code: str, display: str | None = None) -> Coding:
    return Coding(system=LOINC, code=code, display=display)


def questionnaire_url(kind: str) -> str:
    """Our canonical address for the questionnaire as the app asks it (verbatim items)."""
    return f"{settings().public_url}/fhir/Questionnaire/{kind}"


def _questionnaire(kind: str) -> Questionnaire:
    definition = checkups.questionnaires()[kind]
    panel, _total, items = CODES[kind]
    return Questionnaire(
        url=questionnaire_url(kind),
        name=kind.upper(),
        title=definition.title,
        status="active",
        subjectType=["Patient"],
        code=[_loinc(panel, definition.name)] if panel else None,
        copyright=definition.attribution,
        item=[
            QuestionnaireItem(
                linkId=code,
                code=[_loinc(code)],
                prefix=f"{number}.",
                text=item.text,
                type="choice",
                required=True,
                answerOption=[
                    QuestionnaireItemAnswerOption(valueCoding=_loinc(answer, label)) for answer, label in ANSWERS
                ],
            )
            for number, (code, item) in enumerate(zip(items, definition.items, strict=True), start=1)
        ],
    )


def _response(kind: str, past: checkups.Past, patient: str) -> QuestionnaireResponse:
    definition = checkups.questionnaires()[kind]
    _panel, _total, items = CODES[kind]
    return QuestionnaireResponse(
        questionnaire=questionnaire_url(kind),
        status="completed",
        subject=Reference(reference=patient),
        authored=past.day.isoformat(),
        item=[
            QuestionnaireResponseItem(
                linkId=code,
                text=item.text,
                answer=[QuestionnaireResponseItemAnswer(valueCoding=_loinc(*ANSWERS[answer]))],
            )
            for code, item, answer in zip(items, definition.items, past.answers, strict=True)
        ],
    )


def _total(kind: str, past: checkups.Past, patient: str, response: str) -> Observation:
    code = CODES[kind][1]
    return Observation(
        status="final",
        category=[CodeableConcept(coding=[Coding(system=OBSERVATION_CATEGORY, code="survey", display="Survey")])],
        code=CodeableConcept(
            coding=[_loinc(code, TOTAL_NAMES[code])], text=f"{checkups.questionnaires()[kind].name} total"
        ),
        subject=Reference(reference=patient),
        effectiveDateTime=past.day.isoformat(),
        valueInteger=past.total,
        derivedFrom=[Reference(reference=response)],
        note=[Annotation(text=f"Severity band: {past.band}.")],
    )


def _goal(goal: goals.GoalView, ratings: list[goals.RatingView], patient: str) -> Goal:
    mine = [r for r in ratings if r.goal_id == goal.id]
    notes = [
        Annotation(
            text="Participant's weekly progress rating (0 = not started, 10 = fully there): "
            + "; ".join(f"week of {r.week_start.isoformat()}: {r.rating}" for r in mine)
        )
    ]
    return Goal(
        lifecycleStatus="active",
        description=CodeableConcept(text=goal.text),
        subject=Reference(reference=patient),
        target=[GoalTarget(detailString=goal.measure)],
        note=notes if mine else None,
    )


PART2_LEFT_OUT = (
    "Left out: the medication plan and mutual-help meetings (substance use disorder treatment information "
    "under 42 CFR Part 2): sharing them needs its own Part 2 consent to the receiving provider."
)


def _care_plan(plan, patient: str, goal_refs: list[str], *, part2: bool = False) -> CarePlan:
    """The aftercare plan; in a program that tracks substance use (`part2`), without its Part 2 sections
    (aftercare.PART2_SECTIONS), and a note saying so."""
    notes = []
    for key, title in aftercare.TITLES.items():
        if key == "appointments" or (part2 and key in aftercare.PART2_SECTIONS):
            continue
        values = [plan.content.get(key, "")] if key == "medication" else plan.items(key)
        values = [v if key == "medication" else aftercare.entry(key, v) for v in values if v]
        if values:
            notes.append(Annotation(text=f"{title}: " + "; ".join(values)))
    if part2:
        notes.append(Annotation(text=PART2_LEFT_OUT))
    activities = [
        CarePlanActivity(
            detail=CarePlanActivityDetail(
                kind="Appointment",
                status="scheduled",
                description=" · ".join(p for p in (visit.get("provider", ""), visit.get("contact", "")) if p),
                scheduledPeriod=Period(start=visit["date"]) if visit.get("date") else None,
            )
        )
        for visit in plan.items("appointments")
    ]
    return CarePlan(
        status="active",
        intent="plan",
        title="Relapse-prevention and aftercare plan",
        subject=Reference(reference=patient),
        created=plan.updated_at.astimezone(UTC).isoformat(timespec="seconds"),
        goal=[Reference(reference=ref) for ref in goal_refs] or None,
        activity=activities or None,
        note=notes or None,
    )


def handoff_bundle(session: Session, actor: Actor, participant_id: int, *, now: datetime | None = None) -> Bundle:
    """The hand-off Bundle (type "collection") for one participant: their therapist only. Each part is
    read through the gate (audited per category), and the export itself is recorded."""
    require_role(session, actor, Role.THERAPIST, what="handoff")
    overview = participant_overview(session, actor, participant_id)  # the gate: caseload, program
    past = checkups.histories(session, actor, participant_id, ("phq9", "gad7"))
    board = goals.board(session, actor, participant_id)
    plan = aftercare.current_plan(session, actor, participant_id)
    record(
        session,
        actor,
        category="handoff",
        action="export",
        participant_id=participant_id,
        ref=f"participant:{participant_id}",
    )
    patient_ref = _urn()
    entries: list[tuple[str, object]] = [
        (
            patient_ref,
            Patient(
                active=True,
                name=[HumanName(text=overview.name)],
            ),
        )
    ]
    for kind in ("phq9", "gad7"):
        if not past[kind]:
            continue
        entries.append((_urn(), _questionnaire(kind)))
        for taken in past[kind]:
            response_ref = _urn()
            entries.append((response_ref, _response(kind, taken, patient_ref)))
            entries.append((_urn(), _total(kind, taken, patient_ref, response_ref)))
    goal_refs = []
    for goal in board.goals:
        ref = _urn()
        goal_refs.append(ref)
        entries.append((ref, _goal(goal, board.ratings, patient_ref)))
    if plan is not None:
        part2 = aftercare.tracks_substance_use(session, participant_id)
        entries.append((_urn(), _care_plan(plan, patient_ref, goal_refs, part2=part2)))
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return Bundle(
        type="collection",
        identifier=Identifier(system="urn:ietf:rfc:3986", value=_urn()),
        timestamp=moment.isoformat(timespec="seconds"),
        entry=[BundleEntry(fullUrl=ref, resource=resource) for ref, resource in entries],
    )


def handoff_json(session: Session, actor: Actor, participant_id: int) -> str:
    """The Bundle as FHIR JSON, for the download button."""
    return handoff_bundle(session, actor, participant_id).model_dump_json(indent=2, exclude_none=True)
