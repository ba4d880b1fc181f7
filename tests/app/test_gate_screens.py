"""The screens of the gate's owners, through the real app script: the audit log's filters and
pages, the caseload screen's message, /review with ids that aren't yours (or aren't ids), the
family home's scope and its table without a download, the sharing page's codes and consent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from core import sharing
from core.access import Action, Actor, Category, authorize
from core.errors import AccessDenied
from core.models import AppUser, AuditEvent, FamilyInvitation, utcnow
from core.seed import demo_today
from tests.app.conftest import log_in, texts


def user(session, username) -> AppUser:
    return session.exec(select(AppUser).where(AppUser.username == username)).one()


def refusals(session):
    session.expire_all()
    return session.exec(select(AuditEvent).where(AuditEvent.allowed == False)).all()  # noqa: E712


# --- /review?p=... ------------------------------------------------------------------------------------


@pytest.mark.parametrize("wanted", ["99999", "²", "abc", "-3", "0", "1e3", "9" * 40, " 5"])
def test_review_refuses_any_other_id_once_audited_and_keeps_the_picker(app, session, wanted):
    log_in(app, "dr.chen")
    app.query_params["p"] = wanted
    app.switch_page("pages/review.py").run()
    assert not app.exception
    assert "can't reach our records" not in texts(app)
    warnings = [w.value for w in app.warning]
    assert len(warnings) == 1 and "don't have access" in warnings[0]
    assert "don't have access" not in " ".join(e.value for e in app.error)
    picker = app.selectbox[0]
    assert picker.label == "Participant" and picker.value is None
    assert any(o.startswith("Dana") for o in picker.options)
    [refused] = refusals(session)
    assert refused.actor_id == user(session, "dr.chen").id and refused.reason == "unknown_participant"
    # Choosing someone from the picker opens their review.
    picker.select(next(o for o in picker.options if o.startswith("Dana"))).run()
    assert not app.exception and not app.warning
    assert any("iop-grid" in h.proto.body for h in app.get("html"))


def test_an_unknown_id_reads_exactly_like_someone_elses(app, session):
    log_in(app, "dr.chen")
    app.query_params["p"] = str(user(session, "alex").id)  # exists, but not hers
    app.switch_page("pages/review.py").run()
    theirs = [w.value for w in app.warning]
    app.query_params["p"] = "99999"
    app.run()
    assert [w.value for w in app.warning] == theirs


# --- the admin's audit log ----------------------------------------------------------------------------


def look_at_danas_card(session, times=1):
    from core import diary

    dana, chen = user(session, "dana"), user(session, "dr.chen")
    for _ in range(times):
        diary.cards_between(session, Actor.of(chen), dana.id, demo_today() - timedelta(days=6), demo_today())


def test_the_audit_log_shows_names_and_filters_by_person_participant_category_and_refusals(app, session):
    look_at_danas_card(session)
    with pytest.raises(AccessDenied):
        authorize(session, Actor.of(user(session, "dr.rivera")), user(session, "dana").id, Category.DIARY, Action.READ)
    log_in(app, "admin")
    app.switch_page("pages/admin_audit.py").run()
    assert not app.exception
    frame = app.dataframe[0].value
    assert {"When", "Who", "Whose", "What", "Action", "Allowed", "Why refused", "Record"} <= set(frame.columns)
    assert "Dr. Maya Chen" in set(frame["Who"]) or any("Chen" in w for w in frame["Who"])
    assert frame["When"].str.contains("EST|EDT").all()  # the program's zone, named
    next(s for s in app.selectbox if s.label == "Whose record").select(
        next(o for o in app.selectbox[0].options if o.startswith("Dana"))
    ).run()
    next(s for s in app.selectbox if s.label == "What kind of record").select("diary").run()
    frame = app.dataframe[0].value
    assert set(frame["Whose"]) == {user(session, "dana").name} and set(frame["What"]) == {"Diary cards"}
    app.toggle[0].set_value(True).run()
    frame = app.dataframe[0].value
    assert list(frame["Allowed"]) == ["REFUSED"] and "not on their caseload" in frame["Why refused"][0]
    assert "Rivera" in frame["Who"][0]


def test_the_audit_log_pages_beyond_the_latest_200(app, session):
    look_at_danas_card(session, times=230)
    log_in(app, "admin")
    app.switch_page("pages/admin_audit.py").run()
    first = app.dataframe[0].value
    assert len(first) == 200
    older = next(b for b in app.button if b.label == "Older")
    older.click().run()
    second = app.dataframe[0].value
    assert 30 <= len(second) < 200  # the 230 looks and the seed's events, older than the first 200
    assert next(b for b in app.button if b.label == "Older").disabled
    next(b for b in app.button if b.label == "Newer").click().run()
    assert len(app.dataframe[0].value) == 200


def test_the_admins_own_screens_do_not_flood_the_log(app, session):
    log_in(app, "admin")
    for page in ("pages/admin_audit.py", "pages/admin_assign.py", "pages/admin_accounts.py") * 4:
        app.switch_page(page).run()
    session.expire_all()
    admin = user(session, "admin")
    mine = session.exec(select(AuditEvent).where(AuditEvent.actor_id == admin.id)).all()
    assert len([e for e in mine if e.category == "accounts"]) == 1  # the account list, once this hour
    assert len([e for e in mine if e.category == "audit log"]) == 1
    assert len(mine) <= 3


# --- caseloads ------------------------------------------------------------------------------------------


def test_reassigning_a_participant_says_so_after_the_lists_redraw(app, session):
    log_in(app, "admin")
    app.switch_page("pages/admin_assign.py").run()
    participant, therapist = app.selectbox[0], app.selectbox[1]  # (one form: chosen, then submitted)
    participant.select(next(o for o in participant.options if o.startswith("Alex")))
    therapist.select(next(o for o in therapist.options if "Chen" in o))
    next(b for b in app.button if b.label == "Assign").click().run()
    assert not app.exception
    assert any("is now on" in s.value and "Chen" in s.value for s in app.success), (
        [e.value for e in app.error],
        [s.value for s in app.success],
        texts(app)[:500],
    )
    session.expire_all()
    app.run()  # and only once
    assert not app.success


# --- the family home ------------------------------------------------------------------------------------


def test_family_see_what_they_were_given_why_and_until_when_without_a_download(app, session):
    alex, pat = Actor.of(user(session, "alex")), user(session, "pat.morgan")
    sharing.grant(
        session,
        alex,
        family_id=pat.id,
        category=Category.CHECKUP_TOTALS,
        until=demo_today() + timedelta(days=12),
        shown_version=sharing.consent_version(Category.CHECKUP_TOTALS),
    )
    log_in(app, "pat.morgan")
    assert not app.exception
    shown = texts(app)
    assert "What: their average mood (0–10) each week" in shown
    assert "Shared by Evening Adult IOP" in shown
    until = demo_today() + timedelta(days=12)
    assert f"until {until:%b} {until.day}, {until.year}" in shown
    assert not app.dataframe and app.get("table")  # a static table: no toolbar, no CSV download


def test_family_see_the_part2_notice_word_for_word_with_the_purpose(app, session):
    alex, pat = Actor.of(user(session, "alex")), user(session, "pat.morgan")
    sharing.grant(
        session,
        alex,
        family_id=pat.id,
        category=Category.SUBSTANCE_USE,
        until=demo_today() + timedelta(days=12),
        purpose="So Pat can help me stay on track",
        signature=alex.name,
        shown_version=sharing.consent_version(Category.SUBSTANCE_USE),
    )
    log_in(app, "pat.morgan")
    from ui.text import md

    shown = texts(app)
    assert md(sharing.REDISCLOSURE_NOTICE) in shown
    assert "So Pat can help me stay on track" in shown


# --- the sharing page ------------------------------------------------------------------------------------


def test_a_participant_sees_and_withdraws_a_pending_code(app, session):
    alex = Actor.of(user(session, "alex"))
    sharing.create_invitation(session, alex, name="Lee Park", relationship="Friend")
    log_in(app, "alex")
    app.switch_page("pages/sharing.py").run()
    assert "Codes not used yet" in texts(app) and "Lee Park" in texts(app)
    next(b for b in app.button if b.label == "Withdraw").click().run()
    assert not app.exception
    assert "no longer works" in texts(app) and "Codes not used yet" not in texts(app)
    session.expire_all()
    assert session.exec(select(FamilyInvitation)).one().withdrawn_at is not None


def test_the_consent_shown_names_the_program_and_how_to_stop_and_is_the_version_stored(app, session):
    log_in(app, "alex")
    app.switch_page("pages/sharing.py").run()
    shown = texts(app)
    assert "Evening Adult IOP may show Pat Morgan" in shown and "tapping “Stop”" in shown
    next(b for b in app.button if b.label == "Share with Pat").click().run()  # the first not yet shared
    assert not app.exception
    session.expire_all()
    from core.models import ConsentGrant

    row = session.exec(
        select(ConsentGrant).where(
            ConsentGrant.category == Category.CHECKUP_TOTALS.value, col(ConsentGrant.revoked_at).is_(None)
        )
    ).one()
    assert row.consent_version == sharing.consent_version(Category.CHECKUP_TOTALS)
    assert row.discloser == "Evening Adult IOP" and row.granted_at > utcnow() - timedelta(minutes=5)


def test_the_who_looked_log_says_what_in_words_and_when_in_local_time(app, session):
    alex, pat = user(session, "alex"), Actor.of(user(session, "pat.morgan"))
    sharing.mood_trend(session, pat, alex.id, demo_today())
    log_in(app, "alex")
    app.switch_page("pages/sharing.py").run()
    log = app.dataframe[-1].value
    assert log["What"][0] == "Your mood trend (weekly averages)"
    assert "sharing" not in set(log["What"])
    assert log["When"].str.contains("EST|EDT").all()
