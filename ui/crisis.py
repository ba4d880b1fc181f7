"""Crisis help, one tap from every screen (and on the login screen)."""

from __future__ import annotations

import logging
from urllib.parse import quote

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from core.db import session_scope
from core.program import NOT_MONITORED, REGION_CRISIS_RESOURCES, CrisisResource, crisis_resources_for

log = logging.getLogger(__name__)


@st.cache_data(ttl=60, show_spinner=False)
def _resources(program_id: int | None) -> list[CrisisResource]:
    with session_scope() as session:
        return crisis_resources_for(session, program_id)


def _links(resource: CrisisResource) -> str:
    links = []
    if resource.call:
        links.append(f"[:material/call: Call {resource.call}](tel:{quote(resource.call)})")
    if resource.text:
        body = f"?&body={quote(resource.sms_body)}" if resource.sms_body else ""
        links.append(f"[:material/sms: Text {resource.text}](sms:{quote(resource.text)}{body})")
    return " · ".join(links)


def _lines(program_id: int | None, fallback: bool) -> list[CrisisResource]:
    """The program's lines; the region's defaults if the database can't be asked. Never fails."""
    if not fallback:
        try:
            return _resources(program_id)
        except SQLAlchemyError:
            log.exception("crisis resources: database unavailable, showing region defaults")
    return list(REGION_CRISIS_RESOURCES["US"])


def resource_list(program_id: int | None, fallback: bool = False) -> None:
    for resource in _lines(program_id, fallback):
        st.markdown(f"**{resource.name}**  \n{resource.detail}  \n{_links(resource)}")


def _render(program_id: int | None, fallback: bool = False) -> None:
    resource_list(program_id, fallback)
    st.caption(NOT_MONITORED)


def crisis_button(program_id: int | None) -> None:
    """The button at the top of every screen; one tap opens the lines to call or text."""
    with st.popover("Crisis help — call or text now", icon=":material/emergency:", width="stretch"):
        _render(program_id)


def resources_panel(program_id: int | None = None, *, expanded: bool = True,
                    fallback: bool = False) -> None:
    with st.expander("Need help right now? Crisis lines", icon=":material/emergency:", expanded=expanded):
        _render(program_id, fallback)
