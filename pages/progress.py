"""Participant: my progress — mood, emotions, urges and skills, check-ups — in plain words."""

from datetime import timedelta

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.PARTICIPANT)

from core import attendance, charts, checkups, clinical, diary, practice
from core import encouragement as words
from core.db import session_scope
from core.program import participant_overview, user_today
from ui import charts as chart_widgets

st.title("My progress")
period = (
    st.segmented_control(
        "Show", ["2 weeks", "4 weeks", "Whole program"], default="2 weeks", key="progress_period", width="stretch"
    )
    or "2 weeks"
)
with session_scope() as session:
    today = user_today(session, actor.id)
    overview = participant_overview(session, actor, actor.id)
    start = {"2 weeks": today - timedelta(days=13), "4 weeks": today - timedelta(days=27)}.get(
        period, overview.started_on or today - timedelta(weeks=12)
    )
    cards = diary.cards_between(session, actor, actor.id, start, today)
    targets = {t.key: t.label for t in diary.targets_for(session, actor.program_id, include_retired=True)}
    kinds = [s.kind for s in checkups.statuses(session, actor, actor.id, today)]
    past = checkups.histories(session, actor, actor.id, kinds)
    entries = practice.practice_between(session, actor, actor.id, start, today)
    records = practice.thought_records(session, actor, actor.id, start, today)
    sessions = attendance.history(session, actor, actor.id, start, today)


span = (start, today)  # every chart spans the period chosen, so the charts line up
if not cards:
    st.info(words.first_card(cards))
if sessions:
    st.write(attendance.summary(sessions, you=True))
practised = practice.practised_per_day(entries, records)

# Four tabs, and only the open one is drawn (on_change="rerun"): the first screen is ready after two
# charts, not ten, and each chart is built once per change of its data (ui/charts.py).
TABS = ("Mood", "Urges & skills", "Check-ups", "Sleep & days")
mood_tab, urges_tab, checkups_tab, days_tab = st.tabs(TABS, key="progress_tab", on_change="rerun")
if mood_tab.open:
    with mood_tab:
        chart_widgets.chart(charts.mood, cards, span=span, sentence=words.mood(cards), owner=actor.id)
        chart_widgets.emotions(
            cards, key="progress_emotions", sentence=words.emotions(cards), span=span, owner=actor.id
        )
if urges_tab.open:
    with urges_tab:
        chart_widgets.chart(
            charts.urges_acted_skills, cards, targets, span=span, sentence=words.urges(cards), owner=actor.id
        )
        chart_widgets.chart(
            charts.skills_by_module, cards, span=span, sentence=words.skills_used(cards), owner=actor.id
        )
        chart_widgets.chart(
            charts.practice_by_module, practised, span=span, sentence=words.practice(practised), owner=actor.id
        )
        chart_widgets.chart(charts.helpfulness, entries, sentence=words.helpfulness(entries), owner=actor.id)
if checkups_tab.open:
    with checkups_tab:
        for kind in kinds:
            if past[kind] and start > past[kind][0].day:
                shown = [p for p in past[kind] if p.day >= start] or past[kind][-1:]
            else:
                shown = past[kind]
            chart_widgets.chart(
                charts.checkup_trajectory,
                kind,
                shown,
                span=span if shown else None,
                sentence=words.checkup(kind, past[kind]),
                owner=actor.id,
            )
        st.caption(
            f"Triangles mark a change since your first check-up: {clinical.PHQ9_RELIABLE_CHANGE}+ points on "
            f"the PHQ-9 (bigger than day-to-day ups and downs), {clinical.GAD7_MCID}+ on the GAD-7 (the "
            f"smallest change people notice). A ring marks a score under {clinical.REMISSION_BELOW['phq9']}: "
            "remission. The bands are named at the left."
        )
if days_tab.open:
    with days_tab:
        chart_widgets.chart(charts.adherence, cards, start, today, sentence=words.adherence(cards), owner=actor.id)
        chart_widgets.chart(charts.sleep, cards, span=span, sentence=words.sleep(cards), owner=actor.id)
        chart_widgets.chart(charts.medication, cards, span=span, owner=actor.id)
