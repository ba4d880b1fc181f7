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
