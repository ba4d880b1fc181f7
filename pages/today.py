"""Participant home: today's diary card, one thumb, under a minute."""

import streamlit as st

from core.models import Role
from ui import auth
from ui.i18n import _, current, skill_name, weekday

actor = auth.guard(Role.PARTICIPANT)

from datetime import datetime

from core import checkups, diary, enrolment, goals, practice, recovery, schedule, screeners
from core.db import session_scope
from core.errors import ValidationError
from core.program import participant_overview, program_of, user_today, user_zone, week_in_program
from core.skills import catalogue
from ui import farewell, greetings, nav, risk
from ui import goals as goals_ui
from ui import recovery as recovery_ui
from ui.diary import (
    CARD_FRAGMENT,
    CARD_HEAD,
    CARD_SAVE,
    calm_errors,
    card_form,
    change_day,
    day_label,
    drawn_to_the_end,
    in_save_run,
    keep_drafts,
    save_button,
    save_if_tapped,
    save_unit,
    start_card_run,
    unsaved_days,
)
from ui.forms import FieldErrors
from ui.text import md
from ui.timefmt import local_time

# After discharge (core/enrolment.py): a kind word instead of the card; the crisis lines stay on
# every screen, and the record and safety plan stay readable for the program's access period.
left = nav.remaining(actor)
if left.phase is not enrolment.Phase.IN_PROGRAM:
    farewell.show(actor, left)
    st.stop()

with session_scope() as session:
    overview = participant_overview(session, actor, actor.id)
    program = program_of(session, actor)
    targets = diary.targets_for(session, actor.program_id)
    zone = user_zone(session, actor.id)
    today = user_today(session, actor.id)
    # The check-ups due, and the AUDIT-C/DAST-10 (intake or asked for) in substance-use programs: one read.
    due, screens = (
        [s for s in statuses if s.is_due] for statuses in screeners.due_with_checkups(session, actor, actor.id, today)
    )
    homework = practice.homework_for(session, actor, actor.id, include_done=False)
    goal_board = goals.board(session, actor, actor.id, today)

st.title(md(greetings.hello(actor.name, datetime.now(zone))))
top = st.container()  # a crisis response, when there is one, is drawn here: first on the screen
week = week_in_program(overview.started_on, today, overview.length_weeks)
if week:
    st.caption(
        (_("Week {n} of {total} · {program}") if overview.length_weeks else _("Week {n} · {program}")).format(
            n=week, total=overview.length_weeks, program=md(overview.program_name)
        )
    )

# The next session of the program's schedule (core/schedule.py), with its topic.
with session_scope() as session:
    upcoming = schedule.next_session(session, actor, actor.id)
if upcoming:
    when = f"{weekday(upcoming.starts_at.astimezone(zone))} {local_time(upcoming.starts_at, zone)}"
    st.markdown(
        (
            _(":material/event: **Next session:** {kind} · {topic} — {when}")
            if upcoming.topic
            else _(":material/event: **Next session:** {kind} — {when}")
        ).format(kind=_(upcoming.kind_label), topic=md(upcoming.topic), when=when)
    )

if due:
    names = greetings.plain_list([_(checkups.questionnaires(current())[s.kind].name) for s in due])
    with st.container(border=True):
        st.write(_("Your weekly check-up is ready: {names}. It takes a few minutes.").format(names=names))
        st.page_link("pages/checkups.py", label=_("Take it now"), icon=":material/checklist:")
if screens:
    names = greetings.plain_list([screeners.screeners()[s.kind].name for s in screens])
    with st.container(border=True):
        st.write(
            _("A short alcohol and drug check-up is waiting: {names}. Your answers go to your care team only.").format(
                names=names
            )
        )
        st.page_link("pages/checkups.py", label=_("Open check-ups"), icon=":material/checklist:")

if homework:
    with st.container(border=True):
        first = homework[0]
        st.write(
            (
                _("From your therapist: practise **{skill}** (and {more} more) · {status}")
                if len(homework) > 1
                else _("From your therapist: practise **{skill}** · {status}")
            ).format(
                skill=skill_name(first.skill_id, first.skill_name), more=len(homework) - 1, status=first.status(today)
            )
        )
        st.page_link(
            "pages/skills.py",
            label=_("Open the skill"),
            query_params={"skill": first.skill_id},
            icon=":material/self_improvement:",
        )

goals_ui.rate_this_week(actor, goal_board)  # treatment-plan goals, rated once a week

# A new participant's card starts on their first day, not before their account existed.
days = [d for d in diary.fillable_days(today) if overview.first_day is None or d >= overview.first_day] or [today]
craving_on = bool(program and program.substance_use_tracking)
options = recovery.options_of(program)  # substance-use programs: what was used, triggers, MAT


with session_scope() as session:  # read once per page run, not on every tap of the card
    saved_cards = {c.day: c for c in diary.cards_between(session, actor, actor.id, days[-1], today)}
    if options is not None:  # the cards' details, and the days-in-recovery counters
        details = recovery.details_between(session, actor, actor.id, days[-1], today)
        saved_cards = {c.day: c for c in recovery.with_details(list(saved_cards.values()), details)}
        my_counters = recovery.counters(session, actor, actor.id)
        recovery_ui.counters_on_today(my_counters)


