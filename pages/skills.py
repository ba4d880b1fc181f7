"""Participant: the skills library — homework first, search, favourites, modules — and one skill's page."""

import streamlit as st

from core.models import Role
from ui import auth
from ui.i18n import _, current, ngettext

actor = auth.guard(Role.PARTICIPANT)

from core import alerts, practice
from core.db import session_scope
from core.enrolment import Use
from core.program import user_today
from core.screening import suggests_crisis
from core.skills import catalogue, search, skill, skills_by_id
from ui import crisis, nav
from ui import skills as ui
from ui.text import md

# After discharge the skills stay theirs to read and try; homework, favourites and the practice log
# (their record, for the therapist) belong to the program.
left = nav.remaining(actor)
in_program = left.may(Use.WRITE)
with session_scope() as session:
    today = user_today(session, actor.id)
    homework = practice.homework_for(session, actor, actor.id) if in_program else []
    favourites = practice.favourites(session, actor, actor.id) if in_program else []

opened = skill(st.query_params.get("skill", ""), current())
if opened:
    if st.button(_("All skills"), icon=":material/arrow_back:", key="back"):
        del st.query_params["skill"]
        st.rerun()
    assigned = next((h for h in homework if h.skill_id == opened.id and not h.done), None)
    ui.skill_page(
        actor, opened, favourite=opened.id in favourites, homework=assigned, today=today, in_program=in_program
    )
    st.stop()

st.title(_("Skills"))
todo = [h for h in homework if not h.done]
if todo:
    st.subheader(_("From your therapist"))
    ui.homework_list(todo, today)

query = st.text_input(
    _("Find a skill"),
    placeholder=_("e.g. can't sleep, craving, angry at someone"),
    key="skill_search",
    max_chars=alerts.SEARCH_MAX,
    icon=":material/search:",
)
if query.strip():
    if in_program:  # a match also tells their therapist (a review alert)
        with session_scope() as session:
            crisis_words = alerts.screen_search(session, actor, query=query, day=today)
    else:  # discharged: no one's caseload any more; the crisis lines still answer
        crisis_words = suggests_crisis(query)
    if crisis_words:
        # Only the people who can help now and the safety plan: a list of skills under a crisis
        # panel reads as "try one of these instead".
        with st.container(border=True, key="search_crisis"):
            st.markdown(_("**If you are thinking about hurting yourself, please reach someone now.**"))
            if left.may(Use.READ):
                st.page_link(
                    "pages/safety_plan.py", label=_("Open my safety plan"), icon=":material/health_and_safety:"
                )
            crisis.resource_list(actor.program_id)
    else:
        found = search(query, catalogue(current()))
        st.caption(
            ngettext("{n} skill for “{query}”", "{n} skills for “{query}”", len(found)).format(
                n=len(found), query=md(query.strip())
            )
            if found
            else _("No skill matches those words. Try a feeling or a situation, like “worried” or “craving”.")
        )
        for s in found[:8]:
            ui.skill_result(s, "found")

if favourites:
    st.subheader(_("Favourites"))
    for skill_id in favourites:
        ui.skill_result(skills_by_id(current())[skill_id], "fav")

st.subheader(_("Coping tools"))
st.page_link(
    "pages/tools.py", label=_("Breathing, grounding, urge surfing, thought record"), icon=":material/self_improvement:"
)

st.subheader(_("All skills"))
ui.module_browser()
done = [h for h in homework if h.done]
if done:
    with st.expander(_("Homework done · {done}").format(done=len(done))):
        ui.homework_list(done, today, link=False)
