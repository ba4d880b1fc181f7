"""AUDIT-C and DAST-10: scoring against worked examples, every cut-off, the schedule (intake, then
only when the therapist asks), bad input, and the gate (Part 2 data: family never reads them)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlmodel import col, select

from core import clinical, db, screeners, sharing
from core.access import Actor, Category
from core.errors import AccessDenied, ValidationError
from core.models import AppUser, AuditEvent, Checkup, CheckupRequest, ConsentGrant, FamilyLink, Program, utcnow
from tests.unit.test_gate_concurrency import THREADS, at_once

MONDAY = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # midday in New York


def act(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def take(session, who, kind="auditc", values=None, now=MONDAY):
    values = values if values is not None else [0] * len(screeners.screeners()[kind].items)
    return screeners.submit(session, who, participant_id=who.id, kind=kind, answers=values, now=now)


# --- scoring ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers, total",
    [
        ([0, 0, 0], 0),  # never drinks
        ([1, 0, 0], 1),  # monthly or less, 1-2 drinks, never 6+
        ([2, 1, 1], 4),  # 2-4 times a month, 3-4 drinks, 6+ less than monthly
        ([3, 2, 2], 7),
        ([4, 4, 4], 12),  # the maximum
    ],
)
def test_auditc_worked_examples(answers, total):
    assert clinical.screener_total("auditc", answers) == total


@pytest.mark.parametrize(
    "total, expected",
    [
        (0, "Below the cut-offs"),
        (2, "Below the cut-offs"),
        (3, "At the women's cut-off"),
        (4, "Positive screen"),
        (12, "Positive screen"),
    ],
)
def test_auditc_cut_offs_women_3_men_4(total, expected):
    assert clinical.band("auditc", total) == expected
    assert clinical.AUDITC_POSITIVE_WOMEN == 3 and clinical.AUDITC_POSITIVE_MEN == 4


NO, YES = 0, 1


@pytest.mark.parametrize(
    "answers, total",
    [
        ([NO, NO, YES, NO, NO, NO, NO, NO, NO, NO], 0),  # "always able to stop": yes = no point
        ([NO, NO, NO, NO, NO, NO, NO, NO, NO, NO], 1),  # all "No" still scores item 3's point
        ([YES, NO, YES, NO, NO, NO, NO, NO, NO, NO], 1),
        ([YES, YES, NO, NO, YES, NO, NO, NO, NO, NO], 4),  # item 3 "No" counts
        ([YES] * 10, 9),  # every "Yes": item 3 scores 0
        ([YES, YES, NO, YES, YES, YES, YES, YES, YES, YES], 10),
    ],
)
def test_dast10_worked_examples_item3_reversed(answers, total):
    assert clinical.screener_total("dast10", answers) == total


@pytest.mark.parametrize(
    "total, expected",
    [
        (0, "No problems reported"),
        (1, "Low level"),
        (2, "Low level"),
        (3, "Moderate level"),
        (5, "Moderate level"),
        (6, "Substantial level"),
        (8, "Substantial level"),
        (9, "Severe level"),
        (10, "Severe level"),
    ],
)
def test_dast10_bands_at_every_edge(total, expected):
    assert clinical.band("dast10", total) == expected


def test_definitions_match_the_instruments():
    q = screeners.screeners()
    assert [len(i.choices) for i in q["auditc"].items] == [5, 5, 5]
    assert q["auditc"].items[0].text == "How often do you have a drink containing alcohol?"
    assert len(q["dast10"].items) == 10 and all(i.choices == ("No", "Yes") for i in q["dast10"].items)
    assert q["dast10"].items[2].text == "Are you always able to stop using drugs when you want to?"
    assert "Skinner" in q["dast10"].attribution and "Bush" in q["auditc"].attribution


# --- saving and the schedule ------------------------------------------------------------------


def test_intake_scored_saved_then_only_on_request(session, people):
    quinn = people.participant()
    assert [(s.kind, s.due_slot) for s in screeners.statuses(session, quinn, quinn.id)] == [
        ("auditc", "p0"),
        ("dast10", "p0"),
    ]
    result = take(session, quinn, "auditc", [2, 1, 1])
    assert (result.total, result.band, result.intake_total) == (4, "Positive screen", None)
    assert result.words == clinical.BAND_WORDS["Positive screen"]
    dast = take(session, quinn, "dast10", [YES, NO, NO, NO, NO, NO, NO, NO, NO, NO])
    assert (dast.total, dast.band) == (2, "Low level")
    row = session.exec(select(Checkup).where(Checkup.participant_id == quinn.id, Checkup.kind == "dast10")).one()
    assert row.answers == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0] and row.total == 2 and row.slot_key == "p0"
    # not weekly: a week later nothing is due
    later = MONDAY + timedelta(days=7)
    assert not any(s.is_due for s in screeners.statuses(session, quinn, quinn.id, later.date()))
    with pytest.raises(ValidationError, match="already done"):
        take(session, quinn, "auditc", [0, 0, 0], now=later)
    # the therapist asks (at discharge): due again, with change from intake
    therapist = people.actor(people.therapist)
    screeners.request(session, therapist, participant_id=quinn.id, kind="auditc")
    with pytest.raises(ValidationError, match="already waiting"):
        screeners.request(session, therapist, participant_id=quinn.id, kind="auditc")
    again = take(session, quinn, "auditc", [1, 0, 0], now=later)
    assert (again.total, again.intake_total) == (1, 4)
    request = session.exec(select(CheckupRequest).where(CheckupRequest.participant_id == quinn.id)).one()
    assert request.fulfilled_by_id is not None
    past = screeners.histories(session, therapist, quinn.id)
    assert [p.total for p in past["auditc"]] == [4, 1] and past["auditc"][1].change.from_intake == -3
    assert [p.total for p in past["dast10"]] == [2]


def test_a_request_before_intake_is_met_by_the_intake(session, people):
    quinn = people.participant()
    screeners.request(session, people.actor(people.therapist), participant_id=quinn.id, kind="dast10")
    take(session, quinn, "dast10")
    assert not next(s for s in screeners.statuses(session, quinn, quinn.id) if s.kind == "dast10").is_due
    request = session.exec(select(CheckupRequest).where(CheckupRequest.participant_id == quinn.id)).one()
    slot = session.exec(select(Checkup.slot_key).where(Checkup.id == request.fulfilled_by_id)).one()
    assert slot == "p0"


def test_not_offered_outside_substance_use_programs(session, people):
    quinn = people.participant()
    people.program.substance_use_tracking = False
    session.add(people.program)
    session.commit()
    assert screeners.statuses(session, quinn, quinn.id) == []
    with pytest.raises(ValidationError, match="not part of your program"):
        take(session, quinn)
    with pytest.raises(ValidationError, match="does not track substance use"):
        screeners.request(session, people.actor(people.therapist), participant_id=quinn.id, kind="dast10")
    assert session.exec(select(Checkup)).first() is None


@pytest.mark.parametrize(
    "kind, values, field",
    [
        ("auditc", [0, 0], "answers"),
        ("auditc", [None, 0, 0], "item_0"),
        ("auditc", [0, 5, 0], "item_1"),
        ("auditc", [0, 0, -1], "item_2"),
        ("auditc", [0, True, 0], "item_1"),
        ("auditc", [0, 1.0, 0], "item_1"),
        ("auditc", "000", "answers"),
        ("dast10", [0] * 9 + [2], "item_9"),
        ("dast10", [0] * 9 + ["1"], "item_9"),
        ("dast10", None, "answers"),
    ],
)
def test_bad_answers_are_refused_and_nothing_saved(session, people, kind, values, field):
    quinn = people.participant()
    with pytest.raises(ValidationError) as caught:
        screeners.submit(session, quinn, participant_id=quinn.id, kind=kind, answers=values, now=MONDAY)
    assert field in caught.value.fields
    assert session.exec(select(Checkup)).first() is None


@pytest.mark.parametrize("kind", ["phq9", "AUDITC", "", None, 3, "auditc\x00"])
def test_unknown_kinds_are_refused(session, people, kind):
    quinn = people.participant()
    with pytest.raises(ValidationError):
        screeners.submit(session, quinn, participant_id=quinn.id, kind=kind, answers=[0, 0, 0], now=MONDAY)
    with pytest.raises(ValidationError):
        screeners.request(session, people.actor(people.therapist), participant_id=quinn.id, kind=kind)


def test_only_the_participant_answers_and_only_their_therapist_asks(session, people):
    quinn = people.participant()
    other = people.participant("rowan", name="Rowan Other")
    therapist = people.actor(people.therapist)
    for who in (other, therapist, people.actor(people.admin)):
        with pytest.raises(AccessDenied):
            screeners.submit(session, who, participant_id=quinn.id, kind="auditc", answers=[0, 0, 0], now=MONDAY)
    for who in (quinn, other, people.actor(people.admin)):
        with pytest.raises(AccessDenied):
            screeners.request(session, who, participant_id=quinn.id, kind="auditc")
    with pytest.raises(AccessDenied):
        screeners.histories(session, people.actor(people.admin), quinn.id)
    assert session.exec(select(Checkup)).first() is None


@pytest.fixture
def wide_engine(database_url):
    """A connection for every thread on PostgreSQL (as in test_gate_concurrency)."""
    if database_url.startswith("sqlite"):
        yield db.engine_for(database_url)
        return
    engine = create_engine(db.engine_for(database_url).url, pool_size=THREADS + 2, max_overflow=0)
    engine.hold_connections = True
    yield engine
    engine.dispose()


def test_twenty_taps_at_once_save_one(wide_engine, session, people):
    quinn = people.participant()
    results, errors = at_once(wide_engine, lambda own, i: take(own, quinn, "auditc", [1, 1, 1]))
    assert len(results) == 1 and len(errors) == THREADS - 1
    assert all(isinstance(e, ValidationError) for e in errors), errors[:3]
    session.expire_all()
    assert len(session.exec(select(Checkup).where(Checkup.participant_id == quinn.id)).all()) == 1


# --- family: Part 2 data, never read by family (even with every consent) -------------------------


def test_family_never_sees_screeners_even_with_part_2_consent(session, demo):
    eli, robin = act(session, "eli"), act(session, "robin.thompson")
    session.add(FamilyLink(family_id=robin.id, participant_id=eli.id, relationship="Sibling"))
    now = utcnow()
    for category in (Category.SUBSTANCE_USE, Category.CHECKUP_TOTALS):
        session.add(
            ConsentGrant(
                participant_id=eli.id,
                family_id=robin.id,
                category=category.value,
                expires_at=now + timedelta(days=30),
                purpose="support",
                signature="Eli Santos",
                signed_at=now,
            )
        )
    session.commit()
    program = session.get(Program, eli.program_id)
    assert program.substance_use_tracking
    if any(s.kind == "auditc" and s.is_due for s in screeners.statuses(session, eli, eli.id)):
        take(session, eli, "auditc", [3, 3, 3], now=utcnow())
    assert session.exec(select(Checkup).where(Checkup.participant_id == eli.id, Checkup.kind == "auditc")).first()
    for call in (
        lambda: screeners.histories(session, robin, eli.id),
        lambda: screeners.statuses(session, robin, eli.id),
    ):
        with pytest.raises(AccessDenied):
            call()
    # the one family view of check-ups (totals, with consent) never includes a screener
    assert {kind for _, kind, _, _ in sharing.checkup_totals(session, robin, eli.id)} <= {"phq9", "gad7"}
    refused = session.exec(
        select(AuditEvent).where(
            AuditEvent.actor_id == robin.id,
            AuditEvent.category == Category.SUBSTANCE_USE.value,
            col(AuditEvent.allowed).is_(False),
        )
    ).all()
    assert len(refused) == 2


def test_the_record_export_carries_the_screeners(session, people):
    import csv
    import io
    import zipfile

    from core import export

    quinn = people.participant()
    take(session, quinn, "dast10", [YES, YES, NO, NO, NO, NO, NO, NO, NO, NO])  # item 3 "No": 3, moderate
    for who in (quinn, people.actor(people.therapist)):
        with zipfile.ZipFile(io.BytesIO(export.record_zip(session, who, quinn.id))) as z:
            rows = list(csv.DictReader(io.StringIO(z.read("checkups.csv").decode())))
        assert [(r["questionnaire"], r["total"], r["band"], r["item_answers"]) for r in rows] == [
            ("dast10", "3", "Moderate level", "1 1 0 0 0 0 0 0 0 0")
        ]


def test_the_bands_run_from_each_floor_to_the_next_and_end_at_the_maximum():
    assert clinical.band_ranges("phq9") == [
        (0, 4, "Minimal"),
        (5, 9, "Mild"),
        (10, 14, "Moderate"),
        (15, 19, "Moderately severe"),
        (20, clinical.MAX_TOTAL["phq9"], "Severe"),
    ]


def test_the_reviews_screener_key_is_built_from_the_cut_offs_and_bands(monkeypatch):
    words = clinical.screeners_in_words()
    assert f"AUDIT-C (alcohol, 0–{clinical.MAX_TOTAL['auditc']})" in words
    assert (
        f"{clinical.AUDITC_POSITIVE_MEN} or more for men, {clinical.AUDITC_POSITIVE_WOMEN} or more for women" in words
    )
    for low, high, name in clinical.band_ranges("dast10"):
        assert f"{low if low == high else f'{low}–{high}'} {name.lower()}" in words
    # A changed cut-off or band changes what the therapist reads.
    monkeypatch.setattr(clinical, "AUDITC_POSITIVE_MEN", 5)
    monkeypatch.setitem(clinical.BANDS, "dast10", ((0, "None"), (2, "Some")))
    changed = clinical.screeners_in_words()
    assert "5 or more for men" in changed and "0–1 none, 2–10 some." in changed


def _audited(session, who) -> list[str]:
    session.commit()
    return [
        e.category
        for e in session.exec(
            select(AuditEvent).where(AuditEvent.actor_id == who.id).order_by(col(AuditEvent.id))
        ).all()
    ]


def test_todays_one_read_answers_as_the_two_do_and_is_audited_alike(session, people):
    """Today asks for the check-ups and the screeners due in one statement (screeners.due_with_checkups):
    the same answers as checkups.statuses and screeners.statuses, through intakes, requests of both
    kinds (one made before its intake) and weeks going by; each category recorded as those two do."""
    from core import checkups

    quinn = people.participant()
    therapist = people.actor(people.therapist)
    day = MONDAY.date()

    def same() -> None:
        before = _audited(session, quinn)
        apart = (checkups.statuses(session, quinn, quinn.id, day), screeners.statuses(session, quinn, quinn.id, day))
        between = _audited(session, quinn)
        with db.counting(session.get_bind()) as seen:
            together = screeners.due_with_checkups(session, quinn, quinn.id, day)
        after = _audited(session, quinn)
        assert together == apart
        assert (
            after[len(between) :] == between[len(before) :] == [Category.CHECKUPS.value, Category.SUBSTANCE_USE.value]
        )
        assert len([s for s in seen.sql if "checkup" in s]) == 1, seen.sql  # (the gate's reads aside)

    same()  # nothing taken: every intake due
    screeners.request(session, therapist, participant_id=quinn.id, kind="dast10")  # asked before its intake
    same()
    take(session, quinn, "auditc", [2, 1, 1])
    checkups.request_extra(session, therapist, participant_id=quinn.id, kind="phq9")
    same()
    screeners.request(session, therapist, participant_id=quinn.id, kind="auditc")
    take(session, quinn, "dast10")
    same()
    day += timedelta(days=8)
    same()
    assert any(
        s.due_slot and s.due_slot.startswith("extra-")
        for s in screeners.due_with_checkups(session, quinn, quinn.id, day)[0]
    )
    assert any(
        s.due_slot and s.due_slot.startswith("extra-")
        for s in screeners.due_with_checkups(session, quinn, quinn.id, day)[1]
    )

    people.program.substance_use_tracking = False  # elsewhere: no screeners, and none read or recorded
    session.add(people.program)
    session.commit()
    before = _audited(session, quinn)
    due, screens = screeners.due_with_checkups(session, quinn, quinn.id, day)
    assert screens == [] and due == checkups.statuses(session, quinn, quinn.id, day)
    assert _audited(session, quinn)[len(before) :] == [Category.CHECKUPS.value, Category.CHECKUPS.value]
