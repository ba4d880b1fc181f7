"""What a participant sees the moment something they entered opens (or updates) a risk alert.

The crisis response must be seen, not scrolled to: it opens as a dialog over the screen, crisis
lines first, and stays as a panel at the top of the page (placed by the page) until the person
closes it. The dialog is reopened on every rerun of the page until it is dismissed, so a rerun
for any other reason never hides it.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core import alerts, clinical, safety
from core.access import Actor
from core.alerts import RiskOutcome
from core.db import session_scope
from core.errors import ValidationError
from core.program import NOT_MONITORED, crisis_resources_for
from ui import crisis
from ui import safety as plan_ui
from ui.i18n import N_, _, current

PENDING = "iop_risk_pending"
HEADING = N_("You don't have to get through this alone")
THERAPIST_WORDS = {
    alerts.OPENED: N_("Your therapist has been sent an alert and will follow up with you."),
    alerts.ESCALATED: N_("Your therapist has been sent a new alert and will follow up with you."),
    alerts.UPDATED: N_("Your therapist's alert has been updated with what you shared."),
    alerts.SEEN: N_(
        "Your therapist has already followed up on what you shared for this day. If things feel "
        "worse now, reach someone above."
    ),
}


def respond(actor: Actor, outcome: RiskOutcome, *, page: str) -> None:
    """Call after a save: remember the risk response for this page (or clear it when there is none)."""
    if outcome.risky:
        st.session_state[PENDING] = {"page": page, "outcome": outcome, "dialog": True}
    elif st.session_state.get(PENDING, {}).get("page") == page:
        st.session_state.pop(PENDING)


def show_pending(actor: Actor, place, *, page: str) -> bool:
    """Draw the pending risk response for `page` into `place` (the top of the page), and the
    dialog until it is closed. Returns whether there was one."""
    pending = st.session_state.get(PENDING)
    if not pending or pending["page"] != page:
        return False
    outcome: RiskOutcome = pending["outcome"]
    with place:
        with st.container(border=True, key="risk_panel"):
            _response(actor, outcome, key=f"{page}_panel")
            if st.button(_("Hide this"), key=f"{page}_hide_risk", icon=":material/close:"):
                st.session_state.pop(PENDING, None)
                st.rerun()
    if pending.get("dialog"):
        _dialog(actor, outcome, page)
    pending["drawn"] = True  # (a response set since, by `respond`, is a new one: not drawn yet)
    return True


def waiting(page: str) -> bool:
    """Whether a risk response for `page` is waiting to be drawn: set by a save, but the run that was
    to draw it (at the end of the page) ended first (a tap preempts the run in progress). A run of a
    fragment alone cannot draw it (it is drawn at the top of the page), so it asks for the whole page."""
    pending = st.session_state.get(PENDING)
    return bool(pending) and pending.get("page") == page and not pending.get("drawn")


def _close_dialog() -> None:
    if st.session_state.get(PENDING):
        st.session_state[PENDING]["dialog"] = False


def _dialog(actor: Actor, outcome: RiskOutcome, page: str) -> None:
    """The dialog, titled in the reader's language: a title given to `st.dialog` at import time would
    stay in the language of whoever opened the first page after the server started."""
    language = current()
    if language not in _DIALOGS:
        _DIALOGS[language] = st.dialog(_(HEADING), width="small", on_dismiss=_close_dialog)(_dialog_body)
    _DIALOGS[language](actor, outcome, page)


_DIALOGS: dict[str, Callable[[Actor, RiskOutcome, str], None]] = {}


def _dialog_body(actor: Actor, outcome: RiskOutcome, page: str) -> None:
    with st.container(key="risk_dialog"):
        _response(actor, outcome, key=f"{page}_dialog", heading=False)
        if st.button(_("Close"), key=f"{page}_close_risk", width="stretch"):
            _close_dialog()
            st.rerun()


def _response(actor: Actor, outcome: RiskOutcome, *, key: str, heading: bool = True) -> None:
    """Crisis lines first, then what happens next, the safety plan, and the optional questions."""
    if heading:
        st.subheader(_(HEADING))
    st.markdown(_("**What you shared matters. If you might act on these thoughts, reach someone now:**"))
    crisis.resource_list(actor.program_id)
    st.warning(_(NOT_MONITORED), icon=":material/schedule:")
    st.write(_(THERAPIST_WORDS.get(outcome.state, THERAPIST_WORDS[alerts.OPENED])))
    if outcome.followup and outcome.alert_id:
        followup_offer(actor, outcome.alert_id, key=key)
    st.markdown(_("**Your safety plan** — work through it, one step at a time:"))
    st.page_link("pages/safety_plan.py", label=_("Open my safety plan"), icon=":material/health_and_safety:")
    with session_scope() as session:
        plan = safety.current_plan(session, actor, actor.id)
        resources = crisis_resources_for(session, actor.program_id)
    plan_ui.show(plan, resources)


def followup_offer(actor: Actor, alert_id: int, *, key: str) -> None:
    """Six short yes/no questions for the therapist, offered and never required."""
    done = st.session_state.get(f"followup_done_{alert_id}")
    if done:
        st.success(_("Sent to your therapist. {done}").format(done=_(done)), icon=":material/check_circle:")
        return
    with st.expander(_("Six short questions for your therapist (optional)"), icon=":material/quiz:"):
        st.caption(
            _(
                "You can skip these. Your answers help your therapist know how best to help; they are not "
                "read in real time."
            )
        )
        answers: dict[str, bool | None] = {}
        for question_key, question in clinical.FOLLOWUP_QUESTIONS:
            if question_key in clinical.FOLLOWUP_AFTER_THOUGHTS and answers.get("thoughts") is not True:
                continue
            choice = st.radio(
                _(question),
                ["Yes", "No"],  # the answers' values; shown in the reader's language
                index=None,
                horizontal=True,
                format_func=_,
                key=f"{key}_fu_{alert_id}_{question_key}",
            )
            answers[question_key] = None if choice is None else choice == "Yes"
        message = st.empty()
        if st.button(_("Send to my therapist"), key=f"{key}_fu_send_{alert_id}", type="primary", width="stretch"):
            try:
                with session_scope() as session:
                    saved = alerts.save_followup(
                        session, actor, participant_id=actor.id, alert_id=alert_id, answers=answers
                    )
            except ValidationError:
                message.error(_("Please answer each question shown with yes or no — or skip them all."))
                return
            if saved.level is clinical.RiskLevel.HIGH:
                words = N_("Please don't wait: call or text one of the lines above now.")
            else:
                words = N_("Thank you for answering.")
            st.session_state[f"followup_done_{alert_id}"] = words
            st.rerun()
