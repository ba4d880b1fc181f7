"""Family sharing through the real app script: join with a code, see what's shared, lose it on revoke."""

from sqlmodel import select

from core import sharing
from core.access import Actor, Category
from core.models import AppUser
from tests.app.conftest import log_in, open_page, texts


def actor(session, username):
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def test_family_home_shows_only_what_is_shared_and_no_notes(app):
    log_in(app, "pat.morgan")
    assert not app.exception
    shown = texts(app)
    assert "Mood trend (weekly averages)" in shown and "For families" in shown
    assert "Attendance" in shown and "Program sessions per week" in " ".join(
        c.proto.spec for c in app.get("plotly_chart")
    )
    assert sum(1 for _ in app.get("plotly_chart")) == 3  # attendance, mood trend, practice counts
    assert "Went for a walk" not in shown and not app.text_area  # no notes, nothing to write


def test_revoking_removes_it_on_the_next_rerun(app, session):
    log_in(app, "pat.morgan")
    assert sum(1 for _ in app.get("plotly_chart")) == 3
    sharing.revoke(
        session, actor(session, "alex"), family_id=actor(session, "pat.morgan").id, category=Category.MOOD_TREND
    )
    app.run()
    assert sum(1 for _ in app.get("plotly_chart")) == 2
    assert "Mood trend" not in texts(app)


def test_a_family_member_joins_with_a_code_from_the_login_screen(app, session):
    code, _ = sharing.create_invitation(session, actor(session, "frankie"), name="Lou Lopez", relationship="Parent")
    app.text_input(key="join_code").input(code)
    app.text_input(key="join_username").input("lou.lopez")
    app.text_input(key="join_password").input("a long password")
    next(b for b in app.button if b.label == "Create my account").click()
    app.run()
    assert any("Welcome, Lou" in s.value for s in app.success)
    log_in(app, "lou.lopez", "a long password")
    assert "Frankie isn't sharing anything with you right now" in texts(app)


def test_participant_shares_from_the_sharing_page(app, session):
    log_in(app, "alex")
    open_page(app, "pages/sharing.py")
    assert "Pat Morgan" in texts(app) and "until" in texts(app)
    next(b for b in app.button if b.label == "Share with Pat").click()  # the first not yet shared: check-up totals
    app.run()
    assert not app.exception
    session.expire_all()
    alex = actor(session, "alex")
    shared = sharing.family_of(session, alex, alex.id)[0].active
    assert set(shared) == {Category.ATTENDANCE, Category.MOOD_TREND, Category.PRACTICE_COUNTS, Category.CHECKUP_TOTALS}


def test_two_peoples_charts_of_one_title_each_keep_their_own_table(app, session):
    """A relative of two participants who both share attendance sees two charts titled "Program
    sessions per week": each chart's folded table of numbers has a key of its own (ui/charts.py,
    by participant), so the screen draws both instead of failing on a duplicate key."""
    from datetime import timedelta

    from core.models import FamilyLink
    from tests.app.conftest import open_tables

    pat, frankie = actor(session, "pat.morgan"), actor(session, "frankie")
    session.add(FamilyLink(family_id=pat.id, participant_id=frankie.id, relationship="Parent"))
    session.commit()
    sharing.grant(
        session,
        frankie,
        family_id=pat.id,
        category=Category.ATTENDANCE,
        until=sharing.utcnow().date() + timedelta(days=30),
        shown_version=sharing.consent_version(Category.ATTENDANCE),
    )
    session.commit()
    log_in(app, "pat.morgan")
    titled = [c for c in app.get("plotly_chart") if "Program sessions per week" in c.proto.spec]
    assert len(titled) == 2
    folds = [e.label for e in app.expander if e.label == "The numbers behind Program sessions per week"]
    assert len(folds) == 2
    assert len([t for t in open_tables(app).table if "Attended" in t.value.columns]) == 2
