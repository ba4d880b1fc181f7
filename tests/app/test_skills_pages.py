"""The skills library, a skill's page, the practice log and the coping tools, through the real app."""

from datetime import timedelta

from sqlmodel import select

from core import practice
from core.access import Actor
from core.models import AppUser, PracticeEntry, ThoughtRecord
from core.seed import demo_today
from tests.app.conftest import log_in, open_page, texts


def button(app, label):
    return next(b for b in app.button if b.label == label)


def open_skills(app, username="alex"):
    log_in(app, username)
    open_page(app, "pages/skills.py")
    assert not app.exception
    return app


def test_the_library_shows_modules_search_and_opens_a_skill_page(app):
    open_skills(app)
    assert app.title[0].value == "Skills"
    assert len(app.expander) >= 6  # one per module
    app.text_input(key="skill_search").input("can't sleep").run()
    found = [b.label for b in app.button if b.key and b.key.startswith("found_")]
    assert "PLEASE" in found and "TIPP" not in found
    app.text_input(key="skill_search").input("panic").run()
    button(app, "TIPP").click().run()
    assert not app.exception
    assert app.title[0].value == "TIPP"
    shown = texts(app)
    assert "When it helps" in shown and "Steps" in shown and "doctor" in shown  # the medical caution
    assert any(b.label == "Start breathing" for b in app.button)  # the tool, on the page
    button(app, "All skills").click().run()
    assert app.title[0].value == "Skills"


def test_a_search_that_sounds_like_danger_shows_the_safety_plan_first(app):
    open_skills(app)
    app.text_input(key="skill_search").input("I want to hurt myself").run()
    assert "please reach someone now" in texts(app)


def test_logging_a_practice_from_a_skill_page_saves_once_and_resets_the_form(app, session):
    open_skills(app)
    app.query_params["skill"] = "halt"
    app.run()
    assert app.title[0].value == "HALT"
    app.text_input(key=next(t.key for t in app.text_input if t.key.startswith("situation_log_halt"))).input(
        "after work, wanted a drink"
    )
    before = next(p for p in app.get("button_group") if p.label.startswith("**Distress before**"))
    before.set_value(7)
    after = next(p for p in app.get("button_group") if p.label.startswith("**Distress after**"))
    after.set_value(3)
    next(b for b in app.button if b.label == "Save practice").click().run()
    assert not app.exception
    assert "Practice of HALT saved. It went from 7 to 3." in texts(app)
    rows = session.exec(select(PracticeEntry).where(PracticeEntry.situation == "after work, wanted a drink")).all()
    assert [(r.skill_id, r.distress_before, r.distress_after) for r in rows] == [("halt", 7, 3)]
    situation = next(t for t in app.text_input if t.key.startswith("situation_log_halt"))
    assert situation.value == ""  # a fresh form for the next practice


def test_a_bad_practice_keeps_what_was_typed_and_says_why(app, session):
    log_in(app, "alex")
    open_page(app, "pages/practice.py")
    situation = next(t for t in app.text_input if t.key.startswith("situation_practice_new"))
    situation.input("before the family visit")
    next(b for b in app.button if b.label == "Save practice").click().run()
    assert "Choose a skill from the list." in [e.value for e in app.error]
    assert (
        next(t for t in app.text_input if t.key.startswith("situation_practice_new")).value == "before the family visit"
    )
    assert not session.exec(select(PracticeEntry).where(PracticeEntry.situation == "before the family visit")).all()


def test_homework_from_the_therapist_comes_first_with_its_due_date(app, session):
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    rivera = Actor.of(session.exec(select(AppUser).where(AppUser.username == "dr.rivera")).one())
    due = demo_today() + timedelta(days=200)  # due dates are within a year (core.clinical)
    practice.assign_homework(
        session, rivera, participant_id=alex.id, skill_id="dear_man", due_on=due, note="Before Sunday's family dinner"
    )
    open_skills(app)
    shown = texts(app)
    assert shown.index("From your therapist") < shown.index("All skills")
    assert "DEAR MAN" in shown and f"Due {due:%a %b} {due.day}" in shown and "Before Sunday's family dinner" in shown


def test_the_breathing_tool_counts_down_and_can_be_stopped(app):
    log_in(app, "alex")
    open_page(app, "pages/tools.py")
    button(app, "Start breathing").click().run()
    assert not app.exception
    timer = " ".join(h.proto.body for h in app.get("html"))  # the browser runs the count (ui/animation.py)
    assert "Breathe in · 4" in timer and "Breathe out · 6" in timer and "2:00 left" in timer
    button(app, "Stop").click().run()
    assert "You breathed for" in texts(app)


