"""My progress and Review through app.py: a rerun that changes nothing builds no figure, and a
card saved in between is on the chart at the next rerun (never a stale figure from the cache)."""

from __future__ import annotations

import json

from sqlmodel import select

from core import charts, diary
from core.access import Actor
from core.diary import CardInput
from core.models import AppUser
from core.program import user_today
from tests.app.conftest import log_in, open_page, open_tables


def mood_points(at) -> list:
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if '"Mood' in c.proto.spec)
    return [y for trace in spec["data"] for y in trace.get("y", [])]


def save_as_alex(session, mood: int) -> None:
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    day = user_today(session, alex.id)
    diary.save_card(session, Actor.of(alex), participant_id=alex.id, day=day, card=CardInput(mood=mood))


def test_an_idle_rerun_builds_no_figure_on_progress_and_review(app, new_app):
    log_in(app, "alex")
    open_page(app, "pages/progress.py")
    app.run()
    built = charts.FIGURES.builds
    app.run()
    assert charts.FIGURES.builds == built and len(app.get("plotly_chart")) == 2

    chen = new_app().run()
    log_in(chen, "dr.chen")
    open_page(chen, "pages/review.py")
    chen.run()
    built = charts.FIGURES.builds
    chen.run()
    assert charts.FIGURES.builds == built and len(chen.get("plotly_chart")) >= 8


def test_a_saved_card_is_on_the_charts_at_the_next_rerun(app, new_app, session):
    """Alex's mood of 0 (no demo card has it) saved between two reruns of Alex's My progress and of
    Dr. Rivera's Review of Alex: both redraw with it; a figure cached by anything but the data's last
    write would still show the old week. Today's card exists already, so only its content and
    `updated_at` change (not how many cards there are)."""
    save_as_alex(session, mood=5)
    log_in(app, "alex")
    open_page(app, "pages/progress.py")
    chen = new_app().run()
    log_in(chen, "dr.rivera")
    open_page(chen, "pages/review.py")
    chen.selectbox[0].select(next(o for o in chen.selectbox[0].options if o.startswith("Alex"))).run()
    assert 0 not in mood_points(app) and 0 not in mood_points(chen)
    built = charts.FIGURES.builds

    save_as_alex(session, mood=0)
    app.run()
    chen.run()
    assert 0 in mood_points(app) and 0 in mood_points(chen)
    assert charts.FIGURES.builds > built
    # The numbers under the chart (built once with its figure) follow it: dates as the row headers.
    assert not app.table  # folded, the tables are not drawn (nor sent) until opened
    table = open_tables(app).table[0].value
    assert table.index.name == "Date" and "0" in set(table["Daily mood"])


def test_two_titles_alike_but_for_accents_or_punctuation_keep_tables_of_their_own():
    """A folded table's key is the chart's title made readable, and exact: "Sueño" and "Sueno", or
    "Craving (0–10)" and "Craving 0-10", must not share one (Streamlit refuses a page with two alike)."""
    from ui.charts import numbers_key

    pairs = [("Sueño", "Sueno"), ("Craving (0–10)", "Craving 0-10"), ("Mood", "mood")]
    for a, b in pairs:
        assert numbers_key(a, 7) != numbers_key(b, 7)
    assert numbers_key("Mood", 7) == numbers_key("Mood", 7) != numbers_key("Mood", 8)
