"""The coping tools that work on the page — paced breathing, grounding, urge surfing, the thought
record — and the practice log they save to (also used on its own: Practice, a skill's page).
Rules and storage live in core.practice and core.skills; the library's screens are ui.skills."""

from __future__ import annotations

import math
import time

import streamlit as st

from core import alerts, clinical, practice, recovery
from core.access import Actor
from core.db import session_scope
from core.enrolment import Use
from core.errors import ValidationError
from core.practice import PracticeInput, PracticeView, ThoughtInput
from core.skills import TOOLS, skill_for_tool, skills_by_id
from ui import animation, crisis, nav, risk
from ui import recovery as recovery_ui
from ui.forms import FieldErrors, with_limits
from ui.i18n import N_, _, current, skill_name

SCALE_0_10 = list(range(clinical.DISTRESS_MIN, clinical.DISTRESS_MAX + 1))


def _show_flash(key: str) -> dict | None:
    """What the last save of this form said, shown once where the form is."""
    saved = st.session_state.pop(f"{key}_flash", None)
    if saved:
        st.success(saved["message"], icon=":material/check_circle:")
    return saved


def _entry_key(key: str, existing_key: str | None = None) -> str:
    """The form's saving key: fixed for an existing entry, made once for a new one."""
    if existing_key:
        return existing_key
    return st.session_state.setdefault(f"{key}_entry", practice.new_entry_key())


def _form_done(key: str, message: str, *, reset: str | None = None, **extra) -> None:
    """After a save: a fresh form (a new entry), the message shown once, a tool started over."""
    st.session_state.pop(f"{key}_entry", None)
    st.session_state[f"{key}_flash"] = {"message": message, **extra}
    if reset:
        st.session_state.pop(reset, None)
    st.rerun()


def _refused_with_risk(actor: Actor, exc: ValidationError, *, key: str, place, drawn: bool) -> None:
    """A save refused for a field, whose words core screened all the same: the crisis response at the
    top of the form now, in this run (a response drawn there already stays; the new one follows it)."""
    outcome = alerts.risk_of(exc)
    if outcome.risky:
        risk.respond(actor, outcome, page=key)
        if not drawn:
            risk.show_pending(actor, place, page=key)


# --- practice log ----------------------------------------------------------------------------


def skill_label(skill_id: str) -> str:
    s = skills_by_id(current())[skill_id]
    return f"{s.name} · {s.module_name}"


