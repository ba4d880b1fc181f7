"""Review's editors, one tap away (ui/review.py): a rerun in which nobody edits builds no form; one tap
opens an editor for that participant, which saves as before and stays open until closed; reopening
starts from what is saved; a discharged participant's record offers no tap at all, whatever the
session says."""

from __future__ import annotations

from sqlmodel import Session, select

from core import aftercare, db, goals
from core.access import Actor
from core.models import AppUser
from tests.app.conftest import log_in, open_page, texts

OPENERS = {"Write the goals", "Change the goals", "Build or change the aftercare plan", "Assign a skill as homework"}
EDITOR_KEYS = ("goals_", "aftercare_", "hw_")


def _actor(database_url, username: str) -> Actor:
    with Session(db.engine_for(database_url)) as session:
        return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def _choose(app, name: str) -> None:
    app.selectbox[0].select(next(o for o in app.selectbox[0].options if o.startswith(name)))
    app.run()


def _tap(app, label: str) -> None:
    next(b for b in app.button if b.label == label).click().run()
    assert not app.exception


def editor_widgets(app) -> list[str]:
    """Keys of every editor widget on screen (text boxes, areas, pickers, table editors)."""
    widgets = [*app.text_input, *app.text_area, *app.selectbox, *app.date_input, *app.get("arrow_data_frame")]
    return [w.key for w in widgets if isinstance(getattr(w, "key", None), str) and w.key.startswith(EDITOR_KEYS)]


def test_review_is_read_first_and_each_editor_opens_with_one_tap(app):
    log_in(app, "dr.rivera")
    open_page(app, "pages/review.py")
    _choose(app, "Alex")
    assert editor_widgets(app) == []  # nobody is editing: no form is built
    assert not [b for b in app.button if b.label in {"Save the goals", "Save the aftercare plan", "Assign"}]
    assert OPENERS & {b.label for b in app.button} >= {
        "Build or change the aftercare plan",
        "Assign a skill as homework",
    }
    _tap(app, "Assign a skill as homework")
    assert {"hw_skill", "hw_note"} <= set(editor_widgets(app))
    assert not [k for k in editor_widgets(app) if k.startswith(("goals_", "aftercare_"))]  # only the one tapped


def test_the_aftercare_plan_is_written_on_review_after_one_tap_and_shows_read_only(app, database_url):
    log_in(app, "dr.rivera")
    open_page(app, "pages/review.py")
    _choose(app, "Alex")
    alex = _actor(database_url, "alex")
    assert "No aftercare plan yet: build it with them" in texts(app)  # said to the therapist, not "your therapist"
    assert "your therapist" not in texts(app)
    _tap(app, "Build or change the aftercare plan")
    area = next(t for t in app.text_area if t.key == f"aftercare_{alex.id}_triggers")
    area.input("Paydays, walking past the old bar")
    _tap(app, "Save the aftercare plan")
    assert "Saved (version 1)." in texts(app)
    with Session(db.engine_for(database_url)) as session:
        plan = aftercare.current_plan(session, _actor(database_url, "dr.rivera"), alex.id)
    assert plan is not None and plan.items("triggers") == ["Paydays, walking past the old bar"]
    app.run()  # any later rerun: the plan is read back above the editor, which stays open
    assert "• Paydays, walking past the old bar" in [str(t.value) for t in app.text]
    assert any(t.key == f"aftercare_{alex.id}_triggers" for t in app.text_area)
    _tap(app, "Close the aftercare plan without saving")
    assert editor_widgets(app) == []
    assert "Build or change the aftercare plan" in {b.label for b in app.button}
    assert "• Paydays, walking past the old bar" in [str(t.value) for t in app.text]


def _open_record(app, person: Actor) -> None:
    """Another participant's Review, as an alert's or the caseload's link opens it (?p=)."""
    app.query_params["p"] = str(person.id)
    app.run()
    assert app.selectbox[0].value.id == person.id


def test_an_open_editor_belongs_to_its_participant(app, database_url):
    log_in(app, "dr.chen")
    open_page(app, "pages/review.py")
    bailey, dana = _actor(database_url, "bailey"), _actor(database_url, "dana")
    _open_record(app, bailey)
    _tap(app, "Change the goals" if "Change the goals" in {b.label for b in app.button} else "Write the goals")
    assert f"goals_{bailey.id}_text_1" in editor_widgets(app)
    _open_record(app, dana)
    assert editor_widgets(app) == []  # Dana's goals were never opened
    _open_record(app, bailey)
    assert f"goals_{bailey.id}_text_1" in editor_widgets(app)  # Bailey's still is


def test_reopening_the_goals_starts_from_what_is_saved_now(app, database_url):
    """Typed, closed without saving, a colleague saves meanwhile: the editor opened again shows the
    colleague's goals (not the text thrown away), and a save over them is not refused as a conflict."""
    log_in(app, "dr.rivera")
    open_page(app, "pages/review.py")
    _choose(app, "Alex")
    alex, rivera = _actor(database_url, "alex"), _actor(database_url, "dr.rivera")
    opener = "Change the goals" if "Change the goals" in {b.label for b in app.button} else "Write the goals"
    _tap(app, opener)
    next(t for t in app.text_input if t.key == f"goals_{alex.id}_text_1").input("Typed, then thrown away")
    _tap(app, "Close the goals without saving")
    with Session(db.engine_for(database_url)) as session:
        drawn = goals.goals_for(session, rivera, alex.id)
        goals.save_goals(
            session,
            rivera,
            participant_id=alex.id,
            goals=[{"id": drawn[0].id if drawn else None, "text": "Colleague's goal", "measure": "weekly"}],
            base_version=goals.version_of(drawn),
        )
    app.run()
    _tap(app, "Change the goals")
    first = next(t for t in app.text_input if t.key == f"goals_{alex.id}_text_1")
    assert first.value == "Colleague's goal"
    first.input("Colleague's goal, now mine")
    _tap(app, "Save the goals")
    assert "Goals saved." in texts(app)
    with Session(db.engine_for(database_url)) as session:
        assert goals.goals_for(session, rivera, alex.id)[0].text == "Colleague's goal, now mine"


def test_a_discharged_record_offers_no_editor_even_when_the_session_says_one_is_open(app, database_url):
    """The session's flag is the page's own state, not a permission: set by hand (or left over from
    before the discharge), it opens nothing on a closed record."""
    log_in(app, "dr.chen")
    open_page(app, "pages/review.py")
    sam = _actor(database_url, "sam")
    for what in ("goals", "aftercare", "homework"):
        app.session_state[f"review_editing_{what}_{sam.id}"] = True
    _choose(app, "Sam")
    assert "the record is closed for additions" in texts(app)
    assert editor_widgets(app) == []
    assert not {b.label for b in app.button} & (OPENERS | {"Save the goals", "Save the aftercare plan", "Assign"})


def test_a_flag_for_someone_elses_participant_opens_nothing_and_is_refused(app, database_url):
    """dr.rivera's participant, asked for by dr.chen with every editor flagged open in the session: the
    gate refuses the record before anything is drawn, editors included."""
    log_in(app, "dr.chen")
    open_page(app, "pages/review.py")
    alex = _actor(database_url, "alex")  # on dr.rivera's caseload, not dr.chen's
    for what in ("goals", "aftercare", "homework"):
        app.session_state[f"review_editing_{what}_{alex.id}"] = True
    app.query_params["p"] = str(alex.id)
    app.run()
    assert "You don't have access to that record" in texts(app)
    assert editor_widgets(app) == []
    assert not {b.label for b in app.button} & (OPENERS | {"Save the goals", "Save the aftercare plan", "Assign"})
