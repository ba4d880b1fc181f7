"""Participant: this week's check-ups (PHQ-9, GAD-7, craving) and, in substance-use programs, the
AUDIT-C and DAST-10 screeners (at intake and when the therapist asks), scored in plain words."""

import streamlit as st

from core.models import Role
from ui import auth
from ui.i18n import _, current, long_day

actor = auth.guard(Role.PARTICIPANT)

from core import alerts, checkups, screeners
from core.db import session_scope
from core.errors import ValidationError
from ui import checkups as view
from ui import risk
from ui.forms import FieldErrors

st.title(_("Check-ups"))
top = st.container()  # a crisis response, when there is one, is drawn here: first on the screen
language = current()
definitions = {**checkups.questionnaires(language), **screeners.screeners()}  # the screeners are English-only
with session_scope() as session:
    schedule = checkups.statuses(session, actor, actor.id)
    past = {s.kind: checkups.history(session, actor, actor.id, s.kind) for s in schedule}
    screens = screeners.statuses(session, actor, actor.id)  # empty outside substance-use programs
    if screens:
        past.update(screeners.histories(session, actor, actor.id))
schedule = schedule + screens

due = [s for s in schedule if s.is_due]
done = st.session_state.get("checkup_done")  # the result just saved, shown until they go on
# A form sent from a tab drawn before the same check-up was saved elsewhere (another tab, another phone) is
# drawn once more, so its answers reach core: it saves nothing twice but routes a PHQ-9 item 9 all the same.
# (While a result is shown, the form is not on screen: a tap then is a double tap of the one just saved.)
sent = None if done else next((s for s in schedule if not s.is_due and st.session_state.get(f"submit_{s.kind}")), None)
if done:
    q = definitions[done["kind"]]
    st.subheader(q.title)
    if done["kind"] in screeners.KINDS:
        view.screener_result(q, done["outcome"])
    else:
        view.result(q, done["outcome"])
    if due:  # the form is gone, so a second tap cannot start the next questionnaire unseen
        following = _(definitions[due[0].kind].name)
        if st.button(
            _("Next: {following}").format(following=following),
            type="primary",
            width="stretch",
            key="checkup_next",
            icon=":material/arrow_forward:",
        ):
            st.session_state.pop("checkup_done", None)
            st.rerun()
    else:
        st.success(
            _("That's every check-up for now. Thank you — these help you and your therapist see how things move."),
            icon=":material/check_circle:",
        )
        if st.button(_("Done"), width="stretch", key="checkup_finished"):
            st.session_state.pop("checkup_done", None)
            st.rerun()
elif not due and not sent:
    st.success(_("You're up to date. Thank you — these help you and your therapist see how things move."))
for status in schedule:
    if not status.is_due and status.next_day and not done:
        st.caption(
            _("{title}: next one on {day}.").format(title=definitions[status.kind].title, day=long_day(status.next_day))
        )

if sent or (due and not done):
    if sent:
        chosen = sent.kind
    else:
        chosen = (
            st.segmented_control(
                _("Ready for you"),
                [s.kind for s in due],
                default=due[0].kind,
                format_func=lambda k: _(definitions[k].name),
                key="checkup_kind",
                width="stretch",
            )
            or due[0].kind
        )
    q = definitions[chosen]
    status = sent or next(s for s in due if s.kind == chosen)
    st.subheader(q.title)
    if status.extra_request_id:
        st.caption(_("Your therapist asked for this extra one."))
    elif status.late:
        st.caption(_("This one is a day or two late — that's fine, thank you for doing it."))
    elif chosen in screeners.KINDS:
        st.caption(
            _("Once at the start, and again only when your therapist asks. Your answers go to your care team only.")
        )
    view.english_only_note(chosen, language)
    errors = FieldErrors()
    submitted = view.form(q, errors)
    refused = None
    if submitted is not None:
        answers, function_answer = submitted
        try:
            with session_scope() as session:
                if chosen in screeners.KINDS:
                    outcome = screeners.submit(session, actor, participant_id=actor.id, kind=chosen, answers=answers)
                else:
                    outcome = checkups.submit(
                        session,
                        actor,
                        participant_id=actor.id,
                        kind=chosen,
                        answers=answers,
                        function_answer=function_answer,
                        language=language,
                    )
        except ValidationError as exc:
            risk.respond(actor, alerts.risk_of(exc), page="checkups")  # item 9 is routed all the same
            refused = exc.fields.get("kind")  # saved already: nothing to mark on the form, nothing to keep
            if refused is None:
                st.session_state[f"checkup_errors_{chosen}"] = exc.fields  # kept after the crisis dialog closes
        else:
            st.session_state.pop(f"checkup_errors_{chosen}", None)
            if chosen not in screeners.KINDS:  # (the screeners carry no crisis item)
                risk.respond(actor, outcome.risk, page="checkups")
            st.session_state["checkup_done"] = {"kind": chosen, "outcome": outcome}
            st.rerun()  # the result in place of the form, then "Next"
    if refused:
        st.warning(refused, icon=":material/info:")
    elif f"checkup_errors_{chosen}" in st.session_state:
        errors.show(st.session_state[f"checkup_errors_{chosen}"])
        st.error(_("Some answers are missing — they're marked above. Your other answers are kept."))

st.divider()
st.subheader(_("So far"))
for status in schedule:
    view.trend(definitions[status.kind], past[status.kind])
if not any(past.values()):
    st.caption(_("Your scores will show here after your first check-up."))
risk.show_pending(actor, top, page="checkups")
