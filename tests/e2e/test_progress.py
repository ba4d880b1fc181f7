"""Charts on a phone (#16), measured in Debian's Chromium at 390×844 and photographed chart by
chart: "My progress" tab by tab (two weeks and the whole program), and the family home.

What a person saw that must not come back, checked from the drawn SVG:
- the same weeks labelled Nov 08/15/22 on one chart and Nov 09/16/23 on another: every date tick
  is a Monday, on every chart;
- a single-point chart repeating its date: no chart repeats a tick label;
- the family home's "Week of" axis title running into the legend, legends over dates: a legend
  overlaps neither the title, nor the tick labels, nor the plot;
- markers sitting on the severity-band labels: the band names are outside the plot area;
- five emotion lines by default: two.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.e2e.conftest import fits, settle, signed_in_at

pytestmark = pytest.mark.e2e

TABS = ("Mood", "Urges & skills", "Check-ups", "Sleep & days")

# Per chart: boxes of the title, legend, plot area, x and y tick labels; the tick texts.
GEOMETRY = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent !== null).map(p => {
  const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect();
                        return r.width && r.height ? {l: r.left, r: r.right, t: r.top, b: r.bottom} : null; };
  const texts = (sel) => [...p.querySelectorAll(sel)].map(t => ({text: t.textContent, box: box(t)}));
  return {title: (p.querySelector('.gtitle') || {}).textContent || '', titleBox: box(p.querySelector('.gtitle')),
          legend: box(p.querySelector('.legend .bg')) && p.querySelector('.legend .traces')
                  ? box(p.querySelector('.legend .bg')) : null,
          plot: box(p.querySelector('.bglayer .bg') || p.querySelector('.nsewdrag')),
          xticks: texts('.xaxislayer-above .xtick text'), yticks: texts('.yaxislayer-above .ytick text'),
          emotionLines: p.querySelectorAll('.scatterlayer .trace').length};
})"""


def overlap(a, b) -> bool:
    return bool(a and b) and a["l"] < b["r"] - 1 and b["l"] < a["r"] - 1 and a["t"] < b["b"] - 1 and b["t"] < a["b"] - 1


def as_monday(label: str, today: date) -> date:
    """The date a tick like "Nov 16" names (the nearest such day to today)."""
    found = [d for d in (today + timedelta(days=n) for n in range(-400, 60)) if f"{d:%b} {d.day}" == label]
    assert found, label
    return min(found, key=lambda d: abs((d - today).days))


def check_charts(charts: list[dict], today: date) -> None:
    assert charts
    for chart in charts:
        labels = [t["text"] for t in chart["xticks"]]
        where = chart["title"]
        assert len(labels) == len(set(labels)), f"{where}: a date repeated {labels}"
        if labels and not labels[0].replace(".", "").isdigit():  # a date axis
            assert all(as_monday(x, today).weekday() == 0 for x in labels), f"{where}: not Mondays {labels}"
        legend = chart["legend"]
        if legend:
            assert not overlap(legend, chart["titleBox"]), f"{where}: the legend covers the title"
            assert not any(overlap(legend, t["box"]) for t in chart["xticks"]), f"{where}: the legend covers dates"
            assert legend["b"] <= chart["plot"]["t"] + 2, f"{where}: the legend sits on the plot"
        if "PHQ-9" in where or "GAD-7" in where:
            names = [t for t in chart["yticks"] if t["text"] in ("Minimal", "Mild", "Moderate", "Severe")]
            assert names and all(t["box"]["r"] <= chart["plot"]["l"] + 1 for t in names), (
                f"{where}: band names inside the plot, under the markers"
            )


def open_progress(page, server_url: str) -> date:
    # Opened at its address (the menu's way there is tested in test_tap_targets and test_accessibility):
    # through Today and the menu, each test first drew the diary card, the dearest screen to draw.
    signed_in_at(page, server_url, "alex", "progress")
    page.locator(".js-plotly-plot").first.wait_for()
    return date.today()


def photograph(page, artifacts, name: str) -> None:
    for i, chart in enumerate(page.locator(".js-plotly-plot").all()):
        if chart.is_visible():
            chart.scroll_into_view_if_needed()
            chart.screenshot(path=artifacts / f"{name}-{i}.png")


def open_tab(page, label: str) -> None:
    page.get_by_role("tab", name=label).click()
    settle(page)
    page.locator(
        "[data-baseweb='tab-panel']:not([hidden]) .js-plotly-plot, [role='tabpanel']:not([hidden]) .js-plotly-plot"
    ).first.wait_for()


