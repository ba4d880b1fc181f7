"""A printable progress report for the clinical record: one small, self-contained HTML page.

Its charts are plain SVG drawn here (a few kilobytes each), not Plotly figures with plotly.js
embedded: that made the page 4.8 MB, and a report has nothing to zoom or hover. It opens offline,
prints in black and white as well as colour, and includes what a record needs that the charts
leave out: the alert history (reasons, acknowledgements, resolution) and PHQ-9 item 9 (thoughts of
being better off dead or of self-harm) answered over time. Everything typed by a person is escaped.
"""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta

from sqlmodel import Session

from core import aftercare, alerts, checkups, clinical, diary, goals, practice, recovery
from core.access import Actor
from core.program import participant_overview, user_zone

REPORT_WEEKS = clinical.HISTORY_WEEKS  # the same span as the therapist's review
W, H = 640, 200  # the drawing's own units; it scales to the page width
LEFT, RIGHT, TOP, BOTTOM = 86, 12, 44, 24
INK, FAINT, BLUE, SKY, ORANGE, VERMILION = "#1f2a2e", "#8a9799", "#0072B2", "#56B4E9", "#E69F00", "#D55E00"
BAND_FILLS = ["#e3f2ec", "#fbf7d9", "#fbecd4", "#f7e0d4", "#f4e3ec"]

e = html.escape


def _when(moment: datetime | None, zone) -> str:
    """A stored UTC time as the reader's local time, with the zone's short name."""
    if moment is None:
        return ""
    here = moment.astimezone(zone)
    return f"{here:%b} {here.day}, {here.year}, {here:%I:%M %p}".replace(" 0", " ") + f" {here.tzname()}"


class _Plot:
    """Dates across, values up; everything placed in the SVG's own units."""

    def __init__(self, first: date, last: date, low: float, high: float):
        self.first, self.days = first, max((last - first).days, 1)
        self.low, self.high = low, high

    def x(self, day: date) -> float:
        return LEFT + (W - LEFT - RIGHT) * ((day - self.first).days + 0.5) / (self.days + 1)

    def y(self, value: float) -> float:
        return TOP + (H - TOP - BOTTOM) * (1 - (value - self.low) / (self.high - self.low))


