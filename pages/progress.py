"""Participant: my progress — mood, emotions, urges and skills, check-ups — in plain words."""

from datetime import timedelta

import streamlit as st

from core.models import Role
from ui import auth
from ui.i18n import N_, _

actor = auth.guard(Role.PARTICIPANT)

from core import attendance, charts, checkups, clinical, diary, goals, practice, recovery
from core import encouragement as words
from core.db import session_scope
from core.program import participant_overview, user_today
from ui import charts as chart_widgets
from ui import goals as goals_ui

SHORTEST = next(iter(clinical.PERIOD_DAYS))
st.title(_("My progress"))
period = (
    st.segmented_control(
        _("Show"),
        [*clinical.PERIOD_DAYS, N_("Whole program")],
        format_func=_,
        default=SHORTEST,
        key="progress_period",
        width="stretch",
    )
    or SHORTEST
)
with session_scope() as session:
    today = user_today(session, actor.id)
    overview = participant_overview(session, actor, actor.id)
    start = clinical.period_start(today, period) or overview.started_on or today - timedelta(weeks=12)
    cards = diary.cards_between(session, actor, actor.id, start, today)
    targets = {t.key: t.label for t in diary.targets_for(session, actor.program_id, include_retired=True)}
    kinds = [s.kind for s in checkups.statuses(session, actor, actor.id, today)]
    past = checkups.histories(session, actor, actor.id, kinds)
    entries = practice.practice_between(session, actor, actor.id, start, today)
    records = practice.thought_records(session, actor, actor.id, start, today)
    sessions = attendance.history(session, actor, actor.id, start, today)
    goal_board = goals.board(session, actor, actor.id, today)


span = (start, today)  # every chart spans the period chosen, so the charts line up
if not cards:
    st.info(words.first_card(cards))
if sessions:
    st.write(attendance.summary(sessions, you=True))
practised = practice.practised_per_day(entries, records)

# Four tabs, and only the open one is drawn (on_change="rerun"): the first screen is ready after two
# charts, not ten, and each chart is built once per change of its data (ui/charts.py).
TABS = (N_("Mood"), N_("Urges & skills"), N_("Check-ups"), N_("Sleep & days"), N_("Goals"))
mood_tab, urges_tab, checkups_tab, days_tab, goals_tab = st.tabs(
    [_(tab) for tab in TABS], key="progress_tab", on_change="rerun"
)
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
        with session_scope() as session:  # substance-use programs: what precedes urges and lapses
            triggers = (
                recovery.trigger_counts(session, actor, actor.id, start, today)
                if recovery.options_for(session, actor.id) is not None
                else None
            )
        if triggers is not None:
            chart_widgets.chart(
                recovery.triggers_map, triggers, sentence=recovery.triggers_sentence(triggers), owner=actor.id
            )
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
            _(
                "Triangles mark a change since your first check-up: {phq9_reliable_change}+ points on"
                " the PHQ-9 (bigger than day-to-day ups and downs), {gad7_mcid}+ on the GAD-7 (the "
                "smallest change people notice). A ring marks a score under {remission_below}: "
                "remission. The bands are named at the left."
            ).format(
                phq9_reliable_change=clinical.PHQ9_RELIABLE_CHANGE,
                gad7_mcid=clinical.GAD7_MCID,
                remission_below=clinical.REMISSION_BELOW["phq9"],
            )
        )
if days_tab.open:
    with days_tab:
        chart_widgets.chart(charts.adherence, cards, start, today, sentence=words.adherence(cards), owner=actor.id)
        chart_widgets.chart(charts.sleep, cards, span=span, sentence=words.sleep(cards), owner=actor.id)
        chart_widgets.chart(charts.medication, cards, span=span, owner=actor.id)
if goals_tab.open:
    with goals_tab:
        if goal_board.goals:
            goals_ui.progress_chart(goal_board.goals, goal_board.ratings)
        else:
            st.info(_("Your treatment-plan goals will show here once you and your therapist have agreed on them."))
