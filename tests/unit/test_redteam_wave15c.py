"""Red team, wave 15 (third team): the therapist's record-keeping and the program's calendar,
attacked as a stranger would.

1. Homework: a Remove tapped on a Review page drawn before the participant did the homework; homework
   removed and given again the same day.
2. The schedule: two saves of the weekly pattern at the same moment (two admins, or one admin's two tabs).
3. Program settings: an admin's change committed while another screen of the same process was reading them.
4. Diary-card targets: one behaviour added from two tabs at the same moment.
5. The schedule again: a pattern changed while an enrolment's sessions exist, past ones among them.
6. A discharge and a one-off session saved at the same moment.

Each test either failed before its fix (said in its docstring) or keeps an attempt that found nothing
and guards what no other test does. Database tests run on SQLite and on PostgreSQL (`database_url`).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import Session, col, select

from core import diary, enrolment, practice, program, schedule
from core.errors import AccessDenied, ValidationError
from core.models import Discharge, ProgramSession, ScheduleSlot
from core.program import user_today
from tests.conftest import at_once
from tests.unit.test_practice import log

# ---- 1. homework ------------------------------------------------------------------------------------


def test_homework_done_since_the_review_was_drawn_is_not_removed_by_its_stale_remove(session, people):
    """Review offers Remove only for homework not done yet; the participant did it after the page was
    drawn, then the therapist tapped Remove: the done homework left their list, Review and the record
    export (removed rows are read nowhere). Now it is refused, and the homework stays, done."""
    therapist, quinn = people.actor(people.therapist), people.participant()
    drawn = practice.assign_homework(session, therapist, participant_id=quinn.id, skill_id="tipp", note="Try it")
    assert not drawn.done  # (what Review showed: a Remove button)
    log(session, quinn, key="after", skill_id="tipp", now=None)

    with pytest.raises(ValidationError) as refused:
        practice.remove_homework(session, therapist, participant_id=quinn.id, homework_id=drawn.id)
    assert "done" in refused.value.fields["homework"]
    session.expire_all()
    [kept] = practice.homework_for(session, therapist, quinn.id)
    assert kept.id == drawn.id and kept.done and kept.note == "Try it"


def test_homework_removed_then_given_again_the_same_day_is_not_done_by_practice_from_before(session, people):
    """Assigned, removed, then given again later the same day (the same skill: the same row, revived):
    it kept its first assignment time, so practice logged in between, before it was given again, made
    it show as done the moment it was set."""
    therapist, quinn = people.actor(people.therapist), people.participant()
    first = practice.assign_homework(session, therapist, participant_id=quinn.id, skill_id="tipp")
    practice.remove_homework(session, therapist, participant_id=quinn.id, homework_id=first.id)
    log(session, quinn, key="between", skill_id="tipp", now=None)  # practice, not homework
    again = practice.assign_homework(session, therapist, participant_id=quinn.id, skill_id="tipp", note="Again")
    assert again.id == first.id and again.note == "Again"
    assert not again.done
    assert practice.assign_homework(session, therapist, participant_id=quinn.id, skill_id="tipp").done is False


# ---- 2. the schedule ------------------------------------------------------------------------------


def _slots(hour: int) -> list[dict]:
    return [{"weekday": d, "start": time(hour), "end": time(hour + 1), "topic": f"at {hour}"} for d in range(5)]


def test_two_weekly_patterns_saved_at_once_leave_one_of_them_not_both(engine, session, people):
    """Two tabs save different weekly patterns at the same moment (the zone and length unchanged, as
    when only the times are moved): the program keeps one of them, whole. (On PostgreSQL each save
    deleted the old slots it could see and added its own, so both new patterns stayed: ten group
    sessions a week, overlapping, and everyone's sessions generated from both. Ten rounds failed in
    each of three runs before the fix; the window is the gap between the two deletes.)"""
    admin = people.actor(people.admin)
    schedule.set_pattern(session, admin, timezone="America/New_York", length_weeks=6, slots=_slots(9))

    for _round in range(10):

        def work(i: int) -> None:
            with Session(engine, expire_on_commit=False) as own:
                schedule.set_pattern(own, admin, timezone="America/New_York", length_weeks=6, slots=_slots((13, 17)[i]))

        assert at_once(2, work) == []
        session.expire_all()
        hours = {
            start // 60
            for start in session.exec(
                select(col(ScheduleSlot.start_minute)).where(ScheduleSlot.program_id == admin.program_id)
            ).all()
        }
        assert hours in ({13}, {17})
        assert len(schedule.weekly_pattern(session, admin).slots) == 5


# ---- 3. program settings ----------------------------------------------------------------------------


def test_settings_read_before_an_admins_change_and_cached_after_it_are_not_kept(engine, session, people, monkeypatch):
    """Another screen of the same process read the program (before the admin's change committed) and put
    it in the cache after the change had emptied it: every screen of the process then showed the old
    crisis region for PROGRAM_CACHE_SECONDS more, the admin's own included, right after "saved"."""
    admin = people.actor(people.admin)
    program.forget_programs()
    real = program.ProgramSettings.of

    def read_then_change(row):
        read = real(row)  # what the slower screen read
        with Session(engine, expire_on_commit=False) as own:  # the admin's change commits now
            program.set_crisis_region(own, admin, "UK")
            own.commit()
        return read

    monkeypatch.setattr(program.ProgramSettings, "of", staticmethod(read_then_change))
    with Session(engine) as slower:
        assert program.program_settings(slower, admin.program_id).crisis_region == "US"
    monkeypatch.setattr(program.ProgramSettings, "of", staticmethod(real))
    with Session(engine) as next_screen:
        assert program.program_settings(next_screen, admin.program_id).crisis_region == "UK"


# ---- 4. diary-card targets ----------------------------------------------------------------------------


def test_one_behaviour_added_from_two_tabs_at_once_is_one_target_and_the_other_is_told(engine, session, people):
    """Two tabs (or two admins) add the same behaviour to the card at once: both read the card without it
    and both inserted, so one hit the unique key and the admin got "the database is not answering"
    instead of "the card already has this behaviour" (failed on SQLite before the fix)."""
    admin = people.actor(people.admin)
    told: list[str] = []

    def work(i: int) -> None:
        with Session(engine, expire_on_commit=False) as own:
            try:
                diary.add_target(own, admin, label="Gambling")
                own.commit()
            except ValidationError as exc:
                told.append(exc.fields["label"])

    assert at_once(2, work) == []
    session.expire_all()
    assert [t.label for t in diary.targets_for(session, admin.program_id)].count("Gambling") == 1
    assert len(told) == 1


# ---- 5. the schedule: a pattern changed mid-programme ---------------------------------------------------


def test_a_pattern_changed_mid_programme_puts_no_sessions_on_days_already_past(session, people):
    """The group moved from Monday evening to Monday morning, and a Friday group was added, on a Wednesday
    in the second week: every past Monday got a morning session and every past Friday a group that never
    met (on the roll to backfill, in the calendar), beside the evening sessions that did. The past stays as
    it was; the new pattern makes sessions from now on."""
    admin = people.actor(people.admin)
    quinn = people.participant(started_on=date(2026, 9, 7))
    evening = {"start": time(18), "end": time(21), "topic": ""}
    schedule.set_pattern(
        session,
        admin,
        timezone="America/New_York",
        length_weeks=3,
        slots=[{"weekday": 0, **evening}],
        now=datetime(2026, 9, 6, tzinfo=UTC),  # (generated before the programme began)
    )
    now = datetime(2026, 9, 16, 12, tzinfo=UTC)
    schedule.set_pattern(
        session,
        admin,
        timezone="America/New_York",
        length_weeks=3,
        slots=[{"weekday": 0, "start": time(9), "end": time(12), "topic": ""}, {"weekday": 4, **evening}],
        now=now,
    )
    sessions = session.exec(
        select(ProgramSession.day, ProgramSession.starts_at)
        .where(ProgramSession.participant_id == quinn.id)
        .order_by(col(ProgramSession.starts_at))
    ).all()
    past = [(day, starts.hour) for day, starts in sessions if day < date(2026, 9, 16)]
    assert past == [(date(2026, 9, 7), 22), (date(2026, 9, 14), 22)]  # 6 pm in New York, as held
    assert [day for day, _ in sessions if day >= date(2026, 9, 16)] == [
        date(2026, 9, 18),
        date(2026, 9, 21),
        date(2026, 9, 25),
    ]


# ---- 6. a discharge racing a one-off session --------------------------------------------------------------


def test_a_session_added_at_the_moment_of_a_discharge_is_not_left_ahead_of_it(engine, session, people):
    """The therapist (or a colleague's tab) adds next week's individual session while the discharge is
    saved: the session must not outlive the discharge (it would show on the discharged person's Today and
    calendar, and the roll could never be taken). It did, in the first of six rounds, on both databases:
    add_session asked the gate, then waited for the participant's row while the discharge removed their
    future sessions, then added its own."""
    therapist = people.actor(people.therapist)
    today = user_today(session, therapist.id)
    quinn = people.participant(started_on=today - timedelta(days=7))
    next_week = dict(
        participant_id=quinn.id, kind="individual", day=today + timedelta(days=7), end=time(11), today=today
    )
    for minute in range(6):

        def work(i: int, minute: int = minute) -> None:
            with Session(engine, expire_on_commit=False) as own:
                if i == 0:
                    enrolment.discharge(
                        own, therapist, participant_id=quinn.id, day=today, status="completed", today=today
                    )
                else:  # (after the discharge: refused, as it should be)
                    with contextlib.suppress(AccessDenied, ValidationError):
                        schedule.add_session(own, therapist, start=time(10, minute), **next_week)

        assert at_once(2, work) == []
        session.expire_all()
        assert (
            session.exec(
                select(col(ProgramSession.day)).where(
                    ProgramSession.participant_id == quinn.id, ProgramSession.day > today
                )
            ).all()
            == []
        )
        session.delete(session.exec(select(Discharge).where(Discharge.participant_id == quinn.id)).one())
        session.commit()
