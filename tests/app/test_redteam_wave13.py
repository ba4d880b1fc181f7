"""Red team, wave 13 (AppTest): the server ends a rerun's connection in the middle of a page (PostgreSQL:
`pg_terminate_backend`, as a restart does; the pool no longer pings, core/db.py). The person gets the
calm message and the crisis lines, never a traceback; what the page read before is on record once; the
next tap draws the page from a new connection. On SQLite and on PostgreSQL (the `database_url` fixture);
see tests/unit/test_redteam_wave13.py for the unit-of-work side."""

from __future__ import annotations

from sqlmodel import col, select

from core import diary
from core.models import AppUser, AuditEvent
from tests.app.conftest import log_in, texts
from tests.unit.test_redteam_wave13 import _end_the_connection
from ui import layout


def test_a_connection_the_server_ends_mid_page_shows_the_calm_message_and_the_next_tap_the_page(
    app, session, database_url, monkeypatch
):
    log_in(app, "alex")
    assert app.title[0].value.startswith("Good") and not app.error
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    since = max(session.exec(select(AuditEvent.id)).all())
    real = diary.cards_between

    def ended_first(work, *args, **kwargs):
        _end_the_connection(work, database_url)  # after the page's first reads, before this one
        return real(work, *args, **kwargs)

    monkeypatch.setattr(diary, "cards_between", ended_first)
    app.calm_error_expected = True
    app.run()
    assert not app.exception
    assert [e.value for e in app.error] == [layout.DB_DOWN]
    assert "988" in texts(app)
    session.expire_all()
    failed = session.exec(select(AuditEvent).where(col(AuditEvent.id) > since)).all()
    assert failed and {(e.actor_id, e.participant_id, e.allowed) for e in failed} == {(alex.id, alex.id, True)}
    # Each decision of the failed run once (the card's read was decided, then its statement failed:
    # every decision is recorded, README), none twice though the unit's end wrote them on its second try.
    assert "diary" in {e.category for e in failed} and len(failed) == len({e.category for e in failed})

    monkeypatch.setattr(diary, "cards_between", real)
    app.calm_error_expected = False
    app.run()
    assert not app.exception and not app.error
    assert app.title[0].value.startswith("Good")
    session.expire_all()
    again = session.exec(select(AuditEvent.category).where(col(AuditEvent.id) > since + len(failed))).all()
    assert "diary" in again
