"""Admin: the emails the app sends — where they go, what is queued, sent or failed and why, a test
button, the mail drop, the escalation window and the program's clinical leads."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.ADMIN)

from datetime import UTC, datetime

from core import clinical, notify
from core.db import session_scope
from core.errors import ValidationError
from core.notify import Kind, Status
from core.program import user_zone
from ui.forms import FieldErrors, with_limits
from ui.text import md
from ui.timefmt import local_time

st.title("Messages")
with session_scope() as session:
    view = notify.overview(session, actor)
    zone = user_zone(session, actor.id)

st.markdown(f"**Where mail goes:** {md(view.where)}")
now = datetime.now(UTC)
if view.worker_seen_at is None:
    st.warning(
        "No delivery worker has run yet, so nothing is sent. Start it with `python -m core.notify` "
        "(`make run` starts it beside the app).",
        icon=":material/warning:",
    )
elif now - view.worker_seen_at > notify.WORKER_SILENT_AFTER:
    st.warning(
        f"The delivery worker last checked in at {local_time(view.worker_seen_at, zone)}: is it running?",
        icon=":material/warning:",
    )
else:
    st.caption(f"The delivery worker checked in at {local_time(view.worker_seen_at, zone, seconds=True)}.")
if view.waiting_reason:
    st.error(
        f"Messages are waiting to be sent again. The last try said: {md(view.waiting_reason)}",
        icon=":material/schedule_send:",
    )

columns = st.columns(4)
for column, status in zip(columns, (Status.QUEUED, Status.SENT, Status.FAILED, Status.UNCERTAIN), strict=True):
    column.metric(notify.STATUS_WORDS[status].split(":")[0], view.counts.get(status.value, 0))

st.subheader("Recent messages")
if not view.rows:
    st.caption("Nothing sent yet.")
else:
    st.dataframe(
        [
            {
                "When": local_time(r.sent_at or r.created_at, zone),
                "What": Kind(r.kind).label,
                "To": r.to,
                "Status": notify.STATUS_WORDS[Status(r.status)],
                "Tries": r.attempts,
                "Next try": local_time(r.due_at, zone) if r.status == Status.QUEUED else "",
                "Why": r.reason,
            }
            for r in view.rows
        ],
        hide_index=True,
        width="stretch",
    )

stuck = [r for r in view.rows if r.status in (Status.FAILED, Status.UNCERTAIN)]
if stuck:
    again_errors = FieldErrors()
    with st.form("send_again", border=False):
        chosen = st.selectbox(
            "Send a failed or uncertain message again",
            stuck,
            format_func=lambda r: f"#{r.id} · {Kind(r.kind).label} · {r.to} · {r.status}",
        )
        again_errors.slot("message")
        st.caption(
            "An uncertain message may have arrived already: send it again only if a second copy is better than none."
        )
        if st.form_submit_button("Send again", width="stretch"):
            try:
                with session_scope() as session:
                    notify.send_again(session, actor, message_id=chosen.id)
                st.rerun()
            except ValidationError as exc:
                again_errors.show(exc.fields)

dropped = [r for r in view.rows if r.via == "maildrop"]
if dropped:
    st.subheader("Mail drop")
    st.caption("Without an SMTP server, messages are written here instead of sent. This is what each would say.")
    picked = st.selectbox("Read a message", dropped, format_func=lambda r: f"#{r.id} · {Kind(r.kind).label} · {r.to}")
    with session_scope() as session:
        text = notify.maildrop_text(session, actor, message_id=picked.id)
    if text is None:
        st.caption("That file is no longer in the mail drop folder.")
    else:
        st.code(text, language=None, wrap_lines=True)

st.subheader("Test the email settings")
TEST_RESULT = "iop_smtp_test_result"  # shown after the rerun that lists the test in the table
test_errors = FieldErrors()
with st.form("smtp_test", border=False):
    to = st.text_input(
        "Send a test email to",
        placeholder="you@example.org",  # no max_chars: it drops a paste
        key="smtp_test_to",
    )
    test_errors.slot("email")
    if st.form_submit_button("Send a test email", width="stretch", icon=":material/send:"):
        try:
            with session_scope() as session:
                result = notify.send_test(session, actor, to=to)
            st.session_state[TEST_RESULT] = (
                (True, "Sent." if result.via == "smtp" else "Written to the mail drop (no SMTP server is set).")
                if result.status == Status.SENT
                else (False, f"Not sent: {md(result.reason)}")
            )
            st.rerun()
        except ValidationError as exc:
            test_errors.show(with_limits(exc.fields, {"email": (to, notify.EMAIL_MAX)}))
if outcome := st.session_state.pop(TEST_RESULT, None):
    (st.success if outcome[0] else st.error)(outcome[1])

st.subheader("Escalation")
low, high = clinical.ESCALATION_MINUTES_RANGE
escalation_errors = FieldErrors()
with st.form("escalation", border=False):
    minutes = st.number_input(
        "If nobody acknowledges an urgent alert within … minutes of telling the therapist, tell the clinical lead",
        min_value=low,
        max_value=high,
        value=view.escalation_minutes,
        step=5,
        key="escalation_minutes",
    )
    escalation_errors.slot("minutes")
    if st.form_submit_button("Save window", width="stretch"):
        try:
            with session_scope() as session:
                notify.set_escalation_minutes(session, actor, int(minutes))
            st.success(f"Urgent alerts now escalate after {int(minutes)} minutes.")
        except ValidationError as exc:
            escalation_errors.show(exc.fields)
names = {tid: name for tid, name, _ in view.therapists}
lead_errors = FieldErrors()
with st.form("leads", border=False):
    leads = st.multiselect(
        "Clinical leads (therapists told when an urgent alert waits)",
        list(names),
        default=[tid for tid, _, lead in view.therapists if lead],
        format_func=names.get,
        key="clinical_leads",
    )
    lead_errors.slot("leads")
    if not any(lead for *_, lead in view.therapists):
        st.caption(":orange[No clinical lead is named: urgent alerts can't escalate to anyone.]")
    if st.form_submit_button("Save clinical leads", width="stretch"):
        try:
            with session_scope() as session:
                notify.set_clinical_leads(session, actor, leads)
            st.rerun()
        except ValidationError as exc:
            lead_errors.show(exc.fields)
