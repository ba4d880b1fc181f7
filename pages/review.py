"""Therapist: one participant's week for session prep — the card grid with notes, charts,
attendance, homework, practice, check-up items, family sharing, alerts, and the record to take away.
Everything shown comes from one read, `core.review.review_of`; this page lays it out."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.THERAPIST)

from core import attendance, charts, checkups, diary, export, fhir, practice, report, review, screeners, sharing
from core.clinical import HOMEWORK_NOTE_MAX, Severity, screeners_in_words
from core.db import session_scope
from core.errors import AccessDenied, ValidationError
from core.skills import skills_by_id
from ui import aftercare as aftercare_ui
from ui import charts as chart_widgets
from ui import goals as goals_ui
from ui import recovery as recovery_ui
from ui import review as review_ui
from ui import skills as skills_ui
from ui.diary import week_grid
from ui.forms import FieldErrors, with_limits
from ui.i18n import answered_in
from ui.text import md
from ui.timefmt import local_time

SPAN = f"last {review.REVIEW_WEEKS} weeks"

st.title("Participant review")
with session_scope() as session:
    desk = review.desk(session, actor)
if not desk.caseload:
    st.info("No participants are assigned to you yet.")
    st.stop()

# ?p=<id> opens one participant directly; the gate in core refuses (and audits) anyone else's,
# an id that doesn't exist and one that isn't a number alike, and the picker stays on screen.
wanted = st.query_params.get("p")
ids = [p.id for p in desk.caseload]
requested = (
    int(wanted) if wanted and wanted.isascii() and wanted.isdecimal() and len(wanted) <= 12 else 0 if wanted else ids[0]
)
person = st.selectbox(
    "Participant",
    desk.caseload,
    index=ids.index(requested) if requested in ids else None,
    format_func=lambda p: p.name,
    placeholder="Choose a participant",
)
if person is not None:
    st.query_params["p"] = str(person.id)
chosen_id = person.id if person is not None else requested

# ?day=<date> (an alert's link) opens the week around that day.
alert_day = diary.parse_day(st.query_params.get("day"), latest=desk.today)
week_start = st.date_input("Week starting", value=desk.week_start(alert_day), max_value=desk.today, format="YYYY-MM-DD")
try:
    with session_scope() as session:
        r = review.review_of(session, actor, participant_id=chosen_id, week_start=week_start, today=desk.today)
except AccessDenied:
    st.warning(
        "You don't have access to that record: choose one of your participants above. The attempt has been recorded."
    )
    st.stop()

if r.closed and r.standing is not None and r.standing.discharged_on is not None:
    gone = r.standing.discharged_on
    st.info(
        f"{md(person.name) if person is not None else 'This participant'} was discharged on "
        f"{gone:%b} {gone.day}, {gone.year} ({r.standing.label.removeprefix('Discharged · ').lower()}): "
        "the record is closed for additions; alerts can still be closed.",
        icon=":material/lock:",
    )

st.subheader("The week's card")
if r.week:
    st.html(week_grid(r.week, r.week_start, r.targets, craving_on=r.craving_on))
    if in_spanish := [c for c in r.week if answered_in(c.language)]:
        st.caption("Filled in in Spanish: " + ", ".join(f"{c.day:%a %b} {c.day.day}" for c in in_spanish))
    for card in r.week:
        if card.note:
            language = f" · {answered_in(card.language)}" if answered_in(card.language) else ""
            st.markdown(f"**{card.day:%a %b} {card.day.day}**{language}")
            st.text(card.note)
else:
    st.info("No diary cards in this week.")

chart_widgets.chart(charts.mood, r.cards, owner=r.participant_id)
chart_widgets.chart(charts.urges_acted_skills, r.cards, r.target_labels, owner=r.participant_id)
chart_widgets.emotions(r.cards, key="review_emotions", owner=r.participant_id)
chart_widgets.chart(charts.skills_by_module, r.cards, owner=r.participant_id)
chart_widgets.chart(charts.adherence, r.cards, r.since, r.today, owner=r.participant_id)
chart_widgets.chart(charts.medication, r.cards, owner=r.participant_id)
chart_widgets.chart(charts.sleep, r.cards, owner=r.participant_id)

st.subheader("Attendance")
st.write(attendance.summary(r.attendance, period=f"in the {SPAN}"))
if r.attendance:
    with st.expander("Sessions, newest first"):
        st.markdown("\n".join(f"- {s.describe()}" for s in r.attendance))

st.subheader("Treatment-plan goals")
if r.goals:
    goals_ui.progress_chart(r.goals, r.goal_ratings)
else:
    st.caption(
        "No goals on the plan."
        if r.closed
        else "No goals on the plan yet: agree on 1 to 5 with the participant and write them here."
    )
# Each editor is one tap away (ui/review.py): most reruns of Review read, and build no form.
if not r.closed and review_ui.opened(
    "goals",
    r.participant_id,
    "Change the goals" if r.goals else "Write the goals",
    icon=":material/flag:",
    prefix=f"goals_{r.participant_id}_",
):
    with st.container(border=True):
        goals_ui.editor(actor, r.participant_id, r.goals)
        review_ui.close_button("goals", r.participant_id, "Close the goals without saving")

st.subheader("Relapse-prevention and aftercare plan")
aftercare_ui.show(r.aftercare, empty="No aftercare plan yet: build it with them before the program ends.")
if not r.closed and review_ui.opened(
    "aftercare",
    r.participant_id,
    "Build or change the aftercare plan",
    icon=":material/route:",
    prefix=f"aftercare_{r.participant_id}_",
):
    with st.container(border=True):
        aftercare_ui.editor(actor, r.participant_id, r.aftercare, key=f"aftercare_{r.participant_id}", zone=desk.zone)
        review_ui.close_button("aftercare", r.participant_id, "Close the aftercare plan without saving")

st.subheader("Homework")
if not r.homework:
    st.caption("No homework set.")
for h in r.homework:
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        st.markdown(
            f"**{md(h.skill_name)}** · {h.status(r.participant_today)}" + (f"  \n{md(h.note)}" if h.note else "")
        )
        if not h.done and not r.closed and st.button("Remove", key=f"remove_hw_{h.id}", icon=":material/close:"):
            try:
                with session_scope() as session:
                    practice.remove_homework(session, actor, participant_id=chosen_id, homework_id=h.id)
            except ValidationError as exc:  # (done, or gone, since the page was drawn)
                st.warning(" ".join(exc.fields.values()))
            else:
                st.rerun()
if not r.closed and review_ui.opened(
    "homework", r.participant_id, "Assign a skill as homework", icon=":material/assignment_add:", prefix="hw_"
):
    with st.container(border=True):
        hw_errors = FieldErrors()
        with st.form("assign_homework", border=False):
            hw_skill = st.selectbox(
                "Skill",
                list(skills_by_id()),
                index=None,
                format_func=skills_ui.skill_label,
                placeholder="Choose a skill",
                key="hw_skill",
            )
            hw_errors.slot("skill")
            hw_due = st.date_input(
                "Due (optional)", value=None, min_value=r.participant_today, format="YYYY-MM-DD", key="hw_due"
            )
            hw_errors.slot("due_on")
            # No max_chars: a browser given more than max_chars (a paste) keeps nothing at all.
            hw_note = st.text_input("Note for the participant (optional)", key="hw_note")
            hw_errors.slot("note")
            assign = st.form_submit_button("Assign", type="primary", width="stretch")
        if assign:
            try:
                with session_scope() as session:
                    practice.assign_homework(
                        session,
                        actor,
                        participant_id=chosen_id,
                        skill_id=hw_skill or "",
                        due_on=hw_due,
                        note=hw_note or "",
                    )
            except ValidationError as exc:
                hw_errors.show(with_limits(exc.fields, {"note": (hw_note, HOMEWORK_NOTE_MAX)}))
            else:
                st.success(f"Assigned {skills_by_id()[hw_skill].name}. It shows first in their skills library.")
        review_ui.close_button("homework", r.participant_id, "Close without assigning")

st.subheader("Skills practice")
chart_widgets.chart(charts.helpfulness, r.practice, owner=r.participant_id)
chart_widgets.chart(
    charts.practice_by_module, practice.practised_per_day(r.practice, r.thought_records), owner=r.participant_id
)
if r.practice_this_week:
    st.markdown(f"**Practice logged this week** · {len(r.practice_this_week)}")
    skills_ui.practice_table(r.practice_this_week)
else:
    st.caption("No practice logged in this week.")
if r.practice_other_weeks:
    with st.expander(f"Other practice, {SPAN} · {len(r.practice_other_weeks)}"):
        skills_ui.practice_table(r.practice_other_weeks)
st.markdown(f"**Thought records, {SPAN}** · {len(r.thought_records)}")
for t in r.thought_records:
    with st.expander(f"{t.day:%a %b} {t.day.day} · {md(t.situation[:50])}", expanded=r.in_week(t.day)):
        skills_ui.thought_record_view(t)

st.subheader("Check-ups")
definitions = checkups.questionnaires()
for kind, history in r.checkups.items():
    if not history:
        continue
    chart_widgets.chart(charts.checkup_trajectory, kind, history, owner=r.participant_id)
    latest = history[-1]
    language = f", {answered_in(latest.language)}" if answered_in(latest.language) else ""
    review_ui.item_by_item(
        f"Latest {definitions[kind].name} item by item ({latest.day:%b} {latest.day.day}: "
        f"{latest.total}, {latest.band.lower()}{language})",
        key=f"review_items_{kind}",
        records=[
            {"Item": item.text, "Answer": item.choices[answer]}
            for item, answer in zip(definitions[kind].items, latest.answers, strict=False)
        ],
        note="The participant answered the official Spanish version; its items are shown here in English."
        if language
        else "",
    )

if r.screeners:
    st.subheader("Substance-use screeners")
    st.caption(
        f"{screeners_in_words()} "
        "Taken at intake and when you ask (at discharge, say). Part 2 data: never shown to family."
    )
    screener_defs = screeners.screeners()
    for kind, history in r.screeners.items():
        if history:
            chart_widgets.chart(charts.checkup_trajectory, kind, history, owner=r.participant_id)
            latest = history[-1]
            review_ui.item_by_item(
                f"Latest {screener_defs[kind].name} item by item ({latest.day:%b} {latest.day.day}: "
                f"{latest.total}, {latest.band.lower()})",
                key=f"review_items_{kind}",
                records=[
                    {"Item": item.text, "Answer": item.choices[answer]}
                    for item, answer in zip(screener_defs[kind].items, latest.answers, strict=False)
                ],
            )
        else:
            st.caption(f"{screener_defs[kind].name}: not taken yet (it is offered at intake).")
        if not r.closed and st.button(
            f"Ask for the {screener_defs[kind].name} again",
            key=f"ask_screener_{kind}",
            width="stretch",
            disabled=not history,
        ):
            try:
                with session_scope() as session:
                    screeners.request(session, actor, participant_id=r.participant_id, kind=kind)
                st.success(f"It shows on their Check-ups screen now: {screener_defs[kind].name}.")
            except ValidationError as exc:
                st.error(str(exc))

if r.family:
    st.caption(
        "Family connected: "
        + "; ".join(
            f"{md(m.name)}{f' ({md(m.relationship)})' if m.relationship else ''} sees "
            + (", ".join(sharing.CATEGORY_LABELS[c].lower() for c in m.active) or "nothing now")
            for m in r.family
        )
    )

if r.recovery is not None:
    recovery_ui.review_section(r.recovery)

st.subheader("Alerts")
if not r.alerts:
    st.caption("No alerts.")
for a in r.alerts:
    status = f"resolved {local_time(a.resolved_at, desk.zone)}" if a.resolved_at else "open"
    about = f" · about {a.day:%b} {a.day.day}" if a.day else ""
    st.markdown(f"**{local_time(a.opened_at, desk.zone)}** · {Severity(a.severity).label} · {status}{about}")
    st.markdown("\n".join(f"- {md(reason.text)}" for reason in a.reasons) or md(a.detail))
    if a.latest:
        st.caption(md(a.latest))
    if a.acknowledgement:
        st.caption(
            f"{md(a.acknowledged_by or 'Acknowledged')}, {local_time(a.acknowledged_at, desk.zone)}: "
            f"{md(a.acknowledgement)}"
        )
    for notice in r.notices.get(a.id, []):
        st.caption(
            f":material/mail: {md(notice.words)}, {local_time(notice.at, desk.zone)}"
            + (f" — {md(notice.reason)}" if notice.reason and notice.status != "sent" else "")
        )

st.divider()


def record_zip() -> bytes:
    with session_scope() as session:
        return export.record_zip(session, actor, chosen_id)


def handoff() -> str:
    with session_scope() as session:
        return fhir.handoff_json(session, actor, chosen_id)


def progress_report() -> str:
    with session_scope() as session:
        return report.progress_report(session, actor, chosen_id, desk.today)


# Built only when tapped (each is a full read of the record, audited as such).
st.download_button(
    "Download the record (CSV files, zipped)",
    record_zip,
    file_name=f"participant-{chosen_id}-record.zip",
    mime="application/zip",
    icon=":material/download:",
    width="stretch",
)
st.download_button(
    "Discharge hand-off for the next provider (FHIR R4 JSON)",
    handoff,
    file_name=f"participant-{chosen_id}-handoff.fhir.json",
    mime=fhir.MEDIA_TYPE,
    icon=":material/forward_to_inbox:",
    width="stretch",
    help="Name, PHQ-9/GAD-7 check-ups with LOINC codes, goals and the aftercare plan; no notes, no substance-use data.",
)
if r.craving_on:
    st.caption(
        "Left out of the hand-off: the medication plan and mutual-help meetings (substance-use treatment, "
        "42 CFR Part 2) — sharing them needs its own Part 2 consent."
    )
st.download_button(
    "Printable progress report (open, then print)",
    progress_report,
    file_name=f"participant-{chosen_id}-progress-report.html",
    mime="text/html",
    icon=":material/print:",
    width="stretch",
)
