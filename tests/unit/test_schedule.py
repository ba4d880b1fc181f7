"""The program's schedule: the admin's weekly pattern, the group sessions generated from it for
each enrolment (idempotent, at once too, across a daylight-saving change), one-off sessions a
therapist adds, the next session on Today, and the roll taken against sessions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import col, func, select

from core import attendance, schedule
from core.errors import AccessDenied, ValidationError
from core.models import Attendance, ProgramSession, ScheduleSlot
from tests.unit.test_gate_concurrency import THREADS, at_once, wide_engine  # noqa: F401 - a fixture

MON, WED = 0, 2
EVENING = dict(start=time(18), end=time(21))


def slot(weekday, start=time(18), end=time(21), topic=""):
    return {"weekday": weekday, "start": start, "end": end, "topic": topic}


def group_count(session, participant_id=None) -> int:
    query = select(func.count(ProgramSession.id)).where(ProgramSession.kind == "group")
    if participant_id is not None:
        query = query.where(ProgramSession.participant_id == participant_id)
    return session.exec(query).one()


def test_a_pattern_makes_each_enrolments_group_sessions_once(session, people):
    admin = people.actor(people.admin)
    quinn = people.participant(started_on=date(2026, 9, 7))  # a Monday
    rae = people.participant("rae", name="Rae", started_on=date(2026, 9, 9))  # a Wednesday
    done = schedule.set_pattern(
        session,
        admin,
        timezone="America/New_York",
        length_weeks=4,
        slots=[slot(MON, topic="DBT skills"), slot(WED, topic="Relapse prevention")],
    )
    assert done.sessions == 16 and done.added == 16  # 2 a week × 4 weeks × 2 people
    again = schedule.generate_sessions(session, admin)
    assert (again.sessions, again.added, again.removed) == (16, 0, 0)
    assert group_count(session) == 16
    rae_days = session.exec(
        select(ProgramSession.day).where(ProgramSession.participant_id == rae.id).order_by(ProgramSession.day)
    ).all()
    assert rae_days[0] == date(2026, 9, 9) and rae_days[-1] == date(2026, 10, 5)  # 4 weeks from her own start
    topics = set(session.exec(select(ProgramSession.topic).where(ProgramSession.participant_id == quinn.id)).all())
    assert topics == {"DBT skills", "Relapse prevention"}


def test_sessions_keep_their_local_time_across_a_daylight_saving_change(session, people):
    admin = people.actor(people.admin)
    quinn = people.participant(started_on=date(2026, 10, 26))  # New York falls back on Sunday Nov 1
    schedule.set_pattern(session, admin, timezone="America/New_York", length_weeks=2, slots=[slot(MON)])
    starts = session.exec(
        select(ProgramSession.starts_at).where(ProgramSession.participant_id == quinn.id).order_by(ProgramSession.day)
    ).all()
    utc = [s.astimezone(UTC) for s in starts]
    assert [(u.month, u.day, u.hour) for u in utc] == [(10, 26, 22), (11, 2, 23)]  # EDT then EST
    assert {s.astimezone(schedule.zone_of("America/New_York")).hour for s in starts} == {18}


def test_changing_the_pattern_updates_future_sessions_and_keeps_those_with_a_roll(session, people):
    admin, therapist = people.actor(people.admin), people.actor(people.therapist)
    quinn = people.participant(started_on=date(2026, 9, 7))
    now = datetime(2026, 9, 16, 12, tzinfo=UTC)  # a Wednesday, before its group
    schedule.set_pattern(
        session, admin, timezone="America/New_York", length_weeks=3, slots=[slot(MON), slot(WED)], now=now
    )
    first_monday = session.exec(
        select(ProgramSession.id).where(
            ProgramSession.participant_id == quinn.id, ProgramSession.day == date(2026, 9, 7)
        )
    ).one()
    attendance.record_session(session, therapist, statuses={first_monday: "present"}, today=date(2026, 9, 8))
    done = schedule.set_pattern(
        session, admin, timezone="America/New_York", length_weeks=3, slots=[slot(MON, topic="Skills")], now=now
    )
    days = session.exec(
        select(ProgramSession.day, ProgramSession.topic)
        .where(ProgramSession.participant_id == quinn.id)
        .order_by(ProgramSession.day)
    ).all()
    # Wednesdays from now on are gone; the past Wednesday (Sep 9) stays, as do all Mondays (topic updated
    # on those the upsert touched: all of them, past ones included, since their slot still exists).
    assert [d for d, _ in days] == [date(2026, 9, 7), date(2026, 9, 9), date(2026, 9, 14), date(2026, 9, 21)]
    assert done.removed == 2  # Sep 16 and Sep 23
    assert session.exec(select(Attendance.status).where(Attendance.session_id == first_monday)).one() == "present"


@pytest.mark.parametrize(
    "slots, field, words",
    [
        ([slot(MON, start=time(18), end=time(17))], "end_0", "ends before it starts"),
        ([slot(MON, start=time(22), end=time(1))], "end_0", "past midnight"),
        ([slot(MON, start=time(18), end=time(18))], "end_0", "ends before it starts"),
        ([slot(MON), slot(MON, start=time(20), end=time(22))], "start_1", "overlaps the Monday 6:00 PM"),
        ([slot(MON, start=time(8), end=time(16))], "end_0", "at most 6 hours"),
        ([slot(7)], "weekday_0", "day of the week"),
        ([slot(MON, start="18:00")], "start_0", "time of day"),
        ([slot(MON, topic="DBT\u202e skills")], "topic_0", "type it again"),
        (["Monday"], "weekday_0", "needs a day"),
        ("Mon 6-9", "slots", "list"),
    ],
)
def test_a_bad_pattern_is_refused_beside_the_row_and_nothing_changes(session, people, slots, field, words):
    admin = people.actor(people.admin)
    people.participant(started_on=date(2026, 9, 7))
    schedule.set_pattern(session, admin, timezone="America/New_York", length_weeks=2, slots=[slot(WED)])
    with pytest.raises(ValidationError) as refused:
        schedule.set_pattern(session, admin, timezone="America/New_York", length_weeks=2, slots=slots)
    assert field in refused.value.fields and words in refused.value.fields[field]
    session.rollback()
    assert [s.weekday for s in schedule.weekly_pattern(session, admin).slots] == [WED]
    assert group_count(session) == 2


@pytest.mark.parametrize(
    "change, field",
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"length_weeks": 0}, "length_weeks"),
        ({"length_weeks": 10.0}, "length_weeks"),
    ],
)
def test_a_bad_zone_or_length_is_refused(session, people, change, field):
    admin = people.actor(people.admin)
    args = dict(timezone="America/New_York", length_weeks=10, slots=[slot(MON)]) | change
    with pytest.raises(ValidationError) as refused:
        schedule.set_pattern(session, admin, **args)
    assert field in refused.value.fields


def test_only_the_admin_sets_the_pattern_and_generates(session, people):
    therapist, quinn = people.actor(people.therapist), people.participant(started_on=date(2026, 9, 7))
    for who in (therapist, quinn):
        with pytest.raises(AccessDenied):
            schedule.set_pattern(session, who, timezone="America/New_York", length_weeks=2, slots=[slot(MON)])
        with pytest.raises(AccessDenied):
            schedule.generate_sessions(session, who)
    assert session.exec(select(func.count(ScheduleSlot.id))).one() == 0


def test_twenty_generations_at_once_make_each_session_once(database_url, wide_engine, session, people):  # noqa: F811
    admin = people.actor(people.admin)
    quinn = people.participant(started_on=date(2026, 9, 7))
    rae = people.participant("rae", name="Rae", started_on=date(2026, 9, 8))
    session.add_all(
        [
            ScheduleSlot(program_id=people.program.id, weekday=d, start_minute=18 * 60, end_minute=21 * 60)
            for d in (0, 2, 3)
        ]
    )
    people.program.length_weeks = 10
    session.add(people.program)
    session.commit()
    results, errors = at_once(wide_engine, lambda own, i: schedule.generate_sessions(own, admin))
    assert errors == [] and len(results) == THREADS
    assert group_count(session, quinn.id) == 30 and group_count(session, rae.id) == 30
    assert sum(r.added for r in results) >= 60  # someone made them; nobody made a second copy
    assert all(r.sessions == 60 for r in results)


def test_a_therapist_adds_one_off_sessions_once_and_overlaps_are_refused(session, people):
    therapist, admin = people.actor(people.therapist), people.actor(people.admin)
    quinn = people.participant(started_on=date(2026, 9, 7))
    schedule.set_pattern(session, admin, timezone="America/New_York", length_weeks=2, slots=[slot(MON)])
    today = date(2026, 9, 10)
    add = dict(
        participant_id=quinn.id, kind="individual", day=date(2026, 9, 15), start=time(17), end=time(18), today=today
    )
    first = schedule.add_session(session, therapist, **add)
    again = schedule.add_session(session, therapist, **add)  # a double tap
    assert first.id == again.id and first.starts_at == datetime(2026, 9, 15, 21, tzinfo=UTC)
    assert session.exec(select(func.count(ProgramSession.id)).where(ProgramSession.kind == "individual")).one() == 1
    with pytest.raises(ValidationError) as overlap:  # the Monday group runs 6-9 pm
        schedule.add_session(
            session, therapist, **add | {"day": date(2026, 9, 14), "start": time(20, 30), "end": time(21, 30)}
        )
    assert "overlaps their group session at 6:00 PM" in overlap.value.fields["start"]
    for change, field in (
        ({"end": time(16)}, "end"),
        ({"kind": "group"}, "kind"),
        ({"day": today - timedelta(days=30)}, "day"),
        ({"day": datetime(2026, 9, 15, 17)}, "day"),
        ({"start": "5pm"}, "start"),
        ({"participant_id": True}, "participant_id"),
    ):
        with pytest.raises(ValidationError) as refused:
            schedule.add_session(session, therapist, **add | change)
        assert field in refused.value.fields
    with pytest.raises(AccessDenied):  # the admin sets the pattern, not a person's sessions
        schedule.add_session(session, admin, **add | {"day": date(2026, 9, 16)})


def test_next_session_is_the_first_that_has_not_ended(session, people):
    admin = people.actor(people.admin)
    quinn = people.participant(started_on=date(2026, 9, 7))
    schedule.set_pattern(
        session, admin, timezone="America/New_York", length_weeks=2, slots=[slot(MON, topic="DBT skills"), slot(WED)]
    )
    during = datetime(2026, 9, 7, 23, tzinfo=UTC)  # 7 pm in New York, in the Monday group
    upcoming = schedule.next_session(session, quinn, quinn.id, now=during)
    assert upcoming.day == date(2026, 9, 7) and upcoming.topic == "DBT skills"
    after = schedule.next_session(session, quinn, quinn.id, now=datetime(2026, 9, 8, 2, tzinfo=UTC))
    assert after.day == date(2026, 9, 9) and after.topic == ""
    assert schedule.next_session(session, quinn, quinn.id, now=datetime(2026, 10, 1, tzinfo=UTC)) is None
    rae = people.participant("rae", name="Rae")
    with pytest.raises(AccessDenied):
        schedule.next_session(session, rae, quinn.id)


def test_the_roll_lists_the_caseloads_sessions_of_the_day_and_records_against_them(session, people):
    admin, therapist = people.actor(people.admin), people.actor(people.therapist)
    quinn = people.participant(started_on=date(2026, 9, 7))
    rae = people.participant("rae", name="Rae", started_on=date(2026, 9, 7))
    schedule.set_pattern(
        session, admin, timezone="America/New_York", length_weeks=2, slots=[slot(MON, topic="DBT skills")]
    )
    schedule.add_session(
        session,
        therapist,
        participant_id=rae.id,
        kind="family",
        day=date(2026, 9, 7),
        start=time(16),
        end=time(17),
        today=date(2026, 9, 7),
    )
    roll = schedule.roll_for_day(session, therapist, date(2026, 9, 7))
    assert [(r.kind, len(r.people)) for r in roll] == [("family", 1), ("group", 2)]
    group = roll[1]
    assert group.describe(schedule.zone_of("America/New_York")) == "Group 6:00 PM–9:00 PM · DBT skills"
    ids = {pid: sid for pid, _, sid, _ in group.people}
    for _ in range(2):  # a double tap
        saved = attendance.record_session(
            session, therapist, statuses={ids[quinn.id]: "present", ids[rae.id]: "late"}, today=date(2026, 9, 7)
        )
    assert saved == 2
    attendance.record_session(session, therapist, statuses={ids[rae.id]: "absent"}, today=date(2026, 9, 8))
    assert attendance.recorded(session, therapist, list(ids.values())) == {
        ids[quinn.id]: "present",
        ids[rae.id]: "absent",
    }
    assert session.exec(select(func.count(Attendance.id))).one() == 2
    again = schedule.roll_for_day(session, therapist, date(2026, 9, 7))[1]
    assert {p[0]: p[3] for p in again.people} == {quinn.id: "present", rae.id: "absent"}
    with pytest.raises(ValidationError) as early:  # next Monday's group hasn't happened
        later = session.exec(
            select(ProgramSession.id).where(
                ProgramSession.participant_id == quinn.id, ProgramSession.day == date(2026, 9, 14)
            )
        ).one()
        attendance.record_session(session, therapist, statuses={later: "present"}, today=date(2026, 9, 8))
    assert early.value.fields == {"day": "That session hasn't happened yet."}
    with pytest.raises(ValidationError):
        attendance.record_session(session, therapist, statuses={ids[quinn.id]: "maybe"}, today=date(2026, 9, 8))
    with pytest.raises(ValidationError):
        attendance.record_session(session, therapist, statuses={2**31 - 2: "present"}, today=date(2026, 9, 8))
    with pytest.raises(AccessDenied):  # a participant can't mark themselves present
        attendance.record_session(session, quinn, statuses={ids[quinn.id]: "present"}, today=date(2026, 9, 8))
    assert session.exec(select(col(Attendance.status)).where(Attendance.session_id == ids[quinn.id])).one() == "present"
