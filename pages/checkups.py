"""Participant: this week's check-ups (PHQ-9, GAD-7, craving), scored in plain words."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.PARTICIPANT)

from core import checkups  # noqa: E402 - the guard comes first
from core.db import session_scope  # noqa: E402
from core.errors import ValidationError  # noqa: E402
from ui import checkups as view  # noqa: E402
from ui import risk  # noqa: E402
from ui.forms import FieldErrors  # noqa: E402

st.title("Check-ups")
definitions = checkups.questionnaires()
with session_scope() as session:
    schedule = checkups.statuses(session, actor, actor.id)
    past = {s.kind: checkups.history(session, actor, actor.id, s.kind) for s in schedule}

due = [s for s in schedule if s.is_due]
if not due:
    st.success("You're up to date. Thank you — these help you and your therapist see how things move.")
for status in schedule:
    if not status.is_due and status.next_day:
        st.caption(f"{definitions[status.kind].title}: next one on {status.next_day:%A, %B} {status.next_day.day}.")

if due:
    chosen = st.segmented_control("Ready for you", [s.kind for s in due], default=due[0].kind,
                                  format_func=lambda k: definitions[k].name, key="checkup_kind",
                                  width="stretch") or due[0].kind
    q = definitions[chosen]
    status = next(s for s in due if s.kind == chosen)
    st.subheader(q.title)
    if status.extra_request_id:
        st.caption("Your therapist asked for this extra one.")
    elif status.late:
        st.caption("This one is a day or two late — that's fine, thank you for doing it.")
    errors = FieldErrors()
    submitted = view.form(q, errors)
    if submitted is not None:
        answers, function_answer = submitted
        try:
            with session_scope() as session:
                outcome = checkups.submit(session, actor, participant_id=actor.id, kind=chosen,
                                          answers=answers, function_answer=function_answer)
        except ValidationError as exc:
            errors.show(exc.fields)
            st.error("Some answers are missing — they're marked above. Your other answers are kept.")
        else:
            if outcome.risks:
                risk.risk_panel(actor, outcome.risks)
            view.result(q, outcome)
            with session_scope() as session:
                past[chosen] = checkups.history(session, actor, actor.id, chosen)

st.divider()
st.subheader("So far")
for status in schedule:
    view.trend(definitions[status.kind], past[status.kind])
if not any(past.values()):
    st.caption("Your scores will show here after your first check-up.")
