"""Plotly figure builders: pure functions of the data, readable on a 390 px phone.

Few traces, large fonts, dates on the x axis, the Okabe-Ito colour-blind-safe palette, and a
clear empty state. Pages render them with the mode bar hidden (`CHART_CONFIG`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import plotly.graph_objects as go

from core import clinical
from core.skills import skills_by_id

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY, YELLOW, GREY = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#999999")
CHART_CONFIG = {"displayModeBar": False, "responsive": True}
BAND_SHADES = ["rgba(0,158,115,0.10)", "rgba(240,228,66,0.16)", "rgba(230,159,0,0.14)",
               "rgba(213,94,0,0.14)", "rgba(204,121,167,0.16)"]


# The plain look of Plotly's "simple_white" template, set directly: copying the template into
# every figure cost about 10 ms a chart, most of a page's time (bench/bench_reruns.py).
_AXIS = {"showline": True, "linecolor": "#444444", "ticks": "outside", "tickcolor": "#444444", "showgrid": False,
         "zeroline": False}


def _layout(fig: go.Figure, title: str, *, height: int = 280, y_title: str = "", y_range=None) -> go.Figure:
    fig.update_layout(title={"text": title, "font": {"size": 17}}, template="none", plot_bgcolor="rgba(0,0,0,0)",
                      paper_bgcolor="rgba(0,0,0,0)", xaxis=_AXIS, yaxis=_AXIS, height=height,
                      margin={"l": 40, "r": 12, "t": 48, "b": 36}, font={"size": 14},
                      legend={"orientation": "h", "y": -0.2, "x": 0}, hovermode="x unified")
    fig.update_xaxes(tickformat="%b %d", nticks=6)
    fig.update_yaxes(title=y_title, range=y_range, fixedrange=True)
    return fig


def empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 15, "color": GREY},
                       xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height=180)


def _rolling(days: list[date], values: list[float], window: int = 7) -> list[float | None]:
    """Mean of the values within the last `window` calendar days (missing days don't count)."""
    out = []
    for day in days:
        recent = [v for d, v in zip(days, values) if day - timedelta(days=window) < d <= day]
        out.append(round(sum(recent) / len(recent), 2) if recent else None)
    return out


def mood(cards) -> go.Figure:
    if not cards:
        return empty("Mood", "No diary cards yet")
    days, moods = [c.day for c in cards], [c.mood for c in cards]
    fig = go.Figure([
        go.Scatter(x=days, y=moods, mode="markers", name="Daily mood", marker={"color": SKY, "size": 8}),
        go.Scatter(x=days, y=_rolling(days, moods), mode="lines", name="7-day average",
                   line={"color": BLUE, "width": 3}),
    ])
    return _layout(fig, "Mood (0–10)", y_range=[-0.5, 10.5])


def emotions(cards, keys: list[str] | None = None) -> go.Figure:
    keys = keys or list(clinical.EMOTIONS)
    if not cards:
        return empty("Emotions", "No diary cards yet")
    colours = dict(zip(clinical.EMOTIONS, (BLUE, ORANGE, VERMILION, PURPLE, GREEN)))
    fig = go.Figure([go.Scatter(x=[c.day for c in cards], y=[c.emotions.get(k) for c in cards], mode="lines+markers",
                                name=clinical.EMOTIONS[k], line={"color": colours[k], "width": 2}, connectgaps=False)
                     for k in keys])
    title = (f"{clinical.EMOTIONS[keys[0]]} at its strongest (0–5)" if len(keys) == 1   # no legend for one line
             else "Emotions at their strongest (0–5)")
    fig = _layout(fig, title, height=340, y_range=[-0.3, 5.3])
    fig.update_layout(legend={"y": -0.3})   # five names wrap to three rows at 390 px: keep them off the dates
    return fig


def urges_acted_skills(cards, target_labels: dict[str, str]) -> go.Figure:
    """The DBT picture: the day's strongest urge, whether it was acted on, and skills used."""
    if not cards:
        return empty("Urges and skills", "No diary cards yet")
    days = [c.day for c in cards]
    strongest = [max([u for u, _ in c.urges.values() if u is not None], default=None) for c in cards]
    acted_days = [c.day for c in cards if any(a for _, a in c.urges.values())]
    acted_labels = [", ".join(target_labels.get(k, k) for k, (_, a) in c.urges.items() if a)
                    for c in cards if any(a for _, a in c.urges.values())]
    fig = go.Figure([
        go.Bar(x=days, y=strongest, name="Strongest urge (0–5)", marker={"color": ORANGE}),
        go.Scatter(x=days, y=[len(c.skills) for c in cards], name="Skills used", mode="lines+markers",
                   line={"color": GREEN, "width": 3}),
        go.Scatter(x=acted_days, y=[5.6] * len(acted_days), name="Acted on an urge", mode="markers",
                   marker={"symbol": "x", "color": VERMILION, "size": 11}, text=acted_labels,
                   hovertemplate="%{text}<extra>acted</extra>"),
    ])
    return _layout(fig, "Urges, acting on them, and skills", y_range=[0, 6.2])


def sleep(cards) -> go.Figure:
    """Hours of sleep each night, with the 7-day average (nights not recorded are left out)."""
    slept = [c for c in cards if c.sleep_hours is not None]
    if not slept:
        return empty("Sleep", "No sleep recorded yet")
    days, hours = [c.day for c in slept], [c.sleep_hours for c in slept]
    fig = go.Figure([
        go.Scatter(x=days, y=hours, mode="markers", name="Hours slept", marker={"color": SKY, "size": 8}),
        go.Scatter(x=days, y=_rolling(days, hours), mode="lines", name="7-day average",
                   line={"color": PURPLE, "width": 3}),
    ])
    return _layout(fig, "Sleep (hours)", y_range=[0, max(12, max(hours)) + 0.5])


def medication(cards) -> go.Figure:
    """Taken as prescribed, week by week: the share of answered days (yes or no) that were 'yes'.
    'Not prescribed' and unanswered days don't count either way; missed days are marked per day."""
    answered = [c for c in cards if c.medication in clinical.MEDICATION_ADHERENCE_ANSWERS]
    if not answered:
        return empty("Medication", "No medication answers yet")
    weeks: dict[date, list[bool]] = defaultdict(list)
    for c in answered:
        weeks[c.day - timedelta(days=c.day.weekday())].append(c.medication == "yes")
    order = sorted(weeks)
    missed = [c.day for c in answered if c.medication == "no"]
    fig = go.Figure([
        go.Bar(x=order, y=[round(100 * sum(weeks[w]) / len(weeks[w])) for w in order], name="% of days taken",
               marker={"color": GREEN}, text=[f"{sum(weeks[w])}/{len(weeks[w])}" for w in order],
               textposition="inside"),
        go.Scatter(x=missed, y=[104] * len(missed), mode="markers", name="Not taken that day",
                   marker={"symbol": "x", "color": VERMILION, "size": 10}),
    ])
    return _layout(fig, "Medication taken as prescribed, per week", height=260, y_range=[0, 110])


def _module_stack(title: str, used: list[tuple[date, str]], empty_message: str) -> go.Figure:
    """(day, skill id) pairs counted per Monday-based week, stacked by module."""
    names = skills_by_id()
    weeks: dict[date, Counter] = defaultdict(Counter)
    for day, skill_id in used:
        if skill_id in names:
            weeks[day - timedelta(days=day.weekday())][names[skill_id].module_name] += 1
    if not any(weeks.values()):
        return empty(title, empty_message)
    modules = sorted({m for counts in weeks.values() for m in counts})
    palette = [BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY]
    order = sorted(weeks)
    fig = go.Figure([go.Bar(x=order, y=[weeks[w][m] for w in order], name=m, marker={"color": palette[i % 6]})
                     for i, m in enumerate(modules)])
    fig.update_layout(barmode="stack")
    return _layout(fig, title, height=320)


def skills_by_module(cards) -> go.Figure:
    """Skills ticked on the diary card, per week, stacked by module."""
    return _module_stack("Skills used per week, by module", [(c.day, s) for c in cards for s in c.skills],
                         "No skills recorded yet")


def practice_by_module(practised: list[tuple[date, str]]) -> go.Figure:
    """Logged practice (practice log and thought records) per week, stacked by module."""
    return _module_stack("Skills practised per week, by module", practised, "No practice logged yet")


def helpfulness(entries, top: int = 6) -> go.Figure:
    """Average distress before and after practice, for the most-practised skills: the drop is the help."""
    rated = [e for e in entries if e.distress_after is not None]
    if not rated:
        return empty("Did practice help?", "No practice with a before and after rating yet")
    by_skill: dict[str, list] = defaultdict(list)
    for e in rated:
        by_skill[e.skill_name].append(e)
    chosen = sorted(by_skill, key=lambda n: (-len(by_skill[n]), n))[:top][::-1]
    before = [round(sum(e.distress_before for e in by_skill[n]) / len(by_skill[n]), 1) for n in chosen]
    after = [round(sum(e.distress_after for e in by_skill[n]) / len(by_skill[n]), 1) for n in chosen]
    labels = [f"{n} ({len(by_skill[n])}×)" for n in chosen]
    fig = go.Figure()
    for label, b, a in zip(labels, before, after):
        fig.add_trace(go.Scatter(x=[b, a], y=[label, label], mode="lines", line={"color": GREY, "width": 3},
                                 showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=before, y=labels, mode="markers", name="Before", marker={"color": ORANGE, "size": 13}))
    fig.add_trace(go.Scatter(x=after, y=labels, mode="markers", name="After", marker={"color": BLUE, "size": 13,
                                                                                        "symbol": "diamond"}))
    fig = _layout(fig, "Distress before → after practice (0–10)", height=120 + 40 * len(chosen))
    fig.update_xaxes(range=[-0.5, 10.5], tickformat="", nticks=0, dtick=2, fixedrange=True)
    fig.update_layout(hovermode="closest", margin={"l": 8, "r": 12, "t": 48, "b": 36})
    fig.update_yaxes(automargin=True)
    return fig


def checkup_trajectory(kind: str, past) -> go.Figure:
    """Totals over time on shaded severity bands, with reliable-change markers against intake."""
    name = clinical.CHECKUP_NAMES[kind]
    if not past:
        return empty(name, "No check-ups yet")
    top = clinical.MAX_TOTAL[kind]
    fig = go.Figure()
    bands = clinical.BANDS[kind]
    for i, (floor, label) in enumerate(bands):
        ceiling = bands[i + 1][0] if i + 1 < len(bands) else top + 0.5
        fig.add_hrect(y0=floor - 0.5 if floor else -0.5, y1=ceiling - 0.5, fillcolor=BAND_SHADES[i % 5],
                      line_width=0, annotation_text=label, annotation_position="top left",
                      annotation_font={"size": 11, "color": GREY})
    fig.add_trace(go.Scatter(x=[p.day for p in past], y=[p.total for p in past], mode="lines+markers",
                             name=name, line={"color": BLUE, "width": 3}, marker={"size": 9}))
    better = [p for p in past if p.change.marked_better]
    worse = [p for p in past if p.change.marked_worse]
    points, _ = clinical.CHANGE_MARKERS.get(kind, (None, ""))
    what = "reliable change" if kind == "phq9" else "MCID"
    if better:
        fig.add_trace(go.Scatter(x=[p.day for p in better], y=[p.total for p in better], mode="markers",
                                 name=f"Better by {points}+ ({what})",
                                 marker={"symbol": "triangle-down", "size": 14, "color": GREEN}))
    if worse:
        fig.add_trace(go.Scatter(x=[p.day for p in worse], y=[p.total for p in worse], mode="markers",
                                 name=f"Worse by {points}+ ({what})",
                                 marker={"symbol": "triangle-up", "size": 14, "color": VERMILION}))
    remitted = [p for p in past if p.change.remission]
    if remitted:
        fig.add_trace(go.Scatter(x=[p.day for p in remitted], y=[p.total for p in remitted], mode="markers",
                                 name=f"Remission (under {clinical.REMISSION_BELOW[kind]})",
                                 marker={"symbol": "circle-open", "size": 18, "color": GREEN, "line": {"width": 2}}))
    return _layout(fig, f"{name} (0–{top})", height=300, y_range=[-0.5, top + 0.5])


def adherence(cards, start: date, end: date) -> go.Figure:
    """Days with a card, week by week (Monday-based weeks)."""
    if start > end:
        return empty("Diary cards per week", "Nothing yet")
    counts: Counter = Counter(c.day - timedelta(days=c.day.weekday()) for c in cards)
    first = start - timedelta(days=start.weekday())
    weeks = [first + timedelta(weeks=n) for n in range((end - first).days // 7 + 1)]
    fig = go.Figure([go.Bar(x=weeks, y=[counts.get(w, 0) for w in weeks], marker={"color": GREEN},
                            name="Days with a card")])
    return _layout(fig, "Days with a diary card, per week", height=240, y_range=[0, 7.5])


def weekly(title: str, weeks: list[date], series: dict[str, list], *, y_range=None, bars: bool = False) -> go.Figure:
    """Week-by-week summaries (what family members see): averages or counts, never daily values."""
    if not any(v is not None and v != 0 for values in series.values() for v in values):
        return empty(title, "Nothing recorded in these weeks")
    palette = [BLUE, ORANGE, GREEN]
    traces = [go.Bar(x=weeks, y=values, name=name, marker={"color": palette[i % 3]}) if bars else
              go.Scatter(x=weeks, y=values, name=name, mode="lines+markers", connectgaps=True,
                         line={"color": palette[i % 3], "width": 3}, marker={"size": 9})
              for i, (name, values) in enumerate(series.items())]
    fig = _layout(go.Figure(traces), title, height=260, y_range=y_range)
    fig.update_xaxes(title="Week of")
    return fig
