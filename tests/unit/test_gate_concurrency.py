"""Things that must happen once even when twenty people (or one person on twenty devices) do them
at the same moment: redeeming one invitation code, and granting one consent. Real threads, a
Barrier so they start together, and a count of the rows afterwards — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import db, sharing
from core.access import Actor, Category
from core.errors import ValidationError
from core.models import AppUser, AuditEvent, ConsentGrant, FamilyInvitation, FamilyLink, Role, utcnow
from core.seed import demo_today

THREADS = 20


def act(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


@pytest.fixture
def wide_engine(database_url):
    """On PostgreSQL an engine with a connection for every thread, each taken before the start so
    all really go at once. (The app's SQLite engine opens connections as needed; its pool lends up
    to 15 at a time and takes them back within milliseconds.)"""
    if database_url.startswith("sqlite"):
        yield db.engine_for(database_url)
        return
    engine = create_engine(db.engine_for(database_url).url, pool_size=THREADS + 2, max_overflow=0)
    engine.hold_connections = True
    yield engine
    engine.dispose()


def at_once(engine, work, count=THREADS):
    """Run `work(session, i)` in `count` threads released together; return (results, errors)."""
    barrier, results, errors = threading.Barrier(count), [], []

    def run(i):
        try:
            with Session(engine, expire_on_commit=False) as own:
                if getattr(engine, "hold_connections", False):
                    own.connection()
                barrier.wait()
                results.append(work(own, i))
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads)
    return results, errors


def test_twenty_simultaneous_redemptions_of_one_code_make_one_account(wide_engine, session, demo):
    casey = act(session, "casey")
    code, _ = sharing.create_invitation(session, casey, name="Morgan Nguyen", relationship="Sibling")
    families_before = len(session.exec(select(AppUser.id).where(AppUser.role == Role.FAMILY.value)).all())

    results, errors = at_once(
        wide_engine,
        lambda own, i: sharing.redeem_invitation(  # 20 phones, 20 places
            own, code=code, username=f"morgan.{i}", password="long enough", rounds=4, client=f"10.0.0.{i}"
        ),
    )

    assert len(results) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, ValidationError) and set(e.fields) == {"code"} for e in errors), errors[:3]
    session.expire_all()
    families = session.exec(select(AppUser).where(AppUser.role == Role.FAMILY.value)).all()
    assert len(families) == families_before + 1
    links = session.exec(select(FamilyLink).where(FamilyLink.participant_id == casey.id)).all()
    assert [link.family_id for link in links] == [results[0].id]
    invitation = session.exec(select(FamilyInvitation)).one()
    assert invitation.used_at is not None and invitation.family_id == results[0].id
    joins = session.exec(select(AuditEvent).where(AuditEvent.action == "join")).all()
    assert len(joins) == 1


def test_the_same_username_chosen_on_two_codes_at_once_makes_one_account(wide_engine, session, demo):
    casey = act(session, "casey")
    codes = [sharing.create_invitation(session, casey, name=f"Person {i}")[0] for i in range(6)]

    results, errors = at_once(
        wide_engine,
        lambda own, i: sharing.redeem_invitation(
            own, code=codes[i], username="same.name", password="long enough", rounds=4
        ),
        count=6,
    )

    assert len(results) == 1 and len(errors) == 5
    assert all(isinstance(e, ValidationError) and "username" in e.fields for e in errors), errors[:3]
    session.expire_all()
    used = session.exec(select(FamilyInvitation).where(FamilyInvitation.used_at != None)).all()  # noqa: E711
    assert len(used) == 1  # the others' codes were not spent by a failed redemption


def test_twenty_codes_tried_at_once_from_one_place_get_ten_looks_then_a_pause(wide_engine, session, demo):
    casey = act(session, "casey")
    code, _ = sharing.create_invitation(session, casey, name="Morgan Nguyen")
    guesses = [f"{n:04X}-0000-0000" for n in range(THREADS)]

    results, errors = at_once(
        wide_engine,
        lambda own, i: sharing.redeem_invitation(
            own, code=guesses[i], username=f"guess.{i}", password="long enough", rounds=4, client="203.0.113.9"
        ),
    )

    assert results == []
    paused = [e for e in errors if "paused" in e.fields.get("code", "")]
    wrong = [e for e in errors if e.fields.get("code") == sharing.WRONG_CODE]
    assert (len(wrong), len(paused)) == (sharing.INVITATION_ATTEMPTS, THREADS - sharing.INVITATION_ATTEMPTS)
    with pytest.raises(ValidationError, match="paused"):  # even the right code waits, from there
        sharing.redeem_invitation(
            session, code=code, username="morgan", password="long enough", rounds=4, client="203.0.113.9"
        )
    joined = sharing.redeem_invitation(
        session, code=code, username="morgan", password="long enough", rounds=4, client="198.51.100.4"
    )  # the real family member, elsewhere
    assert joined.username == "morgan"


def test_twenty_simultaneous_grants_leave_exactly_one_current_consent(wide_engine, session, demo):
    alex, pat = act(session, "alex"), act(session, "pat.morgan")
    today = demo_today()
    version = sharing.consent_version(Category.CHECKUP_TOTALS)

    results, errors = at_once(
        wide_engine,
        lambda own, i: sharing.grant(
            own,
            alex,
            family_id=pat.id,
            category=Category.CHECKUP_TOTALS,
            until=today + timedelta(days=10 + i),
            shown_version=version,
        ),
    )

    assert errors == [] and len(results) == THREADS
    session.expire_all()
    rows = session.exec(
        select(ConsentGrant).where(
            ConsentGrant.participant_id == alex.id,
            ConsentGrant.family_id == pat.id,
            ConsentGrant.category == Category.CHECKUP_TOTALS.value,
        )
    ).all()
    assert len(rows) == THREADS
    assert len([r for r in rows if r.revoked_at is None]) == 1


def test_grants_and_revokes_at_once_never_leave_two_current(wide_engine, session, demo):
    alex, pat = act(session, "alex"), act(session, "pat.morgan")
    today = demo_today()
    version = sharing.consent_version(Category.MOOD_TREND)

    def grant_or_revoke(own, i):
        if i % 3 == 0:
            sharing.revoke(own, alex, family_id=pat.id, category=Category.MOOD_TREND)
        else:
            sharing.grant(
                own,
                alex,
                family_id=pat.id,
                category=Category.MOOD_TREND,
                until=today + timedelta(days=5),
                shown_version=version,
            )

    _, errors = at_once(wide_engine, grant_or_revoke)
    assert errors == []
    session.expire_all()
    current = session.exec(
        select(ConsentGrant).where(
            ConsentGrant.participant_id == alex.id,
            ConsentGrant.family_id == pat.id,
            ConsentGrant.category == Category.MOOD_TREND.value,
            col(ConsentGrant.revoked_at).is_(None),
        )
    ).all()
    assert len(current) <= 1


def test_the_database_itself_refuses_a_second_current_consent(session, demo):
    alex, pat = act(session, "alex"), act(session, "pat.morgan")
    session.add(
        ConsentGrant(
            participant_id=alex.id,
            family_id=pat.id,
            category=Category.MOOD_TREND.value,
            expires_at=utcnow() + timedelta(days=3),
        )
    )  # demo already has a current one
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    session.add(
        ConsentGrant(
            participant_id=alex.id,
            family_id=pat.id,
            category=Category.MOOD_TREND.value,
            expires_at=utcnow() + timedelta(days=3),
            revoked_at=utcnow(),
        )
    )
    session.commit()  # ended rows are history: any number of them
