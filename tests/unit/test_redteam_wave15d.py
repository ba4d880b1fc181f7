"""Red team, wave 15 (fourth team): what family sees, goals, My cards, practice, reminders and
language, attacked as a hostile or careless user would (SQLite and PostgreSQL). Each test is an
attack that broke the app (and guards its fix) or that guards something no earlier test did."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from core import enrolment, goals, i18n, notify, recovery, sharing
from core.access import Category
from core.errors import ValidationError
from core.models import GoalRating, Program
from core.notify import Status
from core.program import forget_programs, user_today
from tests.smtp_server import free_port, smtp_server, use_smtp
from tests.unit.test_aftercare import _family
from tests.unit.test_reminders import DAY, NY_8PM, _opted_in, _sent


def test_a_spanish_family_member_reads_every_shared_scope_in_spanish():
    """A Spanish-speaking family member opens "What they share with you, and why": every scope line
    must be in Spanish. The aftercare scope was never marked for translation, so it stayed English."""
    with i18n.using("es"):
        untranslated = [c for c, scope in sharing.SCOPE_FOR_FAMILY.items() if i18n._(scope) == scope]
        labels = [c for c, label in sharing.CATEGORY_LABELS.items() if i18n._(label) == label]
    assert untranslated == [] and labels == []
    assert set(sharing.SCOPE_FOR_FAMILY) == set(sharing.OFFERED) == set(sharing.CATEGORY_LABELS)


def test_a_rating_given_to_a_goal_the_therapist_has_just_rewritten_is_not_saved_to_the_new_words(session, people):
    """The participant opened Today (goal 1: "Sleep before midnight") and, while they chose 8, their
    therapist rewrote goal 1 in place (same id) as "Go to every group session". The rating went by id
    onto the new words: an 8 for a goal the participant never saw. Now nothing is saved and they are
    told; a form drawn from the plan as it is saves as before."""
    quinn = people.participant()
    therapist = people.actor(people.therapist)
    drawn = goals.save_goals(
        session,
        therapist,
        participant_id=quinn.id,
        goals=[{"id": None, "text": "Sleep before midnight", "measure": "5 nights a week"}],
        base_version=None,
    )
    week = goals.week_of(user_today(session, quinn.id))
    rewritten = goals.save_goals(
        session,
        therapist,
        participant_id=quinn.id,
        goals=[{"id": drawn[0].id, "text": "Go to every group session", "measure": "From attendance"}],
        base_version=goals.version_of(drawn),
    )
    assert rewritten[0].id == drawn[0].id  # an edit keeps its id: the rating would land on the new words

    def rate(shown: list[goals.GoalView], rating: int) -> None:  # the form as drawn from `shown`
        goals.rate_goals(
            session,
            quinn,
            participant_id=quinn.id,
            week_start=week,
            ratings={shown[0].id: rating},
            shown_version=goals.version_of(shown),
        )

    with pytest.raises(goals.GoalsChanged) as refused:
        rate(drawn, 8)
    assert "changed since you opened" in refused.value.fields["ratings"]
    session.expire_all()
    assert session.exec(select(GoalRating).where(GoalRating.participant_id == quinn.id)).all() == []
    rate(rewritten, 3)
    assert [(r.goal_id, r.rating) for r in goals.ratings_for(session, quinn, quinn.id)] == [(rewritten[0].id, 3)]


def test_a_counter_kept_for_a_substance_the_program_stopped_listing_can_be_changed_but_none_started(session, people):
    """The program drops cannabis from its list: Quinn's cannabis counter may still be hidden (it was
    refused as "not on your program's list", so it stayed on Today for good), but a counter for a
    kind the program does not list is still never started."""
    quinn = people.participant()
    start = user_today(session, quinn.id) - timedelta(days=10)
    recovery.set_counter(session, quinn, participant_id=quinn.id, substance="cannabis", start_on=start, shown=True)
    program = session.get(Program, people.program.id)
    program.substances = [s for s in program.substances if s not in ("cannabis", "stimulants")]
    session.add(program)
    session.commit()
    forget_programs()
    hidden = recovery.set_counter(
        session, quinn, participant_id=quinn.id, substance="cannabis", start_on=start, shown=False
    )
    assert (hidden.substance, hidden.shown) == ("cannabis", False)
    with pytest.raises(ValidationError) as refused:
        recovery.set_counter(
            session, quinn, participant_id=quinn.id, substance="stimulants", start_on=start, shown=True
        )
    assert "not on your program's list" in refused.value.fields["substance"]
    assert [c.substance for c in recovery.counters(session, quinn, quinn.id)] == ["cannabis"]


def test_a_reminder_held_for_quiet_hours_is_not_sent_after_the_participant_is_discharged(session, people, monkeypatch):
    """Quinn's 9 pm diary reminder was queued, then held for quiet hours (9:30–11:45 pm); at 10 pm
    their therapist discharged them. At 11:45 the held "Time for today's diary card" went out to
    someone no longer in the program (scheduling skips the discharged; delivery did not look)."""
    quinn = _opted_in(session, people, at="21:00", quiet=("21:30", "23:45"))
    use_smtp(monkeypatch, free_port())
    notify.tick(now=NY_8PM + timedelta(hours=1))  # 9 pm: queued, but the server is down
    notify.tick(now=NY_8PM + timedelta(hours=1, minutes=40))  # 9:40 pm: held for quiet hours
    enrolment.discharge(
        session, people.actor(people.therapist), participant_id=quinn.id, day=DAY, status="completed", today=DAY
    )
    with smtp_server() as (inbox, port):
        use_smtp(monkeypatch, port)
        notify.tick(now=NY_8PM + timedelta(hours=3, minutes=45))  # 11:45 pm: quiet hours over
    [row] = _sent(session)
    assert inbox.count() == 0 and row.status == Status.SKIPPED and "discharged" in row.last_error


@pytest.mark.parametrize(
    "typed",
    [
        dict(remind_at="23:00", quiet_start="22:00", quiet_end="07:00"),  # inside quiet hours (past midnight)
        dict(remind_at="20:00", quiet_start="22:00", quiet_end="22:00"),
        dict(remind_at="20:00", quiet_start="22:00", quiet_end=None),
    ],
)
def test_a_spanish_participants_reminder_settings_are_refused_in_spanish(session, people, typed):
    """Quinn reads the app in Spanish and picks a reminder inside their quiet hours (22:00–07:00),
    or quiet hours that start and end at once: the refusal beside the field was English (the
    messages were never marked for translation, so the page's `_()` found nothing)."""
    quinn = people.participant()
    notify.set_email(session, quinn, email="quinn@home.example.org")
    with pytest.raises(ValidationError) as refused:
        notify.save_reminders(session, quinn, diary=True, checkup=False, homework=False, **typed)
    with i18n.using("es"):
        untranslated = [m for m in refused.value.fields.values() if i18n._(m) == m]
    assert refused.value.fields and untranslated == []


def test_a_spanish_participants_email_problems_are_refused_in_spanish(session, people):
    quinn, olive = people.participant(), people.participant("olive")
    notify.set_email(session, olive, email="olive@home.example.org")
    refusals = []
    for email in ("olive@home.example.org", "josé@example.org", "not an address"):
        with pytest.raises(ValidationError) as refused:
            notify.set_email(session, quinn, email=email)
        refusals.append(refused.value.fields["email"])
    with pytest.raises(ValidationError) as no_email:
        notify.save_reminders(session, quinn, diary=True, checkup=False, homework=False, remind_at="20:00")
    refusals.append(no_email.value.fields["email"])
    with i18n.using("es"):
        assert [m for m in refusals if i18n._(m) == m] == []


def test_a_spanish_participant_sharing_substance_use_is_told_what_is_missing_in_spanish(session, people):
    """Quinn, in Spanish, shares craving averages (a 42 CFR Part 2 consent) without a purpose, with a
    signature that is not their name, an end date past a year and an old wording: every message beside
    the fields was English (plain strings in core, never marked; the page escapes them for Markdown
    before its `_()`, so they must be translated where they are made)."""
    quinn = people.participant()
    fam = _family(session, people, quinn)
    today = user_today(session, quinn.id)

    def refused(language: str) -> dict[str, str]:
        with i18n.using(language), pytest.raises(ValidationError) as caught:
            sharing.grant(
                session,
                quinn,
                family_id=fam.id,
                category=Category.SUBSTANCE_USE,
                until=today + timedelta(days=400),
                purpose="",
                signature="Someone Else",
                shown_version="an old wording",
            )
        return caught.value.fields

    english, spanish = refused("en"), refused("es")
    assert set(english) == set(spanish) == {"until", "purpose", "signature", "consent"}
    assert [field for field in english if english[field] == spanish[field]] == []
    assert quinn.name in spanish["signature"]


def test_a_spanish_participant_withdrawing_a_code_already_used_is_told_in_spanish(session, people):
    """Quinn, in Spanish, taps Withdraw on a code their sister redeemed a moment ago (or withdrew in
    another tab): the notice was English, joined from core's plain string with no `_()` anywhere."""
    quinn = people.participant()
    sharing.create_invitation(session, quinn, name="Sam Rivers")
    [pending] = sharing.pending_invitations(session, quinn, quinn.id)
    sharing.withdraw_invitation(session, quinn, invitation_id=pending.id)
    with i18n.using("es"), pytest.raises(ValidationError) as refused:
        sharing.withdraw_invitation(session, quinn, invitation_id=pending.id)
    [message] = refused.value.fields.values()
    assert message != "That code has already been used or withdrawn." and "código" in message
