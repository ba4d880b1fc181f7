"""Reminders and the private calendar (participants); email, calendar and escalations (therapists)."""

import streamlit as st

from core.models import Role
from ui import auth
from ui.i18n import _

actor = auth.guard(Role.PARTICIPANT, Role.THERAPIST)

from datetime import time

from core import feed, notify
from core.db import session_scope
from core.errors import ValidationError
from core.program import user_zone
from ui.forms import FieldErrors, with_limits
from ui.text import md
from ui.timefmt import local_time

FEED_URL = "iop_feed_url"  # the new calendar address, shown in this session only (only its hash is kept)
participant = actor.role is Role.PARTICIPANT

with session_scope() as session:
    mine = notify.my_settings(session, actor)
    calendar = feed.feed_status(session, actor)
    zone = user_zone(session, actor.id)
    waiting = (
        []
        if participant or not notify.is_clinical_lead(session, actor)
        else notify.escalations_for_lead(session, actor)
    )
    lead = not participant and notify.is_clinical_lead(session, actor)

st.title(_("Reminders") if participant else _("Notifications"))
if participant:
    st.caption(
        _(
            "Reminders are yours to choose, and they never say anything about how you are doing: just"
            " a nudge and a link."
        )
    )
else:
    st.caption(
        _(
            "An urgent alert on your caseload is emailed to you at once; alerts to review and missed check-ins "
            "come as a summary on working mornings. Emails never say who or what: you read that here."
        )
    )

if lead:
    st.subheader(_("Escalated to you"))
    if not waiting:
        st.success(_("Nothing escalated to you is waiting."))
    for w in waiting:
        with st.container(border=True):
            st.markdown(
                _(":red[**Urgent alert not yet acknowledged**] on {therapist}'s caseload").format(
                    therapist=md(w.therapist)
                )
            )
            st.caption(
                f"Opened {local_time(w.opened_at, zone)} · escalated to you {local_time(w.escalated_at, zone)}"
                + (f" · {md(w.therapist_email)}" if w.therapist_email else "")
            )

st.subheader(_("Your email"))
errors = FieldErrors()
with st.form("email", border=False):
    email = st.text_input(
        _("Email address"),
        value=mine.email,
        autocomplete="email",  # no max_chars: it drops a paste
        placeholder=_("name@example.org"),
        key="notify_email",
    )
    errors.slot("email")
    if st.form_submit_button(_("Save email"), width="stretch"):
        try:
            with session_scope() as session:
                saved = notify.set_email(session, actor, email=email)
            st.success(_("Saved: {saved}").format(saved=md(saved)))
        except ValidationError as exc:
            errors.show(with_limits(exc.fields, {"email": (email, notify.EMAIL_MAX)}))

if participant:
    st.subheader(_("Reminders by email"))
    reminder_errors = FieldErrors()
    with st.form("reminders", border=False):
        diary_on = st.checkbox(
            _("Remind me to fill in my diary card (not on days I already have)"), value=mine.diary, key="remind_diary"
        )
        reminder_errors.slot("diary")
        checkup_on = st.checkbox(_("Tell me when a check-up is due"), value=mine.checkup, key="remind_checkup")
        reminder_errors.slot("checkup")
        homework_on = st.checkbox(_("Tell me when practice is due"), value=mine.homework, key="remind_homework")
        reminder_errors.slot("homework")
        remind_at = st.time_input(_("Remind me at"), value=mine.remind_at, step=15 * 60, key="remind_at")
        reminder_errors.slot("remind_at")
        st.caption(_("In your time zone, {zone}.").format(zone=md(zone.key)))
        quiet_on = st.checkbox(
            _("Quiet hours: hold anything that would arrive between these times"),
            value=mine.quiet_start is not None,
            key="quiet_on",
        )
        start_col, end_col = st.columns(2)
        quiet_start = start_col.time_input(
            _("From"), value=mine.quiet_start or time(22, 0), step=15 * 60, key="quiet_start"
        )
        quiet_end = end_col.time_input(_("Until"), value=mine.quiet_end or time(7, 0), step=15 * 60, key="quiet_end")
        reminder_errors.slot("quiet_start")
        reminder_errors.slot("quiet_end")
        reminder_errors.slot("email")
        if st.form_submit_button(_("Save reminders"), type="primary", width="stretch"):
            try:
                with session_scope() as session:
                    notify.save_reminders(
                        session,
                        actor,
                        diary=diary_on,
                        checkup=checkup_on,
                        homework=homework_on,
                        remind_at=remind_at,
                        quiet_start=quiet_start if quiet_on else None,
                        quiet_end=quiet_end if quiet_on else None,
                    )
                chosen = [
                    w
                    for w, on in (
                        (_("your diary card"), diary_on),
                        (_("check-ups"), checkup_on),
                        (_("practice"), homework_on),
                    )
                    if on
                ]
                st.success(
                    _("Saved. Reminders for {what} come at {time:%H:%M}.").format(
                        what=", ".join(chosen), time=remind_at
                    )
                    if chosen
                    else _("Saved. No reminders will be sent.")
                )
            except ValidationError as exc:
                reminder_errors.show(exc.fields)

st.subheader(_("Your private calendar"))
st.caption(
    _(
        "Add your diary card (with an alarm at your reminder time), check-ups and practice due dates to your "
        "phone's calendar. Titles never say anything private, and you can turn it off at any time."
    )
    if participant
    else "See how many check-ups and practice fall due on your caseload each day, in your own calendar. "
    "Titles never say anything private, and you can turn it off at any time."
)
new_url = st.session_state.get(FEED_URL)
if calendar.closed:
    st.info(feed.closed_message(), icon=":material/event_busy:")
elif calendar.on:
    st.markdown(_(":green[**On**] since {since}").format(since=local_time(calendar.since, zone)))
    if new_url:
        st.markdown(_("Your calendar address (keep it private; it is shown only now):"))
        st.code(new_url, language=None, wrap_lines=True)
        st.link_button(_("Add to my calendar"), feed.webcal_url(new_url), icon=":material/event:", width="stretch")
    new_col, off_col = st.columns(2)
    if new_col.button(_("Make a new link"), width="stretch", help=_("The old link stops working at once.")):
        with session_scope() as session:
            st.session_state[FEED_URL] = feed.turn_on(session, actor)
        st.rerun()
    if off_col.button(_("Turn off"), width="stretch"):
        with session_scope() as session:
            feed.turn_off(session, actor)
        st.session_state.pop(FEED_URL, None)
        st.rerun()
else:
    st.markdown(_("**Off**"))
    if st.button(_("Turn on my calendar"), type="primary", width="stretch", icon=":material/calendar_add_on:"):
        with session_scope() as session:
            st.session_state[FEED_URL] = feed.turn_on(session, actor)
        st.rerun()
