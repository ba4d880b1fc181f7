"""The therapist's Review: medication adherence (grid row and chart), sleep charted, and alerts
shown with what triggered them in the therapist's own time zone."""

from sqlmodel import select

from core.models import AppUser
from tests.app.conftest import log_in, texts


def chart_titles(app) -> list[str]:
    import json

    return [json.loads(el.proto.spec)["layout"]["title"]["text"] for el in app.get("plotly_chart")]


def test_review_shows_medication_and_sleep_and_local_alert_times(app, session):
    dana = session.exec(select(AppUser).where(AppUser.username == "dana")).one()
    log_in(app, "dr.chen")
    app.switch_page("pages/review.py")
    app.query_params["p"] = str(dana.id)
    app.run()
    assert not app.exception
    grid = next(h.proto.body for h in app.get("html") if "iop-grid" in h.proto.body)
    assert ">Medication</th>" in grid
    titles = chart_titles(app)
    assert "Medication taken as prescribed, per week" in titles and "Sleep (hours)" in titles
    shown = texts(app)
    assert "urge rated" in shown and " UTC" not in shown and ("EST" in shown or "EDT" in shown)


def test_review_charts_the_screeners_and_asks_for_one_again(app, session):
    from core import screeners
    from core.access import Actor
    from core.models import CaseloadAssignment, utcnow

    eli = session.exec(select(AppUser).where(AppUser.username == "eli")).one()
    me = Actor.of(eli)
    screeners.submit(
        session, me, participant_id=eli.id, kind="dast10", answers=[1, 1, 0, 0, 1, 0, 0, 0, 0, 0], now=utcnow()
    )  # item 3 "No": 4, moderate
    therapist = session.get(
        AppUser,
        session.exec(
            select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == eli.id)
        ).first(),
    )
    log_in(app, therapist.username)
    app.switch_page("pages/review.py")
    app.query_params["p"] = str(eli.id)
    app.run()
    assert "DAST-10 (0–10)" in chart_titles(app)
    shown = texts(app)
    assert "Latest DAST-10 item by item" in " ".join(e.label for e in app.expander) and "Substance-use screeners" in [
        h.value for h in app.subheader
    ]
    assert "AUDIT-C: not taken yet" in shown
    next(b for b in app.button if b.key == "ask_screener_dast10").click()
    app.run()
    assert any("DAST-10" in s.value for s in app.success)
    session.expire_all()
    due = next(s for s in screeners.statuses(session, me, eli.id) if s.kind == "dast10")
    assert due.extra_request_id is not None
