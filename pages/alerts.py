"""Therapist: open alerts across my caseload, grouped by person — what triggered each, the card's
note, any follow-up answers — acknowledged together with one note, then resolved."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.THERAPIST)

from core import alerts, notify
from core.clinical import Severity
from core.db import session_scope
from core.errors import ValidationError
from core.program import user_today, user_zone
from ui.forms import with_limits
from ui.text import md
from ui.timefmt import local_time

SEVERITY = {Severity.URGENT: ":red[**Urgent**]", Severity.SAME_DAY: ":orange[**Today**]", Severity.REVIEW: "**Review**"}

st.title("Alerts")
with session_scope() as session:
    items = alerts.inbox(session, actor, today=user_today(session, actor.id))
    zone = user_zone(session, actor.id)
    notices = notify.alert_notices(session, actor, [i.id for i in items])  # who was emailed, escalations
if not items:
    st.success("No open alerts on your caseload.")
st.caption(
    "Alerts stay here until resolved. The participant was shown the crisis lines and their safety plan "
    f"when a risk alert opened; the app told them it is not watched in real time. Times are {zone.key}."
)

people: dict[int, list[alerts.InboxItem]] = {}
for item in items:  # most urgent person first: the inbox is already in that order
    people.setdefault(item.participant_id, []).append(item)


def show(item: alerts.InboxItem) -> None:
    opened = local_time(item.opened_at, zone)
    changed = f" · updated {local_time(item.updated_at, zone)}" if item.updated_at else ""
    escalated = " · :red[rose after an earlier alert]" if item.escalated else ""
    st.markdown(f"{SEVERITY[item.severity]} · opened {opened}{changed}{escalated}")
    st.markdown("\n".join(f"- {md(r.text)}" for r in item.reasons) or md(item.detail))
    if item.latest:
        st.caption(md(item.latest))
    for notice in notices.get(item.id, []):
        st.caption(
            f":material/mail: {md(notice.words)}, {local_time(notice.at, zone)}"
            + (f" — {md(notice.reason)}" if notice.reason and notice.status != "sent" else "")
        )
    if item.note:
        st.markdown("**Their note on that card:**")
        st.text(item.note)
    if item.followup:
        answers = "; ".join(
            f"{q}: {'yes' if a else 'no' if a is False else 'not asked'}" for q, a in item.followup.answers
        )
        st.markdown(
            f"**Follow-up questions, {local_time(item.followup.taken_at, zone)}: "
            f"{item.followup.level} risk**  \n{md(answers)}"
        )
    if item.day:
        st.page_link(
            "pages/review.py",
            label=f"Open their review at {item.day:%a %b} {item.day.day}",
            query_params={"p": str(item.participant_id), "day": item.day.isoformat()},
            icon=":material/open_in_new:",
        )


for participant_id, group in people.items():
    with st.container(border=True, key=f"alerts_of_{participant_id}"):
        st.subheader(f"{md(group[0].participant)} · {len(group)} open")
        for item in group:
            with st.container(border=False, key=f"alert_{item.id}"):
                show(item)
                if item.acknowledged_at is not None:
                    st.caption(
                        f"Acknowledged by {md(item.acknowledged_by or 'your team')} at "
                        f"{local_time(item.acknowledged_at, zone)}:"
                    )
                    st.text(item.acknowledgement)
                    if st.button("Resolve", key=f"resolve_{item.id}", width="stretch"):
                        with session_scope() as session:
                            alerts.resolve(session, actor, alert_id=item.id)
                        st.rerun()
            st.divider()
        waiting = [i for i in group if i.acknowledged_at is None]
        if not waiting:
            continue
        # What the therapist read: the alerts as the run before this one drew them (a submit's run reads
        # the inbox afresh, so this run's read would acknowledge answers that came in after they read it).
        shown_key = f"ack_seen_{participant_id}"
        shown = st.session_state.get(shown_key) or {i.id: i.updated_at for i in waiting}
        st.session_state[shown_key] = {i.id: i.updated_at for i in waiting}
        with st.form(f"ack_{participant_id}", clear_on_submit=False, border=False):
            chosen = (
                [i.id for i in waiting]
                if len(waiting) == 1
                else [
                    i.id
                    for i in waiting
                    if st.checkbox(
                        f"{i.severity.label}: {md(i.reasons[0].text if i.reasons else i.detail)}",
                        value=True,
                        key=f"pick_{i.id}",
                    )
                ]
            )
            note = st.text_area(
                "What did you do? (required — recorded on each alert you acknowledge)",
                key=f"note_{participant_id}",  # no max_chars: it drops a long paste
                placeholder="e.g. Called them at 6:10 pm; reviewed the safety plan; follow-up in group tomorrow.",
            )
            message = st.empty()
            label = "Acknowledge" if len(waiting) == 1 else "Acknowledge the ticked alerts"
            if st.form_submit_button(label, type="primary", width="stretch"):
                try:
                    if any(i not in shown for i in chosen):  # came in after the page they read was drawn
                        raise ValidationError.one("alert", alerts.CHANGED_SINCE_READ)
                    with session_scope() as session:
                        alerts.acknowledge_many(
                            session, actor, alert_ids=chosen, note=note, seen={i: shown[i] for i in chosen}
                        )
                    st.rerun()
                except ValidationError as exc:
                    message.error(" ".join(with_limits(exc.fields, {"note": (note, alerts.ACK_NOTE_MAX)}).values()))
