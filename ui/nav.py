"""Which screens each role has. app.py builds the navigation from this on every rerun."""

from __future__ import annotations

import streamlit as st

from core.access import Actor
from core.models import Role
from ui.text import md

ACCOUNT = ("pages/account.py", "My account", ":material/settings:")
PAGES: dict[Role, list[tuple[str, str, str]]] = {
    Role.PARTICIPANT: [
        ("pages/today.py", "Today", ":material/wb_sunny:"),
        ("pages/my_cards.py", "My cards", ":material/calendar_view_week:"),
        ("pages/checkups.py", "Check-ups", ":material/checklist:"),
        ("pages/skills.py", "Skills", ":material/self_improvement:"),
        ("pages/tools.py", "Coping tools", ":material/air:"),
        ("pages/practice.py", "Practice log", ":material/edit_note:"),
        ("pages/progress.py", "My progress", ":material/monitoring:"),
        ("pages/safety_plan.py", "My safety plan", ":material/health_and_safety:"),
        ("pages/sharing.py", "Family sharing", ":material/family_restroom:"),
        ("pages/notifications.py", "Reminders", ":material/notifications:"),
        ACCOUNT,
    ],
    Role.THERAPIST: [
        ("pages/caseload.py", "Caseload", ":material/groups:"),
        ("pages/alerts.py", "Alerts", ":material/notifications_active:"),
        ("pages/review.py", "Review", ":material/monitoring:"),
        ("pages/attendance.py", "Attendance", ":material/how_to_reg:"),
        ("pages/safety_plans.py", "Safety plans", ":material/health_and_safety:"),
        ("pages/notifications.py", "Notifications", ":material/notifications:"),
        ACCOUNT,
    ],
    Role.FAMILY: [("pages/family.py", "Family home", ":material/home:"), ACCOUNT],
    Role.ADMIN: [
        ("pages/admin_accounts.py", "Accounts", ":material/manage_accounts:"),
        ("pages/admin_assign.py", "Caseloads", ":material/link:"),
        ("pages/admin_audit.py", "Audit log", ":material/policy:"),
        ("pages/admin_program.py", "Program", ":material/local_hospital:"),
        ("pages/admin_messages.py", "Messages", ":material/mail:"),
        ACCOUNT,
    ],
}


def pages_for(role: Role) -> list[st.Page]:
    return [
        st.Page(path, title=title, icon=icon, default=index == 0)
        for index, (path, title, icon) in enumerate(PAGES[role])
    ]


def menu(actor: Actor, here: str | None) -> None:
    """On a phone, the role's pages behind one labelled "Menu" button (hidden by CSS at 768 px and
    wider, where Streamlit shows them along the top). Picking a page opens it and the menu has gone:
    no third tap to close a sidebar. The browser keeps a popover open until the server sends a
    *different* open state, which a run interrupted by the tap on a page may never send; so each
    page (`here`) has a menu of its own, drawn closed when the page opens.

    Tapping the page you are on reruns the same page with the same menu, so that run closes it:
    the menu holds only page links, so a run that finds it open and was not started by opening it
    was started by one of its links."""
    key = f"nav_menu_{here or 'page'}"
    if st.session_state.pop(_OPENED, None) != key and st.session_state.get(key):
        st.session_state[key] = False
    with st.popover("Menu", icon=":material/menu:", key=key, on_change=_opened, args=(key,)):
        for path, title, icon in PAGES[actor.role]:
            st.page_link(path, label=title, icon=icon, width="stretch")
        st.caption(f"Logged in as **{md(actor.name)}** · {actor.role.label}")  # the sidebar's line, on a phone


_OPENED = "nav_menu_opened"


def _opened(key: str) -> None:
    """The menu was opened or closed by its own button: the run that follows keeps what the person did."""
    st.session_state[_OPENED] = key
