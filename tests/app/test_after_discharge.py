"""A participant's screens before discharge, within the program's access period and after it, opened
through app.py's router as the menu or a typed address opens them (table-driven): what the menu
offers, what each screen shows, and that nothing a discharged participant can open is a refusal.
What may still be done is decided in core (core/enrolment.py: `remaining`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, func, select

from core import db, enrolment, sharing
from core.access import REFUSED_MESSAGE, AccessDenied, Actor
from core.models import AppUser, AuditEvent, Discharge, Program, Role
from core.seed import demo_today
from tests.app.conftest import log_in, open_menu, open_page, texts
from ui.nav import NEEDS, PAGES

TODAY = demo_today()
CLOSING = "Your time in the program has ended"
PARTICIPANT_PAGES = [path for path, _title, _icon in PAGES[Role.PARTICIPANT]]
READING = {
    "pages/today.py",
    "pages/my_cards.py",
    "pages/progress.py",
    "pages/safety_plan.py",
    "pages/aftercare.py",
    "pages/tools.py",
    "pages/skills.py",  # to read and try; no homework, favourites or practice log
    "pages/account.py",
    "pages/sharing.py",  # who sees what, and stopping it, is never taken away
}
CLOSED = {"pages/today.py", "pages/tools.py", "pages/skills.py", "pages/account.py", "pages/sharing.py"}
# Each screen as itself (not the closing word): a line only that screen draws.
OWN = {
    "pages/my_cards.py": "My cards",
    "pages/progress.py": "My progress",
    "pages/safety_plan.py": "My safety plan",
    "pages/aftercare.py": "My aftercare plan",
    "pages/tools.py": "Coping tools",
    "pages/account.py": "My account",
    "pages/checkups.py": "Check-ups",
    "pages/skills.py": "Skills",
    "pages/practice.py": "Practice log",
    "pages/sharing.py": "Family sharing",
    "pages/notifications.py": "Reminders",
}


def _phase(database_url, phase: str, *, keep_family_consent: bool = False) -> None:
    """Alex, discharged (or not) as the phase says; "after": 91 days ago, past the 90-day period."""
    with Session(db.engine_for(database_url), expire_on_commit=False) as session:
        alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
        rivera = Actor.of(session.exec(select(AppUser).where(AppUser.username == "dr.rivera")).one())
        if phase == "before":
            return
        days_ago = {"within": 1, "today": 0, "after": 91}[phase]
        alex.started_on = min(alex.started_on, TODAY - timedelta(days=120))
        session.add(alex)
        session.commit()
        enrolment.discharge(
            session,
            rivera,
            participant_id=alex.id,
            day=TODAY - timedelta(days=days_ago),
            status="completed",
            today=TODAY,
            keep_family_consent=keep_family_consent,
        )
        assert session.get(Program, alex.program_id).discharge_access_days == 90


def menu_links(app) -> list[str]:
    open_menu(app)  # (its links are drawn only while it is open)
    menus = [b for b in _blocks(app.main) if b.type == "popover" and b.proto.popover.label == "Menu"]
    assert len(menus) == 1
    return [c.proto.page for c in menus[0].children.values() if c.type == "page_link"]


def _blocks(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _blocks(child)


def _refusals(database_url) -> int:
    with Session(db.engine_for(database_url)) as session:
        return session.exec(select(func.count(col(AuditEvent.id))).where(col(AuditEvent.allowed).is_(False))).one()


def test_every_participant_page_says_what_it_needs():
    assert set(NEEDS) == set(PARTICIPANT_PAGES)
    assert set(OWN) | {"pages/today.py"} == set(PARTICIPANT_PAGES)


@pytest.mark.parametrize("phase", ["before", "within", "after"])
@pytest.mark.parametrize("page", PARTICIPANT_PAGES)
def test_each_screen_before_within_and_after_the_access_period(app, database_url, phase, page):
    _phase(database_url, phase)
    offered = {"before": set(PARTICIPANT_PAGES), "within": READING, "after": CLOSED}[phase]
    log_in(app, "alex")
    refused = _refusals(database_url)
    open_page(app, page)  # as a typed address (or an old bookmark) opens it
    shown = texts(app)
    assert REFUSED_MESSAGE not in shown and "not part of your account" not in shown
    assert _refusals(database_url) == refused  # nothing opened was refused by the gate
    if page == "pages/today.py":
        assert (CLOSING in shown) == (phase != "before")
    elif page in offered:
        assert CLOSING not in shown
        assert OWN[page] in shown
    else:
        assert CLOSING in shown  # the same kind word as Today, on whatever was opened
        assert "Coping tools" in [link.label for link in app.get("page_link")]
    chrome_safety_link = [link for link in app.get("page_link") if link.proto.page == "safety_plan"]
    assert bool(chrome_safety_link) == ("pages/safety_plan.py" in offered)
    assert set(menu_links(app)) == {p.removeprefix("pages/").removesuffix(".py") for p in offered} - {"today"} | {""}


@pytest.mark.parametrize("phase", ["today", "within"])
def test_within_the_period_plans_are_read_and_kept_not_changed(app, database_url, phase):
    _phase(database_url, phase)
    log_in(app, "alex")
    shown = texts(app)
    assert CLOSING in shown and "until" in shown and "Keep a printable copy of your plans" in shown
    assert "contact Evening IOP" in shown or "contact " in shown
    for page in ("pages/safety_plan.py", "pages/aftercare.py"):
        open_page(app, page)
        assert [t.label for t in app.tabs] == ["My plan", "Changes"]
        assert not [b for b in app.button if b.label.startswith("Save")]
    open_page(app, "pages/safety_plan.py")
    assert any("printable page" in str(e.proto) for e in app.get("download_button"))


def test_after_the_period_today_says_who_to_contact_and_nothing_of_the_record(app, database_url):
    _phase(database_url, "after")
    log_in(app, "alex")
    shown = texts(app)
    assert CLOSING in shown and "Your therapist was Dr. " in shown
    assert "You can still read" not in shown
    open_menu(app)
    links = {link.proto.page for link in app.get("page_link")}
    assert links == {"", "tools", "skills", "account", "sharing"}  # the menu (Today, Skills, Coping tools, My
    # account, Family sharing) and the tools link


def test_the_coping_tools_stay_without_the_practice_log_or_thought_record(app, database_url):
    _phase(database_url, "after")
    log_in(app, "alex")
    open_page(app, "pages/tools.py")
    control = app.segmented_control(key="tool_choice")
    assert control.options == ["Paced breathing", "5-4-3-2-1 grounding", "Urge surfing"]  # no thought record
    app.session_state["tool_breathing"] = {"started": None, "seconds": 60, "finished": 1.0}  # a round just ended
    app.run()
    assert "Your program has ended, so practice is no longer logged" in texts(app)
    assert not [b for b in app.button if b.label == "Save practice"]


@pytest.mark.parametrize("phase", ["within", "after"])
def test_the_skills_stay_to_read_and_try_without_homework_favourites_or_the_log(app, database_url, phase):
    """Alex has homework due and favourites: in the program the library leads with them (and the gate
    would still let them be read within the period), so only the page's own rule keeps them out."""
    _phase(database_url, phase)
    log_in(app, "alex")
    refused = _refusals(database_url)
    open_page(app, "pages/skills.py")
    shown = texts(app)
    assert "From your therapist" not in shown and "Favourites" not in shown and "Homework done" not in shown
    assert len([e for e in app.expander if " skills" in e.label]) >= 6  # every module, to browse
    app.query_params["skill"] = "halt"
    app.run()
    assert app.title[0].value == "HALT" and "Steps" in texts(app)
    assert not [t for t in app.toggle if t.label == "Favourite"]
    assert not [e for e in app.expander if e.label.startswith("Log a practice")]
    app.query_params["skill"] = "thought_record"  # the skill is there to read; its record-keeping tool is not
    app.run()
    assert app.title[0].value == "Thought record" and "Steps" in texts(app)
    assert not [t for t in app.text_area if t.key and "thought_record_tool" in t.key]
    assert _refusals(database_url) == refused


