"""Skills screens as Streamlit pieces: the skill page, the library, homework, and practice and
thought records shown back. The coping tools and the practice log are ui.coping. Rules and
storage live in core.practice and core.skills."""

from __future__ import annotations

from datetime import date

import streamlit as st

from core import clinical, practice
from core.access import Actor
from core.db import session_scope
from core.practice import HomeworkView, PracticeView
from core.skills import Skill, catalogue
from ui.coping import TOOL_WIDGETS, practice_form
from ui.coping import skill_label as skill_label  # pages/review.py reads it from here
from ui.text import md


def practice_table(entries: list[PracticeView]) -> None:
    st.dataframe(
        [
            {
                "Day": f"{e.day:%a %b} {e.day.day}",
                "Skill": e.skill_name,
                "Situation": e.situation,
                "Before": str(e.distress_before),
                "After": "" if e.distress_after is None else str(e.distress_after),
                "Helped": clinical.HELPED_CHOICES.get(e.helped, ""),
                "Note": e.note,
            }
            for e in entries
        ],
        hide_index=True,
        width="stretch",
    )


def thought_record_view(r: practice.ThoughtView) -> None:
    feelings = "; ".join(
        f"{md(e['name'])} {e['before']}%" + (f" → {e['after']}%" if e.get("after") is not None else "")
        for e in r.emotions
    )
    st.markdown(f"**Situation:** {md(r.situation)}")
    st.markdown(f"**Emotions:** {feelings}")
    st.markdown(f"**Automatic thought:** {md(r.automatic_thought)}")
    for label, text in (("Evidence for", r.evidence_for), ("Evidence against", r.evidence_against)):
        if text:
            st.markdown(f"**{label}:** {md(text)}")
    if r.balanced_thought:
        belief = f" (believe it {r.balanced_belief}%)" if r.balanced_belief is not None else ""
        st.markdown(f"**Balanced thought:** {md(r.balanced_thought)}{belief}")


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
                    label="Open the skill",
                    query_params={"skill": h.skill_id},
                    icon=":material/arrow_forward:",
                )


# --- the skill page --------------------------------------------------------------------------


def skill_page(actor: Actor, skill: Skill, *, favourite: bool, homework: HomeworkView | None, today: date) -> None:
    st.caption(skill.module_name)
    st.title(skill.name)
    st.markdown(f"*{skill.summary}*")
    if homework and not homework.done:
        st.info(
            f"Your therapist asked you to practise this · {homework.status(today)}"
            + (f"\n\n{homework.note}" if homework.note else ""),
            icon=":material/assignment:",
        )
    if st.toggle("Favourite", value=favourite, key=f"fav_{skill.id}") != favourite:
        with session_scope() as session:
            practice.set_favourite(session, actor, actor.id, skill.id, not favourite)
        st.rerun()
    st.subheader("When it helps")
    st.write(skill.when)
    if skill.caution:  # before the steps, so it is read before anyone tries them
        st.warning(skill.caution, icon=":material/medical_information:")
    st.subheader("Steps")
    st.markdown("\n".join(f"{n}. {step}" for n, step in enumerate(skill.steps, 1)))
    st.subheader("Try it")
    st.write(skill.practice)
    if skill.tool:
        with st.container(border=True):
            TOOL_WIDGETS[skill.tool](actor, key=f"{skill.id}_tool")
    if skill.tool != "thought_record":
        with st.expander("Log a practice of this skill", icon=":material/edit_note:"):
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
    for module in catalogue():
        with st.expander(f"**{module.name}** · {len(module.skills)} skills"):
            st.caption(module.intro)
            for s in module.skills:
                skill_button(s, f"mod_{module.id}")
                st.caption(s.summary)
