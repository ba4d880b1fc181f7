"""Therapist: one participant's week for session prep — the card grid with notes, charts,
check-up items, alerts, and the record as CSV."""

from datetime import timedelta

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.THERAPIST)

from core import accounts, alerts, attendance, charts, checkups, diary, export, practice, report, sharing  # noqa: E402 - the guard comes first
from core.db import session_scope  # noqa: E402
from core.errors import AccessDenied, ValidationError  # noqa: E402
from core.clinical import Severity  # noqa: E402
from core.program import program_of, user_today, user_zone  # noqa: E402
from ui.timefmt import local_time  # noqa: E402
from core.skills import skills_by_id  # noqa: E402
from ui import charts as chart_widgets  # noqa: E402
from ui import skills as skills_ui  # noqa: E402
from ui.diary import week_grid  # noqa: E402
from ui.forms import FieldErrors  # noqa: E402
from ui.text import md  # noqa: E402

st.title("Participant review")
with session_scope() as session:
    caseload = accounts.caseload_for(session, actor)
    program = program_of(session, actor)
    today = user_today(session, actor.id)
if not caseload:
    st.info("No participants are assigned to you yet.")
    st.stop()

# ?p=<id> opens one participant directly; the gate in core refuses (and audits) anyone else's,
# an id that doesn't exist and one that isn't a number alike, and the picker stays on screen.
wanted = st.query_params.get("p")
ids = [p.id for p in caseload]
requested = (int(wanted) if wanted and wanted.isascii() and wanted.isdecimal() and len(wanted) <= 12
             else 0 if wanted else ids[0])
person = st.selectbox("Participant", caseload, index=ids.index(requested) if requested in ids else None,
                      format_func=lambda p: p.name, placeholder="Choose a participant")
if person is not None:
    st.query_params["p"] = str(person.id)
    chosen_id = person.id
else:
    chosen_id = requested

# ?day=<date> (an alert's link) opens the week around that day.
alert_day = diary.parse_day(st.query_params.get("day"), latest=today)
week_start = st.date_input("Week starting", value=(alert_day - timedelta(days=3)) if alert_day else today - timedelta(days=6),
                           max_value=today, format="YYYY-MM-DD")
week_end = min(week_start + timedelta(days=6), today)
try:
    with session_scope() as session:
        week = diary.cards_between(session, actor, chosen_id, week_start, week_end)  # refused if not yours
except AccessDenied:
    st.warning("You don't have access to that record: choose one of your participants above. "
               "The attempt has been recorded.")
    st.stop()
with session_scope() as session:
    span = diary.cards_between(session, actor, chosen_id, today - timedelta(weeks=8), today)
    targets = diary.targets_for(session, program.id if program else None, include_retired=True)
    past = {k: checkups.history(session, actor, chosen_id, k) for k in checkups.KINDS}
    alert_history = alerts.history(session, actor, chosen_id)

st.subheader("The week's card")
if week:
    st.html(week_grid(week, week_start, targets, craving_on=bool(program and program.substance_use_tracking)))
    for card in week:
        if card.note:
            st.markdown(f"**{card.day:%a %b} {card.day.day}**")
            st.text(card.note)
else:
    st.info("No diary cards in this week.")

labels = {t.key: t.label for t in targets}
chart_widgets.show(charts.mood(span))
chart_widgets.show(charts.urges_acted_skills(span, labels))
chart_widgets.emotions(span, key="review_emotions")
chart_widgets.show(charts.skills_by_module(span))
chart_widgets.show(charts.adherence(span, today - timedelta(weeks=8), today))
chart_widgets.show(charts.medication(span))
chart_widgets.show(charts.sleep(span))

st.subheader("Attendance")
with session_scope() as session:
    sessions = attendance.history(session, actor, chosen_id, today - timedelta(weeks=8), today)
st.write(attendance.summary(sessions, period="in the last 8 weeks"))
if sessions:
    with st.expander("Sessions, newest first"):
        st.markdown("\n".join(f"- {r.describe()}" for r in sessions))

st.subheader("Homework")
with session_scope() as session:
    homework = practice.homework_for(session, actor, chosen_id)
    patient_today = user_today(session, chosen_id)
    entries = practice.practice_between(session, actor, chosen_id, today - timedelta(weeks=8), today)
    records = practice.thought_records(session, actor, chosen_id, today - timedelta(weeks=8), today)
if not homework:
    st.caption("No homework set.")
for h in homework:
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        st.markdown(f"**{md(h.skill_name)}** · {h.status(patient_today)}" + (f"  \n{md(h.note)}" if h.note else ""))
        if not h.done and st.button("Remove", key=f"remove_hw_{h.id}", icon=":material/close:"):
            with session_scope() as session:
                practice.remove_homework(session, actor, participant_id=chosen_id, homework_id=h.id)
            st.rerun()
