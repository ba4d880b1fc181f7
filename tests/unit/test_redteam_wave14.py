"""Red team, wave 14: attacks on what the fourteenth session changed for speed (#22).

1. The login: a hand-off code (the one a login's browser exchanges for its cookie) that outlives a
   logout or a new password; the throttle's statement built once per rule (a rule that changes while
   the process runs) and its pruning at most once every 10 minutes (a clock moved back, two databases).
2. Statements built once with their values as parameters (core/diary.py, recovery.py, program.py, goals.py,
   practice.py, schedule.py, checkups.py, screeners.py): two participants of different programs, zones
   and languages, one substance-use program and one not, read interleaved in one process; and a write
   earlier in the same unit of work is seen by the plain-row read after it.
3. The caseload on PostgreSQL (LATERAL) and SQLite: deactivated, reassigned and discharged people, a
   therapist with none, alerts resolved between two reads.
4. ui/theme_once.py: the message that starts a run is Streamlit's own for any theme config.

Database tests run on SQLite and on PostgreSQL (the `database_url` fixture)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import Session, select

from core import auth, config, seed, throttle
from core.models import AppUser, utcnow
from tests.conftest import at_once
from tests.unit.test_auth import REAL_KEY, RIGHT

# ---- 1. the login -------------------------------------------------------------------------------


@pytest.fixture
def account(session, monkeypatch) -> AppUser:
    """An account whose login may be remembered (a real cookie key)."""
    monkeypatch.setenv("IOP_COOKIE_KEY", REAL_KEY)
    config.settings.cache_clear()
    person = AppUser(
        username="alex", name="Alex M", role="participant", password_hash=auth.hash_password(RIGHT, rounds=4)
    )
    session.add(person)
    session.commit()
    yield person
    config.settings.cache_clear()


@pytest.mark.parametrize("ending", ["logout", "new password", "password reset by code"])
def test_a_hand_off_code_issued_before_a_logout_gives_no_cookie_after_it(session, account, ending):
    """A login's code the browser has not exchanged yet (its keepalive POST still on its way, or read off
    the network) must not turn into a cookie once the person has logged out or their password changed:
    the cookie would carry the account's new session version and log the next person at that computer in."""
    code = auth.issue_login_handoff(session, account)
    assert auth.handoff_pending(session, code)
    if ending == "logout":
        auth.end_all_sessions(session, account.id)
        session.commit()
    elif ending == "new password":
        new = "a brand new phrase 42"
        auth.change_password(session, user_id=account.id, current=RIGHT, new=new, repeat=new, rounds=4)
    else:
        auth._bump_session_version(session, account.id)  # (what a reset by code does, in its unit of work)
        session.commit()
    assert not auth.handoff_pending(session, code)
    assert auth.redeem_login_handoff(session, code) is None
    # A login after it issues a code that works.
    session.refresh(account)
    again = auth.issue_login_handoff(session, account)
    token = auth.redeem_login_handoff(session, again)
    assert token is not None and auth.user_for_token(session, token).id == account.id


def test_a_logout_committed_right_after_the_code_is_used_leaves_no_cookie_that_works(engine, session, account):
    """The exchange marks the code used and commits; a logout that commits in the moment after it must not
    be undone: the token is made from the account as it was when the code was used, so the logout's new
    session version refuses it. (Read after the commit, the account already had the new version.)"""
    code = auth.issue_login_handoff(session, account)
    with Session(engine, expire_on_commit=False) as exchanging:
        commit = exchanging.commit

        def commit_then_a_logout_elsewhere() -> None:
            commit()
            with Session(engine) as elsewhere:
                auth.end_all_sessions(elsewhere, account.id)
                elsewhere.commit()

        exchanging.commit = commit_then_a_logout_elsewhere  # type: ignore[method-assign]
        token = auth.redeem_login_handoff(exchanging, code)
    assert token is not None  # (the code was good when it was used)
    with Session(engine) as reading:
        assert auth.user_for_token(reading, token) is None


def test_a_logout_and_the_codes_exchange_at_the_same_moment_leave_no_cookie_that_works(engine, session, account):
    """Real threads, released together, ten times: whichever commits first, no cookie outlives the logout."""
    for _ in range(10):
        code = auth.issue_login_handoff(session, account)
        tokens: list[str | None] = []

        def either(i: int, code: str = code, tokens: list = tokens) -> None:
            with Session(engine, expire_on_commit=False) as own:
                if i == 0:
                    tokens.append(auth.redeem_login_handoff(own, code))
                else:
                    auth.end_all_sessions(own, account.id)
                    own.commit()

        assert at_once(2, either) == []
        with Session(engine) as reading:
            assert tokens[0] is None or auth.user_for_token(reading, tokens[0]) is None
        session.refresh(account)