def _svg(
    title: str,
    first: date,
    last: date,
    low: float,
    high: float,
    *,
    dots=(),
    lines=(),
    bars=(),
    marks=(),
    bands=(),
    y_ticks=(),
    legend=(),
) -> str:
    """One chart: shaded bands (named at the left), bars, lines, dots and cross marks, Monday ticks."""
    p = _Plot(first, last, low, high)
    out = [
        f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{e(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="14" font-size="14" font-weight="600" fill="{INK}">{e(title)}</text>',
    ]
    for (b_low, b_high, name), fill in zip(bands, BAND_FILLS, strict=False):
        top, bottom = p.y(min(b_high, high)), p.y(max(b_low, low))
        out.append(
            f'<rect x="{LEFT}" y="{top:.1f}" width="{W - LEFT - RIGHT}" height="{bottom - top:.1f}" fill="{fill}"/>'
        )
        words = name.split(" ", 1) if len(name) > 10 else [name]  # "Moderately / severe" on two lines
        middle = (top + bottom) / 2 + 4 - 6 * (len(words) - 1)
        spans = "".join(f'<tspan x="{LEFT - 6}" dy="{0 if i == 0 else 12}">{e(w)}</tspan>' for i, w in enumerate(words))
        out.append(
            f'<text x="{LEFT - 6}" y="{middle:.1f}" font-size="10" text-anchor="end" fill="{FAINT}">{spans}</text>'
        )
    for value in y_ticks:
        out.append(
            f'<text x="{LEFT - 6}" y="{p.y(value) + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="{FAINT}">{value:g}</text>'
        )
    out.append(f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" stroke="{INK}"/>')
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    step = 7 if p.days <= 60 else 14
    while monday <= last:
        x = p.x(monday)
        out.append(
            f'<line x1="{x:.1f}" y1="{H - BOTTOM}" x2="{x:.1f}" y2="{H - BOTTOM + 4}" stroke="{INK}"/>'
            f'<text x="{x:.1f}" y="{H - 6}" font-size="10" text-anchor="middle" fill="{INK}">'
            f"{monday:%b} {monday.day}</text>"
        )
        monday += timedelta(days=step)
    width = max((W - LEFT - RIGHT) / (p.days + 1) * 0.7, 1.5)
    for day, value, colour in bars:
        if value is not None:
            out.append(
                f'<rect x="{p.x(day) - width / 2:.1f}" y="{p.y(value):.1f}" width="{width:.1f}" '
                f'height="{p.y(low) - p.y(value):.1f}" fill="{colour}"/>'
            )
    for points, colour, labelled in lines:
        kept = [(d, v) for d, v in points if v is not None]
        if len(kept) > 1:
            path = " ".join(f"{p.x(d):.1f},{p.y(v):.1f}" for d, v in kept)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        for d, v in kept:
            if labelled:
                out.append(
                    f'<circle cx="{p.x(d):.1f}" cy="{p.y(v):.1f}" r="3.5" fill="{colour}"/>'
                    f'<text x="{p.x(d):.1f}" y="{p.y(v) - 7:.1f}" font-size="10" text-anchor="middle" '
                    f'fill="{INK}">{v:g}</text>'
                )
    for d, v in dots:
        out.append(f'<circle cx="{p.x(d):.1f}" cy="{p.y(v):.1f}" r="2.6" fill="{SKY}"/>')
    for d, v in marks:
        x, y = p.x(d), p.y(v)
        out.append(
            f'<path d="M{x - 4:.1f},{y - 4:.1f}L{x + 4:.1f},{y + 4:.1f}'
            f'M{x - 4:.1f},{y + 4:.1f}L{x + 4:.1f},{y - 4:.1f}" '
            f'stroke="{VERMILION}" stroke-width="2"/>'
        )
    x = LEFT
    for name, colour in legend:
        out.append(
            f'<rect x="{x}" y="{TOP - 20}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{TOP - 11}" font-size="10" fill="{INK}">{e(name)}</text>'
        )
        x += 24 + 6 * len(name)
    out.append("</svg>")
    return "".join(out)


def _rolling(days: list[date], values: list[float], window: int = 7) -> list[float | None]:
    out = []
    for day in days:
        recent = [v for d, v in zip(days, values, strict=True) if day - timedelta(days=window) < d <= day]
        out.append(round(sum(recent) / len(recent), 1) if recent else None)
    return out


def mood_svg(cards, first: date, last: date) -> str:
    days, moods = [c.day for c in cards], [c.mood for c in cards]
    return _svg(
        "Mood (0–10): each day, and the 7-day average",
        first,
        last,
        0,
        10.5,
        dots=list(zip(days, moods, strict=True)),
        lines=[(list(zip(days, _rolling(days, moods), strict=True)), BLUE, False)],
        y_ticks=(0, 5, 10),
        legend=(("Daily mood", SKY), ("7-day average", BLUE)),
    )


def urges_svg(cards, first: date, last: date) -> str:
    strongest = [(c.day, max([u for u, _ in c.urges.values() if u is not None], default=None), ORANGE) for c in cards]
    acted = [(c.day, 5.5) for c in cards if any(a for _, a in c.urges.values())]
    return _svg(
        "Strongest urge (0–5), and days an urge was acted on (×)",
        first,
        last,
        0,
        6,
        bars=strongest,
        marks=acted,
        y_ticks=(0, 1, 2, 3, 4, 5),
        legend=(("Strongest urge", ORANGE), ("Acted on", VERMILION)),
    )


def sleep_svg(cards, first: date, last: date) -> str:
    slept = [(c.day, c.sleep_hours) for c in cards if c.sleep_hours is not None]
    return _svg("Hours of sleep", first, last, 0, max([12, *(h for _, h in slept)]), dots=slept, y_ticks=(0, 4, 8, 12))


def checkup_svg(kind: str, past, first: date, last: date) -> str:
    top = clinical.MAX_TOTAL[kind]
    bands = clinical.BANDS[kind]
    shaded = [
        (floor - 0.5 if floor else -0.5, (bands[i + 1][0] if i + 1 < len(bands) else top + 1) - 0.5, name)
        for i, (floor, name) in enumerate(bands)
    ]
    return _svg(
        f"{clinical.CHECKUP_NAMES[kind]} total (0–{top}), on its severity bands",
        first,
        last,
        -0.5,
        top + 0.5,
        bands=shaded,
        lines=[([(p.day, p.total) for p in past], BLUE, True)],
    )


def _medication_line(cards) -> str | None:
    answered = [c for c in cards if c.medication in clinical.MEDICATION_ADHERENCE_ANSWERS]
    if not answered:
        return None
    taken = sum(1 for c in answered if c.medication == "yes")
    return f"Medication taken as prescribed on {taken} of {len(answered)} days answered."


def _alert_rows(history, zone) -> str:
    if not history:
        return "<p>No alerts.</p>"
    rows = []
    for a in history:
        reasons = "<br>".join(e(r.text) for r in a.reasons) or e(a.detail)
        if a.latest:
            reasons += f"<br><span class='meta'>{e(a.latest)}</span>"
        ack = (
            f"{e(a.acknowledged_by or 'Acknowledged')}, {e(_when(a.acknowledged_at, zone))}: {e(a.acknowledgement)}"
            if a.acknowledgement
            else "—"
        )
        status = f"resolved {e(_when(a.resolved_at, zone))}" if a.resolved_at else "open"
        about = f"{a.day:%b} {a.day.day}" if a.day else ""
        rows.append(
            f"<tr><td>{e(_when(a.opened_at, zone))}</td><td>{e(clinical.Severity(a.severity).label)}</td>"
            f"<td>{e(about)}</td><td>{reasons}</td><td>{ack}</td><td>{status}</td></tr>"
        )
    return (
        "<table><thead><tr><th>Opened</th><th>Severity</th><th>About</th><th>Reasons</th>"
        f"<th>Acknowledged</th><th>Status</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _item9_rows(phq9) -> str:
    if not phq9:
        return "<p>No PHQ-9 yet.</p>"
    item = checkups.questionnaires()["phq9"].items[clinical.PHQ9_ITEM9_INDEX]
    rows = []
    for p in phq9:
        answer = p.answers[clinical.PHQ9_ITEM9_INDEX] if len(p.answers) > clinical.PHQ9_ITEM9_INDEX else None
        words = item.choices[answer] if answer is not None and 0 <= answer < len(item.choices) else "not answered"
        flag = " ⚠" if answer is not None and answer >= clinical.PHQ9_ITEM9_ALERT_MIN else ""
        rows.append(f"<tr><td>{p.day}</td><td>{e(words)}{flag}</td><td>{p.total}</td></tr>")
    return (
        f"<p class='meta'>“{e(item.text)}” — any answer above “{e(item.choices[0])}” alerts the therapist.</p>"
        f"<table><thead><tr><th>Date</th><th>Item 9 answer</th><th>PHQ-9 total</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def progress_report(session: Session, actor: Actor, participant_id: int, today: date) -> str:
    overview = participant_overview(session, actor, participant_id)
    start = today - timedelta(weeks=REPORT_WEEKS)
    cards = diary.cards_between(session, actor, participant_id, start, today)
    past = {k: checkups.history(session, actor, participant_id, k) for k in checkups.KINDS}
    alert_history = alerts.history(session, actor, participant_id)
    zone = user_zone(session, actor.id)
    days = (today - max(start, overview.started_on or start)).days or 1
    lines = [f"Diary cards: {len(cards)} in the last {days} days ({round(100 * len(cards) / days)}%)."]
    for kind, history in past.items():
        if history:
            first, last = history[0], history[-1]
            what = clinical.CHANGE_MARKERS.get(kind, (0, ""))[1]
            marker = (
                f" — better by the {what}"
                if last.change.marked_better
                else f" — worse by the {what}"
                if last.change.marked_worse
                else ""
            )
            if last.change.remission:
                marker += f" — in remission (under {clinical.REMISSION_BELOW[kind]})"
            lines.append(
                f"{checkups.questionnaires()[kind].name}: {first.total} at intake ({first.day}) → "
                f"{last.total} {last.band.lower()} on {last.day}{marker}."
            )
    entries = practice.practice_between(session, actor, participant_id, start, today)
    rated = [p for p in entries if p.drop is not None]
    if entries:
        lines.append(
            f"Skills practice logged: {len(entries)} times"
            + (
                f"; distress fell by {sum(p.drop or 0 for p in rated) / len(rated):.1f} points on average."
                if rated
                else "."
            )
        )
    medication = _medication_line(cards)
    if medication:
        lines.append(medication)
    open_alerts = sum(1 for a in alert_history if a.resolved_at is None)
    lines.append(f"Alerts: {len(alert_history)} in all, {open_alerts} open.")

    figures = []
    if cards:
        figures += [mood_svg(cards, start, today), urges_svg(cards, start, today)]
        if any(c.sleep_hours is not None for c in cards):
            figures.append(sleep_svg(cards, start, today))
    for kind in ("phq9", "gad7"):
        if past[kind]:
            figures.append(checkup_svg(kind, past[kind], min(past[kind][0].day, start), today))
    plots = "".join(f"<div class='chart'>{svg}</div>" for svg in figures)
    zone_name = datetime.now(zone).tzname() or ""
    notes = "".join(f"<li><b>{c.day}</b>: {e(c.note)}</li>" for c in cards if c.note)
    style = (
        "body{font-family:system-ui,sans-serif;max-width:48rem;margin:1.5rem auto;padding:0 1rem;color:#1f2a2e}"
        "h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}.meta{color:#5b6b6d;font-size:.9rem}"
        ".chart{break-inside:avoid;margin:1rem 0}.chart svg{width:100%;height:auto}"
        "table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{border:1px solid #ccd5d4;"
        "padding:4px 6px;text-align:left;vertical-align:top}tr{break-inside:avoid}@media print{body{margin:0}}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Progress report</title><style>{style}</style>"
        f"</head><body><h1>Progress report — {e(overview.name)}</h1>"
        f"<p class='meta'>{e(overview.program_name)} · therapist {e(overview.therapist_name or '—')} · "
        f"{start} to {today} · prepared by {e(actor.name)} · times in {e(zone_name)}</p>"
        f"<ul>{''.join(f'<li>{e(line)}</li>' for line in lines)}</ul>{plots}"
        f"{goals.report_section(session, actor, participant_id)}"
        f"{aftercare.report_section(session, actor, participant_id)}"
        f"<h2>PHQ-9 item 9 over time</h2>{_item9_rows(past['phq9'])}"
        f"{recovery.report_html(session, actor, participant_id, start, today)}"  # substance use, AUDIT-C, DAST-10
        f"<h2>Alerts</h2>{_alert_rows(alert_history, zone)}"
        f"<h2>Notes from diary cards</h2><ul>{notes or '<li>None in this period.</li>'}</ul>"
        f"<p class='meta'>Change markers from intake: PHQ-9 ±{clinical.PHQ9_RELIABLE_CHANGE} (reliable change); "
        f"GAD-7 ±{clinical.GAD7_MCID} (minimal clinically important difference; its reliable change index is "
        f"{clinical.GAD7_RELIABLE_CHANGE}). Remission: PHQ-9 and GAD-7 under {clinical.REMISSION_BELOW['phq9']}. "
        "Confidential health information.</p>"
        "</body></html>"
    )
