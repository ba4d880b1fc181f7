"""Which screens each role has. app.py builds the navigation from this on every rerun."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from core import enrolment
from core.access import Actor
from core.db import session_scope
from core.enrolment import Remaining, Use
from core.models import Role
from ui import i18n
from ui.i18n import N_, _
from ui.text import md

ACCOUNT = ("pages/account.py", N_("My account"), ":material/settings:")
PAGES: dict[Role, list[tuple[str, str, str]]] = {
    Role.PARTICIPANT: [
        ("pages/today.py", N_("Today"), ":material/wb_sunny:"),
        ("pages/my_cards.py", N_("My cards"), ":material/calendar_view_week:"),
        ("pages/checkups.py", N_("Check-ups"), ":material/checklist:"),
        ("pages/skills.py", N_("Skills"), ":material/self_improvement:"),
        ("pages/tools.py", N_("Coping tools"), ":material/air:"),
        ("pages/practice.py", N_("Practice log"), ":material/edit_note:"),
        ("pages/progress.py", N_("My progress"), ":material/monitoring:"),
        ("pages/safety_plan.py", N_("My safety plan"), ":material/health_and_safety:"),
        ("pages/aftercare.py", N_("My aftercare plan"), ":material/route:"),
        ("pages/sharing.py", N_("Family sharing"), ":material/family_restroom:"),
        ("pages/notifications.py", N_("Reminders"), ":material/notifications:"),
        ACCOUNT,
    ],
    Role.THERAPIST: [
        ("pages/caseload.py", N_("Caseload"), ":material/groups:"),
        ("pages/alerts.py", N_("Alerts"), ":material/notifications_active:"),
        ("pages/review.py", N_("Review"), ":material/monitoring:"),
        ("pages/attendance.py", N_("Attendance"), ":material/how_to_reg:"),
        ("pages/enrolment.py", N_("Enrolment"), ":material/badge:"),
        ("pages/dashboard.py", N_("Dashboard"), ":material/insights:"),
        ("pages/safety_plans.py", N_("Safety plans"), ":material/health_and_safety:"),
        ("pages/notifications.py", N_("Notifications"), ":material/notifications:"),
        ACCOUNT,
    ],
    Role.FAMILY: [("pages/family.py", N_("Family home"), ":material/home:"), ACCOUNT],
    Role.ADMIN: [
        ("pages/admin_accounts.py", N_("Accounts"), ":material/manage_accounts:"),
        ("pages/admin_assign.py", N_("Caseloads"), ":material/link:"),
        ("pages/admin_audit.py", N_("Audit log"), ":material/policy:"),
        ("pages/admin_program.py", N_("Program"), ":material/local_hospital:"),
        ("pages/admin_schedule.py", N_("Schedule"), ":material/calendar_month:"),
        ("pages/enrolment.py", N_("Enrolment"), ":material/badge:"),
        ("pages/dashboard.py", N_("Dashboard"), ":material/insights:"),
        ("pages/admin_messages.py", N_("Messages"), ":material/mail:"),
        ACCOUNT,
    ],
}


# What each participant screen is for, as far as the end of the program changes it
# (core/enrolment.py: `Remaining`). A participant screen missing here counts as one that writes.
NEEDS: dict[str, Use] = {
    "pages/today.py": Use.HOME,
    "pages/my_cards.py": Use.READ,
    "pages/checkups.py": Use.WRITE,
    "pages/skills.py": Use.TOOLS,  # the skills to read and try; homework, favourites and logging only in the program
    "pages/tools.py": Use.TOOLS,
    "pages/practice.py": Use.WRITE,
    "pages/progress.py": Use.READ,
    "pages/safety_plan.py": Use.READ,
    "pages/aftercare.py": Use.READ,
    "pages/sharing.py": Use.PRIVACY,  # after discharge: who sees what, and stopping it (nothing new)
    "pages/notifications.py": Use.WRITE,
    "pages/account.py": Use.ACCOUNT,
}


def remaining(actor: Actor) -> Remaining:
    """What this person may still use (all of it, unless they are a discharged participant). Read from
    the gate's facts for this run: asking again costs no query."""
    with session_scope() as session:
        return enrolment.remaining(session, actor)