def test_a_hand_off_code_of_someone_elses_logout_stays_good(session, account):
    other = AppUser(username="sam", name="Sam", role="participant", password_hash="!")
    session.add(other)
    session.commit()
    code = auth.issue_login_handoff(session, account)
    auth.end_all_sessions(session, other.id)
    session.commit()
    token = auth.redeem_login_handoff(session, code)
    assert token is not None and auth.user_for_token(session, token).id == account.id


def test_a_rule_changed_while_the_process_runs_counts_on_with_the_new_limit(session):
    """The throttle's upsert is built once per rule (throttle._hit_statement): a stricter limit set while
    the process runs (a deploy's new setting, a module constant patched) takes effect on the attempts
    already counted, not the limit the first statement was built with."""
    now, window = utcnow(), timedelta(minutes=15)
    for n in range(3):
        assert throttle.hit(
            session, "login:sam", client="x", limit=10, window=window, now=now + timedelta(seconds=n)
        ).allowed
    stricter = throttle.hit(session, "login:sam", client="x", limit=4, window=window, now=now + timedelta(seconds=5))
    assert stricter.allowed and stricter.remaining == 0 and stricter.blocked  # the 4th of 4: blocked after it
    refused = throttle.hit(session, "login:sam", client="x", limit=10, window=window, now=now + timedelta(seconds=6))
    assert not refused.allowed  # the block stands whatever rule asks next
    laxer = throttle.hit(session, "login:kim", client="x", limit=10, window=window, now=now + timedelta(seconds=7))
    assert laxer.remaining == 9  # (another key, the first rule again: its own count)


