"""My progress and the therapist's participant review, through the real app script."""

import json

from sqlmodel import col, select

from core.models import AppUser, AuditEvent
from tests.app.conftest import log_in, open_page, texts
from ui.text import md


def charts_on(app) -> int:
    return sum(1 for e in app.get("plotly_chart"))


def open_tab(app, label):
    """Tabs are drawn lazily (only the open one runs); open another as a tap would."""
    app.session_state["progress_tab"] = label
    return app.run()


def test_progress_page_shows_sentences_and_charts(app):
    log_in(app, "alex")
    open_page(app, "pages/progress.py")
    assert not app.exception
    assert charts_on(app) == 2  # Mood: mood and emotions, nothing else built
    open_tab(app, "Urges & skills")
    assert "No urges were recorded in this period." in texts(app)  # under the urges chart: Alex's last two weeks
    assert charts_on(app) == 5  # + the triggers map (the demo program tracks substance use)
    assert "No triggers recorded yet" in " ".join(str(c.proto.spec) for c in app.get("plotly_chart"))
    open_tab(app, "Sleep & days")
    assert "diary cards in this period" in texts(app)
    assert charts_on(app) == 3
    open_tab(app, "Check-ups")
    assert "Your latest PHQ-9 score is" in texts(app)
    assert charts_on(app) >= 2  # one per check-up


def test_the_emotions_chart_shows_only_the_emotions_picked(app):
    log_in(app, "eli")
    open_page(app, "pages/progress.py")
    picker = next(p for p in app.pills if p.key == "progress_emotions")
    assert len(picker.value) == 2  # the two felt most strongly, not five lines at once
    picker.set_value(["shame"]).run()
    assert not app.exception
    emotions_chart = next(c for c in app.get("plotly_chart") if "Shame, at its strongest" in c.proto.spec)
    assert [t["name"] for t in json.loads(emotions_chart.proto.spec)["data"]] == ["Shame"]
    next(p for p in app.pills if p.key == "progress_emotions").set_value([]).run()
    assert "Pick an emotion above" in texts(app)


def test_review_shows_the_week_items_alerts_and_export(app):
    log_in(app, "dr.chen")
    open_page(app, "pages/review.py")
    assert not app.exception
    app.selectbox[0].select(next(o for o in app.selectbox[0].options if o.startswith("Dana")))
    app.run()
    assert any("iop-grid" in h.proto.body for h in app.get("html"))
    assert charts_on(app) >= 8
    shown = texts(app)
    assert md("PHQ-9 item 9") in shown  # alert reasons are shown as plain text (escaped Markdown)
    assert app.get("download_button")


def test_opening_someone_elses_participant_by_url_is_refused_and_audited(app, session):
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    chen = session.exec(select(AppUser).where(AppUser.username == "dr.chen")).one()

    def refusals():
        session.expire_all()
        return session.exec(
            select(AuditEvent).where(
                AuditEvent.participant_id == alex.id, AuditEvent.actor_id == chen.id, col(AuditEvent.allowed).is_(False)
            )
        ).all()

    log_in(app, "dr.chen")
    before = len(refusals())
    app.query_params["p"] = str(alex.id)
    open_page(app, "pages/review.py")
    assert any("don't have access" in w.value for w in app.warning)
    assert "Alex" not in " ".join(str(t.value) for t in app.text)
    assert len(refusals()) == before + 1


def test_review_shows_homework_practice_and_thought_records_and_assigns_homework(app, session):
    from core.models import Homework

    log_in(app, "dr.chen")
    open_page(app, "pages/review.py")  # Bailey: first on dr.chen's caseload
    assert app.selectbox[0].value.name.startswith("Bailey")
    shown = texts(app)
    assert "**Thought record** · Done" in shown  # the demo's homework, done by a thought record
    assert "Thought records, last 8 weeks" in shown
    assert any("Automatic thought" in m.value for m in app.markdown)
    assert any("Distress before" in c.proto.spec for c in app.get("plotly_chart"))  # the helpfulness chart

    next(b for b in app.button if b.label == "Assign a skill as homework").click().run()  # opens the form
    app.button(key="FormSubmitter:assign_homework-Assign").click().run()  # no skill chosen
    assert "Choose a skill from the list." in [e.value for e in app.error]
    app.selectbox(key="hw_skill").select("halt")
    app.text_input(key="hw_note").input("After work, before the drive home")
    app.button(key="FormSubmitter:assign_homework-Assign").click().run()
    assert not app.exception
    assert "Assigned HALT" in texts(app)
    bailey = app.selectbox[0].value.id
    saved = session.exec(select(Homework).where(Homework.participant_id == bailey, Homework.skill_id == "halt")).one()
    assert saved.note == "After work, before the drive home" and saved.removed_at is None