def offered(actor: Actor, path: str, left: Remaining) -> bool:
    """Whether the screen at `path` is for this person now."""
    if actor.role is not Role.PARTICIPANT:
        return True
    return left.may(NEEDS.get(path, Use.WRITE))


# Every screen's own address (/today, /caseload, ...): Streamlit names a page after its file.
ADDRESSES = sorted({Path(path).stem for pages in PAGES.values() for path, _title, _icon in pages})
# Addresses a person types that are no role's screen: home, the login, the choice of a first
# password. Each opens what they expect in every state (logged out: the login; choosing a first
# password: that; logged in: the role's first page), never Streamlit's "Page not found".
HOME, LOGIN, CHOOSE_PASSWORD = "home", "login", "choose-password"
ENTRY = (HOME, LOGIN, CHOOSE_PASSWORD)
# The default page (the role's first, the login, the password choice) opens at the app's root ("/"),
# but Streamlit still reserves the url_path it is given and no typed address reaches it ("/home"
# given to the default page showed "Page not found"): it gets this name, which nobody types, and
# every address a person might type is a hidden entry of its own.
ROOT = "iop-root"


def address(path: str) -> str:
    return Path(path).stem


def pages_for(actor: Actor) -> list[st.Page]:
    """The router's pages: the role's, those a discharged participant no longer uses kept out of the
    menu (still routed: opened by URL, their guard shows the closing word, not an error).

    The first page opens at "/" and, from a bookmark, at its own address too (a second, hidden
    entry for the same file, registered after the first so the menu's links and `st.switch_page`
    still pick the first); another role's address opens this role's first page at "/" (Streamlit
    alone would show "Page not found" over it).

    Kept for the browser session while nothing they depend on changes: the person, their role, the
    language the titles are in, and what a discharged participant may still use. Thirty `st.Page`s
    each resolve their script on the disk; built on every rerun they were about a twelfth of a
    caseload rerun, so they are made once per process for a role, language and phase (`_made`) and
    the session keeps its own copies. Anything else (another person logging in in the same browser, a
    language changed on My account, a discharge) is a different key, and the session takes others."""
    left = remaining(actor)
    key = (actor.id, actor.role, i18n.current(), left)
    kept = st.session_state.get(_PAGES)
    if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == key:
        return kept[1]
    pages = _made(("role", actor.role, i18n.current(), left), lambda: _build(actor, left))
    st.session_state[_PAGES] = (key, pages)
    return pages


_MADE: dict[tuple, tuple[st.Page, ...]] = {}


def _made(key: tuple, build: Callable[[], list[st.Page]]) -> list[st.Page]:
    """The pages `build` makes, made once per process for `key` (what they depend on: a role's, in a
    language; the login's), and copied for each caller. Each `st.Page` resolves its script on the disk
    and checks its address: a person's first run after logging in built thirty of them, and every run of
    the login screen thirty more. Copies, because `st.navigation` marks the page it picked for this run
    on the object itself (which `run()` then clears): a list shared between sessions would let one
    session's run clear another's mark."""
    made = _MADE.get(key)
    if made is None:
        made = _MADE[key] = tuple(build())
    return [copy.copy(page) for page in made]


_PAGES = "nav_pages"


def forget() -> None:
    """Nobody is logged in: the last person's pages go (the next login builds its own anyway)."""
    st.session_state.pop(_PAGES, None)


def page_of(actor: Actor, path: str) -> st.Page:
    """The router's own page for the role's script at `path`: a link given it only looks it up (given
    the path, `st.page_link` resolves it on the disk on every call)."""
    index = next(i for i, (script, _title, _icon) in enumerate(PAGES[actor.role]) if script == path)
    return pages_for(actor)[index]


