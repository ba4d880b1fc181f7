"""The aftercare plan through the real app: the participant reads, prints and edits theirs; the
therapist sees it on Review beside the FHIR hand-off download; typed text is never Markdown."""

from __future__ import annotations

from sqlmodel import Session, select

from core import aftercare, db
from core.access import Actor
from core.models import AppUser
from tests.app.conftest import log_in, open_page, texts


def plain(app) -> str:
    """What the page shows, the plain-text elements (st.text: typed words) included."""
    return texts(app) + "\n" + "\n".join(str(t.value) for t in app.text)


def _plan(database_url, username):
    with Session(db.engine_for(database_url)) as session:
        person = Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())
        return aftercare.current_plan(session, person, person.id)


def test_a_participant_reads_their_plan_and_keeps_a_printable_copy(app):
    log_in(app, "jordan")
    open_page(app, "pages/aftercare.py")
    assert not app.exception
    shown = plain(app)
    assert "• Sam (sponsor) 555-0101" in shown and "Dr. Lee, outpatient therapy" in shown
    assert "Sertraline 50 mg" in shown
    assert any("printable page" in str(e.proto) for e in app.get("download_button"))


def test_a_participant_writes_a_first_plan_and_hostile_text_stays_plain(app, database_url):
    log_in(app, "alex")
    open_page(app, "pages/aftercare.py")
    assert "No aftercare plan yet" in texts(app)
    next(t for t in app.text_area if t.key == "aftercare_edit_triggers").input(
        "![x](http://evil.example/p.png)\nPaydays"
    )
    next(b for b in app.button if b.label == "Save the aftercare plan").click().run()
    assert not app.exception
    assert "Saved (version 1)." in texts(app)
    plan = _plan(database_url, "alex")
    assert plan.items("triggers") == ["![x](http://evil.example/p.png)", "Paydays"]


def test_too_many_lines_are_refused_beside_the_field_and_kept(app, database_url):
    log_in(app, "alex")
    open_page(app, "pages/aftercare.py")
    typed = "\n".join(f"trigger {n}" for n in range(13))
    next(t for t in app.text_area if t.key == "aftercare_edit_triggers").input(typed)
    next(b for b in app.button if b.label == "Save the aftercare plan").click().run()
    assert "My personal triggers: up to 12 lines" in texts(app)
    assert next(t for t in app.text_area if t.key == "aftercare_edit_triggers").value == typed
    assert _plan(database_url, "alex") is None


def test_review_shows_the_plan_and_offers_the_fhir_hand_off_next_to_the_csv(app):
    log_in(app, "dr.chen")
    open_page(app, "pages/review.py")
    app.selectbox[0].select(next(o for o in app.selectbox[0].options if o.startswith("Jordan")))
    app.run()
    assert not app.exception
    assert "Relapse-prevention and aftercare plan" in texts(app) and "Sam (sponsor)" in plain(app)
    labels = [str(e.proto) for e in app.get("download_button")]
    record = next(i for i, label in enumerate(labels) if "Download the record" in label)
    assert "Discharge hand-off for the next provider" in labels[record + 1]


def _save(database_url, username, content):
    with Session(db.engine_for(database_url)) as session:
        person = Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())
        plan = aftercare.current_plan(session, person, person.id)
        aftercare.save_plan(
            session, person, participant_id=person.id, content=content, base_version=plan.version if plan else None
        )


def _offers_a_copy(app) -> bool:
    return any("printable page" in str(e.proto) for e in app.get("download_button"))


def test_an_empty_plan_offers_no_printable_copy_until_something_is_written(app, database_url):
    log_in(app, "alex")
    open_page(app, "pages/aftercare.py")
    assert not _offers_a_copy(app) and "No aftercare plan yet" in texts(app)
    _save(database_url, "alex", {"triggers": [], "medication": "   ", "appointments": []})  # saved, all blank
    assert _plan(database_url, "alex") is not None
    open_page(app, "pages/aftercare.py")
    assert not _offers_a_copy(app) and "No aftercare plan yet" in texts(app)
    _save(database_url, "alex", {"medication": "Sertraline 50 mg"})
    open_page(app, "pages/aftercare.py")
    assert _offers_a_copy(app) and "No aftercare plan yet" not in texts(app)
