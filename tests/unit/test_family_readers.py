"""Every core function that reads a participant's data, called as a family member — with no
consent, with consent for each category alone, and with consent for all of them. Each call is
refused by the gate, or returns only the summary that consent covers; never the record itself
(each attendance session, every safety-plan version, diary days, item answers, notes).

A completeness check makes this table fail when a new reader is added to core without a row.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import timedelta

import pytest
from sqlmodel import select

import core
from core import (
    accounts,
    aftercare,
    alerts,
    attendance,
    caseload,
    checkups,
    dashboard,
    diary,
    enrolment,
    export,
    feed,
    fhir,
    goals,
    notify,
    practice,
    program,
    recovery,
    report,
    review,
    safety,
    schedule,
    screeners,
    sharing,
)
from core.access import Actor, Category
from core.errors import AccessDenied
from core.models import AppUser, AuditEvent, ConsentGrant, ProgramSession, utcnow
from core.seed import demo_today

TODAY = demo_today()
WEEK_AGO = TODAY - timedelta(days=7)


def _sessions_of(session, participant_id) -> list[int]:
    return list(session.exec(select(ProgramSession.id).where(ProgramSession.participant_id == participant_id)).all())


# Readers of one participant's record (the record itself): refused to family whatever the consent.
RECORD_READERS = {
    "aftercare.aftercare_csv": lambda s, a, p: aftercare.aftercare_csv(s, a, p),
    "aftercare.history": lambda s, a, p: aftercare.history(s, a, p),
    "aftercare.report_section": lambda s, a, p: aftercare.report_section(s, a, p),
    "alerts.history": lambda s, a, p: alerts.history(s, a, p),
    "attendance.history": lambda s, a, p: attendance.history(s, a, p),
    "attendance.recorded": lambda s, a, p: attendance.recorded(s, a, _sessions_of(s, p)),
    "checkups.histories": lambda s, a, p: checkups.histories(s, a, p),
    "checkups.history": lambda s, a, p: checkups.history(s, a, p, "phq9"),
    "checkups.statuses": lambda s, a, p: checkups.statuses(s, a, p, TODAY),
    "diary.card_for_day": lambda s, a, p: diary.card_for_day(s, a, p, TODAY),
    "diary.cards_between": lambda s, a, p: diary.cards_between(s, a, p, WEEK_AGO, TODAY),
    "diary.cards_csv": lambda s, a, p: diary.cards_csv(s, a, p, targets=[]),
    "diary.recent_days_with_cards": lambda s, a, p: diary.recent_days_with_cards(s, a, p, TODAY),
    "export.record_zip": lambda s, a, p: export.record_zip(s, a, p),
    "fhir.handoff_bundle": lambda s, a, p: fhir.handoff_bundle(s, a, p),
    "fhir.handoff_json": lambda s, a, p: fhir.handoff_json(s, a, p),
    "goals.board": lambda s, a, p: goals.board(s, a, p, TODAY),
    "goals.goals_csv": lambda s, a, p: goals.goals_csv(s, a, p),
    "goals.goals_for": lambda s, a, p: goals.goals_for(s, a, p),
    "goals.ratings_for": lambda s, a, p: goals.ratings_for(s, a, p),
    "goals.report_section": lambda s, a, p: goals.report_section(s, a, p),
    "practice.favourites": lambda s, a, p: practice.favourites(s, a, p),
    "practice.homework_for": lambda s, a, p: practice.homework_for(s, a, p),
    "practice.practice_between": lambda s, a, p: practice.practice_between(s, a, p, WEEK_AGO, TODAY),
    "practice.practice_csv": lambda s, a, p: practice.practice_csv(s, a, p),
    "practice.practice_and_thoughts": lambda s, a, p: practice.practice_and_thoughts(s, a, p, WEEK_AGO, TODAY),
    "practice.thought_records": lambda s, a, p: practice.thought_records(s, a, p),
    "program.participant_overview": lambda s, a, p: program.participant_overview(s, a, p),
    "report.progress_report": lambda s, a, p: report.progress_report(s, a, p, TODAY),
    "review.review_of": lambda s, a, p: review.review_of(s, a, participant_id=p, week_start=WEEK_AGO, today=TODAY),
    "recovery.counters": lambda s, a, p: recovery.counters(s, a, p),
    "recovery.details_between": lambda s, a, p: recovery.details_between(s, a, p, WEEK_AGO, TODAY),
    "recovery.export_files": lambda s, a, p: recovery.export_files(s, a, p),
    "recovery.panel": lambda s, a, p: recovery.panel(s, a, p, WEEK_AGO, TODAY),
    "recovery.report_html": lambda s, a, p: recovery.report_html(s, a, p, WEEK_AGO, TODAY),
    "recovery.trigger_counts": lambda s, a, p: recovery.trigger_counts(s, a, p, WEEK_AGO, TODAY),
    "safety.history": lambda s, a, p: safety.history(s, a, p),
    "schedule.next_session": lambda s, a, p: schedule.next_session(s, a, p),
    "enrolment.standing": lambda s, a, p: enrolment.standing(s, a, p, TODAY),
    "schedule.sessions_between": lambda s, a, p: schedule.sessions_between(s, a, p, WEEK_AGO, TODAY),
    "feed.session_events": lambda s, a, p: feed.session_events(s, a, p, TODAY, utcnow()),
    "screeners.histories": lambda s, a, p: screeners.histories(s, a, p),
    "screeners.statuses": lambda s, a, p: screeners.statuses(s, a, p, TODAY),
    "screeners.due_with_checkups": lambda s, a, p: screeners.due_with_checkups(s, a, p, TODAY),
    "sharing.family_access_log": lambda s, a, p: sharing.family_access_log(s, a, p),
    "sharing.family_of": lambda s, a, p: sharing.family_of(s, a, p),
    "sharing.pending_invitations": lambda s, a, p: sharing.pending_invitations(s, a, p),
}


def _weekly(result, series):
    weeks, *values = result
    assert len(weeks) == sharing.FAMILY_WEEKS and len(values) == series
    assert all(len(v) == len(weeks) for v in values)  # one number per week, not per day


def _totals(result):
    assert all(len(row) == 4 for row in result)  # day, kind, total, band: never the answers


def _shared_steps(plan):
    assert plan is None or set(plan.content) <= {"reasons_for_living"}  # only what the participant marked


def _no_medication(plan):
    assert plan is not None and plan.items("triggers") == ["Payday"]  # the plan, ...
    assert "medication" not in plan.content and plan.updated_by == ""  # ... never the medication plan


# The family views: (category their consent must cover, call, what the answer may contain).
SUMMARY_READERS = {
    "sharing.mood_trend": (
        Category.MOOD_TREND,
        lambda s, a, p: sharing.mood_trend(s, a, p, TODAY),
        lambda r: _weekly(r, 1),
    ),
    "sharing.practice_counts": (
        Category.PRACTICE_COUNTS,
        lambda s, a, p: sharing.practice_counts(s, a, p, TODAY),
        lambda r: _weekly(r, 2),
    ),
    "sharing.attendance_weekly": (
        Category.ATTENDANCE,
        lambda s, a, p: sharing.attendance_weekly(s, a, p, TODAY),
        lambda r: _weekly(r, 2),
    ),
    "sharing.checkup_totals": (Category.CHECKUP_TOTALS, lambda s, a, p: sharing.checkup_totals(s, a, p), _totals),
    "sharing.substance_use": (
        Category.SUBSTANCE_USE,
        lambda s, a, p: sharing.substance_use(s, a, p, TODAY),
        lambda r: _weekly(r, 2),
    ),
    "safety.current_plan": (Category.SAFETY_PLAN, lambda s, a, p: safety.current_plan(s, a, p), _shared_steps),
    "aftercare.current_plan": (
        Category.AFTERCARE,
        lambda s, a, p: aftercare.current_plan(s, a, p),
        _no_medication,
    ),
}

# Readers for a role's own lists: refused to family by role.
ROLE_READERS = {
    "accounts.caseload_for": lambda s, a: accounts.caseload_for(s, a),
    "accounts.list_accounts": lambda s, a: accounts.list_accounts(s, a),
    "alerts.inbox": lambda s, a: alerts.inbox(s, a, today=TODAY),
    "attendance.caseload_rates": lambda s, a: attendance.caseload_rates(s, a, WEEK_AGO),
    "caseload.caseload_rows": lambda s, a: caseload.caseload_rows(s, a, TODAY),
    "caseload.caseload": lambda s, a: caseload.caseload(s, a, TODAY),
    "feed.feed_status": lambda s, a: feed.feed_status(s, a),
    "feed.participant_calendar": lambda s, a: feed.participant_calendar(s, a, now=utcnow()),
    "feed.therapist_calendar": lambda s, a: feed.therapist_calendar(s, a, now=utcnow()),
    "notify.alert_notices": lambda s, a: notify.alert_notices(s, a, [1]),
    "notify.escalations_for_lead": lambda s, a: notify.escalations_for_lead(s, a),
    "notify.maildrop_text": lambda s, a: notify.maildrop_text(s, a, message_id=1),
    "notify.my_settings": lambda s, a: notify.my_settings(s, a),
    "notify.overview": lambda s, a: notify.overview(s, a),
    "review.desk": lambda s, a: review.desk(s, a),
    "schedule.weekly_pattern": lambda s, a: schedule.weekly_pattern(s, a),
    "enrolment.discharged_caseload": lambda s, a: enrolment.discharged_caseload(s, a),
    "enrolment.roster": lambda s, a: enrolment.roster(s, a),
    "dashboard.program_dashboard": lambda s, a: dashboard.program_dashboard(s, a, TODAY),
    "schedule.roll_for_day": lambda s, a: schedule.roll_for_day(s, a, TODAY),
    "feed.caseload_session_events": lambda s, a: feed.caseload_session_events(s, a, TODAY, utcnow()),
}
# The family member's own things (their links, what is shared with them, their program and day).
OWN_READERS = {
    "sharing.shared_with_me",
    "program.program_of",
    "audit.audit_log",
    "notify.is_clinical_lead",
    "access.own_discharge",  # the acting participant's own discharge phase (a family member: "closed")
    "enrolment.remaining",  # what the acting person may still use; a family member's is their own
}  # (the audit log is the admin's: refused by role, tested in test_access/test_admin)
# Functions that change things (family never writes: see test_access) or are the gate itself.
NOT_READERS = {
    "access.authorize",
    "aftercare.save_plan",
    "access.record",
    "access.record_many",
    "access.require_role",
    "accounts.assign_therapist",
    "accounts.create_account",
    "accounts.set_active",
    "alerts.acknowledge",
    "alerts.acknowledge_many",
    "alerts.raise_missed_checkins",
    "alerts.resolve",
    "alerts.route",
    "alerts.save_followup",
    "alerts.screen_free_text",
    "alerts.screen_search",
    "auth.issue_reset_code",
    "auth.unlock",
    "diary.set_target_rule",
    "program.set_crisis_region",
    "attendance.record_session",
    "schedule.set_pattern",
    "schedule.generate_sessions",
    "schedule.add_session",
    "enrolment.discharge",
    "checkups.request_extra",
    "checkups.submit",
    "diary.add_target",
    "diary.save_card",
    "diary.set_target_active",
    "practice.assign_homework",
    "practice.remove_homework",
    "practice.save_practice",
    "practice.save_thought_record",
    "practice.set_favourite",
    "program.set_checkup_interval",
    "program.set_local_crisis_resources",
    "screeners.request",
    "screeners.submit",
    "recovery.remove_counter",
    "recovery.set_counter",
    "recovery.set_practice_triggers",
    "recovery.set_program_options",
    "safety.save_plan",
    "sharing.create_invitation",
    "sharing.grant",
    "sharing.revoke",
    "sharing.withdraw_invitation",
    "goals.rate_goals",
    "goals.save_goals",
    "feed.turn_off",
    "feed.turn_on",
    "notify.save_reminders",
    "notify.send_again",
    "notify.send_test",
    "notify.set_clinical_leads",
    "notify.set_email",
    "notify.set_escalation_minutes",
}


def test_every_core_function_that_takes_an_actor_is_in_this_table():
    found = set()
    for info in pkgutil.iter_modules(core.__path__):
        module = importlib.import_module(f"core.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if (
                fn.__module__ == module.__name__
                and not name.startswith("_")
                and "actor" in inspect.signature(fn).parameters
            ):
                found.add(f"{info.name}.{name}")
    listed = set(RECORD_READERS) | set(SUMMARY_READERS) | set(ROLE_READERS) | OWN_READERS | NOT_READERS
    assert found - listed == set(), "add these to the family reader table"
    assert listed - found == set(), "these no longer exist"


def act(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


CONSENT_STATES = ["none", *[c.value for c in sharing.OFFERED], "all"]


@pytest.mark.parametrize("state", CONSENT_STATES)
def test_every_reader_refuses_family_or_returns_only_the_consented_summary(session, demo, state):
    dana, jamie = act(session, "dana"), act(session, "jamie.okafor")
    plan = safety.current_plan(session, dana, dana.id)
    safety.save_plan(
        session,
        dana,
        participant_id=dana.id,
        base_version=plan.version,
        content={**plan.content, "shared_steps": ["reasons_for_living"]},
    )
    current = aftercare.current_plan(session, dana, dana.id)
    aftercare.save_plan(
        session,
        dana,
        participant_id=dana.id,
        content={"triggers": ["Payday"], "medication": "Sertraline 50 mg"},
        base_version=current.version if current else None,
    )
    consented = set(sharing.OFFERED) if state == "all" else set() if state == "none" else {Category(state)}
    now = utcnow()
    for category in consented:
        session.add(
            ConsentGrant(
                participant_id=dana.id,
                family_id=jamie.id,
                category=category.value,
                expires_at=now + timedelta(days=30),
                purpose="So I can support her",
                signature="Dana Okafor",
                signed_at=now,
            )
        )
    session.commit()

    outcomes = {}
    for name, call in RECORD_READERS.items():
        with pytest.raises(AccessDenied):
            call(session, jamie, dana.id)
        outcomes[name] = "refused"
    for name, (_category, call, check) in SUMMARY_READERS.items():
        try:
            result = call(session, jamie, dana.id)
        except AccessDenied:
            outcomes[name] = "refused"
            continue
        check(result)
        outcomes[name] = "summary"
    for name, call in ROLE_READERS.items():
        with pytest.raises(AccessDenied):
            call(session, jamie)
        outcomes[name] = "refused"

    expected_summaries = {name for name, (category, _, _) in SUMMARY_READERS.items() if category in consented}
    assert {n for n, o in outcomes.items() if o == "summary"} == expected_summaries

    [person] = sharing.shared_with_me(session, jamie)  # and what they are told is shared
    assert person.categories == consented
    # Every look was recorded against Dana, refused ones included.
    looks = session.exec(
        select(AuditEvent).where(AuditEvent.actor_id == jamie.id, AuditEvent.participant_id == dana.id)
    ).all()
    assert len([e for e in looks if e.allowed]) >= len(expected_summaries)
    assert all(e.action == "read_summary" for e in looks if e.allowed)
