"""Plotly figure builders: pure functions of the data, readable on a 390 px phone.

Few traces, large fonts, the Okabe-Ito colour-blind-safe palette, and a clear empty state. Pages
render them with the mode bar hidden (`CHART_CONFIG`).

Every figure is built in one go: traces and layout as plain data, handed to one `go.Figure(...)`
call. Plotly validates each `update_layout`/`add_hrect` call separately, and five severity bands
drawn with `add_hrect` cost ~130 ms where the same bands as `layout.shapes` cost ~9 ms.

On a phone the charts must agree with each other:
- every date axis ticks on the same Mondays ("Nov 9, Nov 16 …" on every chart, never Nov 8 on one
  and Nov 9 on another), and spans at least a week, so a single point never repeats its date;
- a chart spans the period the person chose (`span`), so the charts of one screen line up;
- the legend sits above the plot, under the title, never on the dates or over an axis title;
- the severity bands are named on the axis, where no marker can sit on them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Hashable
from datetime import date, datetime, time, timedelta
from typing import Any

import plotly.graph_objects as go

from core import clinical, i18n
from core.skills import skills_by_id

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY, YELLOW, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#999999",
)
CHART_CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False, "doubleClick": False}
BAND_SHADES = [
    "rgba(0,158,115,0.10)",
    "rgba(240,228,66,0.16)",
    "rgba(230,159,0,0.14)",
    "rgba(213,94,0,0.14)",
    "rgba(204,121,167,0.16)",
]

# The plain look of Plotly's "simple_white" template, set directly (copying the template into every
# figure cost ~10 ms a chart).
_AXIS = {
    "showline": True,
    "linecolor": "#444444",
    "ticks": "outside",
    "tickcolor": "#444444",
    "showgrid": False,
    "zeroline": False,
    "fixedrange": True,
}
_MONDAY = "2024-01-01 00:00"  # a Monday: every date axis ticks on Mondays
_DAY_MS = 24 * 3600 * 1000
PHONE_PLOT_WIDTH = 300  # px of plot a chart has on a 390 px phone (page padding, margins off)

# --- built once per change of the data ---------------------------------------------------------


class FigureCache:
    """Built figures, least recently used dropped past `size`, for the whole process.

    The key is (participant, data version, figure, params): a rerun that changes nothing finds its
    figures here, a save changes the version, and the participant is part of the key, so a figure
    is only ever served for the person it was built from (two people with the same answers saved
    at the same moment still get a figure each). Thread-safe: every session of a server shares it.
    A figure is never mutated after it is built (the pages only read it).
    """

    def __init__(self, size: int = 256):
        self.size = size
        self.builds = 0  # figures built (tests and the bench count them)
        self._figures: OrderedDict[Hashable, go.Figure] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], go.Figure]) -> go.Figure:
        with self._lock:
            figure = self._figures.get(key)
            if figure is not None:
                self._figures.move_to_end(key)
                return figure
        figure = build()  # outside the lock: two sessions may build the same figure once each, never wait
        with self._lock:
            self.builds += 1
            self._figures[key] = figure
            self._figures.move_to_end(key)
            while len(self._figures) > self.size:
                self._figures.popitem(last=False)
        return figure

    def clear(self) -> None:
        with self._lock:
            self._figures.clear()

    def __len__(self) -> int:
        return len(self._figures)


FIGURES = FigureCache()


class Figure(go.Figure):
    """A Plotly figure whose plain form (`to_dict`) is worked out once.

    Every builder here returns one. `st.plotly_chart` calls `to_dict()` on each draw, and Plotly's
    `to_dict` deep-copies the whole figure and walks it to base64-encode its arrays: on Review
    that was 13 figures' worth on every rerun, though the figures themselves come from FIGURES
    unchanged (about 9 ms of a rerun's CPU). A figure here is never changed after it is built
    (FIGURES shares it between sessions), so the dict is computed on the first call and the same
    dict returned after. Nothing may mutate the dict either: Streamlit only encodes it as JSON.
    Changing a built figure (`update_layout`…) would leave the dict stale, which is why builders
    hand all their traces and layout to the constructor in one go (and never touch it after).
    """

    def to_dict(self) -> dict:
        made = self.__dict__.get("_iop_dict")
        if made is None:
            made = super().to_dict()
            self._iop_dict = made  # (an underscore attribute: Plotly never reads or validates it)
        return made


def _version_of(value: Any) -> Any:
    """A value's part of the data version. Rows that record their last write (`updated_at`: a
    diary card's is set by every save and edit) count as (how many, the latest write), so the
    whole history is not printed and hashed on every rerun; anything else (parameters, check-up
    and practice rows, a few dozen at most) as its repr."""
    if isinstance(value, list | tuple) and value and all(hasattr(v, "updated_at") for v in value):
        return ("rows", len(value), max(v.updated_at for v in value))
    if isinstance(value, dict):
        return tuple(sorted((repr(k), _version_of(v)) for k, v in value.items()))
    return repr(value)


def data_version(*args: Any, **kwargs: Any) -> str:
    """The version of the data one figure draws: changes whenever the data does."""
    parts = (tuple(_version_of(a) for a in args), tuple(sorted((k, _version_of(v)) for k, v in kwargs.items())))
    return hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()


def cached(owner: int | None, builder: Callable[..., go.Figure], *args: Any, **kwargs: Any) -> go.Figure:
    """`builder(*args, **kwargs)` for participant `owner`, from FIGURES when its data has not
    changed since it was built. `owner=None` (a figure of no one participant's data) is keyed by
    its data alone."""
    # The language is part of the key: a figure's words (titles, legends) are in the reader's language,
    # and a participant's Spanish chart is not their English-reading therapist's.
    key = (owner, i18n.current(), f"{builder.__module__}.{builder.__qualname__}", data_version(*args, **kwargs))
    return FIGURES.get(key, lambda: builder(*args, **kwargs))


def _legend_rows(names: list[str], width: int = PHONE_PLOT_WIDTH) -> int:
    """How many rows a horizontal legend takes on a phone. Plotly wraps a legend into columns as
    wide as its widest item (a symbol, then ~7 px a character at 12 px)."""
    widest = max(50 + 7 * len(name) for name in names)
    if widest * len(names) <= width:
        return 1
    columns = max(1, width // widest)
    return -(-len(names) // columns)


def _figure(
    traces: list[dict],
    title: str,
    *,
    height: int = 280,
    x: dict | None = None,
    y: dict | None = None,
    hovermode: str = "x unified",
    margin_left: int = 40,
    **layout,
) -> go.Figure:
    """One figure, built once: the title at the top left, the legend under it (room kept for as
    many rows as it takes on a phone), then the plot."""
    named = [t["name"] for t in traces if t.get("name") and t.get("showlegend", True) and len(t.get("x") or []) > 0]
    rows = _legend_rows(named) if len(named) > 1 else 0
    top = 40 + 22 * rows + (10 if rows else 0)
    plot_height = max(height - 40 - 32, 60)
    base = {
        "title": {
            "text": title,
            "font": {"size": 16},
            "x": 0,
            "xanchor": "left",
            "xref": "container",
            "y": 1,
            "yanchor": "top",
            "yref": "container",
            "pad": {"t": 10, "l": 4},
        },
        "template": "none",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "paper_bgcolor": "rgba(0,0,0,0)",
        "height": height + 22 * rows,
        "margin": {"l": margin_left, "r": 12, "t": top, "b": 32},
        "font": {"size": 13},
        "showlegend": rows > 0,
        "hovermode": hovermode,
        "dragmode": False,
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1 + 10 / plot_height,
            "yanchor": "bottom",
            "font": {"size": 12},
            "itemclick": False,
            "itemdoubleclick": False,
        },
        "xaxis": {**_AXIS, **(x or {})},
        "yaxis": {**_AXIS, **(y or {})},
    }
    base.update(layout)
    return Figure(data=traces, layout=base)


def _date_axis(first: date, last: date, *, weekly: bool = False) -> dict:
    """A date axis from `first` to `last`, ticked on Mondays, at least a week wide."""
    # Room at both ends for a marker and the total written above it (not clipped by the axis).
    pad = 3.5 if weekly else max(0.6, 0.04 * (last - first).days)
    low = datetime.combine(first, time()) - timedelta(days=pad)
    high = datetime.combine(last, time()) + timedelta(days=pad)
    if high - low < timedelta(days=8):  # one point: a week around it, not hours of the same day
        middle = low + (high - low) / 2
        low, high = middle - timedelta(days=4), middle + timedelta(days=4)
    days = (high - low).days
    step = 7 if days <= 50 else 14 if days <= 130 else 28
    return {
        "type": "date",
        "range": [low.isoformat(sep=" "), high.isoformat(sep=" ")],
        "tick0": _MONDAY,
        "dtick": step * _DAY_MS,
        "tickformat": "%b %-d",
        "hoverformat": "%a %b %-d",
    }


def _span(days: list[date], span: tuple[date, date] | None) -> tuple[date, date]:
    if span is not None:
        return min(span[0], min(days)), max(span[1], max(days))
    return min(days), max(days)


def empty(title: str, message: str) -> go.Figure:
    return Figure(
        layout={
            "title": {
                "text": title,
                "font": {"size": 16},
                "x": 0,
                "xanchor": "left",
                "xref": "container",
                "y": 1,
                "yanchor": "top",
                "yref": "container",
                "pad": {"t": 10, "l": 4},
            },
            "template": "none",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "paper_bgcolor": "rgba(0,0,0,0)",
            "height": 150,
            "margin": {"l": 12, "r": 12, "t": 40, "b": 12},
            "dragmode": False,
            "xaxis": {"visible": False, "fixedrange": True},
            "yaxis": {"visible": False, "fixedrange": True},
            "annotations": [
                {
                    "text": message,
                    "showarrow": False,
                    "font": {"size": 15, "color": "#5b6b6d"},
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                }
            ],
        }
    )


def _rolling(days: list[date], values: list[float], window: int = 7) -> list[float | None]:
    """Mean of the values within the last `window` calendar days (missing days don't count)."""
    out = []
    for day in days:
        recent = [v for d, v in zip(days, values, strict=True) if day - timedelta(days=window) < d <= day]
        out.append(round(sum(recent) / len(recent), 2) if recent else None)
    return out


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def mood(cards, span: tuple[date, date] | None = None) -> go.Figure:
    if not cards:
        return empty(i18n._("Mood"), i18n._("No diary cards yet"))
    days, moods = [c.day for c in cards], [c.mood for c in cards]
    return _figure(
        [
            {
                "type": "scatter",
                "x": days,
                "y": moods,
                "mode": "markers",
                "name": i18n._("Daily mood"),
                "marker": {"color": SKY, "size": 8},
            },
            {
                "type": "scatter",
                "x": days,
                "y": _rolling(days, moods),
                "mode": "lines",
                "name": i18n._("7-day average"),
                "line": {"color": BLUE, "width": 3},
            },
        ],
        i18n._("Mood (0–10)"),
        x=_date_axis(*_span(days, span)),
        y={"range": [-0.5, 10.5], "dtick": 2},
    )


EMOTION_COLOURS = dict(zip(clinical.EMOTIONS, (BLUE, ORANGE, VERMILION, PURPLE, GREEN), strict=True))
WEEKLY_AFTER_DAYS = 28  # longer than this, emotions are drawn as weekly averages: daily lines tangle


def strongest_emotions(cards, n: int = 2) -> list[str]:
    """The emotions felt most strongly over these cards (the chart's default: two lines, not five)."""
    totals = {k: sum(c.emotions.get(k) or 0 for c in cards) for k in clinical.EMOTIONS}
    ranked = sorted(clinical.EMOTIONS, key=lambda k: (-totals[k], list(clinical.EMOTIONS).index(k)))
    return [k for k in clinical.EMOTIONS if k in ranked[:n]]


def emotions(cards, keys: list[str] | None = None, span: tuple[date, date] | None = None) -> go.Figure:
    """Emotions over time. Over more than four weeks each line is a weekly average."""
    keys = keys or list(clinical.EMOTIONS)
    if not cards:
        return empty(i18n._("Emotions"), i18n._("No diary cards yet"))
    days = [c.day for c in cards]
    first, last = _span(days, span)
    weekly = (last - first).days > WEEKLY_AFTER_DAYS
    traces = []
    for k in keys:
        if weekly:
            weeks: dict[date, list[int]] = defaultdict(list)
            for c in cards:
                if c.emotions.get(k) is not None:
                    weeks[_monday(c.day)].append(c.emotions[k])
            order = sorted(weeks)
            x, y = order, [round(sum(weeks[w]) / len(weeks[w]), 1) for w in order]
        else:
            x, y = days, [c.emotions.get(k) for c in cards]
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": y,
                "mode": "lines+markers",
                "name": i18n._(clinical.EMOTIONS[k]),
                "line": {"color": EMOTION_COLOURS[k], "width": 3 if weekly else 2},
                "marker": {"size": 8 if weekly else 6},
                "connectgaps": weekly,
            }
        )
    if len(keys) == 1:  # no legend for one line
        title = (
            i18n._("{emotion}, weekly average (0–5)") if weekly else i18n._("{emotion}, at its strongest (0–5)")
        ).format(emotion=i18n._(clinical.EMOTIONS[keys[0]]))
    else:
        title = i18n._("Emotions, weekly average (0–5)") if weekly else i18n._("Emotions, at their strongest (0–5)")
    return _figure(traces, title, height=280, x=_date_axis(first, last), y={"range": [-0.3, 5.3], "dtick": 1})


def urges_acted_skills(cards, target_labels: dict[str, str], span: tuple[date, date] | None = None) -> go.Figure:
    """The DBT picture: the strongest urge, whether it was acted on, and skills used. Day by day
    over four weeks or less; beyond that the bars and the line are per week (84 daily bars on a
    phone are a smear), while each day an urge was acted on keeps its own mark."""
    if not cards:
        return empty(i18n._("Urges and skills"), i18n._("No diary cards yet"))
    days = [c.day for c in cards]
    first, last = _span(days, span)
    acted = [c for c in cards if any(a for _, a in c.urges.values())]
    acted_labels = [
        i18n._("{day}: {targets}").format(
            day=i18n.short_day(c.day),
            targets=", ".join(i18n._(target_labels.get(k, k)) for k, (_, a) in c.urges.items() if a),
        )
        for c in acted
    ]
    strongest = [max([u for u, _ in c.urges.values() if u is not None], default=None) for c in cards]
    if (last - first).days > WEEKLY_AFTER_DAYS:
        urge_weeks: dict[date, list[int]] = defaultdict(list)
        skill_weeks: dict[date, list[int]] = defaultdict(list)
        for c, urge in zip(cards, strongest, strict=True):
            skill_weeks[_monday(c.day)].append(len(c.skills))
            if urge is not None:
                urge_weeks[_monday(c.day)].append(urge)
        order = sorted(skill_weeks)
        x_bars, bars = order, [max(urge_weeks[w]) if urge_weeks[w] else None for w in order]
        x_line, line = order, [round(sum(skill_weeks[w]) / len(skill_weeks[w]), 1) for w in order]
        names, title = (
            (i18n._("Strongest urge that week"), i18n._("Skills a day (average)")),
            i18n._("Urges, acting on them, and skills, per week"),
        )
    else:
        x_bars, bars, x_line, line = days, strongest, days, [len(c.skills) for c in cards]
        names, title = (
            (i18n._("Strongest urge (0–5)"), i18n._("Skills used")),
            i18n._("Urges, acting on them, and skills"),
        )
    return _figure(
        [
            {"type": "bar", "x": x_bars, "y": bars, "name": names[0], "marker": {"color": ORANGE}},
            {
                "type": "scatter",
                "x": x_line,
                "y": line,
                "name": names[1],
                "mode": "lines+markers",
                "line": {"color": GREEN, "width": 3},
            },
            {
                "type": "scatter",
                "x": [c.day for c in acted],
                "y": [5.6] * len(acted),
                "name": i18n._("Acted on an urge"),
                "mode": "markers",
                "marker": {"symbol": "x", "color": VERMILION, "size": 11},
                "text": acted_labels,
                "hovertemplate": "%{text}<extra>acted</extra>",
            },
        ],
        title,
        x=_date_axis(first, last),
        y={"range": [0, 6.2], "dtick": 1},
    )


def sleep(cards, span: tuple[date, date] | None = None) -> go.Figure:
    """Hours of sleep each night, with the 7-day average (nights not recorded are left out)."""
    slept = [c for c in cards if c.sleep_hours is not None]
    if not slept:
        return empty(i18n._("Sleep"), i18n._("No sleep recorded yet"))
    days, hours = [c.day for c in slept], [c.sleep_hours for c in slept]
    return _figure(
        [
            {
                "type": "scatter",
                "x": days,
                "y": hours,
                "mode": "markers",
                "name": i18n._("Hours slept"),
                "marker": {"color": SKY, "size": 8},
            },
            {
                "type": "scatter",
                "x": days,
                "y": _rolling(days, hours),
                "mode": "lines",
                "name": i18n._("7-day average"),
                "line": {"color": PURPLE, "width": 3},
            },
        ],
        i18n._("Sleep (hours)"),
        x=_date_axis(*_span(days, span)),
        y={"range": [0, max(12, max(hours)) + 0.5]},
    )


def medication(cards, span: tuple[date, date] | None = None) -> go.Figure:
    """Taken as prescribed, week by week: the share of answered days (yes or no) that were 'yes'.
    'Not prescribed' and unanswered days don't count either way; missed days are marked per day."""
    answered = [c for c in cards if c.medication in clinical.MEDICATION_ADHERENCE_ANSWERS]
    if not answered:
        return empty(i18n._("Medication"), i18n._("No medication answers yet"))
    weeks: dict[date, list[bool]] = defaultdict(list)
    for c in answered:
        weeks[_monday(c.day)].append(c.medication == "yes")
    order = sorted(weeks)
    missed = [c.day for c in answered if c.medication == "no"]
    first, last = _span(order, (_monday(span[0]), _monday(span[1])) if span else None)
    return _figure(
        [
            {
                "type": "bar",
                "x": order,
                "y": [round(100 * sum(weeks[w]) / len(weeks[w])) for w in order],
                "name": i18n._("{percent} of days taken").format(percent="%"),  # (a bare % reads as printf)
                "marker": {"color": GREEN},
                "text": [f"{sum(weeks[w])}/{len(weeks[w])}" for w in order],
                "textposition": "inside" if len(order) <= 6 else "none",
                "textangle": 0,
                "hovertemplate": "%{text} days<extra></extra>",
            },
            {
                "type": "scatter",
                "x": missed,
                "y": [104] * len(missed),
                "mode": "markers",
                "name": i18n._("Not taken that day"),
                "marker": {"symbol": "x", "color": VERMILION, "size": 10},
            },
        ],
        i18n._("Medication taken as prescribed, per week"),
        height=260,
        x=_date_axis(first, last, weekly=True),
        y={"range": [0, 110]},
    )


def _module_stack(
    title: str, used: list[tuple[date, str]], empty_message: str, span: tuple[date, date] | None
) -> go.Figure:
    """(day, skill id) pairs counted per Monday-based week, stacked by module."""
    names = skills_by_id(i18n.current())
    weeks: dict[date, Counter] = defaultdict(Counter)
    for day, skill_id in used:
        if skill_id in names:
            weeks[_monday(day)][names[skill_id].module_name] += 1
    if not any(weeks.values()):
        return empty(title, empty_message)
    modules = sorted({m for counts in weeks.values() for m in counts})
    palette = [BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY]
    order = sorted(weeks)
    first, last = _span(order, (_monday(span[0]), _monday(span[1])) if span else None)
    return _figure(
        [
            {
                "type": "bar",
                "x": order,
                "y": [weeks[w][m] for w in order],
                "name": m,
                "marker": {"color": palette[i % 6]},
            }
            for i, m in enumerate(modules)
        ],
        title,
        height=280,
        x=_date_axis(first, last, weekly=True),
        barmode="stack",
    )


def skills_by_module(cards, span: tuple[date, date] | None = None) -> go.Figure:
    """Skills ticked on the diary card, per week, stacked by module."""
    return _module_stack(
        i18n._("Skills used per week, by module"),
        [(c.day, s) for c in cards for s in c.skills],
        i18n._("No skills recorded yet"),
        span,
    )


def practice_by_module(practised: list[tuple[date, str]], span: tuple[date, date] | None = None) -> go.Figure:
    """Logged practice (practice log and thought records) per week, stacked by module."""
    return _module_stack(
        i18n._("Skills practised per week, by module"), practised, i18n._("No practice logged yet"), span
    )


def helpfulness(entries, top: int = 6) -> go.Figure:
    """Average distress before and after practice, for the most-practised skills: the drop is the help."""
    rated = [e for e in entries if e.distress_after is not None]
    if not rated:
        return empty(i18n._("Did practice help?"), i18n._("No practice with a before and after rating yet"))
    by_skill: dict[str, list] = defaultdict(list)
    for e in rated:
        by_skill[e.skill_name].append(e)
    chosen = sorted(by_skill, key=lambda n: (-len(by_skill[n]), n))[:top][::-1]
    before = [round(sum(e.distress_before for e in by_skill[n]) / len(by_skill[n]), 1) for n in chosen]
    after = [round(sum(e.distress_after for e in by_skill[n]) / len(by_skill[n]), 1) for n in chosen]
    labels = [f"{n} ({len(by_skill[n])}×)" for n in chosen]
    # One connecting line for all skills (None breaks it between them): one trace, not one per skill.
    xs, ys = [], []
    for label, b, a in zip(labels, before, after, strict=True):
        xs += [b, a, None]
        ys += [label, label, None]
    return _figure(
        [
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines",
                "line": {"color": GREY, "width": 3},
                "showlegend": False,
                "hoverinfo": "skip",
            },
            {
                "type": "scatter",
                "x": before,
                "y": labels,
                "mode": "markers",
                "name": i18n._("Before"),
                "marker": {"color": ORANGE, "size": 13},
            },
            {
                "type": "scatter",
                "x": after,
                "y": labels,
                "mode": "markers",
                "name": i18n._("After"),
                "marker": {"color": BLUE, "size": 13, "symbol": "diamond"},
            },
        ],
        i18n._("Distress before → after practice (0–10)"),
        height=100 + 40 * len(chosen),
        hovermode="closest",
        margin_left=8,
        x={"range": [-0.5, 10.5], "dtick": 2},
        y={"automargin": True, "ticks": ""},
    )


