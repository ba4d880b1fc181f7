"""What the therapist and participant see on the charts: medication adherence, sleep, the
GAD-7 marker called what it is (MCID, 4 points, not reliable change), and remission."""

from datetime import date, datetime, timedelta

from core import charts, checkups, clinical
from core.diary import CardView
from ui.diary import week_grid

DAY0 = date(2026, 3, 2)  # a Monday


def card(n: int, *, medication=None, sleep=None) -> CardView:
    return CardView(
        DAY0 + timedelta(days=n),
        5,
        dict.fromkeys(clinical.EMOTIONS),
        {},
        None,
        [],
        sleep,
        medication,
        "",
        False,
        datetime(2026, 3, 1),
    )


def test_medication_adherence_is_a_weekly_share_of_answered_days_with_missed_days_marked():
    cards = [
        card(0, medication="yes"),
        card(1, medication="no"),
        card(2, medication="yes"),
        card(3, medication="not_prescribed"),
        card(4),
        card(7, medication="yes"),
    ]
    fig = charts.medication(cards)
    bars, missed = fig.data
    assert list(bars.y) == [67, 100] and list(bars.text) == ["2/3", "1/1"]
    assert list(missed.x) == [DAY0 + timedelta(days=1)]
    assert charts.medication([card(0, medication="not_prescribed")]).layout.annotations[0].text == (
        "No medication answers yet"
    )


def test_sleep_is_charted_with_its_weekly_average():
    fig = charts.sleep([card(0, sleep=6.0), card(1, sleep=8.0), card(2)])
    nights, average = fig.data
    assert list(nights.y) == [6.0, 8.0] and list(average.y) == [6.0, 7.0]


def test_the_week_grid_has_a_medication_row():
    grid = week_grid(
        [card(0, medication="yes"), card(1, medication="no"), card(2, medication="not_prescribed")],
        DAY0,
        [],
        craving_on=False,
    )
    row = grid[grid.index("Medication</th>") :].split("</tr>")[0]
    assert "✔" in row and "✘" in row and "n/p" in row


def past(kind, total, intake, n):
    return checkups.Past(
        DAY0 + timedelta(weeks=n),
        kind,
        total,
        clinical.band(kind, total),
        [],
        None,
        False,
        clinical.change_from_intake(kind, intake, total),
    )


def test_gad7_markers_are_labelled_mcid_and_remission_is_marked():
    fig = charts.checkup_trajectory("gad7", [past("gad7", 12, None, 0), past("gad7", 8, 12, 1), past("gad7", 4, 12, 2)])
    names = [t.name for t in fig.data]
    assert "Better by 4+ (MCID)" in names and not any("eliabl" in (n or "") for n in names)
    assert "Remission (under 5)" in names
    phq = charts.checkup_trajectory("phq9", [past("phq9", 16, None, 0), past("phq9", 10, 16, 1)])
    assert "Better by 5+ (reliable change)" in [t.name for t in phq.data]


def test_remission_is_computed_for_phq9_and_gad7_only():
    assert (
        clinical.change_from_intake("phq9", 12, 4).remission
        and not clinical.change_from_intake("phq9", 12, 5).remission
    )
    assert clinical.change_from_intake("gad7", None, 4).remission
    assert not clinical.change_from_intake("pacs", 12, 2).remission
    assert clinical.GAD7_MCID == 4 and clinical.GAD7_RELIABLE_CHANGE == 6
    assert clinical.CHANGE_MARKERS["gad7"] == (4, "minimal clinically important difference")