def test_the_prune_runs_again_when_the_clock_moves_back_and_for_each_database(session, monkeypatch, tmp_path):
    """`_prune_due` once every PRUNE_EVERY per process and database: a clock set back (or a `now` from
    before the last prune) does not hold the prune off for the time the clock jumped; another database
    of the same process is pruned on its own schedule."""
    from sqlmodel import Session as DbSession

    from core import db

    monkeypatch.setattr(auth, "_pruned_at", {})
    now = utcnow()
    other = db.engine_for(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        with DbSession(other) as elsewhere:
            assert auth._prune_due(session, "throttle", now)
            assert not auth._prune_due(session, "throttle", now + timedelta(minutes=9))
            assert auth._prune_due(session, "codes", now)  # (what it prunes: its own schedule)
            assert auth._prune_due(elsewhere, "throttle", now + timedelta(minutes=1))  # another database
            assert auth._prune_due(session, "throttle", now - timedelta(hours=1))  # the clock set back
            assert not auth._prune_due(session, "throttle", now - timedelta(minutes=55))
            assert auth._prune_due(session, "throttle", now - timedelta(hours=1) + auth.PRUNE_EVERY)
    finally:
        other.dispose()


# ---- 2. statements built once: each person's own answers ----------------------------------------


def _reads(session, who, today: date, moment: datetime, *, substance_use: bool) -> dict:
    """What Today, My progress and My cards read of one participant, as that participant (plain values)."""
    from core import checkups, diary, goals, practice, program, recovery, schedule, screeners
    from core.access import Actor

    actor = Actor.of(who)
    start = today - timedelta(days=27)
    found = {
        "overview": program.participant_overview(session, actor, who.id),
        "today": program.user_today(session, who.id, moment),
        "targets": diary.targets_for(session, who.program_id, include_retired=True),
        "cards": diary.cards_between(session, actor, who.id, start, today),
        "days": diary.recent_days_with_cards(session, actor, who.id, today, 28),
        "homework": practice.homework_for(session, actor, who.id),
        "goals": goals.board(session, actor, who.id, today),
        "next": schedule.next_session(session, actor, who.id, now=moment - timedelta(days=20)),
        "checkups": checkups.statuses(session, actor, who.id, today),
        "due": screeners.due_with_checkups(session, actor, who.id, today),
    }
    if substance_use:
        found["panel"] = recovery.panel(session, actor, who.id, start, today)
        found["counters"] = recovery.counters(session, actor, who.id, now=moment)
        found["details"] = recovery.details_between(session, actor, who.id, start, today)
    return found


def test_two_participants_read_interleaved_each_see_only_their_own(session, demo):
    """The reads built once with their values as parameters (cda7ffe, b46d762), for people who differ in
    everything a statement could have baked in: program, zone (New York; Tokyo, already a day ahead at
    16:00 UTC), language, therapist, substance-use screening on and off. Each person's
    answers read alone, then interleaved in one process and one unit of work: the same, and not another's."""
    from core.diary import ensure_default_targets
    from core.models import CaseloadAssignment, Program, Role

    people = {u.username: u for u in session.exec(select(AppUser).where(AppUser.role == Role.PARTICIPANT.value))}
    alex, bailey, eli, kai = people["alex"], people["bailey"], people["eli"], people["kai"]
    elsewhere = Program(name="Far IOP", timezone="Asia/Tokyo", substance_use_tracking=False, crisis_region="US")
    session.add(elsewhere)
    session.flush()
    ensure_default_targets(session, elsewhere.id)
    other = AppUser(username="dr.far", name="Dr. Far Away", role=Role.THERAPIST.value, password_hash="!")
    other.program_id = elsewhere.id
    session.add(other)
    session.flush()
    bailey.program_id, bailey.language = elsewhere.id, "es"
    session.add(bailey)
    assignment = session.exec(select(CaseloadAssignment).where(CaseloadAssignment.participant_id == bailey.id)).one()
    assignment.therapist_id = other.id
    session.add(assignment)
    session.commit()
    today = seed.demo_today()
    moment = datetime.combine(today, time(16), tzinfo=UTC)  # (New York's morning, Tokyo's next day)

    def reads(who):
        return _reads(session, who, today, moment, substance_use=who is not bailey)

    alone = {}
    for who in (alex, bailey, eli, kai):
        alone[who.username] = reads(who)
        session.commit()  # (a rerun each)
    for name in ("overview", "today", "cards", "days", "homework", "goals", "checkups", "due"):
        assert alone["alex"][name] != alone["bailey"][name], name  # (so that a leak would show)
    assert alone["alex"]["targets"] != alone["bailey"]["targets"]
    assert alone["bailey"]["due"][1] == [] and alone["alex"]["due"][1]  # screeners: none where not offered
    assert alone["bailey"]["today"] == today + timedelta(days=1) and alone["alex"]["today"] == today
    for name in ("panel", "counters", "details", "cards"):
        assert alone["eli"][name] != alone["kai"][name], name
    for who in (bailey, alex, kai, bailey, eli, alex, kai, eli):  # one unit of work: a screen of several people
        assert reads(who) == alone[who.username], who.username
    session.commit()


def test_a_write_earlier_in_the_unit_of_work_is_seen_by_the_plain_row_reads_after_it(session, people):
    """The reads now select a table's columns as plain rows (no ORM entity): the session must still flush
    what the same unit of work changed before them (a profile saved, a card added, a goal set), or the
    screen drawn after a save would show what was there before it."""
    from core import diary, program
    from core.access import Actor
    from core.models import DiaryCard

    quinn = people.participant(started_on=date(2026, 11, 2))
    me = session.get(AppUser, quinn.id)
    me.name, me.started_on = "Quinn Renamed", date(2026, 11, 9)
    session.add(me)
    session.add(DiaryCard(participant_id=quinn.id, day=date(2026, 11, 10), mood=7))
    overview = program.participant_overview(session, Actor.of(me), quinn.id)
    assert (overview.name, overview.started_on) == ("Quinn Renamed", date(2026, 11, 9))
    cards = diary.cards_between(session, Actor.of(me), quinn.id, date(2026, 11, 1), date(2026, 11, 30))
    assert [(c.day, c.mood) for c in cards] == [(date(2026, 11, 10), 7)]
    assert diary.recent_days_with_cards(session, Actor.of(me), quinn.id, date(2026, 11, 12), 7) == {date(2026, 11, 10)}
    session.rollback()


# ---- 3. the caseload (PostgreSQL: LATERAL; SQLite: correlated) -----------------------------------


def _both_statements(session, therapist_id: int, today: date) -> list[tuple]:
    """The caseload's rows as the database's own statement reads them; on PostgreSQL, also checked to be
    the very rows SQLite's correlated statement gives there (averages compared as floats)."""
    from core import caseload

    week_ago, fortnight_ago = today - timedelta(days=7), today - timedelta(days=14)
    values = {
        "therapist": therapist_id,
        "week_ago": week_ago,
        "fortnight_ago": fortnight_ago,
        "adherence": fortnight_ago,
    }
    correlated = session.connection().execute(caseload._correlated(), values).all()
    if session.get_bind().dialect.name != "postgresql":
        return sorted(tuple(r) for r in correlated)

    def plain(rows):
        return sorted(tuple(float(v) if type(v).__name__ == "Decimal" else v for v in r) for r in rows)

    lateral = session.connection().execute(caseload._lateral(), {**values, "window": fortnight_ago}).all()
    assert plain(lateral) == plain(correlated)
    return plain(lateral)


def test_the_caseload_follows_deactivation_reassignment_discharge_and_resolved_alerts(session, people):
    """Each change a therapist's caseload sees between two reruns, on both statements: a participant
    deactivated (gone, and back when reactivated), reassigned (on the new therapist's list, off the old
    one's), discharged (counted apart), their urgent alert resolved (their counts and top alert drop to the
    next one, then to none); a therapist with nobody has an empty caseload, not someone else's."""
    from core import caseload
    from core.access import Actor
    from core.models import Alert, CaseloadAssignment, DiaryCard, Discharge, Role
    from tests.unit.test_caseload_statement import TODAY, alert

    them = {name: people.participant(name, name=name.title()) for name in ("stays", "paused", "moved", "leaves")}
    for who in them.values():
        session.add(DiaryCard(participant_id=who.id, day=TODAY - timedelta(days=1), mood=5))
        alert(session, who, "urgent", text=f"{who.username} urgent", hour=9)
        alert(session, who, "moderate", days_ago=1, text=f"{who.username} moderate", hour=8)
    nobody = AppUser(username="dr.none", name="Dr. None", role=Role.THERAPIST.value, password_hash="!")
    nobody.program_id = people.program.id
    session.add(nobody)
    session.commit()
    mine, theirs = Actor.of(people.therapist), Actor.of(nobody)

    def names(actor) -> list[str]:
        return sorted(r.name for r in caseload.caseload_rows(session, actor, TODAY))

    def check() -> None:
        for actor in (mine, theirs):
            rows = _both_statements(session, actor.id, TODAY)
            assert sorted(r[1] for r in rows if not r[3]) == names(actor)

    check()
    assert names(mine) == ["Leaves", "Moved", "Paused", "Stays"] and names(theirs) == []

    paused = session.get(AppUser, them["paused"].id)
    paused.is_active = False
    session.add(paused)
    moved = session.exec(select(CaseloadAssignment).where(CaseloadAssignment.participant_id == them["moved"].id)).one()
    moved.therapist_id = nobody.id
    session.add(moved)
    session.add(Discharge(participant_id=them["leaves"].id, day=TODAY, status="completed", recorded_by_id=mine.id))
    session.commit()
    check()
    assert names(mine) == ["Stays"] and names(theirs) == ["Moved"]
    assert caseload.caseload(session, mine, TODAY).discharged == 1

    def stays_row():
        [row] = [r for r in caseload.caseload_rows(session, mine, TODAY) if r.name == "Stays"]
        return row.open_alerts, row.urgent_alerts, row.top_alert, row.top_alert_severity

    assert stays_row() == (2, 1, "stays urgent", "urgent")
    for severity, expected in (("urgent", (1, 0, "stays moderate", "moderate")), ("moderate", (0, 0, "", ""))):
        found = session.exec(
            select(Alert).where(Alert.participant_id == them["stays"].id, Alert.severity == severity)
        ).one()
        found.resolved_at = utcnow()
        session.add(found)
        session.commit()
        check()
        assert stays_row() == expected
    paused.is_active = True
    session.add(paused)
    session.commit()
    check()
    assert names(mine) == ["Paused", "Stays"]


# ---- 4. the theme of the message that starts every run ------------------------------------------


THEMES = {
    "the project's": {},
    "a light base alone": {"theme.base": "light"},  # (base 0: Streamlit's fill sets only a default)
    "a dark base alone": {"theme.base": "dark"},
    "a light section alone": {"theme.light.primaryColor": "#102030"},
    "a sidebar alone": {"theme.sidebar.backgroundColor": "#ffffff"},
    "nothing": {"theme.base": None},
}


@pytest.mark.parametrize("theme", list(THEMES))
def test_the_first_message_of_a_run_is_streamlits_own_whatever_the_theme(monkeypatch, theme):
    """ui/theme_once.py copies each theme section Streamlit worked out once into every run's first message.
    Streamlit's own fill marks a section present when it sets any field, even one at its default value
    (`[theme] base = "light"` alone): the browser then keeps the light theme; a section left absent lets
    it follow the system's dark mode. The patched message must be the very same bytes."""
    from streamlit import config as st_config
    from streamlit.runtime import app_session

    from tests.unit.test_theme_once import filled
    from ui import theme_once

    monkeypatch.setattr(app_session, "_populate_theme_msg", app_session._populate_theme_msg)  # (put back after)
    original = getattr(app_session._populate_theme_msg, "__wrapped__", app_session._populate_theme_msg)
    monkeypatch.setattr(app_session, "_populate_theme_msg", original)
    options = copy.deepcopy(st_config.get_config_options())
    if THEMES[theme]:
        for name, option in options.items():
            if name.startswith("theme."):
                option.set_value(None, "a test")
        for name, value in THEMES[theme].items():
            options[name].set_value(value, "a test")
    monkeypatch.setattr(st_config, "_config_options", options)
    expected = filled(original)
    assert theme_once.install()
    patched = app_session._populate_theme_msg
    for _ in range(2):  # worked out, then copied
        got = filled(patched)
        assert got.SerializeToString() == expected.SerializeToString()
        assert got.new_session.HasField("custom_theme") == expected.new_session.HasField("custom_theme")
