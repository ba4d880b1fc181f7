from collections import Counter
from datetime import date, timedelta

import pytest
from sqlmodel import Session, SQLModel, select

from core import program, seed
from core.access import Actor
from core.errors import ValidationError
from core.models import AppUser, CaseloadAssignment, FamilyLink
from core.seed import demo_today


def test_demo_seed_has_every_role_and_a_caseload_for_everyone(session, demo):
    roles = Counter(u.role for u in session.exec(select(AppUser)))
    assert roles == {"admin": 1, "therapist": 2, "participant": 13, "family": 3}  # 12 and Sam
    assert len(session.exec(select(CaseloadAssignment)).all()) == 13  # with Sam, discharged (completed)
    assert len(session.exec(select(FamilyLink)).all()) == 3
    assert all(u.is_demo for u in session.exec(select(AppUser)))


def test_demo_seed_is_deterministic(engine, session):
    seed.seed_demo(session, rounds=4, today=date(2026, 11, 23))
    first = [(u.username, u.started_on) for u in session.exec(select(AppUser).order_by(AppUser.id))]
    for table in reversed(SQLModel.metadata.sorted_tables):
        session.connection().exec_driver_sql(f'DELETE FROM "{table.name}"')
    session.commit()
    seed.seed_demo(session, rounds=4, today=date(2026, 11, 23))
    second = [(u.username, u.started_on) for u in session.exec(select(AppUser).order_by(AppUser.id))]
    assert first == second
    assert len({s for _, s in first if s}) > 2  # participants started in different weeks


def test_seed_command_refuses_outside_demo_mode(database_url, monkeypatch, capsys, engine):
    monkeypatch.setenv("IOP_COOKIE_KEY", "k" * 40)
    monkeypatch.setenv("IOP_DEMO_MODE", "false")  # the tests ask for demo mode; this one does not
    from core import config

    config.settings.cache_clear()
    assert seed.main() == 0
    assert "demo mode is off" in capsys.readouterr().out
    with Session(engine) as s:
        assert seed.is_empty(s)


def test_seed_command_seeds_once(database_url, engine, capsys):
    assert seed.main() == 0 and seed.main() == 0
    out = capsys.readouterr().out
    assert "seeded" in out and "skipped" in out


def test_crisis_resources_are_local_then_regional(session, demo):
    lines = program.crisis_resources_for(session, None)
    assert lines[0].name == "Program after-hours line"
    assert [r.call or r.text for r in lines[1:]] == ["988", "988", "988", "741741", "1-800-662-4357", "911"]


def test_admin_edits_local_crisis_lines_with_checks(session, demo):
    admin = Actor.of(session.exec(select(AppUser).where(AppUser.username == "admin")).one())
    program.set_local_crisis_resources(
        session, admin, [{"name": "Mobile crisis team", "detail": "County team, 24/7", "call": "(555) 010-9999"}]
    )
    assert program.crisis_resources_for(session, admin.program_id)[0].name == "Mobile crisis team"
    with pytest.raises(ValidationError) as caught:
        program.set_local_crisis_resources(session, admin, [{"name": "", "call": "call me"}])
    assert set(caught.value.fields) == {"name_0", "call_0"}


def test_week_in_program():
    assert program.week_in_program(date(2026, 11, 1), date(2026, 11, 1)) == 1
    assert program.week_in_program(date(2026, 11, 1), date(2026, 11, 8)) == 2
    assert program.week_in_program(None, date(2026, 11, 8)) is None


def test_admin_sets_the_checkup_interval_within_range(session, demo):
    from core.errors import AccessDenied

    admin = Actor.of(session.exec(select(AppUser).where(AppUser.username == "admin")).one())
    assert program.set_checkup_interval(session, admin, 14).checkup_interval_days == 14
    for bad in (2, 29, "7"):
        with pytest.raises(ValidationError):
            program.set_checkup_interval(session, admin, bad)
    therapist = Actor.of(session.exec(select(AppUser).where(AppUser.username == "dr.chen")).one())
    with pytest.raises(AccessDenied):
        program.set_checkup_interval(session, therapist, 7)


def test_demo_practice_matches_the_cards_and_homework_has_every_status(session, demo):
    from core import practice
    from core.models import DiaryCard, PracticeEntry, ThoughtRecord

    cards = {(c.participant_id, c.day): set(c.skills) for c in session.exec(select(DiaryCard))}
    entries = session.exec(select(PracticeEntry).where(PracticeEntry.entry_key != "seed-homework")).all()
    assert len(entries) > 100
    assert all(e.skill_id in cards[(e.participant_id, e.day)] for e in entries)  # a skill that day's card lists
    assert all(e.distress_after <= e.distress_before for e in entries)
    assert session.exec(select(ThoughtRecord)).first() is not None

    def user(name):
        return Actor.of(session.exec(select(AppUser).where(AppUser.username == name)).one())

    today = demo_today()
    alex = {h.skill_id: h for h in practice.homework_for(session, user("dr.rivera"), user("alex").id)}
    assert alex["dear_man"].done and not alex["opposite_action"].done
    casey = practice.homework_for(session, user("dr.rivera"), user("casey").id)
    assert casey[0].overdue(today)
    bailey = practice.homework_for(session, user("dr.chen"), user("bailey").id)
    assert bailey[0].skill_id == "thought_record" and bailey[0].done
    assert practice.favourites(session, user("alex"), user("alex").id) == ["tipp", "wise_mind"]


def test_today_is_the_persons_own_calendar_day_not_the_servers(session, demo):
    """At 7:50 pm Monday in New York the server's UTC clock says Tuesday; the evening group is Monday."""
    from datetime import UTC, datetime

    alex = Actor.of(session.exec(select(AppUser).where(AppUser.username == "alex")).one())
    evening = datetime(2026, 11, 24, 0, 50, tzinfo=UTC)
    assert program.user_today(session, alex.id, now=evening) == date(2026, 11, 23)
    assert program.program_today(None, now=evening) == date(2026, 11, 24)
    user = session.get(AppUser, alex.id)
    user.timezone = "Europe/London"  # a participant who set their own zone keeps it
    session.add(user)
    session.commit()
    assert program.user_today(session, alex.id, now=evening) == date(2026, 11, 24)


def test_the_demo_leaves_today_open_on_the_program_calendar(session, demo):
    from core import diary

    alex = Actor.of(session.exec(select(AppUser).where(AppUser.username == "alex")).one())
    assert demo_today() == program.user_today(session, alex.id)
    assert diary.card_for_day(session, alex, alex.id, demo_today()) is None
    from sqlalchemy import func

    from core.models import DiaryCard

    assert session.exec(select(func.max(DiaryCard.day))).one() == demo_today() - timedelta(days=1)