with st.expander("Assign a skill as homework", icon=":material/assignment_add:"):
    hw_errors = FieldErrors()
    with st.form("assign_homework", border=False):
        skill_ids = list(skills_by_id())
        hw_skill = st.selectbox("Skill", skill_ids, index=None, format_func=skills_ui.skill_label,
                                placeholder="Choose a skill", key="hw_skill")
        hw_errors.slot("skill")
        hw_due = st.date_input("Due (optional)", value=None, min_value=patient_today, format="YYYY-MM-DD", key="hw_due")
        hw_errors.slot("due_on")
        hw_note = st.text_input("Note for the participant (optional)", max_chars=300, key="hw_note")
        hw_errors.slot("note")
        assign = st.form_submit_button("Assign", type="primary", width="stretch")
    if assign:
        try:
            with session_scope() as session:
                practice.assign_homework(session, actor, participant_id=chosen_id, skill_id=hw_skill or "",
                                         due_on=hw_due, note=hw_note or "")
        except ValidationError as exc:
            hw_errors.show(exc.fields)
        else:
            st.success(f"Assigned {skills_by_id()[hw_skill].name}. It shows first in their skills library.")

st.subheader("Skills practice")
chart_widgets.show(charts.helpfulness(entries))
chart_widgets.show(charts.practice_by_module(practice.practised_per_day(entries, records)))
this_week = [e for e in entries if week_start <= e.day <= week_end]
if this_week:
    st.markdown(f"**Practice logged this week** · {len(this_week)}")
    skills_ui.practice_table(this_week)
else:
    st.caption("No practice logged in this week.")
earlier = [e for e in entries if e.day < week_start or e.day > week_end]
if earlier:
    with st.expander(f"Other practice, last 8 weeks · {len(earlier)}"):
        skills_ui.practice_table(earlier)
st.markdown(f"**Thought records, last 8 weeks** · {len(records)}")
for r in records:
    with st.expander(f"{r.day:%a %b} {r.day.day} · {md(r.situation[:50])}", expanded=week_start <= r.day <= week_end):
        skills_ui.thought_record_view(r)

st.subheader("Check-ups")
definitions = checkups.questionnaires()
for kind, history in past.items():
    if not history:
        continue
    chart_widgets.show(charts.checkup_trajectory(kind, history))
    latest = history[-1]
    with st.expander(f"Latest {definitions[kind].name} item by item ({latest.day:%b} {latest.day.day}: "
                     f"{latest.total}, {latest.band.lower()})"):
        st.dataframe([{"Item": item.text, "Answer": item.choices[answer]}
                      for item, answer in zip(definitions[kind].items, latest.answers)],
                     hide_index=True, width="stretch")

with session_scope() as session:
    connected = sharing.family_of(session, actor, chosen_id)
if connected:
    st.caption("Family connected: " + "; ".join(
        f"{md(m.name)}{f' ({md(m.relationship)})' if m.relationship else ''} sees "
        + (", ".join(sharing.CATEGORY_LABELS[c].lower() for c in m.active) or "nothing now")
        for m in connected))

st.subheader("Alerts")
with session_scope() as session:
    zone = user_zone(session, actor.id)
if not alert_history:
    st.caption("No alerts.")
for a in alert_history:
    status = f"resolved {local_time(a.resolved_at, zone)}" if a.resolved_at else "open"
    about = f" · about {a.day:%b} {a.day.day}" if a.day else ""
    st.markdown(f"**{local_time(a.opened_at, zone)}** · {Severity(a.severity).label} · {status}{about}")
    st.markdown("\n".join(f"- {md(r.text)}" for r in a.reasons) or md(a.detail))
    if a.latest:
        st.caption(md(a.latest))
    if a.acknowledgement:
        st.caption(f"{md(a.acknowledged_by or 'Acknowledged')}, {local_time(a.acknowledged_at, zone)}: {md(a.acknowledgement)}")

st.divider()


def build_zip() -> bytes:
    with session_scope() as session:
        return export.record_zip(session, actor, chosen_id)


def build_report() -> str:
    with session_scope() as session:
        return report.progress_report(session, actor, chosen_id, today)


# Built only when tapped (each is a full read of the record, audited as such).
st.download_button("Download the record (CSV files, zipped)", build_zip, file_name=f"participant-{chosen_id}-record.zip",
                   mime="application/zip", icon=":material/download:", width="stretch")
st.download_button("Printable progress report (open, then print)", build_report,
                   file_name=f"participant-{chosen_id}-progress-report.html", mime="text/html",
                   icon=":material/print:", width="stretch")
