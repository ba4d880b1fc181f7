"""Crisis help, one tap from every screen (and on the login screen)."""

from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from core.db import session_scope
from core.program import (
    DEFAULT_REGION,
    NOT_MONITORED,
    REGION_CRISIS_RESOURCES,
    REGION_NAMES,
    UNKNOWN_REGION_LINE,
    CrisisResource,
    crisis_links,
    crisis_resources_for,
    in_language_order,
)
from ui import i18n
from ui.i18n import _
from ui.text import md

log = logging.getLogger(__name__)
ICONS = {"call": ":material/call:", "text": ":material/sms:"}
# The lines last read for each program: shown if the database goes away in the middle of a shift.
_last_good: dict[int | None, list[CrisisResource]] = {}


def _resources(program_id: int | None) -> list[CrisisResource]:
    """The program's lines; its settings are cached in core (a short TTL, and forgotten the moment
    the admin's change commits), so this is no query on most reruns."""
    with session_scope() as session:
        return crisis_resources_for(session, program_id)


def links_markdown(resource: CrisisResource) -> str:
    """The resource's call/text links as Markdown (labels escaped; hrefs are digits only)."""
    return " · ".join(f"[{ICONS[link.kind]} {md(link.label)}]({link.href})" for link in crisis_links(resource))


# The region's lines are ours, and translated; a program's local lines are shown as the admin typed them.
_OURS = frozenset(line for lines in REGION_CRISIS_RESOURCES.values() for line in lines) | {UNKNOWN_REGION_LINE}


def resource_markdown(resource: CrisisResource) -> str:
    """One crisis line: its name, what it is, and its links. Typed text is shown as typed."""
    ours = resource in _OURS
    lines = [f"**{md(_(resource.name) if ours else resource.name)}**"]
    if resource.detail:
        lines.append(md(_(resource.detail) if ours else resource.detail))
    if links := links_markdown(resource):
        lines.append(links)
    return "  \n".join(lines)


def _lines(program_id: int | None, fallback: bool) -> tuple[list[CrisisResource], str]:
    """The program's lines, and a note when they may not be the program's own. Never fails."""
    if not fallback:
        try:
            found = _resources(program_id)
            _last_good[program_id] = list(found)
            return found, ""
        except SQLAlchemyError:
            log.exception("crisis resources: database unavailable, showing the last lines read")
    if program_id in _last_good:
        return _last_good[program_id], ""
    return (
        list(REGION_CRISIS_RESOURCES[DEFAULT_REGION]),
        _("These are the {region} lines. Anywhere else, call your local emergency number.").format(
            region=_(REGION_NAMES[DEFAULT_REGION])
        ),
    )


def resource_list(program_id: int | None, fallback: bool = False) -> None:
    """The lines, one paragraph each, in one Markdown element: drawn on every rerun of every screen
    (the crisis button), they were an element each, seven for the demo program."""
    resources, note = _lines(program_id, fallback)
    st.markdown("\n\n".join(resource_markdown(r) for r in in_language_order(resources, i18n.current())))
    if note:
        st.caption(note)


def _render(program_id: int | None, fallback: bool = False) -> None:
    resource_list(program_id, fallback)
    st.caption(_(NOT_MONITORED))


def crisis_button(program_id: int | None) -> None:
    """The button at the top of every screen; one tap opens the lines to call or text."""
    with st.popover(_("Crisis help — call or text now"), icon=":material/emergency:", width="stretch", wrap=True):
        _render(program_id)


def resources_panel(program_id: int | None = None, *, expanded: bool = True, fallback: bool = False) -> None:
    with st.expander(_("Need help right now? Crisis lines"), icon=":material/emergency:", expanded=expanded):
        _render(program_id, fallback)
