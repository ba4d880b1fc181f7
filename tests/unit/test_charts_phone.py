"""The charts as a phone shows them (#16) and what they cost (#22): Mondays on every date axis, a
week around a single point, no axis title under a legend, band names off the plot, two emotion
lines by default and weekly lines over long periods, figures built once per change of data."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from core import charts, clinical

MONDAY = date(2026, 11, 16)


@dataclass(frozen=True)
class Card:
    day: date
    mood: int = 5
    emotions: dict = field(default_factory=dict)
    urges: dict = field(default_factory=dict)
    craving: int | None = None
    skills: tuple = ()
    sleep_hours: float | None = None
    medication: str | None = None


@dataclass(frozen=True)
class Change:
    marked_better: bool = False
    marked_worse: bool = False
    remission: bool = False


@dataclass(frozen=True)
class Past:
    day: date
    total: int
    change: Change = Change()


def cards(n: int, start: date = MONDAY - timedelta(days=60), **values) -> list[Card]:
    return [Card(start + timedelta(days=i), **values) for i in range(n)]


def x_range_days(fig) -> float:
    low, high = (datetime.fromisoformat(v) for v in fig.layout.xaxis.range)
    return (high - low).total_seconds() / 86400


def test_every_date_axis_ticks_on_the_same_mondays():
    many = cards(40, emotions={"sadness": 2})
    figures = [
        charts.mood(many),
        charts.sleep(cards(20, sleep_hours=7.0)),
        charts.emotions(many),
        charts.urges_acted_skills(many, {}),
        charts.adherence(many, many[0].day, many[-1].day),
        charts.weekly("Per week", [MONDAY - timedelta(weeks=n) for n in range(8, 0, -1)], {"Mood": [5] * 8}),
        charts.checkup_trajectory("phq9", [Past(MONDAY - timedelta(days=30), 12), Past(MONDAY, 9)]),
    ]
    for fig in figures:
        axis = fig.layout.xaxis
        assert axis.type == "date" and axis.tick0 == "2024-01-01 00:00", fig.layout.title.text
        assert axis.dtick % (7 * 24 * 3600 * 1000) == 0  # whole weeks from a Monday
        assert date(2024, 1, 1).weekday() == 0


def test_a_single_point_spans_a_week_not_hours_of_one_day():
    one = [Card(MONDAY + timedelta(days=2), mood=4)]
    assert x_range_days(charts.mood(one)) >= 7
    assert x_range_days(charts.checkup_trajectory("gad7", [Past(MONDAY, 8)])) >= 7
    assert x_range_days(charts.weekly("Per week", [MONDAY], {"Mood": [5]})) >= 7


def test_the_period_chosen_is_the_span_of_every_chart():
    few = cards(3, start=MONDAY)
    span = (MONDAY - timedelta(days=13), MONDAY + timedelta(days=2))
    assert 15 <= x_range_days(charts.mood(few, span)) <= 18
    assert 15 <= x_range_days(charts.sleep(cards(3, start=MONDAY, sleep_hours=6.0), span)) <= 18


def test_the_family_weekly_chart_has_no_axis_title_to_run_into_its_legend():
    fig = charts.weekly(
        "Program sessions per week",
        [MONDAY - timedelta(weeks=1), MONDAY],
        {"Attended": [3, 2], "Held": [3, 3]},
        bars=True,
    )
    assert not fig.layout.xaxis.title.text  # "Week of" ran into the legend at 390 px
    assert fig.layout.legend.yanchor == "bottom" and fig.layout.legend.y > 1  # above the plot, under the title
    assert fig.layout.margin.t >= 40 + 22  # room kept for the legend's row


def test_severity_bands_are_shapes_named_on_the_axis_not_over_the_markers():
    fig = charts.checkup_trajectory("phq9", [Past(MONDAY - timedelta(days=7), 16), Past(MONDAY, 10)])
    assert len(fig.layout.shapes) == len(clinical.BANDS["phq9"]) and not fig.layout.annotations
    assert [t.replace("<br>", " ") for t in fig.layout.yaxis.ticktext] == [b for _, b in clinical.BANDS["phq9"]]
    assert list(fig.data[0].text) == ["16", "10"]  # each total written above its point


def test_emotions_start_with_two_lines_and_go_weekly_over_long_periods():
    many = [
        Card(MONDAY - timedelta(days=60 - i), emotions={"sadness": 4, "anxiety": 3, "anger": 1, "shame": 0, "joy": 2})
        for i in range(60)
    ]
    assert charts.strongest_emotions(many) == ["sadness", "anxiety"]
    weekly = charts.emotions(many, charts.strongest_emotions(many))
    assert len(weekly.data) == 2 and len(weekly.data[0].x) <= 10 and "weekly average" in weekly.layout.title.text
    short = charts.emotions(many[-14:], ["joy"])
    assert len(short.data[0].x) == 14 and short.layout.title.text.startswith("Joy, at its strongest")


def test_an_empty_adherence_chart_says_so_instead_of_drawing_empty_axes():
    fig = charts.adherence([], MONDAY - timedelta(days=13), MONDAY)
    assert not fig.data and fig.layout.annotations[0].text == "No diary cards yet"


def test_a_figure_is_built_once_per_change_of_its_data():
    from ui import charts as chart_widgets

    built = []

    def builder(rows, title="t"):
        built.append(1)
        return charts.mood(rows)

    builder.__qualname__ = f"counting_builder_{id(built)}"  # a cache entry of its own
    first = cards(5)
    a = chart_widgets.figure(builder, first)
    b = chart_widgets.figure(builder, list(first))  # a rerun: same data, new list
    assert a is b and len(built) == 1
    edited = [*first[:-1], Card(first[-1].day, mood=9)]
    chart_widgets.figure(builder, edited)  # a card changed: built again
    assert len(built) == 2
