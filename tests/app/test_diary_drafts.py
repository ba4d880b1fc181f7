"""The diary card keeps what a person entered (#16): a draft per day for the session, across
Today / Yesterday and other screens; a note over the limit is kept and says how much to cut; a
past day's card never asks about "today"; a new participant is offered no day before they began."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from core import clinical
from core.auth import hash_password
from core.models import AppUser, CaseloadAssignment, DiaryCard
from core.program import user_today
from tests.app.conftest import log_in, open_page
from tests.e2e.conftest import DEMO_PASSWORD


def widget(at, kind, key):
    return next(w for w in getattr(at, kind) if w.key == key)


def day_picker(at):
    return widget(at, "segmented_control", "card_day")


def saved_cards(session, username):
    session.expire_all()
    user = session.exec(select(AppUser).where(AppUser.username == username)).one()
    return session.exec(select(DiaryCard).where(DiaryCard.participant_id == user.id)).all()


def test_switching_days_and_screens_keeps_unsaved_answers(app, session):
    log_in(app, "bailey")
    today = day_picker(app).value
    yesterday = today - timedelta(days=1)
    k = today.isoformat()
    widget(app, "pills", f"mood_{k}").set_value(7)
    widget(app, "segmented_control", f"anger_{k}").set_value(3)
    widget(app, "text_area", f"note_{k}").input("half a thought")
    app.run()
    day_picker(app).set_value(yesterday).run()
    assert widget(app, "pills", f"mood_{yesterday}").label.startswith("**Overall mood yesterday**")
    assert any("Not saved yet, and kept for you: Today" in c.value for c in app.caption)
    open_page(app, "pages/safety_plan.py")  # mid-card, to the safety plan and back
    open_page(app, "pages/today.py")
    day_picker(app).set_value(today).run()
    assert widget(app, "pills", f"mood_{k}").value == 7
    assert widget(app, "segmented_control", f"anger_{k}").value == 3
    assert widget(app, "text_area", f"note_{k}").value == "half a thought"
    assert widget(app, "pills", f"mood_{k}").label.startswith("**Overall mood today**")
    before = len(saved_cards(session, "bailey"))
    next(b for b in app.button if b.label == "Save my card").click().run()
    assert len(saved_cards(session, "bailey")) == before + 1
    assert not any("Not saved yet" in c.value for c in app.caption)  # the draft went with the save


def test_a_note_over_the_limit_is_kept_and_says_how_much_to_cut(app, session):
    log_in(app, "gray")
    k = day_picker(app).value.isoformat()
    widget(app, "pills", f"mood_{k}").set_value(5)
    pasted = "x" * (clinical.NOTE_MAX_CHARS + 345)
    widget(app, "text_area", f"note_{k}").input(pasted).run()
    assert widget(app, "text_area", f"note_{k}").value == pasted  # never an empty box
    assert any("Please cut 345 characters" in w.value for w in app.warning)
    before = len(saved_cards(session, "gray"))
    next(b for b in app.button if b.label == "Save my card").click().run()
    assert any("Please cut 345 characters" in e.value for e in app.error)
    assert widget(app, "text_area", f"note_{k}").value == pasted
    assert len(saved_cards(session, "gray")) == before


def test_a_new_participant_is_offered_no_day_before_they_began(app, session, demo):
    therapist = session.exec(select(AppUser).where(AppUser.username == "dr.chen")).one()
    newcomer = AppUser(
        username="new.person",
        name="New Person",
        role="participant",
        program_id=demo.id,
        password_hash=hash_password(DEMO_PASSWORD, rounds=4),
        created_at=datetime.now(UTC),
    )
    session.add(newcomer)
    session.flush()
    session.add(CaseloadAssignment(participant_id=newcomer.id, therapist_id=therapist.id))
    session.commit()
    log_in(app, "new.person")
    assert day_picker(app).options == ["Today"]  # not yesterday, nor the day before: no account then
    assert day_picker(app).value == user_today(session, newcomer.id)


def test_a_practice_situation_over_the_limit_is_kept_and_says_how_much_to_cut(app, session):
    log_in(app, "alex")
    open_page(app, "pages/practice.py")
    situation = "a long evening at my sister's, " * 5  # 155 characters, over the 120
    assert len(situation) == clinical.PRACTICE_SITUATION_MAX + 35
    next(s for s in app.selectbox if s.label == "Skill").select_index(0)
    next(t for t in app.text_input if t.label == "Situation (a few words)").input(situation)
    next(p for p in app.pills if p.label.startswith("**Distress before**")).set_value(6)
    next(b for b in app.button if b.label == "Save practice").click().run()
    assert any("Please cut 35 characters" in e.value for e in app.error)
    assert next(t for t in app.text_input if t.label == "Situation (a few words)").value == situation


def test_an_answer_arriving_with_the_switch_to_yesterday_is_kept(app):
    """A quick tap on Today's card and a tap on Yesterday can reach the server in one run (the
    browser sends both): the run draws Yesterday, and Today's answer must still be kept."""
    log_in(app, "lee")
    today = day_picker(app).value
    k = today.isoformat()
    widget(app, "segmented_control", f"shame_{k}").set_value(4)
    widget(app, "pills", f"mood_{k}").set_value(3)
    day_picker(app).set_value(today - timedelta(days=1))
    app.run()  # one run: the answers and the switch together
    yesterday = widget(app, "pills", f"mood_{(today - timedelta(days=1)).isoformat()}")
    assert yesterday.label.startswith("**Overall mood yesterday**")  # that run drew Yesterday
    assert not any(w.key.endswith(k) for w in app.pills if w.key)  # and not Today's card
    day_picker(app).set_value(today).run()
    assert widget(app, "segmented_control", f"shame_{k}").value == 4
    assert widget(app, "pills", f"mood_{k}").value == 3
    assert widget(app, "text_area", f"note_{k}").label.startswith("Note · you and your therapist can read it")
