"""The relapse-prevention and aftercare plan: versioned like the safety plan, printable, appointments
not in the past when added, hostile text kept as plain text, family only with its own consent."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core import aftercare, sharing
from core.access import Actor, Category
from core.errors import AccessDenied, ValidationError
from core.models import AftercarePlanVersion, AppUser, ConsentGrant, FamilyLink, Role, utcnow
from core.program import user_today
from core.safety import PlanConflict


def _plan(today):
    return {
        "triggers": ["Friday paydays", "  being alone after 9 pm  "],
        "warning_signs": ["Skipping meals"],
        "coping_steps": ["Urge surfing for 10 minutes", "Call my sponsor"],
        "people": [{"name": "Sam (sponsor)", "phone": "555-0101"}, {"name": "", "phone": ""}],
        "appointments": [
            {"provider": "Dr. Lee, outpatient", "date": today + timedelta(days=10), "contact": "555-0199"}
        ],
        "medication": "Sertraline 50 mg each morning.\nMissed dose: take it if before noon.",
        "meetings": ["SMART Recovery, Tue 7 pm, library"],
    }


def test_the_therapist_builds_it_and_every_save_is_a_new_version(session, people):
    quinn = people.participant()
    rivera = people.actor(people.therapist)
    today = user_today(session, quinn.id)
    first = aftercare.save_plan(session, rivera, participant_id=quinn.id, content=_plan(today), base_version=None)
    assert first.version == 1
    assert first.content["triggers"] == ["Friday paydays", "being alone after 9 pm"]
    assert first.content["people"] == [{"name": "Sam (sponsor)", "phone": "555-0101"}]  # blank row dropped
    assert first.content["appointments"][0]["date"] == (today + timedelta(days=10)).isoformat()
    changed = {**_plan(today), "meetings": ["AA, Thu 8 pm"]}
    second = aftercare.save_plan(session, quinn, participant_id=quinn.id, content=changed, base_version=1)
    assert second.version == 2 and aftercare.current_plan(session, rivera, quinn.id).items("meetings") == [
        "AA, Thu 8 pm"
    ]
    [newest, oldest] = aftercare.history(session, quinn, quinn.id)
    assert "Mutual-help meetings: added “AA, Thu 8 pm”" in newest.summary and oldest.version == 1


def test_a_save_on_an_older_version_is_told_and_nothing_is_overwritten(session, people):
    quinn = people.participant()
    today = user_today(session, quinn.id)
    aftercare.save_plan(session, quinn, participant_id=quinn.id, content=_plan(today), base_version=None)
    with pytest.raises(PlanConflict) as conflict:
        aftercare.save_plan(session, quinn, participant_id=quinn.id, content=_plan(today), base_version=None)
    assert conflict.value.current.version == 1
    assert len(session.exec(select(AftercarePlanVersion)).all()) == 1


def test_twenty_saves_of_the_same_version_at_once_make_one_version(engine, session, people):
    quinn = people.participant()
    today = user_today(session, quinn.id)
    barrier, outcomes = threading.Barrier(20), []

    def save():
        try:
            with Session(engine, expire_on_commit=False) as own:
                barrier.wait()
                aftercare.save_plan(own, quinn, participant_id=quinn.id, content=_plan(today), base_version=None)
            outcomes.append("saved")
        except PlanConflict:
            outcomes.append("conflict")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=save) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["conflict"] * 19 + ["saved"]
    session.expire_all()
    assert len(session.exec(select(AftercarePlanVersion)).all()) == 1


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"appointments": [{"provider": "Dr. Lee", "date": "past", "contact": ""}]}, "appointments", "in the past"),
        ({"appointments": [{"provider": "Dr. Lee", "date": "far", "contact": ""}]}, "appointments", "year away"),
        ({"appointments": [{"provider": "Dr. Lee", "date": None, "contact": "x"}]}, "appointments", "a date"),
        ({"appointments": [{"provider": "Dr. Lee", "date": "2026-12-01", "contact": ""}]}, "appointments", "calendar"),
        ({"people": [{"name": "", "phone": "555"}]}, "people", "give each number a name"),
        ({"triggers": ["x" * 201]}, "triggers", "under 200"),
        ({"triggers": [f"t{n}" for n in range(13)]}, "triggers", "up to 12"),
        ({"triggers": "one string"}, "triggers", "up to 12"),
        ({"medication": "m" * 1001}, "medication", "under 1,000"),
        ({"surprise": ["x"]}, "plan", "could not be read"),
    ],
)
def test_bad_sections_get_a_message_on_their_field_and_nothing_is_saved(session, people, change, field, words):
    quinn = people.participant()
    today = user_today(session, quinn.id)
    for visit in change.get("appointments", []):
        visit["date"] = {"past": today - timedelta(days=1), "far": today + timedelta(days=400)}.get(
            visit["date"], visit["date"]
        )
    with pytest.raises(ValidationError) as refused:
        aftercare.save_plan(
            session, quinn, participant_id=quinn.id, content={**_plan(today), **change}, base_version=None
        )
    assert words in refused.value.fields[field]
    assert session.exec(select(AftercarePlanVersion)).all() == []


def test_an_appointment_kept_from_an_earlier_version_may_now_be_past(session, people):
    quinn = people.participant()
    today = user_today(session, quinn.id)
    past = today - timedelta(days=3)
    session.add(
        AftercarePlanVersion(
            participant_id=quinn.id,
            version=1,
            content={"appointments": [{"provider": "Dr. Lee", "date": past.isoformat(), "contact": ""}]},
            created_by_id=quinn.id,
        )
    )
    session.commit()
    content = {"appointments": [{"provider": "Dr. Lee", "date": past, "contact": ""}], "meetings": ["AA"]}
    saved = aftercare.save_plan(session, quinn, participant_id=quinn.id, content=content, base_version=1)
    assert saved.version == 2 and saved.content["appointments"][0]["date"] == past.isoformat()


def test_hostile_text_is_cleaned_and_printed_as_plain_text(session, people):
    quinn = people.participant()
    today = user_today(session, quinn.id)
    content = {
        **_plan(today),
        "triggers": ["![x](http://evil.example/p.png)\x00 payday\u202e"],
        "medication": "<script>alert(1)</script>\r\ntake\x00 it",
    }
    plan = aftercare.save_plan(session, quinn, participant_id=quinn.id, content=content, base_version=None)
    assert plan.items("triggers") == ["![x](http://evil.example/p.png) payday"]
    assert plan.content["medication"] == "<script>alert(1)</script>\ntake it"
    page = aftercare.printable(plan, name="Quinn <b>R</b>")
    assert "<script>" not in page and "&lt;script&gt;" in page and "Quinn &lt;b&gt;R&lt;/b&gt;" in page
    assert "href='tel:5550101'" in page and "SMART Recovery, Tue 7 pm, library" in page


def _family(session, people, quinn):
    family = AppUser(
        username="fam", name="Fam Ily", role=Role.FAMILY.value, password_hash="!", program_id=people.program.id
    )
    session.add(family)
    session.flush()
    session.add(FamilyLink(family_id=family.id, participant_id=quinn.id, relationship="Sibling"))
    session.commit()
    return Actor.of(family)


def test_family_see_it_only_with_its_own_consent_and_never_the_medication_plan(session, people):
    quinn = people.participant()
    fam = _family(session, people, quinn)
    aftercare.save_plan(
        session, quinn, participant_id=quinn.id, content=_plan(user_today(session, quinn.id)), base_version=None
    )
    for category in (c for c in sharing.OFFERED if c is not Category.AFTERCARE):  # any other consent: no
        session.add(
            ConsentGrant(
                participant_id=quinn.id,
                family_id=fam.id,
                category=category.value,
                expires_at=utcnow() + timedelta(days=30),
                purpose="support",
                signature="Quinn Rivers",
                signed_at=utcnow(),
            )
        )
    session.commit()
    with pytest.raises(AccessDenied):
        aftercare.current_plan(session, fam, quinn.id)
    sharing.grant(
        session,
        quinn,
        family_id=fam.id,
        category=Category.AFTERCARE,
        until=user_today(session, quinn.id) + timedelta(days=30),
        shown_version=sharing.consent_version(Category.AFTERCARE),
    )
    shown = aftercare.current_plan(session, fam, quinn.id)
    assert "medication" not in shown.content and shown.items("triggers") and shown.updated_by == ""
    for reader in (aftercare.history, aftercare.aftercare_csv, aftercare.report_section):
        with pytest.raises(AccessDenied):
            reader(session, fam, quinn.id)


def test_the_demo_has_goals_rated_weekly_for_everyone_and_one_aftercare_plan(session, demo):
    from core import goals
    from core.seed import AFTERCARE_FOR, PARTICIPANTS

    for username, _, _ in PARTICIPANTS:
        person = Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())
        board = goals.board(session, person, person.id)
        assert 2 <= len(board.goals) <= 3
        weeks = sorted({r.week_start for r in board.ratings})
        assert weeks and weeks[-1] == board.week_start - timedelta(weeks=1)  # this week is theirs to rate
        assert all(0 <= r.rating <= 10 for r in board.ratings)
    jordan = Actor.of(session.exec(select(AppUser).where(AppUser.username == AFTERCARE_FOR)).one())
    plan = aftercare.current_plan(session, jordan, jordan.id)
    assert plan.version == 2 and plan.updated_by.startswith("Dr.")
    assert all(visit["date"] > user_today(session, jordan.id).isoformat() for visit in plan.items("appointments"))
