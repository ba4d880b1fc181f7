"""On a phone (390×844), with taps only: a participant rates this week's treatment-plan goals from
Today, sees them saved, and the database holds one rating per goal for this week (a second tap on
Save changes the same rows)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.conftest import fits, settle, signed_in_at

pytestmark = pytest.mark.e2e


def ratings(server, username: str) -> list[tuple[int, int]]:
    engine = create_engine(f"sqlite:///{server.data_dir / 'iop.db'}")
    try:
        with engine.connect() as conn:
            return [
                tuple(row)
                for row in conn.execute(
                    text(
                        "SELECT r.goal_id, r.rating FROM goal_rating r JOIN app_user u ON u.id = r.participant_id "
                        "WHERE u.username = :u AND r.week_start = (SELECT MAX(week_start) FROM goal_rating) "
                        "ORDER BY r.goal_id"
                    ),
                    {"u": username},
                )
            ]
    finally:
        engine.dispose()


def test_a_participant_rates_goals_from_today_with_taps(server, phone, artifacts):
    signed_in_at(phone, server.url, "harper")
    phone.get_by_text("0 of 2 rated").wait_for()
    before = ratings(server, "harper")
    for goal_key in phone.locator("[class*='st-key-goal_rating_']").all():
        goal_key.scroll_into_view_if_needed()
        goal_key.locator("button").get_by_text("6", exact=True).click()
    phone.screenshot(path=artifacts / "goals-rating-chosen.png", full_page=True)
    phone.get_by_role("button", name="Save my ratings").click()
    settle(phone)
    phone.get_by_text("Your goal ratings are saved for this week.").wait_for()
    phone.get_by_text("2 of 2 rated").wait_for()
    phone.get_by_text("2 of 2 rated").scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "goals-rating-saved.png")
    assert fits(phone)
    after = ratings(server, "harper")
    assert len(after) == 2 and {r for _, r in after} == {6} and after != before


def test_my_progress_charts_the_goals_by_number_on_a_phone(server, phone, artifacts):
    signed_in_at(phone, server.url, "frankie", "progress")  # (not through Today's card and the menu)
    phone.get_by_role("tab", name="Goals").click()
    settle(phone)
    chart = phone.locator(".js-plotly-plot").filter(has_text="Progress on my goals")
    chart.wait_for()
    chart.scroll_into_view_if_needed()
    legend = [t.text_content() for t in chart.locator(".legend .traces .legendtext").all()]
    assert legend == ["Goal 1", "Goal 2"]  # numbers, never the goal's typed words
    phone.get_by_text("How we'll know").first.wait_for()
    phone.screenshot(path=artifacts / "goals-progress-390.png", full_page=True)
    assert fits(phone)
