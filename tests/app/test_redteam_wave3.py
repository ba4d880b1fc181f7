"""Red team, wave 3: the bookmark routing (ui/nav.py: pages_for, everywhere, _to_first), the skills
library after discharge, and the login/feed routes, attacked as a hostile or careless user would.
Each test either failed before its fix (said in its docstring) or keeps an attempt that found nothing."""

import pytest
from sqlmodel import func, select

from core.models import AppUser, AuditEvent
from tests.app.conftest import log_in, open_page, texts
from ui.nav import ADDRESSES


def _refusals(session, actor_id: int) -> int:
    session.expire_all()
    return session.exec(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.actor_id == actor_id, ~AuditEvent.allowed)
    ).one()


def _user(session, username: str) -> AppUser:
    return session.exec(select(AppUser).where(AppUser.username == username)).one()


def test_a_logged_out_bookmark_runs_only_the_login(typed, app):
    """Every screen's address, logged out: the login runs, no page file (its content before any guard)."""
    for name in ADDRESSES:
        typed(app, name).run()
        assert app.routed[-1] == "login_screen", name
        assert [b.label for b in app.button if b.label == "Log in"], name
    assert typed.not_found == []  # (a bookmark once showed "Page not found" over the login)


def test_a_family_member_logging_in_at_a_participant_bookmark_gets_family_home(typed, app, session):
    app.query_params["skill"] = "wise_mind"
    typed(app, "progress").run()
    log_in(app, "pat.morgan")
    assert app.routed[-1] == "pages/family.py", app.routed
    assert not any(r.startswith("pages/") and r != "pages/family.py" for r in app.routed), app.routed
    assert _refusals(session, _user(session, "pat.morgan").id) == 0


def test_a_participant_at_a_therapist_review_bookmark_is_sent_home_without_a_refusal(typed, app, session):
    app.query_params["p"] = str(_user(session, "bailey").id)
    typed(app, "review").run()
    log_in(app, "alex")
    assert app.routed[-1] == "pages/today.py", app.routed
    assert "pages/review.py" not in app.routed
    assert _refusals(session, _user(session, "alex").id) == 0


def test_the_next_person_on_a_shared_device_does_not_inherit_the_last_ones_review_link(app, session):
    """Dr. Rivera reviews Alex (?p=<alex>) and logs out; Dr. Chen logs in on the same tab. The address
    still carried ?p=<alex> through the login, so Dr. Chen's first screen was a refusal about a record
    he never asked for, recorded in the audit trail against him."""
    alex = _user(session, "alex")
    chen = _user(session, "dr.chen")
    log_in(app, "dr.rivera")
    open_page(app, "pages/review.py")
    assert app.query_params.get("p") in (str(alex.id), [str(alex.id)]), app.query_params
    app.switch_page("pages/account.py").run()  # (keeps the address's query string, as the menu does)
    next(b for b in app.button if b.label == "Log out").click().run()
    assert app.routed[-1] == "login_screen"
    before = _refusals(session, chen.id)
    log_in(app, "dr.chen")
    assert _refusals(session, chen.id) == before, "a refusal recorded for a link Dr. Chen never followed"
    assert "don't have access" not in texts(app)


def test_the_next_person_after_a_lapsed_login_does_not_inherit_its_review_link(app, session):
    """Dr. Rivera leaves the clinic's computer on Alex's review (?p=<alex>) and logs out on her phone
    (every login ends). Dr. Chen sits down: the tab shows the login (the bookmark routing keeps the
    address, query string and all), he logs in, and his first screen was a refusal about Alex, a
    record he never asked for, recorded in the audit trail against him."""
    alex = _user(session, "alex")
    rivera = _user(session, "dr.rivera")
    chen = _user(session, "dr.chen")
    log_in(app, "dr.rivera")
    open_page(app, "pages/review.py")
    app.query_params["p"] = str(alex.id)
    app.run()
    assert app.routed[-1] == "pages/review.py"
    rivera.session_version += 1  # core.auth.end_all_sessions, from her phone
    session.add(rivera)
    session.commit()
    app.run()
    assert app.routed[-1] == "login_screen"
    before = _refusals(session, chen.id)
    log_in(app, "dr.chen")
    assert _refusals(session, chen.id) == before, "a refusal recorded for a link Dr. Chen never followed"
    assert "don't have access" not in texts(app)


def test_the_same_person_after_a_lapsed_login_keeps_their_review_link(app, session):
    """The other side of the fix above: the bookmark routing still brings Dr. Rivera back to Alex."""
    alex = _user(session, "alex")
    rivera = _user(session, "dr.rivera")
    log_in(app, "dr.rivera")
    open_page(app, "pages/review.py")
    app.query_params["p"] = str(alex.id)
    app.run()
    rivera.session_version += 1
    session.add(rivera)
    session.commit()
    app.run()
    assert app.routed[-1] == "login_screen"
    log_in(app, "dr.rivera")
    assert app.routed[-1] == "pages/review.py"
    assert "Alex Morgan" in [s.value.name for s in app.selectbox if s.label == "Participant"]
    assert _refusals(session, rivera.id) == 0


