"""Therapist home: my caseload, ordered by what needs attention before group."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.THERAPIST)

from core import checkups  # noqa: E402 - the guard comes first
from core.caseload import caseload_rows  # noqa: E402
from core.db import session_scope  # noqa: E402
from core.errors import ValidationError  # noqa: E402
from core.program import user_today, week_in_program  # noqa: E402
from ui.text import md  # noqa: E402

st.title("Caseload")
with session_scope() as session:
    today = user_today(session, actor.id)
    rows = caseload_rows(session, actor, today)

if not rows:
    st.info("No participants are assigned to you yet. The program admin assigns caseloads.")
    st.stop()

needing = [r for r in rows if r.needs(today)]
alerting = sum(1 for r in rows if r.open_alerts)
st.caption(f"{len(rows)} participants assigned to you · {len(needing)} "
           f"{'needs' if len(needing) == 1 else 'need'} attention"
           + (f" · {alerting} with open alerts" if alerting else ""))
if alerting:
    st.page_link("pages/alerts.py", label="Open the alert inbox", icon=":material/notifications_active:")

search_col, filter_col = st.columns([2, 1])
search = search_col.text_input("Find a participant", placeholder="Name")
only_needing = filter_col.toggle("Needs attention only")
shown = [r for r in rows if search.strip().lower() in r.name.lower() and (r.needs(today) or not only_needing)]


def score(total, band) -> str:
    return "—" if total is None else f"{total} {band.lower()}"


st.dataframe(
    [{"Participant": r.name,
      "Needs": r.needs(today) or "—",
      "Week": str(week_in_program(r.started_on, today) or "—"),
      "Last card": "never" if r.last_card is None else
                   ("today" if r.last_card == today else f"{(today - r.last_card).days} d ago"),
      "Mood 7d": "—" if r.mood_7d is None else f"{r.mood_7d:.1f} {r.mood_direction}",
      "Cards 14d": f"{r.adherence(today)}%",
      "PHQ-9": score(r.phq9, r.phq9_band),
      "GAD-7": score(r.gad7, r.gad7_band),
      "Alerts": str(r.open_alerts) if r.open_alerts else ""} for r in shown],
    hide_index=True, width="stretch",
    column_config={"Participant": st.column_config.TextColumn(pinned=True),
                   "Needs": st.column_config.TextColumn(width="medium")})
st.caption("Order: urgent alerts, other open alerts, no card for 3+ days, worsening (PHQ-9 up 5+ from "
           "intake, or the 7-day mood average down 1.5+), then by name.")

with st.expander("Ask for an extra check-up"):
    st.caption("For when something changed and you want a fresh score before the weekly one. "
               "It shows on their Check-ups screen at once.")
    with st.form("extra_checkup"):
        who = st.selectbox("Participant", rows, index=None, format_func=lambda r: r.name,
                           placeholder="Choose a participant")
        kind = st.segmented_control("Check-up", list(checkups.KINDS), default="phq9",
                                    format_func=lambda k: checkups.questionnaires()[k].name)
        asked = st.form_submit_button("Ask for it", width="stretch")
    if asked:
        if who is None or kind is None:
            st.error("Choose a participant and a check-up.")
        else:
            try:
                with session_scope() as session:
                    checkups.request_extra(session, actor, participant_id=who.participant_id, kind=kind)
                st.success(f"{md(who.name)} will see an extra {checkups.questionnaires()[kind].name} to fill in.")
            except ValidationError as exc:
                st.error(str(exc))

with st.expander("Forgotten password or paused login"):
    st.caption("Give a participant a one-time reset code, or unlock logging in after too many "
               "wrong passwords.")
    auth.reset_and_unlock(actor, {r.participant_id: r.name for r in rows}, key="caseload_reset")