def _band_axis(kind: str) -> tuple[list[dict], dict]:
    """The severity bands as shapes, and a y axis that names each band beside it (a label inside
    the plot sat under the markers)."""
    top = clinical.MAX_TOTAL[kind]
    bands = clinical.BANDS[kind]
    shapes, ticks, names = [], [], []
    for i, (floor, band) in enumerate(bands):
        label = i18n._(band)
        ceiling = bands[i + 1][0] if i + 1 < len(bands) else top + 1
        low, high = floor - 0.5 if floor else -0.5, ceiling - 0.5
        shapes.append(
            {
                "type": "rect",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": low,
                "y1": high,
                "fillcolor": BAND_SHADES[i % 5],
                "line": {"width": 0},
                "layer": "below",
            }
        )
        ticks.append((low + high) / 2)
        names.append(label.replace(" ", "<br>", 1) if len(label) > 10 else label)
    axis = {
        "range": [-0.5, top + 0.5],
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": names,
        "ticks": "",
        "tickfont": {"size": 11, "color": "#5b6b6d"},
        "automargin": True,
    }
    return shapes, axis


def checkup_trajectory(kind: str, past, span: tuple[date, date] | None = None) -> go.Figure:
    """Totals over time on shaded severity bands (named on the axis), each point labelled with its
    total, with change markers against intake and remission rings."""
    name = i18n._(clinical.CHECKUP_NAMES[kind])
    if not past:
        return empty(name, i18n._("No check-ups yet"))
    top = clinical.MAX_TOTAL[kind]
    days = [p.day for p in past]
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": days,
            "y": [p.total for p in past],
            "mode": "lines+markers+text",
            "name": name,
            "text": [str(p.total) for p in past],
            "textposition": "top center",
            "textfont": {"size": 12},
            "line": {"color": BLUE, "width": 3},
            "marker": {"size": 9},
            "hovertemplate": "%{y}<extra></extra>",
        }
    ]
    points, _ = clinical.CHANGE_MARKERS.get(kind, (None, ""))
    what = i18n._("reliable change") if kind == "phq9" else "MCID"
    better = i18n._("Better by {points}+ ({what})").format(points=points, what=what)
    worse = i18n._("Worse by {points}+ ({what})").format(points=points, what=what)
    for chosen, label, symbol, colour in (
        ([p for p in past if p.change.marked_better], better, "triangle-down", GREEN),
        ([p for p in past if p.change.marked_worse], worse, "triangle-up", VERMILION),
    ):
        if chosen:
            traces.append(
                {
                    "type": "scatter",
                    "x": [p.day for p in chosen],
                    "y": [p.total for p in chosen],
                    "mode": "markers",
                    "name": label,
                    "hoverinfo": "skip",
                    "marker": {"symbol": symbol, "size": 14, "color": colour},
                }
            )
    remitted = [p for p in past if p.change.remission]
    if remitted:
        traces.append(
            {
                "type": "scatter",
                "x": [p.day for p in remitted],
                "y": [p.total for p in remitted],
                "mode": "markers",
                "name": i18n._("Remission (under {n})").format(n=clinical.REMISSION_BELOW[kind]),
                "hoverinfo": "skip",
                "marker": {"symbol": "circle-open", "size": 18, "color": GREEN, "line": {"width": 2}},
            }
        )
    if len(traces) == 1:
        traces[0]["showlegend"] = False  # one line needs no legend: the title names it
    shapes, y = _band_axis(kind)
    return _figure(
        traces,
        f"{name} (0–{top})",
        height=300,
        x=_date_axis(*_span(days, span)),
        y=y,
        shapes=shapes,
        hovermode="closest",
        margin_left=8,
    )


