"""core/throttle.py: the reusable attempt counter behind logins and reset codes."""

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core import throttle
from core.models import Throttle, utcnow

WINDOW = timedelta(minutes=15)


def hit(session, key="login:alex", client="198.51.100.1", limit=3, now=None, **kw):
    return throttle.hit(session, key, client=client, limit=limit, window=WINDOW, now=now, **kw)


def test_the_limit_counts_down_then_blocks_for_the_window(session):
    now = utcnow()
    answers = [hit(session, now=now + timedelta(seconds=i)) for i in range(5)]
    assert [a.allowed for a in answers] == [True, True, True, False, False]
    assert [a.remaining for a in answers[:3]] == [2, 1, 0]
    assert answers[2].blocked and answers[2].minutes_left == 15  # the attempt that reached it
    assert answers[4].minutes_left == 15
    row = session.exec(select(Throttle)).one()
    assert row.hits == 3  # refused attempts are not counted
    assert not hit(session, now=now + timedelta(minutes=14)).allowed
    assert hit(session, now=now + timedelta(minutes=15, seconds=3)).allowed


def test_attempts_outside_the_window_start_a_new_count(session):
    now = utcnow()
    hit(session, now=now)
    hit(session, now=now + timedelta(minutes=1))
    later = hit(session, now=now + WINDOW + timedelta(minutes=2))
    assert later.allowed and later.remaining == 2


def test_each_client_and_each_key_has_its_own_count(session):
    now = utcnow()
    for _ in range(3):
        hit(session, now=now)
    assert not hit(session, now=now).allowed
    assert hit(session, client="203.0.113.9", now=now).allowed  # someone elsewhere
    assert hit(session, key="login:bailey", now=now).allowed  # another account
    assert hit(session, key="login:alex", client="", now=now).allowed  # the global counter is separate


def test_clear_forgets_one_client_or_all(session):
    now = utcnow()
    for client in ("a", "b"):
        for _ in range(3):
            hit(session, client=client, now=now)
    throttle.clear(session, "login:alex", client="a")
    session.commit()
    assert hit(session, client="a", now=now).allowed
    assert not hit(session, client="b", now=now).allowed
    assert throttle.clear(session, "login:alex") == 2
    session.commit()
    assert hit(session, client="b", now=now).allowed


def test_blocks_in_a_row_double_up_to_the_maximum_then_a_quiet_spell_starts_over(session):
    now, lengths = utcnow(), []
    for _ in range(5):
        for _ in range(3):
            attempt = hit(session, now=now, max_block=timedelta(hours=1))
        lengths.append(attempt.minutes_left)
        now = attempt.blocked_until + timedelta(seconds=1)
    assert lengths == [15, 30, 60, 60, 60]
    quiet = now + WINDOW + timedelta(hours=1, minutes=1)
    for _ in range(3):
        attempt = hit(session, now=quiet, max_block=timedelta(hours=1))
    assert attempt.minutes_left == 15


@pytest.mark.parametrize(
    "key, client",
    [("x" * 5000, ""), ("login:\x00bad", "1.2.3.4\x00"), ("login:ok", "c" * 300), ("login:é\u202e", "::1")],
)
def test_any_key_or_client_is_stored_safely(session, key, client):
    assert hit(session, key=key, client=client).allowed
    row = session.exec(select(Throttle)).one()
    assert len(row.key) <= throttle.KEY_MAX and len(row.client) <= throttle.CLIENT_MAX
    assert "\x00" not in row.key + row.client
    assert hit(session, key=key, client=client).remaining == 1  # the same stored row


def test_blocked_keys_and_prune(session):
    now = utcnow()
    for _ in range(3):
        hit(session, key="login:alex", now=now)
    hit(session, key="login:bailey", now=now - timedelta(days=3))
    assert throttle.blocked_keys(session, ["login:alex", "login:bailey", "login:casey"], now=now) == {"login:alex"}
    assert throttle.prune(session, before=now - timedelta(days=1)) == 1
    session.commit()
    assert [r.key for r in session.exec(select(Throttle))] == ["login:alex"]


def test_a_limit_of_one_blocks_at_once(session):
    first = hit(session, limit=1)
    assert first.allowed and first.remaining == 0 and first.blocked
    assert not hit(session, limit=1).allowed


def test_twenty_simultaneous_attempts_get_exactly_the_limit(engine):
    """Threads released together by a barrier: the conditional upsert lets exactly `limit` in."""
    limit, barrier, answers, errors = 4, threading.Barrier(20), [], []

    def attempt():
        try:
            with Session(engine) as own:
                barrier.wait()
                answers.append(throttle.hit(own, "redeem:code", client="", limit=limit, window=WINDOW))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(a.allowed for a in answers) == limit
    with Session(engine) as check:
        assert check.exec(select(Throttle.hits)).one() == limit


def test_one_statement_per_rule_each_attempt_its_own_key_client_and_times(session):
    """The upsert is built once per dialect and rule and takes its key, client and times as parameters
    (throttle._hit_statement): two keys, two clients and three moments share it, and still count apart."""
    throttle._hit_statement.cache_clear()
    now = utcnow()
    a = [hit(session, key="login:sam", client=c, now=now + timedelta(seconds=i)) for i, c in enumerate("xyx")]
    b = hit(session, key="login:kim", client="x", now=now + timedelta(seconds=5))
    assert [x.remaining for x in a] == [2, 2, 1] and b.remaining == 2
    later = hit(session, key="login:sam", client="x", now=now + WINDOW + timedelta(minutes=1))
    assert later.remaining == 2  # its own moment: the old window was over
    assert throttle._hit_statement.cache_info().misses == 1
    hit(session, key="login:sam", client="x", limit=1, now=now + WINDOW + timedelta(minutes=2))  # another rule
    assert throttle._hit_statement.cache_info().misses == 2
