"""The closing word a discharged participant sees on Today, and on any screen they no longer use
(core/enrolment.py: `Remaining`): thanks, who to contact, what they can still read and until when, and
the coping tools. The crisis lines are at the top of every screen, as always."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from core import enrolment
from core.access import Actor
from core.db import session_scope
from core.enrolment import Remaining, Use
from core.program import user_today, user_zone
from ui import greetings
from ui.i18n import _, long_day
from ui.text import md


def show(actor: Actor, left: Remaining) -> None:
    with session_scope() as session:
        today, zone = user_today(session, actor.id), user_zone(session, actor.id)
        standing = enrolment.standing(session, actor, actor.id, today)
    st.title(md(greetings.hello(actor.name, datetime.now(zone))))
    st.info(
        _(
            "Your time in the program has ended. Thank you for the work you put in — it counts, "
            "whatever comes next. If things get hard, the crisis lines are at the top of every screen, "
            "day and night."
        ),
        icon=":material/favorite:",
    )
    program = standing.program_name or _("your program")
    if standing.therapist_name:
        st.write(
            _(
                "For anything about your care — a question, a copy of your record, or coming back — contact "
                "{program}. Your therapist was {therapist}."
            ).format(program=md(program), therapist=md(standing.therapist_name))
        )
    else:
        st.write(
            _(
                "For anything about your care — a question, a copy of your record, or coming back — contact {program}."
            ).format(program=md(program))
        )
    if left.may(Use.READ) and standing.reads_until is not None:
        st.write(
            _(
                "You can still read your cards, your progress, your safety plan and your aftercare plan until "
                "{day}. Keep a printable copy of your plans before then."
            ).format(day=long_day(standing.reads_until))
        )
        st.page_link("pages/safety_plan.py", label=_("My safety plan"), icon=":material/health_and_safety:")
        st.page_link("pages/aftercare.py", label=_("My aftercare plan"), icon=":material/route:")
        st.page_link("pages/my_cards.py", label=_("My cards"), icon=":material/calendar_view_week:")
        st.page_link("pages/progress.py", label=_("My progress"), icon=":material/monitoring:")
    st.write(_("The skills and coping tools are still here whenever you need them."))
    st.page_link("pages/skills.py", label=_("Skills"), icon=":material/self_improvement:")
    st.page_link("pages/tools.py", label=_("Coping tools"), icon=":material/air:")