def test_my_progress_charts_on_a_phone(server, phone, artifacts):
    today = open_progress(phone, server.url)
    phone.get_by_text("Your mood averaged").wait_for()
    assert fits(phone)
    phone.screenshot(path=artifacts / "participant-progress-390.png")
    charts = phone.evaluate(GEOMETRY)
    emotions = next(c for c in charts if c["title"].startswith("Emotions"))
    assert emotions["emotionLines"] == 2  # not five lines at once
    # A chart's numbers are drawn once their fold is opened, by a run of that table alone (ui/charts.py).
    assert phone.get_by_test_id("stTable").count() == 0
    whole_runs = phone.evaluate("() => window.__iopRuns.requested")
    phone.get_by_text("The numbers behind Mood").click()
    settle(phone)
    phone.get_by_test_id("stTable").first.wait_for()
    assert phone.get_by_test_id("stTable").first.get_by_text("Daily mood").count() == 1
    assert phone.evaluate("() => window.__iopRuns.requested") == whole_runs  # no run of the whole page
    for period in ("2 weeks", "Whole program"):
        if period != "2 weeks":
            phone.locator("[class*='st-key-progress_period'] button").get_by_text(period, exact=True).click()
            settle(phone)
        for tab in TABS:
            open_tab(phone, tab)
            check_charts(phone.evaluate(GEOMETRY), today)
            assert fits(phone)
            photograph(phone, artifacts, f"progress-390-{period.split()[0].lower()}-{tab.split()[0].lower()}")


def test_picking_one_emotion_draws_one_line(server, phone, artifacts):
    open_progress(phone, server.url)
    picker = phone.locator("[class*='st-key-progress_emotions'] button")
    checked = (
        "[class*='st-key-progress_emotions'] button[aria-checked='true'], "
        "[class*='st-key-progress_emotions'] button[aria-pressed='true']"
    )
    assert phone.locator(checked).count() == 2  # the two felt most strongly
    # A tap inside the chart's fragment reruns the fragment alone (settle() waits for whole runs),
    # so each tap waits for the pills to show it before the next.
    while phone.locator(checked).count():
        before = phone.locator(checked).count()
        phone.locator(checked).first.click()
        phone.wait_for_function(f'() => document.querySelectorAll("{checked}").length < {before}')
    picker.get_by_text("Shame", exact=True).click()
    chart = phone.locator(".js-plotly-plot", has_text="Shame, at its strongest")
    chart.wait_for()
    assert chart.locator(".scatterlayer .trace").count() == 1
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=artifacts / "progress-390-emotions-shame.png")


def test_the_family_home_charts_on_a_phone(server, phone, artifacts):
    signed_in_at(phone, server.url, "pat.morgan")
    phone.locator(".js-plotly-plot .gtitle", has_text="Alex's mood, weekly average").wait_for()  # drawn, not
    phone.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .gtitle').length >= 3"
    )  # its table's label
    charts = phone.evaluate(GEOMETRY)
    assert len(charts) == 3
    check_charts(charts, date.today())
    assert not any(t["text"] == "Week of" for c in charts for t in c["xticks"])
    assert phone.locator(".js-plotly-plot .xtitle").count() == 0  # no "Week of" title to collide with
    assert fits(phone)
    phone.screenshot(path=artifacts / "family-home-390.png", full_page=True)
    photograph(phone, artifacts, "family-390")


def test_my_progress_at_a_desk(server, desk, artifacts):
    signed_in_at(desk, server.url, "alex", "progress")
    two_weeks = desk.get_by_text("Your mood averaged").inner_text()
    desk.locator("[class*='st-key-progress_period'] button").get_by_text("Whole program", exact=True).click()
    settle(desk)
    assert desk.get_by_text("Your mood averaged").inner_text() != two_weeks  # the sentence follows the period
    desk.locator(".js-plotly-plot .main-svg").first.wait_for()  # Plotly has drawn
    check_charts(desk.evaluate(GEOMETRY), date.today())
    assert fits(desk)
    desk.screenshot(path=artifacts / "participant-progress-1280.png")
    open_tab(desk, "Check-ups")
    desk.get_by_text("Your latest PHQ-9 score is").wait_for()
    check_charts(desk.evaluate(GEOMETRY), date.today())
    desk.screenshot(path=artifacts / "participant-progress-1280-checkups.png")