def test_the_grounding_tool_goes_step_by_step(app):
    log_in(app, "alex")
    app.query_params["tool"] = "grounding"
    open_page(app, "pages/tools.py")
    assert "Notice 5 things you can **see**" in texts(app)
    for _ in range(5):
        button(app, "Next").click().run()
    assert "come back to the present moment" in texts(app)


def test_a_thought_record_is_saved_from_the_tool(app, session):
    log_in(app, "bailey")
    app.query_params["tool"] = "thought_record"
    open_page(app, "pages/tools.py")
    field = {t.key.split("_")[0]: t for t in app.text_area}
    field["situation"].input("Boss criticised my report")
    field["auto"].input("I'm going to be fired")
    field["balanced"].input("One comment isn't a verdict on my job")
    next(t for t in app.text_input if t.key.startswith("em0_")).input("anxious")
    next(n for n in app.number_input if n.key.startswith("em0b_")).set_value(85)
    next(n for n in app.number_input if n.key.startswith("em0a_")).set_value(45)
    button(app, "Save thought record").click().run()
    assert not app.exception
    assert "Thought record saved" in texts(app)
    saved = session.exec(select(ThoughtRecord).where(ThoughtRecord.situation == "Boss criticised my report")).one()
    assert saved.emotions == [{"name": "anxious", "before": 85, "after": 45}]


def test_urge_surfing_rates_before_and_after_saves_practice_and_offers_help_if_still_strong(app, session):
    log_in(app, "eli")
    app.query_params["tool"] = "urge_surfing"
    open_page(app, "pages/tools.py")
    app.get("button_group")[1].set_value(8)  # [0] is the tool picker: "How strong is the urge right now?"
    button(app, "Start").click().run()
    timer = " ".join(h.proto.body for h in app.get("html"))  # the browser runs the prompts (ui/animation.py)
    assert "Notice where you feel the urge" in timer and "5:00 left" in timer
    button(app, "I'm done").click().run()
    assert "You rode the urge for" in texts(app)
    before = next(p for p in app.get("button_group") if p.label.startswith("**Urge before**"))
    assert before.value == 8  # carried over from the start
    next(p for p in app.get("button_group") if p.label.startswith("**Urge after**")).set_value(7)
    button(app, "Save practice").click().run()
    assert not app.exception
    shown = texts(app)
    assert "Practice of Urge surfing saved. It went from 8 to 7." in shown
    assert "Still strong?" in shown
    plan_links = [link for link in app.get("page_link") if "safety_plan" in link.proto.page]
    assert len(plan_links) >= 2  # the one in the help box, besides the top bar's
    saved = session.exec(
        select(PracticeEntry).where(
            PracticeEntry.tool == "urge_surfing", PracticeEntry.distress_before == 8, PracticeEntry.distress_after == 7
        )
    ).all()
    assert len(saved) == 1 and saved[0].skill_id == "urge_surfing"
    assert any(b.label == "Start" for b in app.button)  # the tool is ready for next time


def test_todays_screen_mentions_homework_that_is_still_to_do(app):
    log_in(app, "alex")  # the demo: Opposite action due in 4 days (DEAR MAN is done)
    shown = texts(app)
    assert "From your therapist: practise **Opposite action**" in shown and "DEAR MAN" not in shown


def test_todays_practice_can_be_changed_from_the_log_without_making_a_second_entry(app, session):
    harper = Actor.of(session.exec(select(AppUser).where(AppUser.username == "harper")).one())
    saved = practice.save_practice(
        session,
        harper,
        participant_id=harper.id,
        entry_key="tonight",
        entry=practice.PracticeInput("self_soothe", 7, 5, "a_bit", "after a hard call"),
    )
    log_in(app, "harper")
    open_page(app, "pages/practice.py")
    assert any(e.label.startswith("Change today's Self-soothe") for e in app.expander)
    after = next(p for p in app.get("button_group") if p.key.startswith("after_edit_"))
    assert after.value == 5
    after.set_value(2)
    next(b for b in app.button if b.key and b.key.startswith("save_edit_")).click().run()
    assert not app.exception
    assert "It went from 7 to 2." in texts(app)
    rows = session.exec(
        select(PracticeEntry).where(PracticeEntry.participant_id == harper.id, PracticeEntry.entry_key == "tonight")
    ).all()
    assert [(r.id, r.distress_after) for r in rows] == [(saved.id, 2)]
