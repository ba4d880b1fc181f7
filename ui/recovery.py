"""Dual diagnosis on screen: the card's use, triggers and MAT fields, the days-in-recovery counters,
naloxone, and the recovery panel of My progress and Review. Rules live in core.recovery."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pyarrow as pa
import streamlit as st

from core import clinical, recovery
from core.content import family_sections
from core.recovery import CardOptions, Counter
from ui.forms import FieldErrors
from ui.i18n import _, current
from ui.text import md

_MISSING = object()


# --- the card's fields -----------------------------------------------------------------------------


def _units(substance: str) -> list[str]:
    return list(clinical.USE_AMOUNTS[substance])


def _kind(substance: str) -> str:
    """A substance or medicine use, in the viewer's language."""
    name = clinical.USE_KINDS.get(substance, substance)
    return _(name)


def _unit(unit: str) -> str:
    name = clinical.USE_UNITS.get(unit, unit)
    return _(name)


def _labels(choices: dict[str, str]) -> Callable[[str], str]:
    """A widget's format_func: the choices translated now, in the script run (Streamlit may call a
    format_func again outside the run, where the viewer's language is not known)."""
    translated = {key: _(name) for key, name in choices.items()}
    return lambda key: translated.get(key, key)


def use_fields(
    *, k: str, start: Any, urge: int | None, acted: bool, options: CardOptions, errors: FieldErrors, place: Any = None
) -> tuple[dict, list[str]]:
    """Under the substance-use urge: what was going on (an urge rated, or acted on) and, when acted on,
    what was used and roughly how much. All optional, one thumb. `place`: an `st.empty()` to draw them in
    (left empty when they are not asked), so a run that no longer asks them replaces them at once."""
    use: dict[str, tuple[int | None, str | None]] = {}
    triggers: list[str] = []
    if not acted and not urge:
        return use, triggers
    with (place or st).container(border=True, key=f"use_box_{k}"):
        if acted:
            st.caption(
                _(
                    "A lapse is information, not failure. Recording it helps you and your therapist see "
                    "what leads up to it."
                )
            )
            chosen = st.pills(
                _("What did you use? · optional"),
                list(options.substances),
                selection_mode="multi",
                format_func=_labels(clinical.USE_KINDS),
                default=[s for s in (start.use or {}) if s in options.substances],
                key=f"use_{k}",
            )
            errors.slot("use")
            for substance in chosen:
                amount, unit = (start.use or {}).get(substance, (None, None))
                units = _units(substance)
                if len(units) > 1:
                    unit = (
                        st.segmented_control(
                            _("{substance}: counted in").format(substance=_kind(substance)),
                            units,
                            format_func=_labels(clinical.USE_UNITS),
                            default=unit if unit in units else units[0],
                            key=f"use_unit_{substance}_{k}",
                            width="stretch",
                        )
                        or units[0]
                    )
                else:
                    unit = units[0]
                amount = st.number_input(
                    _("{substance}: roughly how many {unit}? · optional").format(
                        substance=_kind(substance), unit=_unit(unit)
                    ),
                    value=amount,
                    step=1,
                    format="%d",
                    placeholder=_("Leave empty if you'd rather not say"),
                    key=f"use_amount_{substance}_{k}",
                )
                use[substance] = (amount, unit)
                errors.slot(f"use_{substance}")
        triggers = st.pills(
            _("What was going on? · optional"),
            list(clinical.TRIGGERS),
            selection_mode="multi",
            format_func=_labels(clinical.TRIGGERS),
            default=[t for t in (start.triggers or []) if t in clinical.TRIGGERS],
            key=f"triggers_{k}",
            help=_("People, places or things that remind you, feelings — and HALT: hungry, angry, lonely, tired."),
        )
        errors.slot("triggers")
    return use, list(triggers)


def mat_fields(*, k: str, start: Any, options: CardOptions, errors: FieldErrors) -> dict[str, str | None]:
    """Medication for addiction treatment: taken as prescribed, per medicine the program asks about."""
    answers: dict[str, str | None] = {}
    if not options.mat:
        return answers
    st.markdown(_("**Addiction medicine taken as prescribed**"))
    for medication in options.mat:
        name = clinical.MAT_MEDICATIONS[medication]
        answers[medication] = st.segmented_control(
            _(name),
            list(clinical.MAT_CHOICES),
            format_func=_labels(clinical.MAT_CHOICES),
            default=(start.mat or {}).get(medication),
            key=f"mat_{medication}_{k}",
            width="stretch",
        )
        errors.slot(f"mat_{medication}")
    errors.slot("mat")
    return {m: a for m, a in answers.items() if a is not None}


