"""Family home: exactly what each person I support has chosen to share, and how to help."""

import html

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.FAMILY)

from core import aftercare, charts, clinical, safety, sharing
from core.access import Category
from core.content import family_sections
from core.db import session_scope
from core.program import program_of, user_today
from ui import aftercare as aftercare_ui
from ui import charts as chart_widgets
from ui import safety as plan_ui
from ui.text import md

CHECKUP_NAMES = {k: f"{clinical.CHECKUP_NAMES[k]} ({clinical.CHECKUP_TOPICS[k]})" for k in ("phq9", "gad7")}


def first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


st.title(f"Hello, {md(first_name(actor.name))}")
with session_scope() as session:
    today = user_today(session, actor.id)
    people = sharing.shared_with_me(session, actor)
    program = program_of(session, actor)  # a family account belongs to its participant's program

if not people:
    st.info("You are not connected to anyone yet. A participant can invite you from their app.")
for person in people:
    first = first_name(person.name)
    in_chart = html.escape(first)  # Plotly titles read a little HTML (links included): not from a name
    st.subheader(md(person.name))
    if person.relationship:
        st.caption(f"You are connected as: {md(person.relationship)}")
    if not person.items:
        st.write(
            f"{md(first)} isn't sharing anything with you right now. That's their choice to make, and "
            "it can change at any time."
        )
        continue
    st.caption(
        "Shared with you: "
        + "; ".join(
            f"{item.label} (until {item.until:%b} {item.until.day}, {item.until.year})" for item in person.items
        )
    )
    with st.expander(f"What {md(first)} shares with you, and why", icon=":material/info:"):
        for item in person.items:
            lines = [
                f"**{item.label}** — until {item.until:%b} {item.until.day}, {item.until.year}",
                f"What: {md(item.scope)}.",
            ]
            if item.purpose:
                lines.append(f"Why: “{md(item.purpose)}”")
            if item.discloser:
                lines.append(f"Shared by {md(item.discloser)}, with {md(first)}'s consent.")
            st.markdown("  \n".join(lines))
    with session_scope() as session:
        if Category.MOOD_TREND in person.categories:
            weeks, values = sharing.mood_trend(session, actor, person.participant_id, today)
            chart_widgets.chart(
                charts.weekly,
                f"{in_chart}'s mood, weekly average ({clinical.MOOD_MIN}–{clinical.MOOD_MAX})",
                weeks,
                {"Mood": values},
                y_range=[clinical.MOOD_MIN, clinical.MOOD_MAX + 0.5],
            )
        if Category.ATTENDANCE in person.categories:
            weeks, came, held = sharing.attendance_weekly(session, actor, person.participant_id, today)
            chart_widgets.chart(
                charts.weekly, "Program sessions per week", weeks, {"Attended": came, "Held": held}, bars=True
            )
        if Category.PRACTICE_COUNTS in person.categories:
            weeks, ticked, logged = sharing.practice_counts(session, actor, person.participant_id, today)
            chart_widgets.chart(
                charts.weekly,
                "Skills practice per week",
                weeks,
                {"Skills used (diary card)": ticked, "Practice sessions logged": logged},
                bars=True,
            )
        if Category.CHECKUP_TOTALS in person.categories:
            totals = sharing.checkup_totals(session, actor, person.participant_id)
            if totals:
                # A static table: no toolbar, so no download of what they were asked to keep to themselves.
                st.table(
                    [
                        {
                            "Date": f"{d:%b} {d.day}",
                            "Check-up": CHECKUP_NAMES.get(k, k),
                            "Score": str(t),
                            "Range": md(b),
                        }
                        for d, k, t, b in totals[-8:]
                    ],
                    hide_index=True,
                )
            else:
                st.caption("No check-ups yet.")
        if Category.SAFETY_PLAN in person.categories:
            plan = safety.current_plan(session, actor, person.participant_id)
            st.markdown(f"**Parts of {md(first)}'s safety plan they chose to share**")
            if plan and plan.content:
                plan_ui.show(plan, only_shared=True)
            else:
                st.caption("No steps are marked for sharing yet.")
        if Category.AFTERCARE in person.categories:
            st.markdown(f"**{md(first)}'s aftercare plan** (without their medication plan)")
            aftercare_ui.show(aftercare.current_plan(session, actor, person.participant_id))
        if Category.SUBSTANCE_USE in person.categories:
            weeks, craving, urges = sharing.substance_use(session, actor, person.participant_id, today)
            chart_widgets.chart(
                charts.weekly,
                "Craving and use urges, weekly average",
                weeks,
                {
                    f"Craving ({clinical.CRAVING_MIN}–{clinical.CRAVING_MAX})": craving,
                    f"Use urge ({clinical.URGE_MIN}–{clinical.URGE_MAX})": urges,
                },
                y_range=[0, max(clinical.CRAVING_MAX, clinical.URGE_MAX) + 0.5],
            )
            # 42 CFR 2.32(a): every disclosure of these records carries the notice, word for word.
            st.warning(
                f"**{md(sharing.REDISCLOSURE_NOTICE)}**  \n{sharing.REDISCLOSURE_PLAIN}", icon=":material/gavel:"
            )

st.divider()
st.subheader("For families")
substance_use = bool(program and program.substance_use_tracking)
for section in family_sections():  # core/content/family.md, checked when the app starts
    if section.substance_use_only and not substance_use:
        continue
    with st.expander(section.title):
        st.markdown(section.body)
st.caption(
    "Everything here is read-only. Supporting someone in treatment is hard work — "
    "the crisis lines at the top are for you too."
)