def test_the_skill_page_in_the_program_has_favourite_the_log_and_the_thought_record(app, database_url):
    """(The same steps in the program, so the test above fails if its checks go.)"""
    log_in(app, "alex")
    open_page(app, "pages/skills.py")
    assert "From your therapist" in texts(app)
    app.query_params["skill"] = "halt"
    app.run()
    assert [t for t in app.toggle if t.label == "Favourite"]
    assert [e for e in app.expander if e.label.startswith("Log a practice")]
    app.query_params["skill"] = "thought_record"
    app.run()
    assert [t for t in app.text_area if t.key and "thought_record_tool" in t.key]


@pytest.mark.parametrize("phase", ["within", "after"])
def test_a_crisis_search_after_discharge_shows_the_crisis_lines_and_opens_no_alert(app, database_url, phase):
    _phase(database_url, phase)
    log_in(app, "alex")
    open_page(app, "pages/skills.py")
    alerts_before = _alerts(database_url)
    refused = _refusals(database_url)
    app.text_input(key="skill_search").input("I want to kill myself").run()
    shown = texts(app)
    assert "please reach someone now" in shown and "988" in shown
    assert not [b for b in app.button if b.key and b.key.startswith("found_")]
    safety_link = [link for link in app.page_link if link.label == "Open my safety plan"]
    assert bool(safety_link) == (phase == "within")  # the plan is theirs to read only within the period
    assert _alerts(database_url) == alerts_before  # no one's caseload: nothing routed, nothing refused
    assert _refusals(database_url) == refused


