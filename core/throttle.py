"""A throttle for anything guessable: at most `limit` attempts per `window`, per key and client.

Used for passwords (key ``"login:<username>"``) and reset codes; made to be reused for other
codes (e.g. invitation redemption). The pattern is always the same:

    attempt = throttle.hit(session, "login:alex", client="203.0.113.7",
                           limit=5, window=timedelta(minutes=15), max_block=timedelta(hours=4))
    if not attempt.allowed:
        ...refuse; say "try again in attempt.minutes_left minutes"
    ok = check_the_password_or_code()      # only now, after the attempt is counted
    if ok:
        throttle.clear(session, "login:alex", client="203.0.113.7")
    else:
        ...say attempt.remaining tries are left

Why this shape:
- `hit` counts the attempt *before* the caller checks anything, in one conditional upsert
  (`INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 … WHERE not blocked RETURNING`), and
  commits. Simultaneous attempts from threads, processes or app servers sharing the database
  therefore never get more than `limit` checks between them; a refused attempt is not counted.
- Reaching the limit blocks the key and client for `window`. With `max_block` longer than
  `window`, each further block in a row lasts twice as long as the one before (15 min, 30, 60,
  ... up to `max_block`), so a patient attacker is slowed more and more; `clear` (a success) or a
  quiet period of `window + max_block` starts over.
- The client (an IP address, say) is part of the key, so one client's guesses do not block
  anyone else. Pass "" when the limit is meant to be global.

Keys and clients are plain strings of any length or content: values that are long or contain
control characters are stored as their SHA-256, so odd input never reaches the database as is.
Core never imports Streamlit: the page passes the client as a string.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import and_, bindparam, case, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col
from sqlmodel.sql.sqltypes import UTCDateTime

from core.db import rows_changed
from core.models import Throttle, table_of, utcnow

KEY_MAX = 120
CLIENT_MAX = 64


@dataclass(frozen=True)
class Attempt:
    """The answer to one `hit`."""

    allowed: bool  # counted; the caller may check the guess now
    remaining: int  # attempts left in this window after this one
    blocked_until: datetime | None = None  # set once the limit is reached (or when refused)
    now: datetime | None = None

    @property
    def blocked(self) -> bool:
        return self.blocked_until is not None and self.now is not None and self.blocked_until > self.now

    @property
    def minutes_left(self) -> int:
        """Whole minutes until the block ends (at least 1 while blocked), 0 if not blocked."""
        until, now = self.blocked_until, self.now
        if until is None or now is None or not self.blocked:
            return 0
        seconds = (until - now).total_seconds()
        return max(1, int(-(-seconds // 60)))


def _stored(value: str, limit: int) -> str:
    """The value as stored: itself when short and printable, else '#' + its SHA-256."""
    value = str(value)
    if len(value) <= limit and value.isprintable():
        return value
    return "#" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[: limit - 1]


def _block_lengths(window: timedelta, max_block: timedelta) -> list[timedelta]:
    """window, 2×window, 4×window … capped at max_block (the last entry repeats for ever)."""
    lengths = [window]
    while lengths[-1] < max_block:
        lengths.append(min(lengths[-1] * 2, max_block))
    return lengths


@lru_cache(maxsize=32)
def _hit_statement(dialect: str, limit: int, window: timedelta, max_block: timedelta):
    """`hit`'s upsert, built once per database dialect and rule (limit, window, longest block): every attempt
    sends the same statement with its own key, client and times as parameters (`_hit_parameters`). Built
    afresh, its CASE expressions were most of a login's throttle work (about 7% of a login's server CPU)."""
    t = table_of(Throttle).c

    def at(name: str):
        return bindparam(name, type_=UTCDateTime())

    lengths = _block_lengths(window, max_block)
    blocked_now = and_(t.blocked_until.is_not(None), t.blocked_until > at("now"))
    # A new window when the old one has run out or a block has ended.
    fresh = or_(t.window_started_at <= at("window_gone"), t.blocked_until.is_not(None))
    hits = case((fresh, 1), else_=t.hits + 1)
    reached = hits >= limit
    # Blocks in a row are remembered until a quiet spell of window + max_block.
    strikes = case((t.window_started_at <= at("quiet_since"), 0), else_=t.strikes)
    block_end = (
        case(
            *[(strikes == n, at(f"block_end_{n}")) for n in range(len(lengths) - 1)],
            else_=at(f"block_end_{len(lengths) - 1}"),
        )
        if len(lengths) > 1
        else at("block_end_0")
    )

    first_blocks = limit <= 1
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Throttle).values(
        key=bindparam("throttle_key"),
        client=bindparam("throttle_client"),
        hits=1,
        window_started_at=at("now"),
        blocked_until=at("block_end_0") if first_blocks else None,
        strikes=1 if first_blocks else 0,
    )
    return stmt.on_conflict_do_update(
        index_elements=["key", "client"],
        set_={
            "hits": hits,
            "window_started_at": case((fresh, at("now")), else_=t.window_started_at),
            "blocked_until": case((reached, block_end), else_=None),
            "strikes": case((reached, strikes + 1), else_=strikes),
        },
        where=~blocked_now,
    ).returning(t.hits, t.blocked_until)


def _hit_parameters(key: str, client: str, now: datetime, window: timedelta, max_block: timedelta) -> dict:
    lengths = _block_lengths(window, max_block)
    return {
        "throttle_key": key,
        "throttle_client": client,
        "now": now,
        "window_gone": now - window,
        "quiet_since": now - window - max_block,
        **{f"block_end_{n}": now + length for n, length in enumerate(lengths)},
    }


def hit(
    session: Session,
    key: str,
    *,
    client: str = "",
    limit: int,
    window: timedelta,
    max_block: timedelta | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Count one attempt for (key, client), atomically, and commit; refused once blocked.

    The caller's session must have no pending work it wants to keep separate: this commits.
    """
    if limit < 1 or window <= timedelta(0):
        raise ValueError("limit must be at least 1 and window positive")
    now = now or utcnow()
    max_block = max(max_block or window, window)
    key, client = _stored(key, KEY_MAX), _stored(client, CLIENT_MAX)
    stmt = _hit_statement(session.get_bind().dialect.name, limit, window, max_block)
    row = session.execute(stmt, _hit_parameters(key, client, now, window, max_block)).first()
    session.commit()
    if row is None:  # blocked: nothing was counted
        t = table_of(Throttle).c
        until = session.execute(select(t.blocked_until).where(t.key == key, t.client == client)).scalar()
        session.commit()
        return Attempt(allowed=False, remaining=0, blocked_until=until, now=now)
    counted, until = row
    return Attempt(allowed=True, remaining=max(limit - counted, 0), blocked_until=until, now=now)


