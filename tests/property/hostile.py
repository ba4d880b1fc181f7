"""Hostile values for the property suite, per kind of argument, and the form-producible values
they are mixed with — plus an independent statement of what may be stored (`storable_text`).

Hostile means what an attacker, a broken client or a careless caller sends: text with NUL and
other control characters, bidi overrides, lone surrogates, emoji, Markdown and formula payloads,
a megabyte of it; floats, bools and strings where whole numbers belong; far dates and datetimes;
ids that don't exist or don't fit in 32 bits; and values of the wrong Python type altogether.
"""

from __future__ import annotations

import string
from datetime import UTC, date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
BAD_CHARS = [
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x1f",
    "\x7f",
    "\x85",
    "\x9b",
    "\r",
    "\r\n",
    "\t",
    "\n",
    *BIDI,
    "\ud800",
    "\udfff",
    "\ufeff",
    "\u200b",
    "\u200d",
    "\u200f",
    "\u2028",
    "\xa0",
]
PAYLOADS = [
    "![x](http://evil.example/i.png)",
    "<img src=x onerror=alert(1)>",
    '=HYPERLINK("http://evil.example")',
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\uff1dcmd",
    "Robert'); DROP TABLE app_user;--",
    "%s %(x)s {0} {x} %n",
    "\\",
    "'",
    '"',
    "🙂",
    "👨\u200d👩\u200d👧",
    "עברית ومع العربية",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "Zalgo\u0301\u0301\u0301",
    "\u202eevil\u202c",
    "a\x00b",
    "  spaced   out  ",
    "line one\nline two",
    "ｆｕｌｌ　ｗｉｄｔｈ",
]
HUGE = "z" * 1_000_000

# Characters a stored text may never hold (the test's own statement of the rule, kept apart from
# core/inputs.py's): C0 controls but tab and line feed, DEL, C1 controls, unpaired surrogates,
# and the bidi embedding/override/isolate controls.
NEVER_STORED = frozenset(
    [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0D, 0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000), *map(ord, BIDI)]
)


def storable_text(value: str, *, one_line: bool = False) -> bool:
    """Text the app's own forms could have produced: nothing in NEVER_STORED, and no line break
    or tab at all in one-line fields."""
    return not any(ord(c) in NEVER_STORED for c in value) and not (one_line and ("\n" in value or "\t" in value))


def expect_free(raw: str) -> str:
    """What a FREE text field stores for `raw` (core/inputs.py's docstring, restated)."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in raw if ord(c) not in NEVER_STORED).strip()


def expect_line(raw: str) -> str:
    """What a LINE text field stores: FREE text with every run of white space one space."""
    return " ".join("".join(c for c in raw.replace("\r", " ") if ord(c) not in NEVER_STORED).split())


def expect_name(raw: str) -> str | None:
    """What a NAME field stores, or None when it must be refused (hidden characters)."""
    collapsed = " ".join(raw.split())
    return None if any(ord(c) in NEVER_STORED for c in collapsed) else collapsed


# --- hostile values ------------------------------------------------------------------------------


def wrong_type(*, dates: bool = True) -> st.SearchStrategy:
    """Values of the wrong Python type for almost any argument."""
    options = [
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.binary(max_size=6),
        st.lists(st.integers(), max_size=2),
        st.tuples(st.text(max_size=2)),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        st.sets(st.integers(), max_size=2),
        st.decimals(allow_nan=True),
        st.complex_numbers(max_magnitude=10),
        st.just(object()),
        st.just(Decimal("4")),
        st.just(b"\x00"),
    ]
    if dates:
        options += [st.dates(), st.datetimes()]
    return st.one_of(*options)


def text_with_bad_characters(max_pieces: int = 6) -> st.SearchStrategy:
    return st.lists(
        st.one_of(st.text(max_size=8), st.sampled_from(BAD_CHARS), st.sampled_from(PAYLOADS)), max_size=max_pieces
    ).map("".join)


def hostile_text(limit: int) -> st.SearchStrategy:
    return st.one_of(
        text_with_bad_characters(),
        st.text(max_size=min(limit + 10, 400)),  # any code points hypothesis likes, controls included
        st.sampled_from(
            [
                "",
                " ",
                "\n\n",
                "\t",
                "\x00",
                "\u202e",
                "x" * limit,
                "x" * (limit + 1),
                "é" * (limit + 1),
                "🙂" * limit,
                "🙂" * (limit + 1),
                " " * (limit + 5) + "x",
                "\x00" * (limit + 1),
            ]
        ),
        st.just(HUGE),
        wrong_type(),
    )


def hostile_int(low: int, high: int) -> st.SearchStrategy:
    return st.one_of(
        st.integers(low - 5, high + 5),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([float(low), float(high) - 0.5]),
        st.booleans(),
        st.sampled_from([str(high), f"{low}", "1e3"]),
        st.just(Decimal(high)),
        wrong_type(),
    )


def hostile_day(today: date) -> st.SearchStrategy:
    return st.one_of(
        st.dates(),
        st.datetimes(timezones=st.sampled_from([None, UTC])),
        st.sampled_from(
            [
                date(9999, 12, 31),
                date(1, 1, 1),
                today + timedelta(days=366),
                today - timedelta(days=3650),
                today.isoformat(),
            ]
        ),
        st.text(max_size=12),
        wrong_type(),
    )


def hostile_id(real_ids: list[int]) -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(real_ids),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63, -(2**63), 999_999]),
        st.booleans(),
        st.sampled_from(["1", "1; drop table app_user", "²", " 7 "]),
        st.floats(allow_nan=True),
        wrong_type(dates=False),
    )


def hostile_choice(options) -> st.SearchStrategy:
    words = [str(o) for o in options]
    return st.one_of(
        st.sampled_from([w.upper() for w in words] + [w + "\x00" for w in words] + [f" {w}" for w in words]),
        st.text(max_size=10),
        st.lists(st.sampled_from(words), max_size=2),
        wrong_type(),
    )


def hostile_flag() -> st.SearchStrategy:
    return st.one_of(st.sampled_from([0, 1, "yes", "no", "", "False", None, 1.0]), wrong_type())


# --- form-producible values ----------------------------------------------------------------------

_TYPED = st.characters(exclude_categories=("Cc", "Cs"), exclude_characters=BIDI)


def typed_text(max_size: int, *, multiline: bool = False, min_size: int = 0) -> st.SearchStrategy:
    """What a person can type into a text box (a text area adds line breaks and tabs)."""
    alphabet = st.one_of(_TYPED, st.sampled_from("\n\t")) if multiline else _TYPED
    return st.one_of(
        st.text(alphabet, min_size=min_size, max_size=max_size),
        st.text(string.ascii_letters + " .,'-", min_size=max(min_size, 1), max_size=min(max_size, 30)),
    )


def typed_name(max_size: int) -> st.SearchStrategy:
    return st.one_of(
        st.text(string.ascii_letters + " .'-", min_size=1, max_size=max_size).filter(str.strip),
        st.text(_TYPED, min_size=1, max_size=max_size).filter(str.strip),
    )
