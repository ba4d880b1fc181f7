"""Which outbox messages a program's admin reads: a message with no program (its recipient has none)
was shown to every program's admin, with the recipient's name, and could be sent again by any of
them. Now: their program's messages, and program-less ones whose recipient is in their program."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core import notify
from core.access import Actor
from core.errors import ValidationError
from core.models import AppUser, OutboxMessage, Program, Role
from core.notify import Kind, Status


def _admin(session, program_id, username):
    user = AppUser(
        username=username, name=username.title(), role=Role.ADMIN.value, password_hash="!", program_id=program_id
    )
    session.add(user)
    session.flush()
    return Actor.of(user)


def _message(session, key, recipient_id, program_id=None):
    return notify.enqueue(
        session,
        dedupe_key=key,
        kind=Kind.DIARY_REMINDER,
        subject="s",
        body="b",
        recipient_id=recipient_id,
        program_id=program_id,
        status=Status.FAILED,
    )


@pytest.fixture
def two_programs(session, people):
    other = Program(name="Other IOP", timezone="America/Chicago", crisis_region="US")
    session.add(other)
    session.flush()
    ours = _admin(session, people.program.id, "admin.ours")
    theirs = _admin(session, other.id, "admin.theirs")
    nowhere = AppUser(username="no.program", name="Nora Nowhere", role=Role.PARTICIPANT.value, password_hash="!")
    programless_admin = AppUser(username="admin.none", name="Ned None", role=Role.ADMIN.value, password_hash="!")
    session.add_all([nowhere, programless_admin])
    session.flush()
    quinn = people.participant()
    messages = {
        "nowhere": _message(session, "m:nowhere", nowhere.id),  # no program, recipient in none
        "ours_unset": _message(session, "m:ours-unset", quinn.id),  # no program on it, recipient is ours
        "ours": _message(session, "m:ours", quinn.id, people.program.id),
        "admin_none": _message(session, "m:admin-none", programless_admin.id),
    }
    session.commit()
    return ours, theirs, Actor.of(programless_admin), messages


def test_a_message_with_no_program_is_seen_only_by_the_admin_it_concerns(session, two_programs):
    """Old code: both programs' admins saw "nowhere" and "ours_unset" (Nora Nowhere's and Quinn's names)."""
    ours, theirs, programless, m = two_programs
    seen = {who: {r.id: r.to for r in notify.overview(session, who).rows} for who in (ours, theirs, programless)}
    assert seen[ours] == {m["ours"]: "Quinn Rivers", m["ours_unset"]: "Quinn Rivers"}
    assert seen[theirs] == {}
    assert seen[programless] == {m["admin_none"]: "Ned None"}
    counts = {who: sum(notify.overview(session, who).counts.values()) for who in (ours, theirs, programless)}
    assert counts == {ours: 2, theirs: 0, programless: 1}


def test_no_other_admin_sends_again_or_reads_a_message_with_no_program(session, two_programs):
    """Old code: any admin could put Nora's (no program) message back in the queue."""
    ours, theirs, programless, m = two_programs
    for who, key in ((theirs, "nowhere"), (ours, "nowhere"), (theirs, "ours_unset"), (programless, "ours_unset")):
        with pytest.raises(ValidationError):
            notify.send_again(session, who, message_id=m[key])
        session.rollback()
        assert notify.maildrop_text(session, who, message_id=m[key]) is None
    assert {
        r.id: r.status for r in session.exec(select(OutboxMessage).where(OutboxMessage.id.in_(list(m.values()))))
    } == {i: Status.FAILED.value for i in m.values()}
    notify.send_again(session, ours, message_id=m["ours_unset"])  # the admin it concerns still can
    session.commit()
    assert session.get(OutboxMessage, m["ours_unset"]).status == Status.QUEUED.value


@pytest.mark.parametrize("odd", [None, 0, -1, True, "1", 2**40, 1.5])
def test_an_odd_message_id_reads_nothing(session, two_programs, odd):
    ours, *_ = two_programs
    assert notify.maildrop_text(session, ours, message_id=odd) is None
