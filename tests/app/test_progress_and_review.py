"""My progress and the therapist's participant review, through the real app script."""

from sqlmodel import select

from core.models import AppUser, AuditEvent
from tests.app.conftest import log_in, texts


def charts_on(app) -> int:
    return sum(1 for e in app.get("plotly_chart"))


def test_progress_page_shows_sentences_and_charts(app):
    log_in(app, "alex")
    app.switch_page("pages/progress.py").run()
    assert not app.exception
    assert "diary cards so far" in texts(app)
    assert charts_on(app) >= 7    # five diary charts and one per check-up


def test_review_shows_the_week_items_alerts_and_export(app):
    log_in(app, "dr.chen")
    app.switch_page("pages/review.py").run()
    assert not app.exception
    app.selectbox[0].select(next(o for o in app.selectbox[0].options if o.startswith("Dana")))
    app.run()
    assert any("iop-grid" in h.proto.body for h in app.get("html"))
    assert charts_on(app) >= 8
    shown = texts(app)
    assert "PHQ-9 item 9" in shown
    assert app.get("download_button")


def test_opening_someone_elses_participant_by_url_is_refused_and_audited(app, session):
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    log_in(app, "dr.chen")
    app.query_params["p"] = str(alex.id)
    app.switch_page("pages/review.py").run()
    assert not app.exception
    assert any("don't have access" in w.value for w in app.warning)
    assert "Alex" not in " ".join(str(t.value) for t in app.text)
    session.expire_all()
    refused = session.exec(select(AuditEvent).where(AuditEvent.participant_id == alex.id,
                                                    AuditEvent.allowed == False)).all()  # noqa: E712
    assert refused
