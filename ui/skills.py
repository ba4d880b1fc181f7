"""Skills screens as Streamlit pieces: the skill page, the library, homework, and practice and
thought records shown back. The coping tools and the practice log are ui.coping. Rules and
storage live in core.practice and core.skills."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import streamlit as st

from core import clinical, practice
from core.access import Actor
from core.db import session_scope
from core.errors import AccessDenied
from core.practice import HomeworkView, PracticeView
from core.skills import Skill, catalogue
from ui.coping import RECORD_TOOLS, TOOL_WIDGETS, practice_form
from ui.coping import skill_label as skill_label  # pages/review.py reads it from here
from ui.i18n import _, current, short_day, skill_name
from ui.text import md


def practice_table(entries: list[PracticeView]) -> None:
    st.dataframe(  # an Arrow table: Streamlit turns a list of dicts into pandas first, on every rerun
        pa.Table.from_pylist(
            [
                {
                    _("Day"): short_day(e.day),
                    _("Skill"): skill_name(e.skill_id, e.skill_name),
                    _("Situation"): e.situation,
                    _("Before"): str(e.distress_before),
                    _("After"): "" if e.distress_after is None else str(e.distress_after),
                    _("Helped"): _(clinical.HELPED_CHOICES[e.helped]) if e.helped in clinical.HELPED_CHOICES else "",
                    _("Note"): e.note,
                }
                for e in entries
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def thought_record_view(r: practice.ThoughtView) -> None:
    feelings = "; ".join(
        f"{md(e['name'])} {e['before']}%" + (f" → {e['after']}%" if e.get("after") is not None else "")
        for e in r.emotions
    )
    parts = [
        _("**Situation:** {situation}").format(situation=md(r.situation)),
        _("**Emotions:** {feelings}").format(feelings=feelings),
        _("**Automatic thought:** {automatic_thought}").format(automatic_thought=md(r.automatic_thought)),
    ]
    if r.evidence_for:
        parts.append(_("**Evidence for:** {text}").format(text=md(r.evidence_for)))
    if r.evidence_against:
        parts.append(_("**Evidence against:** {text}").format(text=md(r.evidence_against)))
    if r.balanced_thought:
        parts.append(
            (
                _("**Balanced thought:** {thought} (believe it {belief}%)")
                if r.balanced_belief is not None
                else _("**Balanced thought:** {thought}")
            ).format(thought=md(r.balanced_thought), belief=r.balanced_belief)
        )
    # One element, a paragraph each: Review lists every thought record of eight weeks, and an element
    # per line was four to six for each (every element is work on every rerun).
    st.markdown("\n\n".join(parts))


# --- homework --------------------------------------------------------------------------------


def homework_list(items: list[HomeworkView], today: date, *, link: bool = True) -> None:
    for h in items:
        with st.container(border=True):
            icon = ":material/task_alt:" if h.done else ":material/assignment:"
            st.markdown(f"{icon} **{h.skill_name}** · {h.status(today)}")
            if h.note:
                st.caption(f"{md(h.assigned_by)}: {md(h.note)}")
            if link and not h.done:
                st.page_link(
                    "pages/skills.py",
                    label=_("Open the skill"),
                    query_params={"skill": h.skill_id},
                    icon=":material/arrow_forward:",
                )


# --- the skill page --------------------------------------------------------------------------


def _flip_favourite(actor: Actor, skill_id: str, key: str) -> None:
    """Runs before the rerun (outside the page's calm error handling): a refusal, e.g. a discharge
    since the page was drawn, is already on record, and the page then draws without the switch."""
    try:
        with session_scope() as session:
            practice.set_favourite(session, actor, actor.id, skill_id, bool(st.session_state[key]))
    except AccessDenied:
        pass


def skill_page(
    actor: Actor, skill: Skill, *, favourite: bool, homework: HomeworkView | None, today: date, in_program: bool = True
) -> None:
    """One skill: what it is, when it helps, its steps, and trying it. `in_program` False (discharged):
    the same page without the favourite switch, the practice log or a tool that is itself a record."""
    st.caption(skill.module_name)
    st.title(skill.name)
    st.markdown(f"*{skill.summary}*")
    if homework and not homework.done:
        st.info(
            _("Your therapist asked you to practise this · {status}").format(status=homework.status(today))
            + (f"\n\n{md(homework.note)}" if homework.note else ""),
            icon=":material/assignment:",
        )
    if in_program:
        # Written only when the person flips it (on_change), and drawn from what is saved: a switch
        # compared with the saved value wrote its stale state back on any rerun, so a favourite taken
        # off on another device came back by itself.
        key = f"fav_{skill.id}"
        st.session_state[key] = favourite
        st.toggle(_("Favourite"), key=key, on_change=_flip_favourite, args=(actor, skill.id, key))
    st.subheader(_("When it helps"))
    st.write(skill.when)
    if skill.caution:  # before the steps, so it is read before anyone tries them
        st.warning(skill.caution, icon=":material/medical_information:")
    st.subheader(_("Steps"))
    st.markdown("\n".join(f"{n}. {step}" for n, step in enumerate(skill.steps, 1)))
    st.subheader(_("Try it"))
    st.write(skill.practice)
    if skill.tool and (in_program or skill.tool not in RECORD_TOOLS):
        with st.container(border=True):
            TOOL_WIDGETS[skill.tool](actor, key=f"{skill.id}_tool")
    if in_program and skill.tool not in RECORD_TOOLS:
        with st.expander(_("Log a practice of this skill"), icon=":material/edit_note:"):
            practice_form(actor, key=f"log_{skill.id}", skill_id=skill.id)


def skill_button(skill: Skill, key: str) -> None:
    st.button(skill.name, key=f"{key}_{skill.id}", width="stretch", on_click=_open_skill, args=(skill.id,))


def skill_result(skill: Skill, key: str) -> None:
    """A skill to choose, with its one-line summary in view (a tooltip never shows on a phone)."""
    with st.container(border=True, key=f"{key}_{skill.id}_card"):
        skill_button(skill, key)
        st.caption(f"{skill.summary} · {skill.module_name}")


def _open_skill(skill_id: str) -> None:
    st.query_params["skill"] = skill_id


def module_browser() -> None:
    for module in catalogue(current()):
        with st.expander(_("**{name}** · {skills} skills").format(name=module.name, skills=len(module.skills))):
            st.caption(module.intro)
            for s in module.skills:
                skill_button(s, f"mod_{module.id}")
                st.caption(s.summary)
