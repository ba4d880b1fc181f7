"""The shared frame of every screen, made cheaper in #22's sixth slice, and what it must keep doing.

- The router's pages (ui/nav.py `pages_for`) are built once per browser session and kept in
  `st.session_state`: never another person's (a shared computer: log out, someone else logs in) nor
  in another language (the titles are translated), nor what a participant may no longer use.
- The phone's "Menu" draws its links only while it is open; the crisis lines are always drawn.
- The caseload's folded parts (an extra check-up, a password reset, the discharged) are built and read
  only when opened.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, func, select

from core import accounts, enrolment
from core.access import Actor
from core.models import AppUser, AuditEvent, Role
from core.program import user_today
from tests.app.conftest import log_in, open_menu, open_page, texts
from ui import nav


def kept(app):
    return app.session_state.get(nav._PAGES)  # (AppTest: None when missing)


def titles(app) -> set[str]:
    return {page.title for page in kept(app)[1]}


def user(session, username: str) -> AppUser:
    return session.exec(select(AppUser).where(AppUser.username == username)).one()


def log_out(app) -> None:
    open_page(app, "pages/account.py")
    next(b for b in app.button if b.label in ("Log out", "Cerrar sesión")).click()
    app.run()


def test_the_routers_pages_are_built_once_and_kept_for_the_session(app, session):
    log_in(app, "alex")
    first = kept(app)
    assert first[0][0] == user(session, "alex").id
    app.run()
    open_page(app, "pages/my_cards.py")
    assert kept(app) is first  # the very same pages: not built again on a rerun or another screen
    assert app.routed[-1] == "pages/my_cards.py"


def test_someone_else_logging_in_on_the_same_browser_gets_their_own_pages_and_menu(app, session):
    log_in(app, "alex")
    assert "Today" in titles(app) and "Caseload" not in titles(app)
    log_out(app)
    assert kept(app) is None  # logged out: the last person's pages are gone
    log_in(app, "dr.chen")
    assert kept(app)[0][:2] == (user(session, "dr.chen").id, Role.THERAPIST)
    assert app.routed[-1] == "pages/caseload.py"  # the therapist's home, not the participant's
    open_page(app, "pages/caseload.py")  # (AppTest would rerun the address it last opened: /account)
    open_menu(app)
    links = {link.label for link in app.page_link if not link.proto.query_string}
    assert {"Caseload", "Alerts", "Review"} <= links and not {"Today", "My cards"} & links
    open_page(app, "pages/review.py")  # and each of the therapist's screens is routed
    assert app.routed[-1] == "pages/review.py"


def test_a_language_change_rebuilds_the_pages_in_that_language(app, session):
    log_in(app, "alex")
    assert {"Today", "My cards"} <= titles(app)
    english = kept(app)
    accounts.set_language(session, user_id=user(session, "alex").id, language="es")  # (My account, elsewhere)
    session.commit()
    app.run()
    assert kept(app) is not english and {"Hoy", "Mis tarjetas"} <= titles(app)
    assert "Today" not in titles(app)
    open_menu(app)
    assert {"Hoy", "Mis tarjetas"} <= {link.label for link in app.page_link}
    assert app.sidebar.caption[0].value.startswith("Sesión iniciada") or "Today" not in texts(app)


def shown_on_top(app) -> set[str]:
    """What the router shows along the top on a desktop: its pages that are not hidden."""
    return {page.title for page in kept(app)[1] if page.visibility == "visible"}


def test_a_discharge_while_logged_in_changes_the_menu_at_the_next_rerun(app, session):
    log_in(app, "alex")
    open_menu(app)
    assert "Practice log" in {link.label for link in app.page_link} and "Practice log" in shown_on_top(app)
    alex = user(session, "alex")
    rivera = Actor.of(user(session, "dr.rivera"))
    today = user_today(session, alex.id)
    enrolment.discharge(session, rivera, participant_id=alex.id, day=today, status="completed", today=today)
    session.commit()
    app.run()
    open_menu(app)
    shown = {link.label for link in app.page_link}
    assert "Practice log" not in shown and "My cards" in shown  # reading their record, writing no more
    assert "Practice log" not in shown_on_top(app) and "My cards" in shown_on_top(app)  # the desktop's too


def test_the_menu_is_drawn_closed_without_links_and_opens_with_the_roles_pages(app):
    log_in(app, "dr.chen")
    assert not [link for link in app.page_link if not link.proto.query_string and link.label == "Alerts"]
    open_menu(app)
    menu = [link.label for link in app.page_link if not link.proto.query_string]
    assert menu[: len(nav.PAGES[Role.THERAPIST])] == [title for _path, title, _icon in nav.PAGES[Role.THERAPIST]]
    open_page(app, "pages/alerts.py")  # a link in it opens a page: that page's menu is closed
    assert not [link for link in app.page_link if link.label == "Caseload"]


def test_the_crisis_lines_are_drawn_on_every_rerun_with_the_menu_closed(app):
    log_in(app, "alex")
    crisis = app.get("popover")[0]
    assert crisis.proto.popover.label.startswith("Crisis help")
    lines = " ".join(m.value for m in crisis.markdown)
    assert "tel:988" in lines and "tel:911" in lines


def _enrolment_reads(session, actor_id: int) -> int:
    return session.exec(
        select(func.count(col(AuditEvent.id))).where(
            AuditEvent.actor_id == actor_id, AuditEvent.category == "enrolment", col(AuditEvent.allowed).is_(True)
        )
    ).one()


def test_the_caseloads_folded_parts_are_built_only_when_opened(app, session):
    log_in(app, "dr.chen")
    assert [e.label for e in app.expander] == [
        "Ask for an extra check-up",
        "Forgotten password or paused login",
        "Discharged (1)",
    ]
    assert not app.selectbox and not [b for b in app.button if b.label == "Ask for it"]
    assert not [link for link in app.page_link if " · " in link.label.split("  \n")[0]]  # no discharged row
    app.session_state["caseload_extra_open"] = True
    app.run()
    assert [s.label for s in app.selectbox] == ["Participant"] and any(b.label == "Ask for it" for b in app.button)
    app.session_state["caseload_extra_open"] = False
    app.session_state["caseload_reset_open"] = True
    app.run()
    assert [s.label for s in app.selectbox] == ["Whose login"]
    app.session_state["caseload_discharged_open"] = True
    app.run()
    [sam] = [link for link in app.page_link if link.label.startswith("Sam ")]
    assert " · " in sam.label and sam.proto.query_string.startswith("p=")


def test_the_discharged_are_audited_whether_or_not_their_list_is_open(app, session):
    """Counting them for "Discharged (n)" reads their enrolment, and is recorded as before; opening the
    list reads their names and dates in the same category (one event per person per rerun)."""
    chen = user(session, "dr.chen")
    before = _enrolment_reads(session, chen.id)
    log_in(app, "dr.chen")
    closed = _enrolment_reads(session, chen.id)
    assert closed > before
    app.session_state["caseload_discharged_open"] = True
    app.run()
    assert _enrolment_reads(session, chen.id) - closed == 1  # Sam, once, in the run that showed him


def test_a_discharged_participant_on_the_caseload_is_counted_not_listed(app, session):
    rivera = Actor.of(user(session, "dr.rivera"))
    casey = user(session, "casey")
    today = user_today(session, casey.id)
    log_in(app, "dr.rivera")
    before = [e.label for e in app.expander if e.label.startswith("Discharged")]
    enrolment.discharge(
        session, rivera, participant_id=casey.id, day=today - timedelta(days=1), status="completed", today=today
    )
    session.commit()
    app.run()
    assert not [link for link in app.page_link if link.label.startswith("**Casey Nguyen**")]
    shown = [e.label for e in app.expander if e.label.startswith("Discharged")]
    assert shown == [f"Discharged ({int(before[0][12:-1]) + 1 if before else 1})"]


def test_typed_markdown_in_a_name_stays_text_in_the_caseloads_folded_parts(app, session):
    """The parts built only when opened get the same escaping as the rest (tests/app/test_hostile_text.py
    sees only what is drawn closed): the extra check-up's confirmation and the discharged list."""
    from tests.hostile_text import DANGEROUS, plant

    plant(session)  # Alex's name carries an image, a link, HTML...
    alex = user(session, "alex")
    log_in(app, "dr.rivera")
    app.session_state["caseload_extra_open"] = True
    app.run()
    picker = app.selectbox[0]
    picker.select(next(o for o in picker.options if o.startswith("Alex")))
    next(b for b in app.button if b.label == "Ask for it").click()
    app.run()
    [done] = [s.value for s in app.success if "extra PHQ-9" in s.value]
    assert "evil" in done and not DANGEROUS.search(done)
    rivera = Actor.of(user(session, "dr.rivera"))
    today = user_today(session, alex.id)
    enrolment.discharge(session, rivera, participant_id=alex.id, day=today, status="completed", today=today)
    session.commit()
    app.session_state["caseload_discharged_open"] = True
    app.run()
    [row] = [link.label for link in app.page_link if "evil" in link.label and " · " in link.label]
    assert not DANGEROUS.search(row)


