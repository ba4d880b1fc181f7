"""The safety plan on screen: read it (tap to call), edit it, see its history."""

from __future__ import annotations

import streamlit as st

from core import safety
from core.access import Actor
from core.db import session_scope
from core.errors import ValidationError
from core.program import dial_digits
from core.safety import CONTACT_STEPS, STEPS, Plan, PlanConflict
from ui import crisis
from ui.i18n import _
from ui.text import md
from ui.timefmt import local_time


def _contact_line(item: dict) -> str:
    """A person the participant wrote down: tap to call or text (names and numbers as typed)."""
    phone = str(item.get("phone", ""))
    name = str(item.get("name", ""))
    number = dial_digits(phone)
    if not number:
        return f"- {md(name)} · {md(phone)}" if phone else f"- {md(name)}"
    line = _("- **{name}** · [:material/call: Call](tel:{number}) · [:material/sms: Text](sms:{number}) · {phone}")
    if safety.phone_flag(phone):
        line = _(
            "- **{name}** · [:material/call: Call](tel:{number}) · [:material/sms: Text](sms:{number}) · {phone}"
            " ⚠️ check this number"
        )
    return line.format(name=md(name), number=number, phone=md(phone))


def show(plan: Plan | None, resources: list | None = None, *, only_shared: bool = False) -> None:
    """The plan, step by step, in the order to work through it; step 5 ends with the program's
    crisis lines (`resources`), which are always part of it."""
    if plan is None:
        st.info(
            _(
                "There's no written plan yet. These are its steps — you can fill them in here, or "
                "with your therapist at your next session."
            )
        )
    for number, (key, title, prompt) in enumerate(STEPS, start=1):
        if only_shared and key not in plan.content:
            continue
        title, prompt = _(title), _(prompt)
        st.markdown(f"**{number}. {title}**")
        items = plan.items(key) if plan else []
        lines = resources if key == "professionals" and resources else []
        if not items and not lines:
            st.caption(prompt[0].upper() + prompt[1:])
        elif key in CONTACT_STEPS:
            if items:
                st.markdown("\n".join(_contact_line(i) for i in items))
            for resource in lines:  # exactly the crisis panel's lines and links
                st.markdown(crisis.resource_markdown(resource))
        else:
            for item in items:
                st.text(f"• {item}")  # their own words, as plain text


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def editor(actor: Actor, participant_id: int, plan: Plan | None, *, key: str, zone=None) -> None:
    """Edit every step; on save, a new version. A conflicting save keeps what was typed."""
    base = plan.version if plan else None
    # The version this edit began from, kept across reruns: if someone saves a newer one meanwhile
    # (even the first version of a new plan), this save is told instead of silently going on top.
    st.session_state.setdefault(f"{key}_base", base)
    with st.form(key, clear_on_submit=False, border=False):
        edited: dict = {}
        for number, (step, title, prompt) in enumerate(STEPS, start=1):
            current = plan.items(step) if plan else []
            title, prompt = _(title), _(prompt)
            if step in CONTACT_STEPS:
                st.markdown(f"**{number}. {title}** — {prompt}")
                rows = st.data_editor(
                    current or [{"name": "", "phone": ""}],
                    num_rows="dynamic",
                    column_config={"name": _("Name"), "phone": _("Phone")},
                    key=f"{key}_{step}",
                    width="stretch",
                    placeholder="",
                )
                edited[step] = rows
            else:
                text = st.text_area(
                    _("**{number}. {title}** — one per line").format(number=number, title=title),
                    "\n".join(current),
                    placeholder=prompt[0].upper() + prompt[1:],
                    key=f"{key}_{step}",
                )
                edited[step] = _lines(text)
        if actor.id == participant_id:
            edited[safety.SHARED_STEPS] = st.multiselect(
                _("Steps family may see, if you share your safety plan with them"),
                [key for key, _title, _prompt in STEPS],
                default=plan.content.get(safety.SHARED_STEPS, []) if plan else [],
                format_func=lambda key: _(safety.STEP_TITLES[key]),
                key=f"{key}_shared",
            )
        saved = st.form_submit_button(
            _("Save my plan") if actor.id == participant_id else _("Save plan"),
            type="primary",
            width="stretch",
            key=f"{key}_save",
        )
    if not saved:
        return
    try:
        with session_scope() as session:
            result = safety.save_plan(
                session,
                actor,
                participant_id=participant_id,
                content=edited,
                base_version=st.session_state[f"{key}_base"],
            )
    except ValidationError as exc:
        for message in exc.fields.values():
            st.error(message)
        st.caption(_("Nothing was saved yet; everything you typed is still here."))
    except PlanConflict as conflict:
        st.warning(
            _(
                "{updated_by} saved a newer version at {updated_at} while you were editing. Your text"
                " is still here: compare it with theirs below, then tap Save again to keep yours."
            ).format(
                updated_by=md(conflict.current.updated_by), updated_at=local_time(conflict.current.updated_at, zone)
            )
        )
        show(conflict.current)
        st.session_state[f"{key}_base"] = conflict.current.version
    else:
        st.session_state[f"{key}_base"] = result.plan.version
        st.success(_("Saved (version {version}).").format(version=result.plan.version))
        for flag in result.flags:
            st.warning(md(flag))


def history(changes: list[safety.Change], zone) -> None:
    """Every version, in the viewer's time zone (required: a page that forgot it showed UTC)."""
    for change in changes:
        st.markdown(
            _("**Version {version}** · {by} · {at}").format(
                version=change.version, by=md(change.by), at=local_time(change.at, zone)
            )
        )
        for line in change.summary:
            st.text(f"  {line}")
