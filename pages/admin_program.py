"""Admin: the program's crisis region and local lines, check-up interval, and the diary card's
targets with their alert rules."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.ADMIN)

from core import clinical, diary, recovery
from core import program as programs
from core.db import session_scope
from core.errors import ValidationError
from ui.forms import over_limit
from ui.text import md

st.title("Program")
with session_scope() as session:
    current = programs.program_of(session, actor)
if current is None:
    st.warning("Your account is not attached to a program.")
    st.stop()
st.write(f"**{md(current.name)}** · {md(current.schedule)} · {current.length_weeks} weeks")

st.subheader("Crisis lines")
if problem := programs.region_problem(current):
    st.error(problem, icon=":material/warning:")
regions = list(programs.REGION_NAMES)
with st.form("crisis_region"):
    region = st.selectbox(
        "Region: whose national crisis lines everyone sees",
        regions,
        index=regions.index(current.crisis_region) if current.crisis_region in regions else None,
        format_func=programs.REGION_NAMES.get,
        placeholder="Choose the program's country",
    )
    if st.form_submit_button("Save region", width="stretch"):
        try:
            with session_scope() as session:
                programs.set_crisis_region(session, actor, region)
            st.cache_data.clear()
            st.success(f"Everyone now sees the {programs.REGION_NAMES[region]} crisis lines.")
        except ValidationError as exc:
            st.error(exc.fields.get("region") or " ".join(exc.fields.values()))
st.caption(
    "The region's lines: "
    + "; ".join(
        md(r.name) for r in programs.REGION_CRISIS_RESOURCES.get(current.crisis_region, (programs.UNKNOWN_REGION_LINE,))
    )
    + "."
)

st.markdown("**Local crisis lines**")
st.caption(
    "Shown above the region's lines on every screen, including the login screen. Give a number to call, "
    "to text, or both; numbers are dialled as digits."
)
columns = ["name", "detail", "call", "text"]
edited = st.data_editor(
    [{c: r.get(c, "") for c in columns} for r in current.local_crisis_resources] or [{c: "" for c in columns}],
    num_rows="dynamic",
    width="stretch",
    key="crisis_editor",
    column_config={"name": "Name", "detail": "What it is", "call": "Call", "text": "Text"},
)
if st.button("Save crisis lines", type="primary", width="stretch"):
    rows = [
        {c: (row.get(c) or "").strip() for c in columns}
        for row in edited
        if any((row.get(c) or "").strip() for c in columns)
    ]
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
    days = st.number_input(
        "A check-up falls due every … days (counted from each person's intake)",
        min_value=low,
        max_value=high,
        value=current.checkup_interval_days,
        step=1,
    )
    if st.form_submit_button("Save", width="stretch"):
        try:
            with session_scope() as session:
                programs.set_checkup_interval(session, actor, int(days))
            st.success(f"Check-ups now fall due every {int(days)} days.")
        except ValidationError as exc:
            st.error(exc.fields["interval"])

if current.substance_use_tracking:  # dual diagnosis (#20): what the card lists, which MAT it asks about
    st.subheader("Substance use on the card")
    with st.form("substance_options"):
        chosen = st.pills(
            "Substances the card lists (as-needed and over-the-counter medicines are always there)",
            list(clinical.SUBSTANCES),
            selection_mode="multi",
            format_func=clinical.SUBSTANCES.get,
            default=list(current.substances),
        )
        medicines = st.pills(
            "Medication for addiction treatment: ask “taken as prescribed” for",
            list(clinical.MAT_MEDICATIONS),
            selection_mode="multi",
            format_func=clinical.MAT_MEDICATIONS.get,
            default=list(current.mat_medications),
        )
        if st.form_submit_button("Save", width="stretch"):
            try:
                with session_scope() as session:
                    recovery.set_program_options(session, actor, substances=chosen, mat_medications=medicines)
                st.success("Saved: the card asks about these from now on.")
            except ValidationError as exc:
                st.error(" ".join(exc.fields.values()))

st.subheader("Diary-card urges")
st.caption(
    "Every card asks about urges to these behaviours. Retiring one removes it from new cards; "
    "what people already recorded is kept. Each has an alert rule: what an urge at or above a "
    "level, or acting on it, opens for the therapist."
)
with session_scope() as session:
    targets = diary.targets_for(session, actor.program_id, include_retired=True)
SEVERITIES = list(clinical.RULE_SEVERITIES)
for target in targets:
    name, action = st.columns([3, 1], vertical_alignment="center")
    rule = "clinical rule, fixed" if target.rule_is_fixed else "program rule"
    label = md(target.label) if target.active else f"~~{md(target.label)}~~ (retired)"
    name.markdown(f"{label}  \n:small[Alert: {target.rule.describe()} ({rule})]")
    if action.button("Retire" if target.active else "Restore", key=f"target_{target.id}", width="stretch"):
        with session_scope() as session:
            diary.set_target_active(session, actor, target_id=target.id, active=not target.active)
        st.rerun()
    if target.rule_is_fixed:
        continue
    with st.expander(f"Alert rule for {md(target.label)}", icon=":material/notifications:"):
        with st.form(f"rule_{target.id}", border=False):
            current_rule = target.rule
            level = st.selectbox(
                "An urge at or above",
                [None, *range(1, clinical.URGE_MAX + 1)],
                index=(
                    [None, *range(1, clinical.URGE_MAX + 1)].index(current_rule.min_urge)
                    if current_rule.min_urge in range(1, clinical.URGE_MAX + 1)
                    else 0
                ),
                format_func=lambda v: "— (urges don't alert)" if v is None else f"{v} of 5",
                key=f"rule_level_{target.id}",
            )
            urge_sev = st.selectbox(
                "…opens",
                SEVERITIES,
                format_func=clinical.RULE_SEVERITIES.get,
                index=SEVERITIES.index(current_rule.urge_severity.value if current_rule.urge_severity else "none"),
                key=f"rule_urge_{target.id}",
            )
            acted_sev = st.selectbox(
                "Acting on it opens",
                SEVERITIES,
                format_func=clinical.RULE_SEVERITIES.get,
                index=SEVERITIES.index(current_rule.acted_severity.value if current_rule.acted_severity else "none"),
                key=f"rule_acted_{target.id}",
            )
            if st.form_submit_button("Save rule", width="stretch"):
                try:
                    with session_scope() as session:
                        saved = diary.set_target_rule(
                            session,
                            actor,
                            target_id=target.id,
                            min_urge=level,
                            urge_severity=urge_sev,
                            acted_severity=acted_sev,
                        )
                    st.success(f"Saved: {saved.rule.describe()}.")
                except ValidationError as exc:
                    for message in dict.fromkeys(exc.fields.values()):
                        st.error(message)
with st.form("add_target", clear_on_submit=False):
    # No max_chars: a browser given more than max_chars (a paste) keeps nothing at all.
    label = st.text_input("Add a behaviour", placeholder="e.g. Gambling")
    if st.form_submit_button("Add to the card", width="stretch"):
        try:
            with session_scope() as session:
                diary.add_target(session, actor, label=label)
            st.rerun()
        except ValidationError as exc:
            st.error(
                over_limit(label, diary.TARGET_LABEL_MAX) or exc.fields.get("label") or " ".join(exc.fields.values())
            )
