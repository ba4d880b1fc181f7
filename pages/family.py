"""Family home: exactly what each person I support has chosen to share, and how to help."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.FAMILY)

from core import charts, safety, sharing  # noqa: E402 - the guard comes first
from ui import safety as plan_ui  # noqa: E402
from core.access import Category  # noqa: E402
from core.db import session_scope  # noqa: E402
from core.program import today_of  # noqa: E402
from core.content import family_sections  # noqa: E402
from ui import charts as chart_widgets  # noqa: E402

st.title(f"Hello, {actor.name.split()[0]}")
with session_scope() as session:
    today = today_of(session, actor)
    people = sharing.shared_with_me(session, actor)

if not people:
    st.info("You are not connected to anyone yet. A participant can invite you from their app.")
for participant_id, name, relationship, shared in people:
    first = name.split()[0]
    st.subheader(name)
    if relationship:
        st.caption(f"You are connected as: {relationship}")
    if not shared:
        st.write(f"{first} isn't sharing anything with you right now. That's their choice to make, and "
                 "it can change at any time.")
        continue
    st.caption("Shared with you: " + "; ".join(f"{sharing.CATEGORY_LABELS[c]} (until {until:%b %d, %Y})"
                                               for c, until in shared.items()))
    with session_scope() as session:
        if Category.MOOD_TREND in shared:
            weeks, values = sharing.mood_trend(session, actor, participant_id, today)
            chart_widgets.show(charts.weekly(f"{first}'s mood, weekly average (0–10)", weeks, {"Mood": values},
                                             y_range=[0, 10.5]))
        if Category.ATTENDANCE in shared:
            weeks, came, held = sharing.attendance_weekly(session, actor, participant_id, today)
            chart_widgets.show(charts.weekly("Program sessions per week", weeks, {"Attended": came, "Held": held},
                                             bars=True))
        if Category.PRACTICE_COUNTS in shared:
            weeks, ticked, logged = sharing.practice_counts(session, actor, participant_id, today)
            chart_widgets.show(charts.weekly("Skills practice per week", weeks,
                                             {"Skills used (diary card)": ticked, "Practice sessions logged": logged},
                                             bars=True))
        if Category.CHECKUP_TOTALS in shared:
            totals = sharing.checkup_totals(session, actor, participant_id)
            if totals:
                st.dataframe([{"Date": f"{d:%b %d}", "Check-up": {"phq9": "PHQ-9 (mood)", "gad7": "GAD-7 (worry)"}[k],
                               "Score": t, "Range": b} for d, k, t, b in totals[-8:]], hide_index=True, width="stretch")
            else:
                st.caption("No check-ups yet.")
        if Category.SAFETY_PLAN in shared:
            plan = safety.current_plan(session, actor, participant_id)
            st.markdown(f"**Parts of {first}'s safety plan they chose to share**")
            if plan and plan.content:
                plan_ui.show(plan, only_shared=True)
            else:
                st.caption("No steps are marked for sharing yet.")
        if Category.SUBSTANCE_USE in shared:
            weeks, craving, urges = sharing.substance_use(session, actor, participant_id, today)
            chart_widgets.show(charts.weekly("Craving and use urges, weekly average", weeks,
                                             {"Craving (0–10)": craving, "Use urge (0–5)": urges},
                                             y_range=[0, 10.5]))
            st.caption(sharing.REDISCLOSURE_NOTICE)

st.divider()
st.subheader("For families")
for section in family_sections():   # core/content/family.md, checked when the app starts
    with st.expander(section.title):
        st.markdown(section.body)
st.caption("Everything here is read-only. Supporting someone in treatment is hard work — "
           "the crisis lines at the top are for you too.")
