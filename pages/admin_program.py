"""Admin: the program's local crisis lines (the region's defaults are always shown too)."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.ADMIN)

from core import diary  # noqa: E402 - the guard comes first
from core import program as programs  # noqa: E402
from core.db import session_scope  # noqa: E402
from core.errors import ValidationError  # noqa: E402
from ui.text import md  # noqa: E402

st.title("Program")
with session_scope() as session:
    current = programs.program_of(session, actor)
if current is None:
    st.warning("Your account is not attached to a program.")
    st.stop()
st.write(f"**{md(current.name)}** · {md(current.schedule)} · {current.length_weeks} weeks")

st.subheader("Local crisis lines")
st.caption("Shown above the region's lines (for the US: 988, Crisis Text Line, 911) on every "
           "screen, including the login screen. Give a number to call, to text, or both.")
columns = ["name", "detail", "call", "text"]
edited = st.data_editor(
    [{c: r.get(c, "") for c in columns} for r in current.local_crisis_resources] or
    [{c: "" for c in columns}],
    num_rows="dynamic", width="stretch", key="crisis_editor",
    column_config={"name": "Name", "detail": "What it is", "call": "Call", "text": "Text"})
if st.button("Save crisis lines", type="primary", width="stretch"):
    rows = [{c: (row.get(c) or "").strip() for c in columns} for row in edited
            if any((row.get(c) or "").strip() for c in columns)]
    try:
        with session_scope() as session:
            programs.set_local_crisis_resources(session, actor, rows)
        st.cache_data.clear()
        st.success("Saved. Everyone sees the new lines on their next tap.")
    except ValidationError as exc:
        for message in dict.fromkeys(exc.fields.values()):
            st.error(message)

st.subheader("Check-ups")
with st.form("checkup_interval"):
    low, high = programs.CHECKUP_INTERVAL_RANGE
    days = st.number_input("A check-up falls due every … days (counted from each person's intake)",
                           min_value=low, max_value=high, value=current.checkup_interval_days, step=1)
    if st.form_submit_button("Save", width="stretch"):
        try:
            with session_scope() as session:
                programs.set_checkup_interval(session, actor, int(days))
            st.success(f"Check-ups now fall due every {int(days)} days.")
        except ValidationError as exc:
            st.error(exc.fields["interval"])

st.subheader("Diary-card urges")
st.caption("Every card asks about urges to these behaviours. Retiring one removes it from new cards; "
           "what people already recorded is kept.")
with session_scope() as session:
    targets = diary.targets_for(session, actor.program_id, include_retired=True)
for target in targets:
    name, action = st.columns([3, 1], vertical_alignment="center")
    name.markdown(md(target.label) if target.active else f"~~{md(target.label)}~~ (retired)")
    if action.button("Retire" if target.active else "Restore", key=f"target_{target.id}", width="stretch"):
        with session_scope() as session:
            diary.set_target_active(session, actor, target_id=target.id, active=not target.active)
        st.rerun()
with st.form("add_target", clear_on_submit=False):
    label = st.text_input("Add a behaviour", max_chars=diary.TARGET_LABEL_MAX, placeholder="e.g. Gambling")
    if st.form_submit_button("Add to the card", width="stretch"):
        try:
            with session_scope() as session:
                diary.add_target(session, actor, label=label)
            st.rerun()
        except ValidationError as exc:
            st.error(exc.fields["label"])
