"""Red team, wave 15 (fourth team), through the real app: attacks on the participant's own tools and
on what family sees that only show on a page (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlmodel import Session, delete, select

from core import db, enrolment, goals
from core.access import Actor
from core.models import (
    Alert,
    AppUser,
    CaseloadAssignment,
    DiaryCard,
    FavouriteSkill,
    GoalRating,
    Program,
    RecoveryCounter,
    ThoughtRecord,
)
from core.program import forget_programs, user_today
from tests.app.conftest import log_in, open_page, texts
from tests.app.test_diary_card import today_key, widget
from tests.app.test_spanish import choose_spanish_on_login, everything_drawn, untranslated
from ui import recovery as recovery_ui


def _alex(session) -> tuple[Actor, list[goals.GoalView]]:
    alex = Actor.of(session.exec(select(AppUser).where(AppUser.username == "alex")).one())
    return alex, goals.goals_for(session, alex, alex.id)


def test_goals_rewritten_by_the_therapist_while_today_is_open_are_shown_before_any_rating_is_saved(app, database_url):
    """Alex has Today open and chooses 9 for goal 1; meanwhile their therapist rewrites goal 1 (same
    id). Saving used to put the 9 on words Alex never saw. Now nothing is saved, Alex is told, the
    new words are on the page and the 9 is still chosen."""
    with Session(db.engine_for(database_url)) as session:
        alex, plan = _alex(session)
    log_in(app, "alex")
    open_page(app, "pages/today.py")
    pill = next(p for p in app.pills if p.key == f"goal_rating_{plan[0].id}")
    pill.set_value(9)
    with Session(db.engine_for(database_url)) as session:
        therapist_id = session.exec(
            select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == alex.id)
        ).first()
        therapist = Actor.of(session.get(AppUser, therapist_id))
        rows = [{"id": g.id, "text": g.text, "measure": g.measure} for g in plan]
        rows[0] = {"id": plan[0].id, "text": "Walk twenty minutes after group", "measure": "Ticked on my card"}
        goals.save_goals(session, therapist, participant_id=alex.id, goals=rows, base_version=goals.version_of(plan))
    next(b for b in app.button if b.label == "Save my ratings").click().run()
    assert not app.exception
    shown = texts(app)
    assert "Your goals were changed since you opened this page" in shown
    redrawn = next(p for p in app.pills if p.key == f"goal_rating_{plan[0].id}")
    assert "Walk twenty minutes after group" in redrawn.label and redrawn.value == 9
    with Session(db.engine_for(database_url)) as session:
        rated = session.exec(select(GoalRating).where(GoalRating.goal_id == plan[0].id, GoalRating.rating == 9)).all()
    assert rated == []
    next(b for b in app.button if b.label == "Save my ratings").click().run()  # read, then saved again
    assert "Your goal ratings are saved for this week." in texts(app)
    with Session(db.engine_for(database_url)) as session:
        week = goals.week_of(user_today(session, alex.id))
        assert session.exec(
            select(GoalRating.rating).where(GoalRating.goal_id == plan[0].id, GoalRating.week_start == week)
        ).all() == [9]


MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
ENGLISH_DATE = re.compile(rf"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ({MONTHS}) \d|\*\*({MONTHS}) \d")


@pytest.mark.parametrize("page", ["pages/my_cards.py", "pages/practice.py"])
def test_a_spanish_participant_reads_the_dates_of_their_own_cards_and_records_in_spanish(app, database_url, page):
    """Alex reads the app in Spanish: My cards' week ("**Nov 21 – Nov 27**") and the thought records'
    titles ("Thu Nov 26 · …") were drawn with English month and day names (an f-string, not the
    reader's language; the catalogue check of test_spanish cannot see a date)."""
    with Session(db.engine_for(database_url)) as session:
        alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
        session.add(
            ThoughtRecord(
                participant_id=alex.id,
                entry_key="wave15d",
                day=user_today(session, alex.id),
                situation="Una reunión de trabajo",
                emotions=[{"name": "ansioso", "before": 80, "after": 50}],
                automatic_thought="Lo voy a hacer mal",
            )
        )
        session.commit()
    choose_spanish_on_login(app)
    log_in(app, "alex")
    open_page(app, page)
    drawn = everything_drawn(app)
    assert not app.exception and "Ayuda en crisis" in drawn
    assert ENGLISH_DATE.findall(drawn) == []
    if page == "pages/practice.py":
        assert "Una reunión de trabajo" in drawn  # the record's title, with its date, was drawn


def test_a_counter_for_a_substance_the_program_stopped_listing_can_still_be_hidden_and_stopped(app, session):
    """Eli keeps an alcohol counter on Today; the program then drops alcohol from its card's list. The
    counter stays on Today (its count can no longer see a lapse), but "What to count" offered only the
    listed kinds: Eli could neither hide it nor stop it. It is offered while Eli keeps it."""
    eli = session.exec(select(AppUser).where(AppUser.username == "eli")).one()
    program = session.get(Program, eli.program_id)
    program.substances = [s for s in program.substances if s != "alcohol"]
    session.add(program)
    session.commit()
    forget_programs()
    log_in(app, "eli")
    assert any("Alcohol" in m.label for m in app.metric)  # still on Today
    app.session_state[recovery_ui.COUNTER_SETTINGS] = True  # a tap on "Days in recovery: my counters"
    app.run()
    picker = widget(app, "selectbox", "counter_kind")
    assert "alcohol" in picker.options or "Alcohol" in picker.options
    picker.set_value("alcohol")
    app.run()
    widget(app, "toggle", "counter_shown_alcohol").set_value(False)
    next(b for b in app.button if b.label == "Save counter").click()
    app.run()
    assert not app.exception and not app.error
    assert not any("Alcohol" in m.label for m in app.metric)  # hidden from Today, kept
    session.expire_all()
    kept = session.exec(select(RecoveryCounter).where(RecoveryCounter.participant_id == eli.id)).one()
    assert (kept.substance, kept.shown) == ("alcohol", False)
    next(b for b in app.button if b.label == "Stop this counter").click()
    app.run()
    session.expire_all()
    assert session.exec(select(RecoveryCounter).where(RecoveryCounter.participant_id == eli.id)).all() == []


def test_a_half_filled_risky_card_survives_a_switch_to_spanish_and_its_risk_response_is_spanish(app, session):
    """Harper starts today's card in English (mood, a self-harm urge of 4, a note), leaves it unsaved
    for My account, switches to Spanish and comes back: nothing typed is lost, and the save shows the
    crisis response in Spanish (the card's language is recorded as Spanish) and alerts the therapist."""
    log_in(app, "harper")
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(2)
    widget(app, "segmented_control", f"urge_self_harm_{day}").set_value(4)
    widget(app, "text_area", f"note_{day}").input("a hard evening")
    app.run()
    open_page(app, "pages/account.py")
    app.radio(key="account_language").set_value("es").run()
    open_page(app, "pages/today.py")
    assert not app.exception
    assert widget(app, "text_area", f"note_{day}").value == "a hard evening"
    assert widget(app, "pills", f"mood_{day}").value == 2
    assert widget(app, "segmented_control", f"urge_self_harm_{day}").value == 4
    next(b for b in app.button if b.label == "Guardar mi tarjeta").click().run()
    shown = everything_drawn(app)
    assert not app.exception and "988" in shown
    assert "You don't have to get through this alone" not in shown and untranslated(app) == []
    harper = session.exec(select(AppUser).where(AppUser.username == "harper")).one()
    session.expire_all()
    card = session.exec(
        select(DiaryCard).where(DiaryCard.participant_id == harper.id, DiaryCard.day == date.fromisoformat(day))
    ).one()
    assert (card.note, card.mood, card.language) == ("a hard evening", 2, "es")
    alerts = session.exec(select(Alert).where(Alert.participant_id == harper.id, Alert.source_key == f"diary:{day}"))
    assert [a.trigger for a in alerts] == ["urge:self_harm"]


def _favourite(session, participant_id: int, skill_id: str) -> bool:
    session.expire_all()
    found = select(FavouriteSkill.id).where(
        FavouriteSkill.participant_id == participant_id, FavouriteSkill.skill_id == skill_id
    )
    return session.exec(found).first() is not None


def test_a_favourite_taken_off_on_another_device_does_not_come_back_on_the_next_rerun(app, session):
    """Casey stars HALT on the laptop, then un-stars it on the phone. Back on the laptop, any tap
    (a rerun) compared the switch's own stale "on" with the saved "off" and wrote it back: the
    favourite returned by itself. Now only a flip of the switch writes, and it shows what is saved."""
    casey = session.exec(select(AppUser).where(AppUser.username == "casey")).one()
    log_in(app, "casey")
    open_page(app, "pages/skills.py")
    app.query_params["skill"] = "halt"
    app.run()
    widget(app, "toggle", "fav_halt").set_value(True).run()
    assert _favourite(session, casey.id, "halt")
    session.execute(
        delete(FavouriteSkill).where(FavouriteSkill.participant_id == casey.id, FavouriteSkill.skill_id == "halt")
    )
    session.commit()  # the phone
    app.run()  # any tap on the laptop's page
    assert not app.exception
    assert not _favourite(session, casey.id, "halt") and widget(app, "toggle", "fav_halt").value is False
    widget(app, "toggle", "fav_halt").set_value(True).run()  # a real flip still writes
    assert _favourite(session, casey.id, "halt")
    widget(app, "toggle", "fav_halt").set_value(False).run()
    assert not _favourite(session, casey.id, "halt")


def test_consent_stopped_while_a_spanish_family_members_page_is_drawn_shows_nothing_more(app, session, monkeypatch):
    """Pat reads Alex's page in Spanish; Alex taps Stop on every consent just after Pat's page read
    what is shared and before it read the first chart. The gate refuses the chart (nothing of it is
    drawn) and the refusal is the page's calm notice, in Spanish (it was English); the next run says
    Alex shares nothing."""
    from core import sharing

    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    pat = session.exec(select(AppUser).where(AppUser.username == "pat.morgan")).one()
    read_shared = sharing.shared_with_me

    def then_alex_stops(db_session, actor):
        shared = read_shared(db_session, actor)
        for category in sharing.OFFERED:
            sharing.revoke(session, Actor.of(alex), family_id=pat.id, category=category)
        return shared

    choose_spanish_on_login(app)
    log_in(app, "pat.morgan")
    open_page(app, "pages/family.py")
    assert app.get("plotly_chart")  # Alex shares a mood trend, attendance and practice with Pat
    monkeypatch.setattr(sharing, "shared_with_me", then_alex_stops)
    app.run()
    assert not app.exception and not app.get("plotly_chart")
    assert [w.value for w in app.warning if "access" in w.value or "acceso" in w.value] == ["No tienes acceso a esto."]
    monkeypatch.setattr(sharing, "shared_with_me", read_shared)
    app.run()
    assert "no está compartiendo nada" in everything_drawn(app) and not app.get("plotly_chart")


def test_a_favourite_flipped_after_a_discharge_since_the_page_was_drawn_saves_nothing_calmly(app, session):
    """The switch writes in a callback, before the page's calm error handling: Casey discharged while
    the skill page was open, then a flip, must not put a traceback on the screen. Nothing is saved and
    the page is drawn without the switch, as for anyone discharged."""
    casey = session.exec(select(AppUser).where(AppUser.username == "casey")).one()
    log_in(app, "casey")
    open_page(app, "pages/skills.py")
    app.query_params["skill"] = "halt"
    app.run()
    therapist_id = session.exec(
        select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == casey.id)
    ).first()
    today = user_today(session, casey.id)
    enrolment.discharge(
        session,
        Actor.of(session.get(AppUser, therapist_id)),
        participant_id=casey.id,
        day=today,
        status="completed",
        today=today,
    )
    widget(app, "toggle", "fav_halt").set_value(True).run()
    assert not app.exception and not _favourite(session, casey.id, "halt")
    assert not [t for t in app.toggle if t.key == "fav_halt"]