def practice_form(
    actor: Actor,
    *,
    key: str,
    skill_id: str | None = None,
    existing: PracticeView | None = None,
    tool: str = "",
    before: int | None = None,
    after: int | None = None,
    reset: str | None = None,
) -> None:
    """Log a practice (or change one from today). Keeps what was typed if it can't be saved.

    `reset` names a tool's state to clear once saved, so the tool starts over.
    """
    if not nav.remaining(actor).may(Use.WRITE):  # discharged: the tool is theirs, the log has closed
        st.caption(_("Your program has ended, so practice is no longer logged. The tool is still yours to use."))
        return
    saved_before = _show_flash(key)
    place = st.container()
    drawn = risk.show_pending(actor, place, page=key)  # crisis words in what was just saved
    if saved_before:
        still_strong_help(actor, saved_before.get("after") if saved_before.get("tool") == "urge_surfing" else None)
    start = existing.as_input() if existing else PracticeInput(skill_id or "", before, after, tool=tool)
    entry_key = _entry_key(key, existing.entry_key if existing else None)
    k = f"{key}_{entry_key[:8]}"
    errors = FieldErrors()
    with st.form(f"practice_{k}", border=False):
        chosen = start.skill_id
        if skill_id is None:
            ids = list(skills_by_id(current()))
            chosen = st.selectbox(
                _("Skill"),
                ids,
                index=ids.index(start.skill_id) if start.skill_id in ids else None,
                format_func=skill_label,
                placeholder=_("Choose a skill"),
                key=f"skill_{k}",
            )
            errors.slot("skill")
        # No max_chars anywhere here: a browser given more than max_chars (a paste) keeps nothing.
        # Whatever is typed stays, and a refused save says how much to cut (ui.forms.with_limits).
        situation = st.text_input(
            _("Situation (a few words)"),
            value=start.situation,
            placeholder=_("e.g. before a hard phone call"),
            key=f"situation_{k}",
        )
        errors.slot("situation")
        triggers = recovery_ui.practice_triggers_field(actor, k)  # substance-use programs only (#20)
        what = _("Urge") if start.tool == "urge_surfing" else _("Distress")
        distress_before = st.pills(
            _("**{what} before** · 0 = none, 10 = the most").format(what=what),
            SCALE_0_10,
            default=start.distress_before,
            key=f"before_{k}",
        )
        errors.slot("distress_before")
        distress_after = st.pills(
            _("**{what} after**").format(what=what), SCALE_0_10, default=start.distress_after, key=f"after_{k}"
        )
        errors.slot("distress_after")
        helped = st.segmented_control(
            _("Did it help?"),
            list(clinical.HELPED_CHOICES),
            format_func=clinical.HELPED_CHOICES.get,
            default=start.helped,
            key=f"helped_{k}",
            width="stretch",
        )
        errors.slot("helped")
        note = st.text_area(
            _("Note (optional) · you and your therapist can read it"),
            value=start.note,
            help=_("Only you and your therapist can read this note."),
            key=f"note_{k}",
        )
        errors.slot("note")
        saved = st.form_submit_button(_("Save practice"), type="primary", width="stretch", key=f"save_{k}")
    if not saved:
        return
    entry = PracticeInput(
        chosen or "", distress_before, distress_after, helped, situation or "", note or "", start.tool
    )
    try:
        with session_scope() as session:
            view = practice.save_practice(session, actor, participant_id=actor.id, entry_key=entry_key, entry=entry)
            if triggers:  # what was going on, for the triggers map (kept as it was when none are chosen)
                recovery.set_practice_triggers(
                    session, actor, participant_id=actor.id, entry_key=entry_key, triggers=triggers
                )
    except ValidationError as exc:
        errors.show(
            with_limits(
                exc.fields,
                {
                    "situation": (entry.situation, clinical.PRACTICE_SITUATION_MAX),
                    "note": (entry.note, clinical.PRACTICE_NOTE_MAX),
                },
            )
        )
        st.error(_("Not saved yet — fix the marked answer and tap Save again. What you entered is still here."))
        _refused_with_risk(actor, exc, key=key, place=place, drawn=drawn)
        return
    risk.respond(actor, view.risk, page=key)
    _form_done(
        key,
        (
            _("Practice of {skill} saved. It went from {before} to {after}.")
            if view.drop
            else _("Practice of {skill} saved.")
        ).format(
            skill=skill_name(view.skill_id, view.skill_name), before=view.distress_before, after=view.distress_after
        ),
        reset=reset,
        tool=view.tool,
        after=view.distress_after,
    )


# --- interactive tools -----------------------------------------------------------------------


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _timer_state(key: str) -> dict:
    return st.session_state.setdefault(key, {"started": None, "seconds": 0, "finished": None})


def _start(key: str, seconds: int) -> None:
    st.session_state[key] = {"started": time.time(), "seconds": seconds, "finished": None}


def _until_done(state: dict) -> float | None:
    """While a timer runs, its fragment reruns once, when the time is up (not every second: the
    browser animates the count, ui/animation.py)."""
    if state["started"] is None:
        return None
    return max(state["seconds"] - (time.time() - state["started"]), 0) + 0.5


def _stop(key: str) -> None:
    state = st.session_state[key]
    state["finished"] = min(time.time() - state["started"], state["seconds"]) if state["started"] else 0
    state["started"] = None


def breathing_phase(elapsed: float, pattern: tuple[str, int, int, int]) -> tuple[str, int, float]:
    """What to do `elapsed` seconds in: ("Breathe in", seconds left in this phase, fullness 0–1)."""
    _label, inhale, hold, exhale = pattern
    t = elapsed % (inhale + hold + exhale)
    if t < inhale:
        return "Breathe in", math.ceil(inhale - t), t / inhale
    if t < inhale + hold:
        return "Hold", math.ceil(inhale + hold - t), 1.0
    return "Breathe out", math.ceil(inhale + hold + exhale - t), 1 - (t - inhale - hold) / exhale