def clear(session: Session, key: str, *, client: str | None = None) -> int:
    """Forget the attempts for key and client (a success), or for every client (an unlock).

    Does not commit: it belongs to the caller's unit of work. Returns how many rows went.
    """
    values = {"key": _stored(key, KEY_MAX), "client": _stored(client, CLIENT_MAX) if client is not None else None}
    return rows_changed(session.execute(_clear_statement(client is not None), values)) or 0


@lru_cache(maxsize=2)
def _clear_statement(one_client: bool):
    """`clear`'s DELETE, built once (every login that works sends it): key and client are its parameters."""
    query = delete(Throttle).where(col(Throttle.key) == bindparam("key"))
    return query.where(col(Throttle.client) == bindparam("client")) if one_client else query


def blocked_keys(session: Session, keys: list[str], now: datetime | None = None) -> set[str]:
    """Which of these keys are blocked for at least one client right now (one query)."""
    now = now or utcnow()
    stored = {_stored(k, KEY_MAX): k for k in keys}
    if not stored:
        return set()
    rows = session.execute(
        select(col(Throttle.key))
        .where(
            col(Throttle.key).in_(list(stored)),
            col(Throttle.blocked_until).is_not(None),
            col(Throttle.blocked_until) > now,
        )
        .distinct()
    ).scalars()
    return {stored[k] for k in rows}


def prune(session: Session, *, before: datetime) -> int:
    """Delete rows with no window or block after `before` (keeps the table small). No commit."""
    result = session.execute(
        delete(Throttle).where(
            col(Throttle.window_started_at) < before,
            or_(col(Throttle.blocked_until).is_(None), col(Throttle.blocked_until) < before),
        )
    )
    return rows_changed(result) or 0