def adherence(cards, start: date, end: date) -> go.Figure:
    """Days with a card, week by week (Monday-based weeks)."""
    if start > end:
        return empty(i18n._("Diary cards per week"), i18n._("Nothing yet"))
    if not cards:  # empty axes said nothing; the other charts say this
        return empty(i18n._("Days with a diary card, per week"), i18n._("No diary cards yet"))
    counts: Counter = Counter(_monday(c.day) for c in cards)
    first = _monday(start)
    weeks = [first + timedelta(weeks=n) for n in range((end - first).days // 7 + 1)]
    return _figure(
        [
            {
                "type": "bar",
                "x": weeks,
                "y": [counts.get(w, 0) for w in weeks],
                "marker": {"color": GREEN},
                "name": i18n._("Days with a card"),
                "text": [str(counts.get(w, 0)) for w in weeks],
                "textposition": "outside",
            }
        ],
        i18n._("Days with a diary card, per week"),
        height=240,
        x=_date_axis(weeks[0], weeks[-1], weekly=True),
        y={"range": [0, 8], "dtick": 7},
    )


def weekly(title: str, weeks: list[date], series: dict[str, list], *, y_range=None, bars: bool = False) -> go.Figure:
    """Week-by-week summaries (what family members see): averages or counts, never daily values.
    Each bar or point sits on the Monday its week starts; the title says "per week", so the axis
    needs no "Week of" title (at 390 px it ran into the legend)."""
    if not any(v is not None and v != 0 for values in series.values() for v in values):
        return empty(title, i18n._("Nothing recorded in these weeks"))
    palette = [BLUE, ORANGE, GREEN]
    traces = [
        {"type": "bar", "x": weeks, "y": values, "name": name, "marker": {"color": palette[i % 3]}}
        if bars
        else {
            "type": "scatter",
            "x": weeks,
            "y": values,
            "name": name,
            "mode": "lines+markers",
            "connectgaps": True,
            "line": {"color": palette[i % 3], "width": 3},
            "marker": {"size": 9},
        }
        for i, (name, values) in enumerate(series.items())
    ]
    return _figure(
        traces,
        title,
        height=260,
        x={**_date_axis(weeks[0], weeks[-1], weekly=True), "hoverformat": "week of %b %-d"},
        y={"range": y_range} if y_range else None,
    )


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%a %b %d %Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%a %b %d %Y}"
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0")
    return str(value)


def as_table(figure: go.Figure) -> tuple[list[str], list[list[str]]]:
    """The figure's numbers as a table (columns, rows): the text alternative read by a screen reader
    or anyone who cannot tell the markers apart. One row per day, week or item on the category axis
    (x, or y for a horizontal chart), one column per named trace; helper traces (unnamed, or kept
    out of the legend and hover) are left out. An empty chart gives no rows."""
    traces = [
        t
        for t in figure.data
        if t.name and t.x is not None and t.y is not None and not (t.showlegend is False and t.hoverinfo == "skip")
    ]
    if not traces:
        return [], []
    horizontal = all(isinstance(v, str) for t in traces for v in t.y if v is not None)
    dates = all(isinstance(v, date) for t in traces for v in (t.y if horizontal else t.x) if v is not None)
    values: dict[object, dict[str, object]] = {}
    for trace in traces:
        keys, numbers = (trace.y, trace.x) if horizontal else (trace.x, trace.y)
        for key, number in zip(keys, numbers, strict=True):
            if key is not None:
                values.setdefault(key, {})[trace.name] = number
    keys = sorted(values) if dates else list(values)
    names = list(dict.fromkeys(t.name for t in traces))
    rows = [[_cell(key), *(_cell(values[key].get(name)) for name in names)] for key in keys]
    return [i18n._("Date") if dates else i18n._("Item"), *names], rows


GOAL_COLOURS = (BLUE, ORANGE, GREEN, PURPLE, VERMILION)  # up to five goals (clinical.GOALS_MAX)


def goal_progress(goals, ratings, span: tuple[date, date] | None = None) -> go.Figure:
    """Weekly progress ratings (0–10) of each treatment-plan goal, one line per goal on the Monday its
    week starts. Lines are named "Goal 1" …: the goal's own words (typed by a person) stay out of
    Plotly's markup and are listed under the chart as plain text."""
    title = i18n._("Progress on my goals, weekly (0–10)")
    on_plan = {g.id: g for g in goals}
    rated = [r for r in ratings if r.goal_id in on_plan]
    if not goals:
        return empty(title, i18n._("No treatment-plan goals yet"))
    if not rated:
        return empty(title, i18n._("No weekly ratings yet"))
    weeks = sorted({r.week_start for r in rated})
    traces = []
    for index, goal in enumerate(goals):
        mine = {r.week_start: r.rating for r in rated if r.goal_id == goal.id}
        if not mine:
            continue
        days = sorted(mine)
        traces.append(
            {
                "type": "scatter",
                "x": days,
                "y": [mine[d] for d in days],
                "name": goal.label,
                "mode": "lines+markers",
                "line": {"color": GOAL_COLOURS[index % len(GOAL_COLOURS)], "width": 3},
                "marker": {"size": 9, "symbol": ("circle", "square", "diamond", "triangle-up", "x")[index % 5]},
            }
        )
    if len(traces) == 1:
        traces[0]["showlegend"] = True  # the legend says which goal the single line is
    return _figure(
        traces,
        title,
        height=280,
        x={**_date_axis(*_span(weeks, span), weekly=True), "hoverformat": "week of %b %-d"},
        y={"range": [-0.5, 10.5], "dtick": 2},
    )