def breathing_tool(actor: Actor, *, key: str = "breathing") -> None:
    """Paced breathing, drawn and counted by the browser (ui/animation.py): the server only hears
    Start, Stop, and once more when the time is up."""
    st.markdown(_("#### :material/air: Paced breathing"))
    st.caption(
        _(
            "Slow breathing, about 5–6 breaths a minute, with the out-breath longer than the in-breath. "
            "No holding your breath; if you feel short of air, breathe normally for a moment."
        )
    )
    state = _timer_state(key)

    @st.fragment(run_every=_until_done(state))
    def countdown() -> None:
        state = st.session_state[key]
        if state["started"] is None:
            pattern_label = st.segmented_control(
                _("Rhythm"),
                [p[0] for p in clinical.BREATHING_PATTERNS],
                format_func=_,
                default=clinical.BREATHING_PATTERNS[0][0],
                key=f"{key}_pattern",
                width="stretch",
            )
            minutes = st.segmented_control(
                _("Minutes"),
                clinical.BREATHING_MINUTES,
                default=2,
                key=f"{key}_minutes",
                format_func=lambda m: f"{m} min",
                width="stretch",
            )
            st.session_state[f"{key}_rhythm"] = pattern_label or clinical.BREATHING_PATTERNS[0][0]
            if st.button(
                _("Start breathing"), type="primary", width="stretch", key=f"{key}_start", icon=":material/play_arrow:"
            ):
                _start(key, 60 * (minutes or 2))
                st.rerun()
            if state["finished"] is not None:
                st.success(
                    _("You breathed for {duration}. Notice how your body feels now.").format(
                        duration=_clock(state["finished"])
                    ),
                    icon=":material/spa:",
                )
            return
        pattern = next(p for p in clinical.BREATHING_PATTERNS if p[0] == st.session_state[f"{key}_rhythm"])
        elapsed = time.time() - state["started"]
        if elapsed >= state["seconds"]:
            _stop(key)
            st.rerun()
        st.html(animation.breathing_html(pattern, state["seconds"], elapsed, key=key))
        st.caption(_("{pattern} · {minutes} min").format(pattern=_(pattern[0]), minutes=state["seconds"] // 60))
        if st.button(_("Stop"), width="stretch", key=f"{key}_stop", icon=":material/stop:"):
            _stop(key)
            st.rerun()

    countdown()
    if state["finished"]:
        with st.expander(_("Log this practice"), icon=":material/edit_note:"):
            practice_form(actor, key=f"{key}_log", skill_id=skill_for_tool("breathing").id, tool="breathing", reset=key)


GROUNDING = (
    ("5", N_("things you can **see**"), N_("Look around slowly. Name each one to yourself, even small things.")),
    ("4", N_("things you can **feel**"), N_("Your feet on the floor, the chair, your clothes, the air on your skin.")),
    ("3", N_("things you can **hear**"), N_("Near and far: a fan, traffic, your own breathing.")),
    ("2", N_("things you can **smell**"), N_("Move if you need to. If nothing comes, name two smells you like.")),
    ("1", N_("thing you can **taste**"), N_("Or take a sip of water and notice it.")),
)


def grounding_tool(actor: Actor, *, key: str = "grounding") -> None:
    """5-4-3-2-1 grounding, one step at a time; nothing typed here is stored."""
    st.markdown(_("#### :material/landscape: 5-4-3-2-1 grounding"))

    def go(step: int) -> None:
        st.session_state[f"{key}_step"] = step

    @st.fragment
    def steps() -> None:
        step = st.session_state.setdefault(f"{key}_step", 0)
        if step >= len(GROUNDING):
            st.success(_("You've come back to the present moment. Take one slow breath."), icon=":material/spa:")
            st.button(_("Start again"), key=f"{key}_again", width="stretch", on_click=go, args=(0,))
            with st.expander(_("Log this practice"), icon=":material/edit_note:"):
                practice_form(actor, key=f"{key}_log", skill_id=skill_for_tool("grounding").id, tool="grounding")
            return
        number, what, hint = GROUNDING[step]
        st.progress((step + 1) / len(GROUNDING), text=_("Step {n} of {total}").format(n=step + 1, total=len(GROUNDING)))
        st.markdown(_("### Notice {number} {what}").format(number=number, what=_(what)))
        st.caption(_(hint))
        st.text_area(_("Name them here if it helps (not saved)"), key=f"{key}_notes_{step}", height=80)
        back, forward = st.columns(2)
        back.button(_("Back"), key=f"{key}_back", width="stretch", disabled=step == 0, on_click=go, args=(step - 1,))
        forward.button(_("Next"), key=f"{key}_next", type="primary", width="stretch", on_click=go, args=(step + 1,))

    steps()


SURF_PROMPTS = (
    N_("Notice where you feel the urge in your body. Just notice it."),
    N_("Breathe slowly. Let the breath move around the feeling."),
    N_("Watch it like a wave: rising, peaking, and slowly falling."),
    N_("You don't have to act on it, and you don't have to fight it."),
    N_("If your mind wanders to the urge's story, come back to your body."),
    N_("Notice any change in size, shape or strength. Urges pass."),
)


SURF_PROMPT_SECONDS = 20


def urge_surfing_tool(actor: Actor, *, key: str = "surf") -> None:
    """Rate the urge, ride it with a timer, rate it again, and save the practice."""
    st.markdown(_("#### :material/waves: Urge surfing"))
    caution = skill_for_tool("urge_surfing").caution
    if caution:  # an urge to hurt yourself is not one to wait out alone
        st.warning(caution, icon=":material/health_and_safety:")
    state = _timer_state(key)

    @st.fragment(run_every=_until_done(state))
    def timer() -> None:
        state = st.session_state[key]
        if state["started"] is None and state["finished"] is None:
            st.pills(
                _("**How strong is the urge right now?** · 0 = none, 10 = the most"), SCALE_0_10, key=f"{key}_before"
            )
            minutes = st.segmented_control(
                _("Ride it for"),
                clinical.URGE_SURF_MINUTES,
                default=clinical.URGE_SURF_DEFAULT_MINUTES,
                format_func=lambda m: f"{m} min",
                key=f"{key}_minutes",
                width="stretch",
            )
            if st.button(_("Start"), type="primary", width="stretch", key=f"{key}_start", icon=":material/play_arrow:"):
                _start(key, 60 * (minutes or clinical.URGE_SURF_DEFAULT_MINUTES))
                # Kept outside the widget: its own state goes once it is no longer drawn.
                st.session_state[key]["before"] = st.session_state.get(f"{key}_before")
                st.rerun()
            return
        if state["started"] is not None:
            elapsed = time.time() - state["started"]
            if elapsed >= state["seconds"]:
                _stop(key)
                st.rerun()
            st.html(
                animation.surfing_html(
                    [_(p) for p in SURF_PROMPTS], SURF_PROMPT_SECONDS, state["seconds"], elapsed, key=key
                )
            )
            if st.button(_("I'm done"), width="stretch", key=f"{key}_stop", icon=":material/stop:"):
                _stop(key)
                st.rerun()

    timer()
    if state["finished"] is not None:
        st.write(
            _(
                "You rode the urge for {duration}. How strong is it now? Saving this keeps a record of what helps."
            ).format(duration=_clock(state["finished"]))
        )
        practice_form(
            actor,
            key=f"{key}_log",
            skill_id=skill_for_tool("urge_surfing").id,
            tool="urge_surfing",
            before=state.get("before"),
            reset=key,
        )
    else:
        _show_saved_surf(actor, key)


def _show_saved_surf(actor: Actor, key: str) -> None:
    saved = _show_flash(f"{key}_log")
    if saved:
        still_strong_help(actor, saved.get("after"))


def still_strong_help(actor: Actor, after: int | None) -> None:
    """After practice, an urge still this strong: the safety plan and crisis lines, not a lecture."""
    if after is not None and after >= clinical.STILL_STRONG_AFTER:
        with st.container(border=True):
            st.markdown(_("**Still strong?** That happens, and it will pass. You don't have to ride it alone."))
            st.page_link("pages/safety_plan.py", label=_("Open my safety plan"), icon=":material/health_and_safety:")
            crisis.resource_list(actor.program_id)


def thought_record_tool(actor: Actor, *, key: str = "thought", existing: practice.ThoughtView | None = None) -> None:
    """The seven-column CBT thought record, saved to the participant's record."""
    st.markdown(_("#### :material/psychology: Thought record"))
    _show_flash(key)
    place = st.container()
    drawn = risk.show_pending(actor, place, page=key)  # crisis words in what was just saved
    start = existing.as_input() if existing else ThoughtInput("")
    entry_key = _entry_key(key, existing.entry_key if existing else None)
    k = f"{key}_{entry_key[:8]}"
    rows = (start.emotions + [("", None, None)] * clinical.THOUGHT_EMOTIONS_MAX)[: clinical.THOUGHT_EMOTIONS_MAX]
    errors = FieldErrors()
    low, high = clinical.THOUGHT_INTENSITY_MIN, clinical.THOUGHT_INTENSITY_MAX
    limits = clinical.THOUGHT_LIMITS
    with st.form(f"thought_{k}", border=False):
        situation = st.text_area(
            _("1 · Situation: what happened, where, with whom?"), value=start.situation, height=80, key=f"situation_{k}"
        )
        errors.slot("situation")
        st.markdown(_("**2 · Emotions** and how strong each was (0–100)"))
        entered = []
        for i, (name, before, _after) in enumerate(rows):
            left, right = st.columns([3, 2])
            entered.append(
                [
                    left.text_input(
                        _("Emotion {value}").format(value=i + 1),
                        value=name,
                        placeholder=_("e.g. anxious") if i == 0 else _("(optional)"),
                        key=f"em{i}_{k}",
                    ),
                    right.number_input(
                        _("Strength"), low, high, value=before, step=5, placeholder="0–100", key=f"em{i}b_{k}"
                    ),
                ]
            )
            errors.slot(f"emotion_{i}")
        errors.slot("emotions")
        automatic = st.text_area(
            _("3 · Automatic thought: what went through your mind? (the 'hot' one)"),
            value=start.automatic_thought,
            height=80,
            key=f"auto_{k}",
        )
        errors.slot("automatic_thought")
        evidence_for = st.text_area(
            _("4 · Evidence for the thought"), value=start.evidence_for, height=80, key=f"for_{k}"
        )
        errors.slot("evidence_for")
        evidence_against = st.text_area(
            _("5 · Evidence against the thought"), value=start.evidence_against, height=80, key=f"against_{k}"
        )
        errors.slot("evidence_against")
        balanced = st.text_area(
            _("6 · A more balanced thought"), value=start.balanced_thought, height=80, key=f"balanced_{k}"
        )
        errors.slot("balanced_thought")
        belief = st.number_input(
            _("How much do you believe it? (0–100)"),
            low,
            high,
            value=start.balanced_belief,
            step=5,
            placeholder="0–100",
            key=f"belief_{k}",
        )
        errors.slot("balanced_belief")
        st.markdown(_("**7 · Re-rate your emotions now** (0–100)"))
        for i, (_name, _before, after) in enumerate(rows):
            entered[i].append(
                st.number_input(
                    _("Emotion {value} now").format(value=i + 1),
                    low,
                    high,
                    value=after,
                    step=5,
                    placeholder="0–100",
                    key=f"em{i}a_{k}",
                )
            )
            errors.slot(f"emotion_{i}_after")
        saved = st.form_submit_button(_("Save thought record"), type="primary", width="stretch", key=f"save_{k}")
    if not saved:
        return
    record = ThoughtInput(
        situation or "",
        [(n or "", b, a) for n, b, a in entered],
        automatic or "",
        evidence_for or "",
        evidence_against or "",
        balanced or "",
        belief,
    )
    try:
        with session_scope() as session:
            saved = practice.save_thought_record(
                session, actor, participant_id=actor.id, entry_key=entry_key, record=record
            )
    except ValidationError as exc:
        typed = {
            "situation": record.situation,
            "automatic_thought": record.automatic_thought,
            "evidence_for": record.evidence_for,
            "evidence_against": record.evidence_against,
            "balanced_thought": record.balanced_thought,
            **{
                f"emotion_{i}": name
                for i, (name, _before, _after) in enumerate(  # numbered as core numbers them: named ones
                    e for e in record.emotions if e[0].strip()
                )
            },
        }
        errors.show(
            with_limits(
                exc.fields,
                {
                    field: (text, limits["emotion" if field.startswith("emotion_") else field])
                    for field, text in typed.items()
                },
            )
        )
        st.error(_("Not saved yet — fix the marked answer and tap Save again. What you wrote is still here."))
        _refused_with_risk(actor, exc, key=key, place=place, drawn=drawn)
        return
    risk.respond(actor, saved.risk, page=key)
    _form_done(key, _("Thought record saved. Your therapist can go through it with you."))


RECORD_TOOLS = frozenset({"thought_record"})  # a tool that is itself a record for the therapist

TOOL_WIDGETS = {
    "breathing": breathing_tool,
    "grounding": grounding_tool,
    "urge_surfing": urge_surfing_tool,
    "thought_record": thought_record_tool,
}
assert set(TOOL_WIDGETS) == set(TOOLS)
