"""Treatment-plan goals: the therapist writes 1–5, the participant rates each weekly (0–10), one row per
goal and week whatever arrives at once; bad input is a message on its field; nobody else reads them."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from core import charts, export, goals, report
from core import encouragement as words
from core.access import Actor
from core.errors import AccessDenied, ValidationError
from core.models import AppUser, AuditEvent, GoalRating, TreatmentGoal
from core.program import user_today


def _therapist(people) -> Actor:
    return people.actor(people.therapist)


def _two_goals(session, people, quinn):
    return goals.save_goals(
        session,
        _therapist(people),
        participant_id=quinn.id,
        goals=[
            {"id": None, "text": "Sleep before midnight", "measure": "5 nights a week, from the card"},
            {"id": None, "text": "Call someone when urges rise", "measure": "A call logged on the card"},
        ],
        base_version=None,
    )


def test_the_therapist_writes_goals_and_the_participant_sees_them_in_order(session, people):
    quinn = people.participant()
    saved = _two_goals(session, people, quinn)
    assert [(g.position, g.text) for g in saved] == [(1, "Sleep before midnight"), (2, "Call someone when urges rise")]
    assert [g.measure for g in goals.goals_for(session, quinn, quinn.id)] == [
        "5 nights a week, from the card",
        "A call logged on the card",
    ]


def test_a_goal_taken_off_the_plan_keeps_its_ratings_and_an_edit_keeps_its_id(session, people):
    quinn = people.participant()
    first, second = _two_goals(session, people, quinn)
    week = goals.week_of(user_today(session, quinn.id))
    goals.rate_goals(session, quinn, participant_id=quinn.id, week_start=week, ratings={first.id: 4, second.id: 6})
    after = goals.save_goals(
        session,
        _therapist(people),
        participant_id=quinn.id,
        goals=[{"id": second.id, "text": "Call my sponsor when urges rise", "measure": "A call a week"}],
        base_version=goals.version_of([first, second]),
    )
    assert [(g.id, g.position, g.text) for g in after] == [(second.id, 1, "Call my sponsor when urges rise")]
    every = goals.goals_for(session, quinn, quinn.id, include_retired=True)
    assert [(g.id, g.retired) for g in every] == [(second.id, False), (first.id, True)]
    kept = goals.ratings_for(session, quinn, quinn.id, include_retired=True)
    assert {(r.goal_id, r.rating) for r in kept} == {(first.id, 4), (second.id, 6)}
    assert [r.goal_id for r in goals.ratings_for(session, quinn, quinn.id)] == [second.id]


@pytest.mark.parametrize(
    "rows, field, words_",
    [
        ([], "goals", "1 to 5 goals"),
        ([{"id": None, "text": "", "measure": ""}], "goals", "1 to 5 goals"),
        ([{"id": None, "text": f"Goal {n}", "measure": "weekly"} for n in range(6)], "goals", "(6 filled in)"),
        ([{"id": None, "text": "Walk daily", "measure": ""}], "goal_1", "how you'll both know"),
        ([{"id": None, "text": "", "measure": "counted"}], "goal_1", "say what the goal is"),
        ([{"id": None, "text": "x" * 201, "measure": "ok"}], "goal_1", "under 200"),
        ([{"id": None, "text": "Ann\u202eeivaR", "measure": "ok"}], None, None),  # removed, saved
        ([{"id": 99999, "text": "a", "measure": "b"}], "goals", "changed meanwhile"),
        ([{"id": True, "text": "a", "measure": "b"}], "goals", "out of date"),
        ("Sleep", "goals", "1 to 5"),
        ([["Sleep", "nightly"]], "goals", "out of date"),
    ],
)
def test_bad_goal_lists_get_a_message_on_their_field(session, people, rows, field, words_):
    quinn = people.participant()
    if field is None:
        [saved] = goals.save_goals(session, _therapist(people), participant_id=quinn.id, goals=rows, base_version=None)
        assert saved.text == "AnneivaR"  # the bidi override is gone, the letters stay
        return
    with pytest.raises(ValidationError) as refused:
        goals.save_goals(session, _therapist(people), participant_id=quinn.id, goals=rows, base_version=None)
    assert words_ in refused.value.fields[field]
    assert session.exec(select(TreatmentGoal)).all() == []


def test_hostile_goal_text_is_kept_as_plain_text(session, people):
    quinn = people.participant()
    [saved] = goals.save_goals(
        session,
        _therapist(people),
        participant_id=quinn.id,
        goals=[{"id": None, "text": "![x](http://evil.example/a.png)\x00 sleep", "measure": "**bold**\r\nnights"}],
        base_version=None,
    )
    assert saved.text == "![x](http://evil.example/a.png) sleep" and saved.measure == "**bold** nights"


def test_only_the_therapist_of_the_caseload_writes_goals(session, people, demo):
    quinn = people.participant()
    chen = Actor.of(session.exec(select(AppUser).where(AppUser.username == "dr.chen")).one())
    for who in (quinn, chen):
        with pytest.raises(AccessDenied):
            goals.save_goals(
                session,
                who,
                participant_id=quinn.id,
                goals=[{"id": None, "text": "a", "measure": "b"}],
                base_version=None,
            )
    refused = session.exec(
        select(AuditEvent).where(AuditEvent.participant_id == quinn.id, col(AuditEvent.allowed).is_(False))
    ).all()
    assert {(e.category, e.action) for e in refused} == {("goals", "write")}


def test_a_weekly_rating_saves_once_and_a_second_save_changes_it(session, people):
    quinn = people.participant()
    first, second = _two_goals(session, people, quinn)
    week = goals.week_of(user_today(session, quinn.id))
    for _ in range(2):  # a double tap
        goals.rate_goals(session, quinn, participant_id=quinn.id, week_start=week, ratings={first.id: 3})
    goals.rate_goals(session, quinn, participant_id=quinn.id, week_start=week, ratings={first.id: 7, second.id: 0})
    rows = session.exec(select(GoalRating.goal_id, GoalRating.rating).order_by(GoalRating.goal_id)).all()
    assert [tuple(r) for r in rows] == [(first.id, 7), (second.id, 0)]
    board = goals.board(session, quinn, quinn.id)
    assert board.rating(first.id) == 7 and board.unrated == []


def test_last_weeks_rating_can_still_be_given(session, people):
    quinn = people.participant()
    first, _ = _two_goals(session, people, quinn)
    last_week = goals.week_of(user_today(session, quinn.id)) - timedelta(weeks=1)
    goals.rate_goals(session, quinn, participant_id=quinn.id, week_start=last_week, ratings={first.id: 5})
    assert [(r.week_start, r.rating) for r in goals.ratings_for(session, quinn, quinn.id)] == [(last_week, 5)]


@pytest.mark.parametrize(
    "weeks, ratings, field",
    [
        (1, {"first": 5}, "week_start"),  # next week: not started
        (-2, {"first": 5}, "week_start"),  # two weeks ago: too late
        (0, {"first": 11}, "goal_{first}"),
        (0, {"first": -1}, "goal_{first}"),
        (0, {"first": 5.0}, "goal_{first}"),
        (0, {"first": True}, "goal_{first}"),
        (0, {"first": "7"}, "goal_{first}"),
        (0, {}, "ratings"),
        (0, {"other": 5}, "goal_{other}"),  # someone else's goal
        (0, {"gone": 5}, "goal_{gone}"),  # no such goal
    ],
)
def test_bad_ratings_get_a_message_on_their_field_and_nothing_is_saved(session, people, weeks, ratings, field):
    quinn, robin = people.participant(), people.participant("robin", name="Robin Lake")
    first, _ = _two_goals(session, people, quinn)
    [other] = goals.save_goals(
        session,
        _therapist(people),
        participant_id=robin.id,
        goals=[{"id": None, "text": "a", "measure": "b"}],
        base_version=None,
    )
    ids = {"first": first.id, "other": other.id, "gone": 2_000_000}
    week = goals.week_of(user_today(session, quinn.id)) + timedelta(weeks=weeks)
    with pytest.raises(ValidationError) as refused:
        goals.rate_goals(
            session, quinn, participant_id=quinn.id, week_start=week, ratings={ids[k]: v for k, v in ratings.items()}
        )
    assert field.format(**ids) in refused.value.fields
    assert session.exec(select(GoalRating)).all() == []


def test_a_day_that_is_not_a_monday_or_not_a_date_is_refused(session, people):
    quinn = people.participant()
    first, _ = _two_goals(session, people, quinn)
    monday = goals.week_of(user_today(session, quinn.id))
    for week in (monday + timedelta(days=1), "2026-11-23", None):
        with pytest.raises(ValidationError) as refused:
            goals.rate_goals(session, quinn, participant_id=quinn.id, week_start=week, ratings={first.id: 3})
        assert "week_start" in refused.value.fields


def test_the_therapist_reads_ratings_but_cannot_rate_and_another_participant_cannot_read(session, people):
    quinn, robin = people.participant(), people.participant("robin", name="Robin Lake")
    first, _ = _two_goals(session, people, quinn)
    week = goals.week_of(user_today(session, quinn.id))
    goals.rate_goals(session, quinn, participant_id=quinn.id, week_start=week, ratings={first.id: 2})
    assert [r.rating for r in goals.ratings_for(session, _therapist(people), quinn.id)] == [2]
    with pytest.raises(AccessDenied):
        goals.rate_goals(session, _therapist(people), participant_id=quinn.id, week_start=week, ratings={first.id: 9})
    for read in (goals.goals_for, goals.ratings_for):
        with pytest.raises(AccessDenied):
            read(session, robin, quinn.id)


def test_twenty_taps_on_the_same_goal_week_make_one_row(engine, session, people):
    quinn = people.participant()
    first, _ = _two_goals(session, people, quinn)
    week = goals.week_of(user_today(session, quinn.id))
    barrier, failures = threading.Barrier(20), []

    def tap(rating: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as own:
                barrier.wait()
                goals.rate_goals(own, quinn, participant_id=quinn.id, week_start=week, ratings={first.id: rating})
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=tap, args=(n % 11,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    session.expire_all()
    rows = session.exec(select(GoalRating).where(GoalRating.goal_id == first.id)).all()
    assert len(rows) == 1 and rows[0].week_start == week and 0 <= rows[0].rating <= 10


def test_the_chart_has_a_line_per_rated_goal_named_by_number_with_its_table_and_sentence():
    mon = date(2026, 11, 2)
    goal_list = [goals.GoalView(1, 1, "![img](x) sleep", "m", False), goals.GoalView(2, 2, "calls", "m", False)]
    ratings = [
        goals.RatingView(1, mon, 3),
        goals.RatingView(2, mon, 5),
        goals.RatingView(1, mon + timedelta(weeks=1), 6),
    ]
    figure = charts.goal_progress(goal_list, ratings)
    assert [t.name for t in figure.data] == ["Goal 1", "Goal 2"]  # never the typed words
    columns, rows = charts.as_table(figure)
    assert columns == ["Date", "Goal 1", "Goal 2"]
    assert rows == [["Mon Nov 02 2026", "3", "5"], ["Mon Nov 09 2026", "6", ""]]
    assert words.goals(goal_list, ratings) == "2 goals rated so far; since the first rating, Goal 1 is up from 3 to 6."
    assert charts.as_table(charts.goal_progress(goal_list, []))[1] == []
    assert words.goals(goal_list, []).startswith("Rate each goal once a week")


def test_goals_and_ratings_are_in_the_record_export_and_the_printable_report(session, demo):
    import csv
    import io
    import zipfile

    alex = Actor.of(session.exec(select(AppUser).where(AppUser.username == "alex")).one())
    rivera = Actor.of(session.exec(select(AppUser).where(AppUser.username == "dr.rivera")).one())
    [first, *_] = goals.goals_for(session, alex, alex.id)
    week = goals.week_of(user_today(session, alex.id))
    goals.rate_goals(session, alex, participant_id=alex.id, week_start=week, ratings={first.id: 9})
    archive = zipfile.ZipFile(io.BytesIO(export.record_zip(session, rivera, alex.id)))
    rows = list(csv.reader(io.StringIO(archive.read("goals.csv").decode())))
    assert rows[0] == ["goal", "how_we_will_know", "on_plan", "week_starting", "rating_0_10"]
    assert [first.text, first.measure, "yes", week.isoformat(), "9"] in rows
    html = report.progress_report(session, rivera, alex.id, user_today(session, rivera.id))
    assert "Treatment-plan goals" in html and first.text in html and f"week of {week:%b} {week.day}: 9" in html


def test_a_resent_form_saves_once_and_goals_can_swap_places(session, people):
    quinn = people.participant()
    rows = [
        {"id": None, "text": "Sleep before midnight", "measure": "5 nights a week, from the card"},
        {"id": None, "text": "Call someone when urges rise", "measure": "A call logged on the card"},
    ]
    first = goals.save_goals(
        session, _therapist(people), participant_id=quinn.id, goals=[dict(r) for r in rows], base_version=None
    )
    again = goals.save_goals(
        session, _therapist(people), participant_id=quinn.id, goals=[dict(r) for r in rows], base_version=None
    )
    assert [g.id for g in again] == [g.id for g in first]  # the same goals, not two more
    swapped = goals.save_goals(
        session,
        _therapist(people),
        participant_id=quinn.id,
        goals=[
            {"id": first[1].id, "text": first[1].text, "measure": first[1].measure},
            {"id": first[0].id, "text": first[0].text, "measure": first[0].measure},
        ],
        base_version=goals.version_of(first),
    )
    assert [(g.id, g.position) for g in swapped] == [(first[1].id, 1), (first[0].id, 2)]
    assert len(session.exec(select(TreatmentGoal)).all()) == 2


def test_twenty_saves_of_new_goals_at_once_leave_one_set_on_the_plan(engine, session, people):
    quinn = people.participant()
    therapist = _therapist(people)
    barrier, outcomes = threading.Barrier(20), []

    def save(n: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as own:
                barrier.wait()
                goals.save_goals(
                    own,
                    therapist,
                    participant_id=quinn.id,
                    goals=[{"id": None, "text": f"Goal from tap {n}", "measure": "weekly"}],
                    base_version=None,
                )
            outcomes.append("saved")
        except ValidationError as exc:
            told = isinstance(exc, goals.GoalsConflict) or "a moment ago" in exc.fields.get("goals", "")
            outcomes.append("told" if told else repr(exc))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=save, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert set(outcomes) <= {"saved", "told"} and outcomes.count("saved") == 1, outcomes
    session.expire_all()
    on_plan = goals.goals_for(session, quinn, quinn.id)
    assert len(on_plan) == 1 and on_plan[0].position == 1
