"""Therapist: one participant's week for session prep — the card grid with notes, charts,
check-up items, alerts, and the record as CSV."""

from datetime import date, timedelta

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.THERAPIST)

from core import accounts, alerts, charts, checkups, diary, export, report, sharing  # noqa: E402 - the guard comes first
from core.db import session_scope  # noqa: E402
from core.errors import AccessDenied  # noqa: E402
from core.program import program_of  # noqa: E402
from ui.diary import week_grid  # noqa: E402

st.title("Participant review")
with session_scope() as session:
    caseload = accounts.caseload_for(session, actor)
    program = program_of(session, actor)
if not caseload:
    st.info("No participants are assigned to you yet.")
    st.stop()

# ?p=<id> opens one participant directly; the gate in core refuses (and audits) anyone else's.
wanted = st.query_params.get("p")
ids = [p.id for p in caseload]
chosen_id = int(wanted) if wanted and wanted.isdigit() else ids[0]
if chosen_id in ids:
    person = st.selectbox("Participant", caseload, index=ids.index(chosen_id), format_func=lambda p: p.name)
    st.query_params["p"] = str(person.id)
    chosen_id = person.id

today = date.today()
week_start = st.date_input("Week starting", value=today - timedelta(days=6), max_value=today, format="YYYY-MM-DD")
week_end = min(week_start + timedelta(days=6), today)
try:
    with session_scope() as session:
        week = diary.cards_between(session, actor, chosen_id, week_start, week_end)  # refused if not yours
except AccessDenied as refused:
    st.warning(f"{refused} This participant is not on your caseload; the attempt has been recorded.")
    st.stop()
with session_scope() as session:
    span = diary.cards_between(session, actor, chosen_id, today - timedelta(weeks=8), today)
    targets = diary.targets_for(session, program.id if program else None, include_retired=True)
    past = {k: checkups.history(session, actor, chosen_id, k) for k in checkups.KINDS}
    alert_history = alerts.history(session, actor, chosen_id)

st.subheader("The week's card")
if week:
    st.html(week_grid(week, week_start, targets, craving_on=bool(program and program.substance_use_tracking)))
    for card in week:
        if card.note:
            st.markdown(f"**{card.day:%a %b} {card.day.day}**")
            st.text(card.note)
else:
    st.info("No diary cards in this week.")

labels = {t.key: t.label for t in targets}
for figure in (charts.mood(span), charts.urges_acted_skills(span, labels), charts.emotions(span),
               charts.skills_by_module(span), charts.adherence(span, today - timedelta(weeks=8), today)):
    st.plotly_chart(figure, config=charts.CHART_CONFIG, width="stretch")

st.subheader("Check-ups")
definitions = checkups.questionnaires()
for kind, history in past.items():
    if not history:
        continue
    st.plotly_chart(charts.checkup_trajectory(kind, history), config=charts.CHART_CONFIG, width="stretch")
    latest = history[-1]
    with st.expander(f"Latest {definitions[kind].name} item by item ({latest.day:%b} {latest.day.day}: "
                     f"{latest.total}, {latest.band.lower()})"):
        st.dataframe([{"Item": item.text, "Answer": item.choices[answer]}
                      for item, answer in zip(definitions[kind].items, latest.answers)],
                     hide_index=True, width="stretch")

with session_scope() as session:
    connected = sharing.family_of(session, actor, chosen_id)
if connected:
    st.caption("Family connected: " + "; ".join(
        f"{m.name}{f' ({m.relationship})' if m.relationship else ''} sees "
        + (", ".join(sharing.CATEGORY_LABELS[c].lower() for c in m.active) or "nothing now")
        for m in connected))

st.subheader("Alerts")
if not alert_history:
    st.caption("No alerts.")
for a in alert_history:
    status = f"resolved {a.resolved_at:%b %d}" if a.resolved_at else "open"
    st.markdown(f"**{a.opened_at:%b %d}** · {a.severity} · {status} — {a.detail}")
    if a.acknowledgement:
        st.caption(f"{a.acknowledged_by}: {a.acknowledgement}")

st.divider()


def build_zip() -> bytes:
    with session_scope() as session:
        return export.record_zip(session, actor, chosen_id)


def build_report() -> str:
    with session_scope() as session:
        return report.progress_report(session, actor, chosen_id, today)


# Built only when tapped (each is a full read of the record, audited as such).
st.download_button("Download the record (CSV files, zipped)", build_zip, file_name=f"participant-{chosen_id}-record.zip",
                   mime="application/zip", icon=":material/download:", width="stretch")
st.download_button("Printable progress report (open, then print)", build_report,
                   file_name=f"participant-{chosen_id}-progress-report.html", mime="text/html",
                   icon=":material/print:", width="stretch")