def test_a_first_password_holds_at_every_address_and_then_opens_the_bookmark(typed, app, session):
    """Alex must choose his own password: every screen's address (his, another role's, the first
    page's own name) runs only the choose-password screen; once chosen, the bookmark opens."""
    alex = _user(session, "alex")
    alex.must_change_password = True
    session.add(alex)
    session.commit()
    typed(app, "practice").run()
    log_in(app, "alex")
    assert app.routed[-1] == "choose_password_screen", app.routed
    for name in [*ADDRESSES, "home", "login"]:
        typed(app, name).run()
        assert app.routed[-1] == "choose_password_screen", name
        assert [t.value for t in app.title] == ["Choose your own password"], name
    typed(app, "practice").run()
    app.text_input(key="choose_new").input("my own evening words")
    app.text_input(key="choose_repeat").input("my own evening words")
    next(b for b in app.button if b.label == "Save my password").click().run()
    assert app.routed[-1] == "pages/practice.py", app.routed


def test_a_discharged_participant_cannot_favourite_by_session_state(app, session, database_url):
    """The favourite switch is not drawn after discharge; a value for its key sent anyway (a crafted
    widget state) writes nothing, and nothing is refused either."""
    from core.models import FavouriteSkill
    from tests.app.test_after_discharge import _phase

    _phase(database_url, "within")
    alex = _user(session, "alex")
    session.expire_all()
    before = session.exec(select(func.count()).select_from(FavouriteSkill)).one()
    log_in(app, "alex")
    open_page(app, "pages/skills.py")
    app.query_params["skill"] = "halt"
    app.session_state["fav_halt"] = True
    app.run()
    app.session_state["fav_halt"] = False
    app.run()
    session.expire_all()
    assert session.exec(select(func.count()).select_from(FavouriteSkill)).one() == before
    assert _refusals(session, alex.id) == 0


def test_a_hostile_language_value_falls_back_and_is_never_saved(app, session):
    """A language in the session that is not one (a path, a number, a list, a NUL) reads as English on
    the login screen, and logging in does not store it on an account that has no language yet."""
    from ui.i18n import LOGIN_LANGUAGE

    bailey = _user(session, "bailey")
    assert bailey.language is None
    for odd in ("../../etc/passwd", 3, ["es"], "es\x00", " ES ", None):
        app.session_state[LOGIN_LANGUAGE] = odd
        app.run()
        assert app.routed[-1] == "login_screen"
        assert "Your diary card, skills and check-ups, between sessions." in texts(app), odd
    log_in(app, "bailey")
    session.expire_all()
    assert _user(session, "bailey").language is None
    assert app.title[0].value.startswith("Good ")


@pytest.mark.parametrize("day", ["0001-01-01", "0001-01-02", "0001-01-09", "1900-02-28"])
def test_a_review_link_with_a_day_from_long_ago_opens_the_usual_week(app, session, day):
    """?day=0001-01-01 (typed, or a mangled link) on Review: counting back from it overflowed `date`
    and the page showed the calm error box instead of the participant's week."""
    alex = _user(session, "alex")
    log_in(app, "dr.rivera")
    open_page(app, "pages/review.py")
    app.query_params["p"] = str(alex.id)
    app.query_params["day"] = day
    app.run()
    assert app.routed[-1] == "pages/review.py"
    assert app.date_input[0].value.year >= 2000
    assert "The week's card" in texts(app)


ODD_VALUES = [
    "",
    "../../etc/passwd",
    "halt\x00",
    "HALT",
    "halt" * 500,
    "٣",
    "-1",
    "[x](javascript:alert(1))",
    "__class__",
]


def test_odd_query_values_on_the_participant_screens_fall_back_calmly(app, session):
    """?skill= and ?tool= with a path, a NUL, another case, 2,000 characters, a Markdown link, a dunder:
    the library or the breathing tool, never an error, a traceback or the value drawn as Markdown."""
    log_in(app, "alex")
    open_page(app, "pages/skills.py")
    for odd in ODD_VALUES:
        app.query_params["skill"] = odd
        app.run()
        assert app.title[0].value == "Skills", odd
        assert "javascript" not in texts(app)
    open_page(app, "pages/tools.py")
    for odd in ODD_VALUES:
        app.query_params["tool"] = odd
        app.run()
        assert app.segmented_control(key="tool_choice").value == "breathing", odd