def test_a_kept_page_list_that_is_not_this_persons_is_never_used(app, session):
    """Whatever the session holds under the pages' key (another person's, or not pages at all), the
    router uses only pages built for the person the login check found in this run."""
    log_in(app, "alex")
    mine = kept(app)
    for planted in (((user(session, "dr.chen").id, Role.THERAPIST, "en", mine[0][3]), mine[1]), "junk", 7, None):
        app.session_state[nav._PAGES] = planted
        app.run()
        assert kept(app)[0][0] == user(session, "alex").id and app.routed[-1] == "pages/today.py"


def test_the_pages_are_made_once_per_process_and_each_session_has_its_own(new_app, demo, monkeypatch):
    """A role's pages are made once per process (`nav._made`), and copied for each session: a list
    shared between sessions would let one session's run clear the mark `st.navigation` puts on the
    page it picked for another's (the page then refuses to run)."""
    made = []
    build = nav._build
    monkeypatch.setattr(nav, "_build", lambda actor, left: made.append(actor.id) or build(actor, left))
    first, second = new_app().run(), new_app().run()
    log_in(first, "alex")
    log_in(second, "bailey")
    mine, theirs = kept(first)[1], kept(second)[1]
    assert len(made) <= 1  # (none when an earlier test of this process made them)
    assert [p.url_path for p in mine] == [p.url_path for p in theirs]
    assert not {id(p) for p in mine} & {id(p) for p in theirs}
    for app in (first, second, first):
        open_page(app, "pages/my_cards.py")
        open_page(app, "pages/today.py")
