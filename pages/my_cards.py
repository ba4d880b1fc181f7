"""Participant: my past diary cards, a week at a time, and all of them as CSV."""

from datetime import timedelta

import streamlit as st

from core.models import Role
from ui import auth
from ui.i18n import _, current, long_day, month_day

actor = auth.guard(Role.PARTICIPANT)

from core import diary
from core.db import session_scope
from core.program import program_of, user_today
from core.skills import skills_by_id
from ui.diary import week_grid

st.title(_("My cards"))
with session_scope() as session:
    today = user_today(session, actor.id)
    program = program_of(session, actor)
    targets = diary.targets_for(session, actor.program_id, include_retired=True)

# Seven days ending today (or a whole number of weeks earlier): the week a person remembers.
weeks_back = st.session_state.setdefault("weeks_back", 0)
end = today - timedelta(weeks=weeks_back)
start = end - timedelta(days=6)
with st.container(horizontal=True, horizontal_alignment="distribute", vertical_alignment="center"):
    if st.button("", icon=":material/chevron_left:", help=_("Earlier week"), key="earlier"):
        st.session_state.weeks_back += 1
        st.rerun()
    st.markdown(f"**{month_day(start)} – {month_day(end)}**")  # (the reader's language: "21 nov – 27 nov")
    if st.button("", icon=":material/chevron_right:", help=_("Later week"), key="later", disabled=weeks_back == 0):
        st.session_state.weeks_back -= 1
        st.rerun()

with session_scope() as session:
    cards = diary.cards_between(session, actor, actor.id, start, end)
if not cards:
    st.info(_("No cards in these seven days. That's okay — today is a fine day to start again."))
else:
    st.html(week_grid(cards, start, targets, craving_on=bool(program and program.substance_use_tracking)))
    names = skills_by_id(current())
    for card in cards:
        if card.note or card.skills:
            st.markdown((_("**{day}** · filled in late") if card.late else "**{day}**").format(day=long_day(card.day)))
            if card.skills:
                st.caption(
                    _("Skills: {names}").format(names=", ".join(names[s].name for s in card.skills if s in names))
                )
            if card.note:
                st.text(card.note)  # plain text, never Markdown or HTML

st.divider()


def all_cards_csv() -> str:
    with session_scope() as session:
        return diary.cards_csv(session, actor, actor.id, targets=targets)


st.download_button(
    _("Download all my cards (CSV)"),
    all_cards_csv,
    file_name="my-diary-cards.csv",
    mime="text/csv",
    icon=":material/download:",
    width="stretch",
)
