"""The relapse-prevention and aftercare plan on screen: read it, edit it (a new version each save),
see who changed what. Everything typed is shown as plain text (st.text / md())."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from core import aftercare
from core.access import Actor
from core.db import session_scope
from core.errors import ValidationError
from core.safety import Plan, PlanConflict
from ui.forms import FieldErrors
from ui.i18n import _
from ui.text import md
from ui.timefmt import local_time

SECTIONS = [*aftercare.LISTS[:3], aftercare.PEOPLE, aftercare.APPOINTMENTS, aftercare.MEDICATION, aftercare.LISTS[3]]


def show(plan: Plan | None, *, empty: str | None = None) -> None:
    """The plan, section by section (a family member's copy has no medication plan). `empty` is what
    an empty plan says to this reader (by default, to the participant)."""
    if not aftercare.has_content(plan):
        st.info(empty or _("No aftercare plan yet. It is built with your therapist before the program ends."))
        return
    assert plan is not None
    for key, title, _prompt in SECTIONS:
        if key not in plan.content:
            continue
        values = [plan.content.get(key, "")] if key == "medication" else plan.items(key)
        values = [v for v in values if v]
        if not values:
            continue
        st.markdown(f"**{md(_(title))}**")
        for item in values:
            st.text(item if key == "medication" else f"• {aftercare.entry(key, item)}")


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _day(value) -> date | None:
    """A date from the table editor, whatever shape it arrives in (date, datetime, ISO text)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "date"):  # a pandas Timestamp
        return value.date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def editor(actor: Actor, participant_id: int, plan: Plan | None, *, key: str, zone=None) -> None:
    """Edit every section; on save, a new version. A conflicting or refused save keeps what was typed."""
    st.session_state.setdefault(f"{key}_base", plan.version if plan else None)
    errors = FieldErrors()
    with st.form(key, clear_on_submit=False, border=False):
        edited: dict = {}
        for number, (section, english_title, english_prompt) in enumerate(SECTIONS, start=1):
            title, prompt = _(english_title), _(english_prompt)
            if section == "people":
                st.markdown(f"**{number}. {title}** — {prompt}")
                edited[section] = st.data_editor(
                    (plan.items(section) if plan else []) or [{"name": "", "phone": ""}],
                    num_rows="dynamic",
                    column_config={"name": _("Name"), "phone": _("Phone")},
                    key=f"{key}_{section}",
                    width="stretch",
                )
            elif section == "appointments":
                st.markdown(f"**{number}. {title}** — {prompt}")
                current = [
                    {"provider": a.get("provider", ""), "date": _day(a.get("date")), "contact": a.get("contact", "")}
                    for a in (plan.items(section) if plan else [])
                ]
                edited[section] = st.data_editor(
                    current or [{"provider": "", "date": None, "contact": ""}],
                    num_rows="dynamic",
                    column_config={
                        "provider": _("Provider"),
                        "date": st.column_config.DateColumn(_("Date"), format="YYYY-MM-DD"),
                        "contact": _("Contact"),
                    },
                    key=f"{key}_{section}",
                    width="stretch",
                )
            elif section == "medication":
                edited[section] = st.text_area(
                    f"**{number}. {title}**",
                    plan.content.get(section, "") if plan else "",
                    placeholder=prompt[0].upper() + prompt[1:],
                    key=f"{key}_{section}",
                )
            else:
                edited[section] = _lines(
                    st.text_area(
                        _("**{number}. {title}** — one per line").format(number=number, title=title),
                        "\n".join(plan.items(section)) if plan else "",
                        placeholder=prompt[0].upper() + prompt[1:],
                        key=f"{key}_{section}",
                    )
                )
            errors.slot(section)
        errors.slot("plan")
        saved = st.form_submit_button(_("Save the aftercare plan"), type="primary", width="stretch", key=f"{key}_save")
    if not saved:
        return
    edited["appointments"] = [
        {"provider": row.get("provider") or "", "date": _day(row.get("date")), "contact": row.get("contact") or ""}
        for row in edited["appointments"]
        if isinstance(row, dict)
    ]
    edited["people"] = [
        {"name": row.get("name") or "", "phone": row.get("phone") or ""}
        for row in edited["people"]
        if isinstance(row, dict)
    ]
    try:
        with session_scope() as session:
            result = aftercare.save_plan(
                session,
                actor,
                participant_id=participant_id,
                content=edited,
                base_version=st.session_state[f"{key}_base"],
            )
    except ValidationError as exc:
        errors.show(exc.fields)
        st.error(_("Nothing was saved yet; everything typed is still here."))
    except PlanConflict as conflict:
        st.warning(
            _(
                "{who} saved a newer version at {time} while you were editing. Your text is still "
                "here: compare it with theirs below, then tap Save again to keep yours."
            ).format(who=md(conflict.current.updated_by), time=local_time(conflict.current.updated_at, zone))
        )
        show(conflict.current)
        st.session_state[f"{key}_base"] = conflict.current.version
    else:
        st.session_state[f"{key}_base"] = result.version
        st.success(_("Saved (version {version}).").format(version=result.version))
        for flag in aftercare.flags(result):
            st.warning(md(flag))


def history(changes, zone) -> None:
    for change in changes:
        st.markdown(
            _("**Version {version}** · {who} · {time}").format(
                version=change.version, who=md(change.by), time=local_time(change.at, zone)
            )
        )
        for line in change.summary:
            st.text(f"  {line}")
