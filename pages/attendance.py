"""Therapist: take the roll for a session of the schedule, and add individual or family sessions."""

from datetime import time, timedelta

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.THERAPIST)

from core import accounts, attendance, clinical, enrolment, schedule
from core.db import session_scope
from core.errors import ValidationError
from core.program import program_of, user_today
from core.schedule import zone_of as program_zone
from ui.forms import FieldErrors
from ui.text import md

st.title("Attendance")
with session_scope() as session:
    caseload = accounts.caseload_for(session, actor)
    today = user_today(session, actor.id)
    program = program_of(session, actor)
    discharged = {p.id for p in enrolment.discharged_caseload(session, actor)}
zone = program_zone(program.timezone if program else None)
if not caseload:
    st.info("No participants are assigned to you yet.")
    st.stop()

day = st.date_input(
    "Session date",
    value=today,
    min_value=today - timedelta(days=clinical.ATTENDANCE_BACKFILL_DAYS),
    max_value=today + timedelta(days=clinical.SESSION_AHEAD_DAYS),
    format="YYYY-MM-DD",
    key="attendance_day",
)
with session_scope() as session:
    sessions = schedule.roll_for_day(session, actor, day)

if not sessions:
    st.info(f"No sessions on {day:%a %b} {day.day} for your caseload. Add an individual or family session below.")
else:
    chosen_key = (
        st.segmented_control(
            "Session",
            [s.key for s in sessions],
            format_func=lambda key: next(s for s in sessions if s.key == key).describe(
                zone, md
            ),  # (labels are Markdown)
            default=sessions[0].key,
            key=f"attendance_session_{day}",
            width="stretch",
        )
        or sessions[0].key
    )
    chosen = next(s for s in sessions if s.key == chosen_key)
    count_slot = st.empty()

    def show_count(count: int) -> None:
        count_slot.caption(
            f"{chosen.describe(zone, md)} on {day:%a %b} {day.day}: {count} of {len(chosen.people)} recorded."
        )

    show_count(sum(1 for p in chosen.people if p[3]))
    if day > today:
        st.caption("The roll opens on the day of the session.")
    else:
        with st.form(f"roll_{chosen.key}", border=False):
            picked = {}
            for _participant_id, name, session_id, status in chosen.people:
                # What this tab drew for each person: a status not touched here shows (and stays) what is
                # saved now, so a roll saved from an older tab never puts back a correction made since.
                key, seen = f"roll_{session_id}", f"roll_seen_{session_id}"
                if key not in st.session_state or (
                    st.session_state[key] == st.session_state.get(seen) and status != st.session_state.get(seen)
                ):
                    st.session_state[key] = st.session_state[seen] = status
                picked[session_id] = st.segmented_control(
                    md(name),
                    list(clinical.ATTENDANCE_STATUSES),
                    format_func=clinical.ATTENDANCE_STATUSES.get,
                    key=key,
                    width="stretch",
                )
            save = st.form_submit_button("Save attendance", type="primary", width="stretch")
        if save:
            statuses = {
                sid: status
                for sid, status in picked.items()
                if status and status != st.session_state.get(f"roll_seen_{sid}")
            }
            if not any(picked.values()):
                st.warning("Choose a status for at least one person.")
            elif not statuses:
                st.info("Nothing changed on this roll since it was saved.")
            else:
                try:
                    with session_scope() as session:
                        saved = attendance.record_session(session, actor, statuses=statuses, today=today)
                except ValidationError as exc:
                    st.error(" ".join(exc.fields.values()))
                else:
                    for sid, status in statuses.items():
                        st.session_state[f"roll_seen_{sid}"] = status
                    st.success(
                        f"Saved attendance for {saved} participant{'s' if saved != 1 else ''}.",
                        icon=":material/check_circle:",
                    )
                    show_count(len({p[2] for p in chosen.people if p[3]} | statuses.keys()))

if said := st.session_state.pop("one_off_added", None):
    st.success(said, icon=":material/check_circle:")
with st.expander("Add an individual or family session", icon=":material/event:"):
    errors = FieldErrors()
    with st.form("one_off_session", border=False):
        names = {p.id: p.name for p in caseload if p.id not in discharged}  # (no new sessions after discharge)
        who = st.selectbox("Participant", list(names), format_func=names.get, key="one_off_who")
        errors.slot("participant_id")
        kind = st.segmented_control(
            "Kind of session",
            list(clinical.ONE_OFF_KINDS),
            format_func=clinical.SESSION_KINDS.get,
            default="individual",
            key="one_off_kind",
        )
        errors.slot("kind")
        when = st.date_input("Date", value=day, format="YYYY-MM-DD", key="one_off_day")
        errors.slot("day")
        start = st.time_input("Starts", value=time(13, 0), step=timedelta(minutes=15), key="one_off_start")
        errors.slot("start")
        end = st.time_input("Ends", value=time(14, 0), step=timedelta(minutes=15), key="one_off_end")
        errors.slot("end")
        add = st.form_submit_button("Add session", width="stretch")
    if add:
        try:
            with session_scope() as session:
                added = schedule.add_session(
                    session, actor, participant_id=who, kind=kind, day=when, start=start, end=end, today=today
                )
        except ValidationError as exc:
            errors.show(exc.fields)
        else:  # said after the rerun that puts the new session on the roll above
            st.session_state["one_off_added"] = (
                f"Added: {added.kind_label.lower().removesuffix(' session')} session with {md(names[who])}, "
                f"{added.starts_at.astimezone(zone):%a %b} {added.day.day}, "
                f"{schedule.clock(added.starts_at.astimezone(zone).time())}."
            )
            st.rerun()

st.subheader("Last 4 weeks")
with session_scope() as session:
    rates = attendance.caseload_rates(session, actor, today - timedelta(weeks=4))
st.dataframe(
    [
        {
            "Participant": p.name,
            "Attended": f"{rates[p.id][0]} of {rates[p.id][1]}" if p.id in rates else "none recorded",
            "Rate": f"{round(100 * rates[p.id][0] / rates[p.id][1])}%" if rates.get(p.id, (0, 0))[1] else "",
        }
        for p in caseload
    ],
    hide_index=True,
    width="stretch",
)
