"""Family home: exactly what each person I support has chosen to share, and how to help."""

import html

import streamlit as st

from core.models import Role
from ui import auth
from ui.i18n import _, current, full_date, short_day

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


def checkup_name(kind: str) -> str:
    """ "PHQ-9 (mood)": the instrument's own name, and what it measures in the reader's words."""
    return f"{clinical.CHECKUP_NAMES.get(kind, kind)} ({_(clinical.CHECKUP_TOPICS.get(kind, ''))})"


def first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


st.title(_("Hello, {name}").format(name=md(first_name(actor.name))))
with session_scope() as session:
    today = user_today(session, actor.id)
    people = sharing.shared_with_me(session, actor)
    program = program_of(session, actor)  # a family account belongs to its participant's program

if not people:
    st.info(_("You are not connected to anyone yet. A participant can invite you from their app."))
for person in people:
    first = first_name(person.name)
    in_chart = html.escape(first)  # Plotly titles read a little HTML (links included): not from a name
    st.subheader(md(person.name))
    if person.relationship:
        st.caption(_("You are connected as: {relationship}").format(relationship=md(person.relationship)))
    if not person.items:
        st.write(
            _(
                "{first} isn't sharing anything with you right now. That's their choice to make, and "
                "it can change at any time."
            ).format(first=md(first))
        )
        continue
    st.caption(
        _("Shared with you: {items}").format(
            items="; ".join(
                _("{what} (until {day})").format(what=_(item.label), day=full_date(item.until)) for item in person.items
            )
        )
    )
    with st.expander(_("What {first} shares with you, and why").format(first=md(first)), icon=":material/info:"):
        for item in person.items:
            lines = [
                _("**{what}** — until {day}").format(what=_(item.label), day=full_date(item.until)),
                _("What: {scope}.").format(scope=md(_(item.scope))),
            ]
            if item.purpose:
                lines.append(_("Why: “{purpose}”").format(purpose=md(item.purpose)))
            if item.discloser:
                lines.append(
                    _("Shared by {discloser}, with {first}'s consent.").format(
                        discloser=md(item.discloser), first=md(first)
                    )
                )
            st.markdown("  \n".join(lines))
    with session_scope() as session:
        if Category.MOOD_TREND in person.categories:
            weeks, values = sharing.mood_trend(session, actor, person.participant_id, today)
            chart_widgets.chart(
                charts.weekly,
                _("{name}'s mood, weekly average (0–10)").format(name=in_chart),
                weeks,
                {_("Mood"): values},
                y_range=[clinical.MOOD_MIN, clinical.MOOD_MAX + 0.5],
                owner=person.participant_id,  # (two people's charts may share a title: ui/charts.numbers_key)
            )
        if Category.ATTENDANCE in person.categories:
            weeks, came, held = sharing.attendance_weekly(session, actor, person.participant_id, today)
            chart_widgets.chart(
                charts.weekly,
                _("Program sessions per week"),
                weeks,
                {_("Attended"): came, _("Held"): held},
                bars=True,
                owner=person.participant_id,
            )
        if Category.PRACTICE_COUNTS in person.categories:
            weeks, ticked, logged = sharing.practice_counts(session, actor, person.participant_id, today)
            chart_widgets.chart(
                charts.weekly,
                _("Skills practice per week"),
                weeks,
                {_("Skills used (diary card)"): ticked, _("Practice sessions logged"): logged},
                bars=True,
                owner=person.participant_id,
            )
        if Category.CHECKUP_TOTALS in person.categories:
            totals = sharing.checkup_totals(session, actor, person.participant_id)
            if totals:
                # A static table: no toolbar, so no download of what they were asked to keep to themselves.
                st.table(
                    [
                        {
                            _("Date"): short_day(d),
                            _("Check-up"): checkup_name(k),
                            _("Score"): str(t),
                            _("Range"): md(_(b)),
                        }
                        for d, k, t, b in totals[-8:]
                    ],
                    hide_index=True,
                )
            else:
                st.caption(_("No check-ups yet."))
        if Category.SAFETY_PLAN in person.categories:
            plan = safety.current_plan(session, actor, person.participant_id)
            st.markdown(_("**Parts of {first}'s safety plan they chose to share**").format(first=md(first)))
            if plan and plan.content:
                plan_ui.show(plan, only_shared=True)
            else:
                st.caption(_("No steps are marked for sharing yet."))
        if Category.AFTERCARE in person.categories:
            st.markdown(_("**{name}'s aftercare plan** (without their medication plan)").format(name=md(first)))
            shared_plan = aftercare.current_plan(session, actor, person.participant_id)
            aftercare_ui.show(
                shared_plan,
                empty=_(
                    "No aftercare plan yet. {first} builds it with their therapist before the program ends."
                ).format(first=md(first)),
            )
            if shared_plan is not None and "meetings" not in shared_plan.content:  # left out (Part 2)
                st.caption(
                    _(
                        "Their mutual-help meetings aren't shown: in this program they are substance use "
                        "treatment information, shared only with a consent that carries the federal (42 CFR "
                        "Part 2) elements."
                    )
                )
        if Category.SUBSTANCE_USE in person.categories:
            weeks, craving, urges = sharing.substance_use(session, actor, person.participant_id, today)
            chart_widgets.chart(
                charts.weekly,
                _("Craving and use urges, weekly average"),
                weeks,
                {_("Craving (0–10)"): craving, _("Use urge (0–5)"): urges},
                y_range=[0, max(clinical.CRAVING_MAX, clinical.URGE_MAX) + 0.5],
                owner=person.participant_id,
            )
            # 42 CFR 2.32(a): every disclosure of these records carries the notice, word for word.
            st.warning(
                f"**{md(sharing.REDISCLOSURE_NOTICE)}**  \n{_(sharing.REDISCLOSURE_PLAIN)}", icon=":material/gavel:"
            )

st.divider()
st.subheader(_("For families"))
substance_use = bool(program and program.substance_use_tracking)
for section in family_sections(current()):  # core/content/(es/)family.md, checked when the app starts
    if section.substance_use_only and not substance_use:
        continue
    with st.expander(section.title):
        st.markdown(section.body)
st.caption(
    _(
        "Everything here is read-only. Supporting someone in treatment is hard work — "
        "the crisis lines at the top are for you too."
    )
)