def _build(actor: Actor, left: Remaining) -> list[st.Page]:
    pages = [
        st.Page(
            path,
            title=_(title),
            icon=icon,
            default=index == 0,
            url_path=ROOT if index == 0 else None,
            visibility="visible" if offered(actor, path, left) else "hidden",
        )
        for index, (path, title, icon) in enumerate(PAGES[actor.role])
    ]
    first, title, icon = PAGES[actor.role][0]
    own = {address(path) for path, _title, _icon in PAGES[actor.role]}
    elsewhere = [  # another role's screen (an old link, a shared device), /home, /login: the first page
        st.Page(_to_first(first), title=_(title), icon=icon, url_path=name, visibility="hidden")
        for name in (*ADDRESSES, *ENTRY)
        if name not in own
    ]
    return [*pages, st.Page(first, title=_(title), icon=icon, url_path=address(first), visibility="hidden"), *elsewhere]


def _to_first(first: str) -> Callable[[], None]:
    def go() -> None:
        st.switch_page(first)  # (to "/", so the address shown is the screen drawn)

    return go


def everywhere(screen: Callable[[], None], *, title: str, icon: str, bookmarks: bool = True) -> list[st.Page]:
    """The one screen a person may have before the app (logging in, choosing a password), at "/", at
    its own address and the other typed ones (/home, /login, /choose-password: ENTRY) and, hidden,
    at every screen's: a bookmark opened after the login has lapsed shows the login, not Streamlit's
    "Page not found" over it, and once logged in the run that follows opens that address's screen
    (the hidden entry has the same address, so the same page key) when the role has it, else the
    role's first page. `bookmarks` False (after "Log out"): not at the screens' addresses, so the
    address the person logged out from falls back to it quietly ("/")."""
    return _made(
        ("everywhere", screen, title, icon, bookmarks),
        lambda: [
            st.Page(screen, title=title, icon=icon, url_path=ROOT, default=True),
            *(
                st.Page(screen, title=title, icon=icon, url_path=name, visibility="hidden")
                for name in (*ENTRY, *(ADDRESSES if bookmarks else ()))
            ),
        ],
    )


def menu(actor: Actor, here: str | None) -> None:
    """On a phone, the role's pages behind one labelled "Menu" button (hidden by CSS at 768 px and
    wider, where Streamlit shows them along the top). Picking a page opens it and the menu has gone:
    no third tap to close a sidebar. The browser keeps a popover open until the server sends a
    *different* open state, which a run interrupted by the tap on a page may never send; so each
    page (`here`) has a menu of its own, drawn closed when the page opens.

    Tapping the page you are on reruns the same page with the same menu, so that run closes it:
    the menu holds only page links, so a run that finds it open and was not started by opening it
    was started by one of its links.

    Its links are drawn only while it is open (opening it reruns the page: `on_change`): closed,
    it was ten elements built and sent on every rerun of every screen. The links are the router's
    own pages (`pages_for`, kept for the session), so no link resolves its script on the disk."""
    key = f"nav_menu_{here or 'page'}"
    if st.session_state.pop(_OPENED, None) != key and st.session_state.get(key):
        st.session_state[key] = False
    with st.popover(_("Menu"), icon=":material/menu:", key=key, on_change=_opened, args=(key,)) as drawn:
        if not drawn.open:  # drawn only when open: nine links built and sent on every rerun, folded
            return
        left = remaining(actor)
        for (path, _title, _icon), page in zip(PAGES[actor.role], pages_for(actor), strict=False):
            if offered(actor, path, left):  # (the role's pages come first in the router's list)
                st.page_link(page, label=page.title, icon=page.icon, width="stretch")
        st.caption(
            _("Logged in as **{name}** · {role}").format(name=md(actor.name), role=_(actor.role.label))
        )  # the sidebar's line, on a phone


_OPENED = "nav_menu_opened"


def _opened(key: str) -> None:
    """The menu was opened or closed by its own button: the run that follows keeps what the person did."""
    st.session_state[_OPENED] = key