@st.fragment(key=CARD_FRAGMENT)
def the_card() -> None:
    """The day's card. A fragment: each answer reruns the card alone, and is kept as that day's
    draft for the session (ui/diary.py), so switching days or screens loses nothing. A save is a run of
    the card's head and Save alone (below: the answers are not drawn again), or of the whole card when
    fields are to be marked; either saves first (in a unit of work of its own, after the login check)
    and asks for the whole page only when the save changed what is drawn outside the card
    (ui.diary.save_if_tapped)."""
    # What the card's run alone draws before the card (the login check's hidden element, a calm message)
    # goes in a container of its own, empty in a page run: the card's elements, and its head's and Save's
    # fragments, are then in the same places in every run (a browser matches elements by place).
    notice = st.container()
    with notice, calm_errors(actor):  # a save that failed still draws the card below, with what was typed
        me = start_card_run(actor, page="today", keep=_keep_drafts)  # alone, it checks the login as a page run does
        save_if_tapped(me, today=today, saved=saved_cards, options=options, page="today")
    with calm_errors(actor):
        _draw_card()
    drawn_to_the_end()


def _keep_drafts() -> None:
    """What the browser sent for each day's card becomes that day's draft (ui.diary.keep_drafts)."""
    keep_drafts(
        days, saved_cards, targets=targets, modules=catalogue(current()), craving_on=craving_on, options=options
    )


def _draw_card() -> None:
    _keep_drafts()
    day = card_head()
    errors = FieldErrors(known=st.session_state.get(f"card_errors_{day}", {}))
    with st.container():  # (the answers, however many elements: Save's place in the card stays the same)
        card_form(
            day=day,
            today=today,
            existing=saved_cards.get(day),
            targets=targets,
            craving_on=craving_on,
            modules=catalogue(current()),
            errors=errors,
            options=options,
        )
    card_save(day)
    if f"card_errors_{day}" in st.session_state:
        errors.show(st.session_state[f"card_errors_{day}"])
        st.error(
            _(
                "Your card isn't saved yet — fix the marked answer and tap Save again. Everything you "
                "entered is still here."
            )
        )


@st.fragment(key=CARD_HEAD)
def card_head():
    """Which day's card, and what it is: a save changes these (its day's • goes; "You filled in this
    card"), so Save's run draws them again (ui.diary.SAVE_RUN), saving first."""
    if in_save_run():
        with calm_errors(actor), save_unit():  # one unit of work: the login check's read is the save's gate's
            me = start_card_run(actor, page="today")
            save_if_tapped(me, today=today, saved=saved_cards, options=options, page="today", alone=True)
    unsaved = set(unsaved_days(days))
    day = (
        st.segmented_control(
            _("Diary card for"),
            days,
            default=today,
            key="card_day",
            width="stretch",
            format_func=lambda d: day_label(d, today) + (" •" if d in unsaved else ""),
            on_change=change_day,
        )
        or today
    )
    others = [d for d in unsaved if d != day]
    if others:
        st.caption(
            _("Not saved yet, and kept for you: {days} (• above). Save each card when you're ready.").format(
                days=", ".join(day_label(d, today) for d in sorted(others))
            )
        )
    if saved_cards.get(day):
        st.caption(
            _("You filled in this card; changes are welcome until it is {late_window_days} days old.").format(
                late_window_days=diary.clinical.LATE_WINDOW_DAYS
            )
        )
    elif day != today:
        st.caption(_("Filling in a past day is fine — it will be marked as filled in late."))
    drawn_to_the_end()
    return day


@st.fragment(key=CARD_SAVE)
def card_save(day) -> None:
    """Save, and what a save says under it."""
    save_button(
        day=day,
        targets=targets,
        modules=catalogue(current()),
        craving_on=craving_on,
        existing=saved_cards.get(day),
        options=options,
    )
    saved = st.session_state.get("card_saved")
    if saved and saved["day"] == day:
        st.session_state.pop("card_saved")  # said once
        who = overview.therapist_name or _("Your therapist")
        if saved["risky"]:  # no cheerful words beside a crisis response
            st.info(
                _("Your card is saved.") if saved["created"] else _("Your changes are saved."),
                icon=":material/check_circle:",
            )
        else:
            st.success(
                _("Saved. Thank you for checking in.")
                if saved["created"]
                else _("Changes saved. Thank you for checking in."),
                icon=":material/check_circle:",
            )
            st.write(greetings.streak_sentence(saved["streak"]))
        st.caption(
            _(
                "{who} will see this card when they review your week: your ratings, the skills you used and your note."
            ).format(who=md(who))
        )
    drawn_to_the_end()


the_card()
risk.show_pending(actor, top, page="today")


def _save_counter(substance, start_on, shown) -> dict[str, str] | None:
    try:
        with session_scope() as session:
            recovery.set_counter(
                session, actor, participant_id=actor.id, substance=substance, start_on=start_on, shown=shown
            )
    except ValidationError as exc:
        return dict(exc.fields)
    return None


def _remove_counter(substance) -> None:
    with session_scope() as session:
        recovery.remove_counter(session, actor, participant_id=actor.id, substance=substance)


if options is not None:
    recovery_ui.counter_settings(
        options=options, counters=my_counters, today=today, save=_save_counter, remove=_remove_counter
    )
    if options.naloxone:
        recovery_ui.naloxone()

drawn_to_the_end(page=True)  # last: the card drawn in this run is on the screen whole (ui/diary.py)