def answers_in_state(get: Callable[[str, Any], Any], k: str, base: Any, options: CardOptions | None) -> dict:
    """The details the browser sent for the card of day `k` (see ui.diary._answers_in_state)."""
    if options is None:
        return {"use": {}, "triggers": [], "mat": {}}
    acted = get(
        f"acted_{recovery.SUBSTANCE_TARGET}_{k}", (base.urges.get(recovery.SUBSTANCE_TARGET) or (None, False))[1]
    )
    urge = get(f"urge_{recovery.SUBSTANCE_TARGET}_{k}", (base.urges.get(recovery.SUBSTANCE_TARGET) or (None, False))[0])
    use = {}
    if acted:
        for substance in get(f"use_{k}", list(base.use or {})) or []:
            amount, unit = (base.use or {}).get(substance, (None, None))
            units = _units(substance) if substance in clinical.USE_AMOUNTS else [None]
            unit = get(f"use_unit_{substance}_{k}", unit if unit in units else units[0]) or units[0]
            use[substance] = (get(f"use_amount_{substance}_{k}", amount), unit)
    triggers = list(get(f"triggers_{k}", list(base.triggers or [])) or []) if (acted or urge) else []
    mat = {m: get(f"mat_{m}_{k}", (base.mat or {}).get(m)) for m in options.mat}
    return {"use": use, "triggers": triggers, "mat": {m: a for m, a in mat.items() if a is not None}}


def normal(card: Any) -> tuple:
    """The details of a CardInput in a comparable form (ui.diary._same)."""
    return (
        tuple(sorted((card.use or {}).items())),
        tuple(sorted(card.triggers or [])),
        tuple(sorted((card.mat or {}).items())),
    )


# --- counters -----------------------------------------------------------------------------------------


def counter_card(counter: Counter) -> None:
    with st.container(border=True, key=f"counter_{counter.substance}"):
        st.metric(_("{what}: days in recovery").format(what=md(_(counter.label))), counter.count.days)
        st.write(recovery.counter_words(counter))


def counters_on_today(counters: list[Counter]) -> None:
    for counter in counters:
        if counter.shown:
            counter_card(counter)


COUNTER_SETTINGS = "counter_settings_open"  # session state: "Days in recovery: my counters" is open
# What was chosen in them and not saved yet: {what: (the value it was chosen over, the value chosen)}. Folded,
# their widgets are not built and Streamlit drops their state; opened again, they start from this (a value
# whose counter has changed since, by a save or a lapse on the card, is the counter's again).
COUNTER_DRAFT = "counter_settings_draft"
COUNTER_ERRORS = "counter_errors"


def _kept(draft: dict, what: tuple, base: Any) -> Any:
    """The value chosen over `base` and not saved yet, else `base`."""
    entry = draft.get(what)
    return entry[1] if entry is not None and entry[0] == base else base


def _keep(draft: dict, what: tuple, value: Any, base: Any) -> None:
    if value == base:
        draft.pop(what, None)
    else:
        draft[what] = (base, value)


def counter_settings(
    *, options: CardOptions, counters: list[Counter], today: date, save: Callable[..., Any], remove: Callable[..., Any]
) -> None:
    """Start, change, show or hide a counter. `save(substance, start_on, shown)` raises
    ValidationError; the message goes beside the field and what was chosen stays."""
    by_kind = {c.substance: c for c in counters}
    # A stateful expander: what is in it is built only while it is open (tapping it reruns the page).
    # Folded, as nearly every run of Today has it, its picker, date, toggle and buttons cost nothing: a
    # fifth of what Today's run draws below the card, on every login and every page run.
    with st.expander(
        _("Days in recovery: my counters"),
        icon=":material/event_available:",
        key=COUNTER_SETTINGS,
        on_change="rerun",
    ) as folded:
        if not folded.open:
            return
        draft = st.session_state.get(COUNTER_DRAFT)
        if draft is None:
            draft = st.session_state[COUNTER_DRAFT] = {}
        # What the program lists, and any counter kept for what it no longer lists (hide or stop it).
        kinds = [*options.counter_kinds, *(c.substance for c in counters if c.substance not in options.counter_kinds)]
        first = _kept(draft, ("kind",), kinds[0])
        substance = st.selectbox(
            _("What to count"),
            kinds,
            format_func=_labels(clinical.COUNTER_KINDS),
            key="counter_kind",
            index=kinds.index(first) if first in kinds else 0,
        )
        existing = by_kind.get(substance)
        start_base, shown_base = (existing.start_on, existing.shown) if existing else (today, True)
        start_on = st.date_input(
            _("First day without it"),
            value=_kept(draft, ("start", substance), start_base),
            key=f"counter_start_{substance}",
            format="YYYY-MM-DD",
        )
        start_slot = st.empty()
        shown = st.toggle(
            _("Show it on Today"),
            value=_kept(draft, ("shown", substance), shown_base),
            key=f"counter_shown_{substance}",
        )
        _keep(draft, ("kind",), substance, kinds[0])
        _keep(draft, ("start", substance), start_on, start_base)
        _keep(draft, ("shown", substance), shown, shown_base)
        problems = st.session_state.get(COUNTER_ERRORS, {})
        if problems.get("substance"):
            st.error(problems["substance"], icon="⚠️")
        if problems.get("start_on"):
            start_slot.error(problems["start_on"], icon="⚠️")
        if st.button(_("Save counter"), key="counter_save", type="primary", width="stretch"):
            st.session_state[COUNTER_ERRORS] = save(substance, start_on, shown) or {}
            if not st.session_state[COUNTER_ERRORS]:  # saved: nothing of it is a draft any more
                for what in (("start", substance), ("shown", substance)):
                    draft.pop(what, None)
            st.rerun()
        if existing and st.button(_("Stop this counter"), key="counter_remove", width="stretch"):
            remove(substance)
            st.session_state.pop(COUNTER_ERRORS, None)
            for what in (("start", substance), ("shown", substance)):
                draft.pop(what, None)
            st.rerun()
        st.caption(
            _(
                "The count restarts kindly after a lapse you record on your card: the next day is day 1 again, "
                "and your longest stretch is kept."
            )
        )


