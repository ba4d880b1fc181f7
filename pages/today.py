"""Participant home: today's diary card, one thumb, under a minute."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.PARTICIPANT)

from datetime import datetime

from core import checkups, diary, practice, screeners
from core.db import session_scope
from core.program import participant_overview, program_of, user_today, user_zone, week_in_program
from core.skills import catalogue
from ui import greetings, risk
from ui.diary import card_form, card_to_save, day_label, keep_drafts, save_tapped, unsaved_days
from ui.forms import FieldErrors
from ui.text import md

with session_scope() as session:
    overview = participant_overview(session, actor, actor.id)
    program = program_of(session, actor)
    targets = diary.targets_for(session, actor.program_id)
    zone = user_zone(session, actor.id)
    today = user_today(session, actor.id)
    tapped = card_to_save()  # Save was tapped: save first, in this run, and draw the saved card once
    if tapped:
        save_tapped(session, actor, tapped, today=today, page="today")
    due = [s for s in checkups.statuses(session, actor, actor.id, today) if s.is_due]
    screens = (
        [s for s in screeners.statuses(session, actor, actor.id, today) if s.is_due]
        if program and program.substance_use_tracking
        else []
    )  # AUDIT-C, DAST-10: intake or asked for
    homework = practice.homework_for(session, actor, actor.id, include_done=False)

st.title(md(greetings.hello(actor.name, datetime.now(zone))))
top = st.container()  # a crisis response, when there is one, is drawn here: first on the screen
week = week_in_program(overview.started_on, today, overview.length_weeks)
if week:
    st.caption(
        (f"Week {week} of {overview.length_weeks}" if overview.length_weeks else f"Week {week}")
        + f" · {md(overview.program_name)}"
    )

if due:
    names = greetings.plain_list([checkups.questionnaires()[s.kind].name for s in due])
    with st.container(border=True):
        st.write(f"Your weekly check-up is ready: {names}. It takes a few minutes.")
        st.page_link("pages/checkups.py", label="Take it now", icon=":material/checklist:")
if screens:
    names = greetings.plain_list([screeners.screeners()[s.kind].name for s in screens])
    with st.container(border=True):
        st.write(f"A short alcohol and drug check-up is waiting: {names}. Your answers go to your care team only.")
        st.page_link("pages/checkups.py", label="Open check-ups", icon=":material/checklist:")

if homework:
    with st.container(border=True):
        first = homework[0]
        more = f" (and {len(homework) - 1} more)" if len(homework) > 1 else ""
        st.write(f"From your therapist: practise **{first.skill_name}**{more} · {first.status(today)}")
        st.page_link(
            "pages/skills.py",
            label="Open the skill",
            query_params={"skill": first.skill_id},
            icon=":material/self_improvement:",
        )

# A new participant's card starts on their first day, not before their account existed.
days = [d for d in diary.fillable_days(today) if overview.first_day is None or d >= overview.first_day] or [today]
craving_on = bool(program and program.substance_use_tracking)


with session_scope() as session:  # read once per page run, not on every tap of the card
    saved_cards = {c.day: c for c in diary.cards_between(session, actor, actor.id, days[-1], today)}


@st.fragment
def the_card() -> None:
    """The day's card. A fragment: each answer reruns the card alone, and is kept as that day's
    draft for the session (ui/diary.py), so switching days or screens loses nothing."""
    keep_drafts(days, saved_cards, targets=targets, modules=catalogue(), craving_on=craving_on)
    unsaved = set(unsaved_days(days))
    day = (
        st.segmented_control(
            "Diary card for",
            days,
            default=today,
            key="card_day",
            width="stretch",
            format_func=lambda d: day_label(d, today) + (" •" if d in unsaved else ""),
        )
        or today
    )
    others = [d for d in unsaved if d != day]
    if others:
        st.caption(
            "Not saved yet, and kept for you: "
            + ", ".join(day_label(d, today) for d in sorted(others))
            + " (• above). Save each card when you're ready."
        )
    existing = saved_cards.get(day)
    if existing:
        st.caption(
            f"You filled in this card; changes are welcome until it is {diary.clinical.LATE_WINDOW_DAYS} days old."
        )
    elif day != today:
        st.caption("Filling in a past day is fine — it will be marked as filled in late.")

    errors = FieldErrors()
    card_form(
        day=day,
        today=today,
        existing=existing,
        targets=targets,
        craving_on=craving_on,
        modules=catalogue(),
        errors=errors,
    )
    if f"card_errors_{day}" in st.session_state:
        errors.show(st.session_state[f"card_errors_{day}"])
        st.error(
            "Your card isn't saved yet — fix the marked answer and tap Save again. Everything you "
            "entered is still here."
        )
    saved = st.session_state.get("card_saved")
    if saved and saved["day"] == day:
        st.session_state.pop("card_saved")  # said once
        who = overview.therapist_name or "Your therapist"
        if saved["risky"]:  # no cheerful words beside a crisis response
            st.info(
                "Your card is saved." if saved["created"] else "Your changes are saved.", icon=":material/check_circle:"
            )
        else:
            st.success(
                ("Saved. " if saved["created"] else "Changes saved. ") + "Thank you for checking in.",
                icon=":material/check_circle:",
            )
            st.write(greetings.streak_sentence(saved["streak"]))
        st.caption(
            f"{md(who)} will see this card when they review your week: your ratings, the skills you used and your note."
        )


the_card()
risk.show_pending(actor, top, page="today")