def _alerts(database_url) -> int:
    from core.models import Alert

    with Session(db.engine_for(database_url)) as session:
        return session.exec(select(func.count(col(Alert.id)))).one()


def test_the_practice_log_is_there_before_discharge(app, database_url):
    """(The same steps in the program: the log is offered — so the test above fails if the check goes.)"""
    log_in(app, "alex")
    open_page(app, "pages/tools.py")
    assert "Thought record" in app.segmented_control(key="tool_choice").options
    app.session_state["tool_breathing"] = {"started": None, "seconds": 60, "finished": 1.0}
    app.run()
    assert "practice is no longer logged" not in texts(app)
    assert [b for b in app.button if b.label == "Save practice"]


def test_a_discharge_day_in_the_future_is_already_discharged(app, database_url):
    """A discharge row dated ahead (core refuses that date; a zone or clock skew could still write one):
    the app says the program has ended and offers what the gate allows then, not the diary card."""
    with Session(db.engine_for(database_url)) as session:
        alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
        rivera = session.exec(select(AppUser).where(AppUser.username == "dr.rivera")).one()
        session.add(
            Discharge(
                participant_id=alex.id, day=TODAY + timedelta(days=2), status="completed", recorded_by_id=rivera.id
            )
        )
        session.commit()
    log_in(app, "alex")
    assert CLOSING in texts(app) and not [b for b in app.button if b.label == "Save my card"]
    open_page(app, "pages/checkups.py")
    assert CLOSING in texts(app)


def test_after_the_period_my_account_still_changes_the_language_and_logs_out(app, database_url):
    _phase(database_url, "after")
    log_in(app, "alex")
    open_page(app, "pages/account.py")
    app.radio(key="account_language").set_value("es").run()
    assert "No tienes acceso" not in texts(app) and REFUSED_MESSAGE not in texts(app)
    open_page(app, "pages/today.py")
    assert "Tu tiempo en el programa terminó" in texts(app)
    open_page(app, "pages/account.py")
    next(b for b in app.button if b.label == "Cerrar sesión").click().run()
    assert app.text_input(key="login_username") is not None


@pytest.mark.parametrize("phase", ["within", "after"])
def test_a_discharged_participant_who_kept_sharing_can_still_stop_it(app, database_url, phase):
    """Alex kept sharing with Pat at discharge: long after it, he still sees what Pat sees and stops it
    (nothing new can be shared: no invitation form, no "Share:" choices)."""
    _phase(database_url, phase, keep_family_consent=True)
    log_in(app, "alex")
    open_page(app, "pages/sharing.py")
    shown = texts(app)
    assert "nothing new can be shared" in shown and CLOSING not in shown
    assert not [e for e in app.expander if e.label.startswith(("Share:", "Invite"))]
    stops = [b for b in app.button if b.label == "Stop"]
    assert len(stops) == 3  # attendance, mood trend and practice counts, as the seed shares them with Pat
    refused = _refusals(database_url)
    stops[0].click().run()
    assert len([b for b in app.button if b.label == "Stop"]) == 2
    assert _refusals(database_url) == refused
    with Session(db.engine_for(database_url)) as session:
        alex = Actor.of(session.exec(select(AppUser).where(AppUser.username == "alex")).one())
        with pytest.raises(AccessDenied):
            sharing.create_invitation(session, alex, name="Someone new")
