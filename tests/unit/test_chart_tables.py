"""Every chart has a text alternative: its numbers as a table (core.charts.as_table), shown folded
under the chart by ui/charts.show. A screen reader, or anyone who cannot tell the markers apart,
reads the same facts the chart draws."""

from datetime import date, datetime, timedelta
from types import SimpleNamespace

from core import charts, checkups, clinical
from core.diary import CardView

DAY0 = date(2026, 3, 2)  # a Monday


def card(n: int, mood: int, sleep=None) -> CardView:
    return CardView(
        DAY0 + timedelta(days=n),
        mood,
        dict.fromkeys(clinical.EMOTIONS),
        {},
        None,
        [],
        sleep,
        None,
        "",
        False,
        datetime(2026, 3, 1),
    )


def test_the_mood_table_has_a_row_per_day_with_the_mood_and_its_average():
    columns, rows = charts.as_table(charts.mood([card(2, 7), card(0, 3), card(1, 4)]))
    assert columns == ["Date", "Daily mood", "7-day average"]
    assert rows == [["Mon Mar 02 2026", "3", "3"], ["Tue Mar 03 2026", "4", "3.5"], ["Wed Mar 04 2026", "7", "4.7"]]


def test_an_empty_chart_has_no_table():
    assert charts.as_table(charts.mood([])) == ([], [])


def test_a_horizontal_chart_is_read_by_its_items_and_helper_lines_are_left_out():
    entry = SimpleNamespace(skill_name="Paced breathing", distress_before=8, distress_after=3)
    columns, rows = charts.as_table(charts.helpfulness([entry, entry]))
    assert columns == ["Item", "Before", "After"]
    assert rows == [["Paced breathing (2×)", "8", "3"]]


def test_change_markers_and_remission_are_columns_not_only_colours():
    past = [
        checkups.Past(
            DAY0 + timedelta(weeks=n),
            "phq9",
            total,
            clinical.band("phq9", total),
            [],
            None,
            False,
            clinical.change_from_intake("phq9", None if n == 0 else 16, total),
        )
        for n, total in enumerate((16, 10, 4))
    ]
    columns, rows = charts.as_table(charts.checkup_trajectory("phq9", past))
    assert columns[:2] == ["Date", "PHQ-9"]
    assert "Better by 5+ (reliable change)" in columns and "Remission (under 5)" in columns
    last = dict(zip(columns, rows[-1], strict=True))
    assert last["PHQ-9"] == "4" and last["Remission (under 5)"] == "4" and last["Better by 5+ (reliable change)"] == "4"
    assert dict(zip(columns, rows[0], strict=True))["Remission (under 5)"] == ""