# --- naloxone ----------------------------------------------------------------------------------------------


NALOXONE_SECTION = "Overdose and naloxone, if your person uses alcohol or drugs"


def naloxone(*, expanded: bool = False) -> None:
    """Naloxone for participants: a short word for them, then the same facts families read
    (core/content/family.md), so the two never drift apart."""
    english = family_sections()
    place = next((i for i, s in enumerate(english) if s.title == NALOXONE_SECTION), None)
    # The viewer's family.md (core/content/es/family.md has the English file's sections, in order).
    section = None if place is None else family_sections(current())[place]
    with st.expander(
        _("Naloxone: reversing an opioid overdose"), icon=":material/medical_services:", expanded=expanded
    ):
        st.markdown(
            _(
                "Naloxone (Narcan and others) is a nasal spray that reverses an opioid overdose for long enough "
                "for help to arrive. Keep it where you and the people you live with can find it, and tell them "
                "where it is — in an overdose you can't give it to yourself. Fentanyl turns up in pills and "
                "stimulants too, which is why your program offers this."
            )
        )
        if section is not None:
            st.markdown(section.body)


# --- the therapist's Review --------------------------------------------------------------------------------


def review_section(panel: recovery.Panel) -> None:
    """Recovery on Review: the participant's counters (as they see them), use recorded, MAT, triggers map."""
    from ui import charts as chart_widgets

    st.subheader("Recovery")
    if panel.counters:
        for counter in panel.counters:
            c = counter.count
            st.write(
                f"**{md(counter.label)}**: {c.days} day{'s' if c.days != 1 else ''} since last use "
                f"(counting from {counter.start_on}; longest stretch {c.longest} days; "
                f"{c.lapses} day(s) with use since)" + ("" if counter.shown else " · hidden from their Today screen")
            )
    else:
        st.caption("No days-in-recovery counter kept.")
    uses = panel.uses
    if uses:
        rows = [
            {
                "Date": str(day),
                "Used": clinical.USE_KINDS.get(substance, substance),
                "Roughly": "—" if amount is None else f"{amount} {unit}",
                "What was going on": ", ".join(clinical.TRIGGERS[t] for t in panel.details[day].triggers) or "—",
            }
            for day, substance, amount, unit in uses
        ]
        st.dataframe(pa.Table.from_pylist(rows), hide_index=True, width="stretch")  # (no pandas on the way)
    else:
        st.caption("No use recorded on the cards in these weeks.")
    for line in panel.mat:
        st.write(line)
    if panel.options.mat and not panel.mat:
        st.caption("No answers yet about medication for addiction treatment.")
    chart_widgets.chart(recovery.triggers_map, panel.triggers, sentence=recovery.triggers_sentence(panel.triggers))


def naloxone_prompt(plan: Any) -> None:
    """The safety plan's prompt: naloxone belongs in "Making my space safer" (step 6)."""
    from core.safety import STEP_TITLES

    title = STEP_TITLES["safer_environment"]
    step = _(title)
    written = " ".join(str(item) for item in (plan.items("safer_environment") if plan else [])).lower()
    if "naloxone" in written or "narcan" in written or "naloxona" in written:
        st.caption(
            _("Your plan says where your naloxone is ({step}). Check its date now and then.").format(step=md(step))
        )
    else:
        st.info(
            _(
                "**Naloxone in your plan?** Under “{step}”, write where your naloxone is kept and who knows "
                "where to find it — for example “Naloxone in the kitchen drawer; Sam knows.”"
            ).format(step=md(step)),
            icon=":material/medical_services:",
        )
    naloxone()


def practice_triggers_field(actor: Any, k: str) -> list[str] | None:
    """On the practice log, in substance-use programs: what was going on (None elsewhere)."""
    from core.db import session_scope
    from core.program import program_settings

    with session_scope() as session:
        options = recovery.options_of(program_settings(session, actor.program_id) if actor.program_id else None)
    if options is None:
        return None
    return list(
        st.pills(
            _("What was going on? · optional"),
            list(clinical.TRIGGERS),
            selection_mode="multi",
            format_func=_labels(clinical.TRIGGERS),
            key=f"ptriggers_{k}",
        )
        or []
    )
