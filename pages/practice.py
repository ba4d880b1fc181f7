"""Participant: the practice log — log a practice, browse and change today's, thought records,
what helped, and a CSV download."""

from datetime import date

import streamlit as st

from core.models import Role
from ui import auth
from ui.i18n import N_, _, short_day, skill_name

actor = auth.guard(Role.PARTICIPANT)

from core import charts, clinical, practice
from core.db import session_scope
from core.program import user_today, user_zone
from ui import charts as chart_widgets
from ui import coping
from ui import skills as ui
from ui.text import md

SHORTEST = next(iter(clinical.PERIOD_DAYS))
st.title(_("Practice log"))
with st.expander(_("Log a practice"), icon=":material/add_circle:", expanded=True):
    coping.practice_form(actor, key="practice_new")

period = (
    st.segmented_control(
        _("Show"),
        [*clinical.PERIOD_DAYS, N_("Everything")],
        format_func=_,
        default=SHORTEST,
        key="practice_period",
        width="stretch",
    )
    or SHORTEST
)
with session_scope() as session:
    today = user_today(session, actor.id)
    zone = user_zone(session, actor.id)
    start = clinical.period_start(today, period) or date.min
    entries = practice.practice_between(session, actor, actor.id, start, today)
    records = practice.thought_records(session, actor, actor.id, start, today)

# Today's entries can be changed; so can those of the day the run before drew, for one run: a change
# opened before midnight and sent after it is then saved or refused with a word (core.practice keeps
# an earlier day's entry as it was), never dropped unseen with its form.
drawn_today = st.session_state.get("practice_drawn_today", today)
st.session_state["practice_drawn_today"] = today
editable = {today, drawn_today}

if not entries and not records:
    st.info(_("Nothing logged in this time yet. Each practice you log shows here, with what helped."))
else:
    chart_widgets.chart(charts.helpfulness, entries)
    chart_widgets.chart(
        charts.practice_by_module,
        practice.practised_per_day(entries, records),
        span=(start, today) if start > date.min else None,
    )
    ui.practice_table(entries)
    for entry in (e for e in entries if e.day in editable):
        with st.expander(
            _("Change today's {skill} ({time:%H:%M})").format(
                skill=skill_name(entry.skill_id, entry.skill_name), time=entry.created_at.astimezone(zone)
            )
        ):
            coping.practice_form(actor, key=f"edit_{entry.id}", existing=entry)

if records:
    st.subheader(_("Thought records"))
    for r in records:
        with st.expander(f"{short_day(r.day)} · {md(r.situation[:40])}"):
            ui.thought_record_view(r)
            if r.day in editable:
                coping.thought_record_tool(actor, key=f"edit_thought_{r.id}", existing=r)
st.page_link(
    "pages/tools.py",
    label=_("Write a new thought record"),
    query_params={"tool": "thought_record"},
    icon=":material/psychology:",
)


def build_csv() -> str:
    with session_scope() as session:
        return practice.practice_csv(session, actor, actor.id)


st.download_button(
    _("Download my practice log (CSV)"),
    build_csv,
    file_name="my-practice-log.csv",
    mime="text/csv",
    icon=":material/download:",
    width="stretch",
)
