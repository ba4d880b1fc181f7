"""A printable progress report for the clinical record: one self-contained HTML page.

The charts are the same Plotly figures the app shows, drawn by plotly.js embedded once in the
page (so it opens offline and prints with its charts); everything else is escaped text.
"""

from __future__ import annotations

import html
from datetime import date, timedelta

from sqlmodel import Session

from core import charts, checkups, clinical, diary, practice
from core.access import Actor
from core.program import participant_overview

REPORT_WEEKS = 8


def progress_report(session: Session, actor: Actor, participant_id: int, today: date) -> str:
    overview = participant_overview(session, actor, participant_id)
    start = today - timedelta(weeks=REPORT_WEEKS)
    cards = diary.cards_between(session, actor, participant_id, start, today)
    targets = {t.key: t.label for t in diary.targets_for(session, actor.program_id, include_retired=True)}
    past = {k: checkups.history(session, actor, participant_id, k) for k in checkups.KINDS}
    e = html.escape
    days = (today - max(start, overview.started_on or start)).days or 1
    lines = [f"Diary cards: {len(cards)} in the last {days} days ({round(100 * len(cards) / days)}%)."]
    for kind, history in past.items():
        if history:
            first, last = history[0], history[-1]
            what = clinical.CHANGE_MARKERS.get(kind, (0, ""))[1]
            marker = (f" — better by the {what}" if last.change.marked_better else
                      f" — worse by the {what}" if last.change.marked_worse else "")
            if last.change.remission:
                marker += f" — in remission (under {clinical.REMISSION_BELOW[kind]})"
            lines.append(f"{checkups.questionnaires()[kind].name}: {first.total} at intake ({first.day}) → "
                         f"{last.total} {last.band.lower()} on {last.day}{marker}.")
    entries = practice.practice_between(session, actor, participant_id, start, today)
    rated = [p for p in entries if p.drop is not None]
    if entries:
        lines.append(f"Skills practice logged: {len(entries)} times"
                     + (f"; distress fell by {sum(p.drop for p in rated) / len(rated):.1f} points on average."
                        if rated else "."))
    figures = [charts.mood(cards), charts.urges_acted_skills(cards, targets), charts.medication(cards),
               charts.sleep(cards), charts.helpfulness(entries)]
    figures += [charts.checkup_trajectory(k, past[k]) for k in ("phq9", "gad7") if past[k]]
    static = {"displayModeBar": False, "staticPlot": True}
    plots = "".join(f"<div class='chart'>{fig.to_html(full_html=False, include_plotlyjs=i == 0, config=static)}</div>"
                    for i, fig in enumerate(figures))
    notes = "".join(f"<li><b>{c.day}</b>: {e(c.note)}</li>" for c in cards if c.note)
    style = ("body{font-family:system-ui,sans-serif;max-width:48rem;margin:1.5rem auto;padding:0 1rem;color:#1f2a2e}"
             "h1{font-size:1.4rem}.meta{color:#5b6b6d}.chart{break-inside:avoid;margin:1rem 0}"
             "@media print{body{margin:0}}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Progress report</title><style>{style}</style>"
            f"</head><body><h1>Progress report — {e(overview.name)}</h1>"
            f"<p class='meta'>{e(overview.program_name)} · therapist {e(overview.therapist_name or '—')} · "
            f"{start} to {today} · prepared by {e(actor.name)}</p>"
            f"<ul>{''.join(f'<li>{e(line)}</li>' for line in lines)}</ul>{plots}"
            f"<h2>Notes from diary cards</h2><ul>{notes or '<li>None in this period.</li>'}</ul>"
            f"<p class='meta'>Change markers from intake: PHQ-9 ±{clinical.PHQ9_RELIABLE_CHANGE} (reliable change); "
            f"GAD-7 ±{clinical.GAD7_MCID} (minimal clinically important difference; its reliable change index is "
            f"{clinical.GAD7_RELIABLE_CHANGE}). Remission: PHQ-9 and GAD-7 under {clinical.REMISSION_BELOW['phq9']}. "
            "Confidential health information.</p>"
            "</body></html>")
