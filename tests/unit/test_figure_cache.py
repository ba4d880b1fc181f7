"""Figures are built once per change of a participant's data (core.charts.FIGURES): an unchanged
rerun reuses them, a save rebuilds, memory stays bounded, and a figure is only ever served for the
participant it was drawn from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from core import charts

DAY = date(2026, 11, 16)
SAVED = datetime(2026, 11, 16, 20, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Row:  # the fields of diary.CardView that the mood chart and the version read
    day: date
    mood: int
    updated_at: datetime
    emotions: dict = field(default_factory=dict)
    urges: dict = field(default_factory=dict)
    skills: list = field(default_factory=list)
    sleep_hours: float | None = None
    medication: str | None = None
    craving: int | None = None


def rows(moods: list[int], saved: datetime = SAVED) -> list[Row]:
    return [Row(DAY - timedelta(days=len(moods) - 1 - i), m, saved) for i, m in enumerate(moods)]


def moods_drawn(figure) -> list:
    return json.loads(figure.to_json())["data"][0]["y"]


def test_an_unchanged_rerun_builds_nothing_and_a_save_builds_again():
    cache = charts.FigureCache()
    built = []

    def mood(data, span=None):
        built.append(1)
        return charts.mood(data, span)

    first = rows([4, 5, 6])
    key = lambda data: (7, "mood", charts.data_version(data))  # noqa: E731
    a = cache.get(key(first), lambda: mood(first))
    b = cache.get(key(list(first)), lambda: mood(list(first)))  # a rerun: the same rows read again
    assert a is b and len(built) == 1
    saved = [*first[:-1], Row(DAY, 9, SAVED + timedelta(seconds=1))]  # today's card saved again
    c = cache.get(key(saved), lambda: mood(saved))
    assert len(built) == 2 and 9 in moods_drawn(c)


def test_the_version_follows_the_last_write_and_the_parameters():
    same = charts.data_version(rows([4, 5]), span=(DAY, DAY))
    assert charts.data_version(rows([4, 5]), span=(DAY, DAY)) == same
    assert charts.data_version(rows([4, 5], SAVED + timedelta(microseconds=1)), span=(DAY, DAY)) != same  # a save
    assert charts.data_version(rows([5]), span=(DAY, DAY)) != same  # a card gone
    assert charts.data_version(rows([4, 5]), span=(DAY - timedelta(days=1), DAY)) != same  # another period
    # Rows without a write time (check-ups, practice) are versioned by their content.
    assert charts.data_version([("phq9", 12)]) != charts.data_version([("phq9", 13)])


def test_two_people_with_the_same_version_never_share_a_figure():
    """Generated or imported data can give two people the same card count and last write: the
    participant is part of the key, so each sees a figure drawn from their own cards."""
    charts.FIGURES.clear()
    mine, theirs = rows([1, 1, 1]), rows([9, 9, 9])
    assert charts.data_version(mine) == charts.data_version(theirs)  # same count, same write time
    a = charts.cached(101, charts.mood, mine)
    b = charts.cached(202, charts.mood, theirs)
    assert set(moods_drawn(a)) == {1} and set(moods_drawn(b)) == {9}
    assert set(moods_drawn(charts.cached(101, charts.mood, mine))) == {1}


def test_memory_is_bounded_least_recently_used_first():
    cache = charts.FigureCache(size=3)
    figure = charts.empty("t", "m")
    for n in range(3):
        cache.get(n, lambda: figure)
    cache.get(0, lambda: figure)  # used again: kept
    cache.get(3, lambda: figure)  # one too many: 1, the least recently used, goes
    assert len(cache) == 3 and cache.builds == 4
    cache.get(0, lambda: figure)
    cache.get(1, lambda: figure)
    assert cache.builds == 5  # 0 was still there, 1 was built again


# --- what st.plotly_chart is handed: the dict worked out once per figure -------------------------------


def test_a_built_figure_works_out_its_dict_once_and_it_is_plotlys_own():
    """`st.plotly_chart` calls `to_dict()` on every draw; a cached figure answers with the dict made on
    the first call (no deep copy, no walk of its arrays), equal to what a plain Plotly figure gives."""
    import plotly.graph_objects as go

    figure = charts.mood(rows([4, 5, 6]))
    assert isinstance(figure, charts.Figure)
    first = figure.to_dict()
    assert figure.to_dict() is first  # the same dict, not rebuilt
    assert first == go.Figure(figure).to_dict()  # what Plotly itself would send
    assert json.loads(figure.to_json()) == json.loads(go.Figure(figure).to_json())


def test_every_figure_builder_makes_the_cached_kind():
    """A builder that called go.Figure(...) itself would still draw, but pay the deep copy on every
    rerun again: only charts.Figure subclasses it."""
    import ast
    from pathlib import Path

    core = Path(charts.__file__).parent
    for path in sorted(core.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "Figure":
                target = node.func.value
                assert not (isinstance(target, ast.Name) and target.id == "go"), f"{path.name}:{node.lineno}"


def test_figures_of_other_data_never_share_a_dict():
    a, b = charts.mood(rows([4, 5, 6])), charts.mood(rows([1, 2, 3]))
    assert a.to_dict() is not b.to_dict() and moods_drawn(a) == [4, 5, 6] and moods_drawn(b) == [1, 2, 3]