def test_goal_ratings_chosen_on_sunday_night_and_sent_after_midnight_rate_the_week_shown(
    app, database_url, monkeypatch
):
    """Alex chose 6 for goal 1 on Sunday night's form ("My goals this week") and tapped Save just after
    midnight: the tap's run read the new day, and the 6 went to the new week; the week Alex rated kept
    its old number. The rating is for the week the form showed."""
    from core import program

    with Session(db.engine_for(database_url)) as session:
        alex, plan = _alex(session)
        sunday = goals.week_of(program.user_today(session, alex.id)) - timedelta(days=1)
    day = {"today": sunday}
    for module in (program, goals):  # the participant's calendar, as the page and the save read it
        monkeypatch.setattr(module, "user_today", lambda session, user_id, now=None: day["today"])
    log_in(app, "alex")
    open_page(app, "pages/today.py")
    next(p for p in app.pills if p.key == f"goal_rating_{plan[0].id}").set_value(6)
    day["today"] = sunday + timedelta(days=1)  # midnight passes before the tap
    next(b for b in app.button if b.label == "Save my ratings").click().run()
    assert not app.exception
    with Session(db.engine_for(database_url)) as session:
        rated = session.exec(
            select(GoalRating.week_start, GoalRating.rating).where(
                GoalRating.goal_id == plan[0].id, GoalRating.week_start >= goals.week_of(sunday)
            )
        ).all()
    assert rated == [(goals.week_of(sunday), 6)]  # (the seed leaves the new week unrated)


def test_a_thought_record_changed_before_midnight_and_sent_after_it_is_not_dropped_unseen(
    app, database_url, monkeypatch
):
    """Alex was changing today's thought record at 11:58 pm and tapped Save at 12:01 am. The tap's run
    read the new day and no longer drew the form (only today's entries can be changed): what Alex
    typed vanished with no word, nothing saved. Now the form is drawn for that run, the save says why
    yesterday's record is kept as it was, and the words are still on the screen."""
    from core import practice, program

    with Session(db.engine_for(database_url)) as session:
        alex, _ = _alex(session)
        today = program.user_today(session, alex.id)
        session.add(
            ThoughtRecord(
                participant_id=alex.id,
                entry_key="wave15d-midnight",
                day=today,
                situation="Work meeting",
                emotions=[{"name": "anxious", "before": 80, "after": 50}],
                automatic_thought="I'll fail",
            )
        )
        session.commit()
    day = {"today": today}
    for module in (program, practice):  # the participant's calendar, as the page and the save read it
        monkeypatch.setattr(module, "user_today", lambda session, user_id, now=None: day["today"])
    log_in(app, "alex")
    open_page(app, "pages/practice.py")
    [thought] = [t for t in app.text_area if t.key.startswith("auto_edit_thought")]
    thought.input("I'll fail, and here is everything else I wrote")
    day["today"] = today + timedelta(days=1)  # midnight passes before the tap
    next(b for b in app.button if b.label == "Save thought record" and "edit" in b.key).click().run()
    assert not app.exception
    shown = [e.value for e in app.error] + [w.value for w in app.warning]
    assert any("kept as it was" in message for message in shown), shown
    assert [t.value for t in app.text_area if t.key.startswith("auto_edit_thought")] == [
        "I'll fail, and here is everything else I wrote"
    ]
