"""One validation layer for everything a person sends to core, before it reaches the database.

Every write function in core checks its arguments through a `Form` (a pydantic v2 model built
from the field types below, written `note: Annotated[str, inputs.FreeText(...)]`: what the field
holds once checked, then its check) declared beside it, with the limits that module already names
(core.clinical, accounts.NAME_MAX, safety.ITEM_MAX_CHARS ...). Whatever arrives — text with NUL
bytes or direction overrides, a float for a rating, a bool for an id, a date in the year 9999, a
list where a word belongs — the function either saves what its form could have produced or
raises core.errors.ValidationError whose `fields` name the field, never a TypeError or a
database error. Pages read the same limits back with `max_chars(Form, "note")` / `bounds(...)`.

Text is cleaned one of three ways, decided per field:

- FREE text (a diary note, a thought record, an acknowledgement, a homework note ...): line
  breaks kept (``\\r\\n`` and ``\\r`` become ``\\n``), tabs kept, the ends trimmed. Invisible
  control characters (NUL and the other C0/C1 controls, unpaired surrogates) and the bidi
  embedding/override/isolate controls (U+202A–U+202E, U+2066–U+2069) are *removed*. Nobody can
  see them, so removing them loses nothing a person meant, and asking someone in distress to
  find an invisible character would be unkind. (NUL cannot be stored by PostgreSQL at all; an
  unclosed right-to-left override reverses the text shown after it — the time beside a note, say.)
- LINE text (one line in the person's own words: a practice situation, an emotion's name, a line
  of the safety plan): the same, and any run of white space (line breaks included) becomes one
  space, as a one-line box would have sent it.
- NAMEs (who or what something is, shown to other people: account names, email addresses, a
  family member's name and relationship, a consent's purpose and signature, a card target, a
  crisis line): runs of white space become one space, and a control or bidi control character is
  *refused* with a message beside the field. Silently changing a name or a signed statement is
  worse than asking for it again, and an override makes a name read differently on screen
  (``"Dr. Ann\\u202eeivaR"``) — on a caseload, in the audit log, on the crisis button.

Bidi *marks* (U+200E, U+200F, U+061C), zero-width joiners (emoji), emoji and every script are
kept everywhere: they are ordinary writing. Numbers are whole numbers (`bool` is not one; 4.0 is
not one) within their range; ids are positive 32-bit integers; days are `date`s, not datetimes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, is_dataclass
from dataclasses import fields as dataclass_fields
from datetime import date
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, PlainValidator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import CoreSchema, PydanticCustomError

from core.errors import ValidationError
from core.i18n import N_, _

MAX_ID = 2**31 - 1  # id columns are 32-bit integers on PostgreSQL
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# What FREE and LINE text lose, and what a NAME may not contain: C0 controls but tab and line
# feed, DEL, C1 controls, unpaired surrogates (no UTF-8 for them: neither database can store
# one) and the bidi controls that reorder the text around them.
_UNSEEN = frozenset(
    [
        *range(0x00, 0x09),
        0x0B,
        0x0C,
        *range(0x0E, 0x20),
        *range(0x7F, 0xA0),
        *range(0xD800, 0xE000),
        *map(ord, BIDI_CONTROLS),
    ]
)
_DROP = dict.fromkeys(_UNSEEN)
_HUGE = 8  # text this many times its limit is refused before it is cleaned


def unseen(text: str) -> bool:
    """Whether `text` holds a character this layer removes from FREE text (or refuses in a NAME)."""
    return any(ord(c) in _UNSEEN for c in text) or "\r" in text


def free_text(text: str) -> str:
    """FREE text as stored: line breaks as \\n, invisible controls and bidi controls removed, ends trimmed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_DROP).strip()


def line_text(text: str) -> str:
    """LINE text as stored: FREE text on one line, white space runs as one space."""
    return " ".join(text.replace("\r", " ").translate(_DROP).split())


class Problem(ValueError):
    """Raised inside a field check: `fields` maps field names to messages (usually one)."""

    def __init__(self, fields: Mapping[str, str] | str):
        self.fields = dict(fields) if isinstance(fields, Mapping) else {"": fields}
        super().__init__("; ".join(self.fields.values()))


def _fail(message: str, fields: Mapping[str, str] | None = None):
    return PydanticCustomError("iop", "{message}", {"message": message, "fields": dict(fields or {})})


# --- metadata a page reads ---------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """What a form may send for one field: at most `max_chars` characters, or a number from
    `low` to `high`. Pages pass these to their widgets (max_chars=, min_value=, max_value=)."""

    max_chars: int | None = None
    low: int | float | None = None
    high: int | float | None = None


def _limit(model: type[BaseModel], name: str) -> Limit:
    for item in model.model_fields[name].metadata:
        if isinstance(item, Check) and item.limit is not None:
            return item.limit
    raise KeyError(f"{model.__name__}.{name} has no limit")


def max_chars(model: type[BaseModel], name: str) -> int:
    """The most characters `model`'s field `name` accepts (what the page's max_chars should be)."""
    found = _limit(model, name).max_chars
    if found is None:
        raise KeyError(f"{model.__name__}.{name} is not text")
    return found


def bounds(model: type[BaseModel], name: str) -> tuple[int | float, int | float]:
    """(lowest, highest) number `model`'s field `name` accepts."""
    found = _limit(model, name)
    if found.low is None or found.high is None:
        raise KeyError(f"{model.__name__}.{name} is not a number")
    return found.low, found.high


# --- field types ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One Form field's check and limit, written after the type the field holds once checked:
    `note: Annotated[str, inputs.FreeText(...)]`. Pydantic runs it in place of its own validation
    (a plain validator); Form.value runs it on one field alone; pages read `limit`."""

    run: Callable[[Any], Any]
    limit: Limit | None = None

    def validate(self, value: Any) -> Any:
        try:
            return self.run(value)
        except Problem as problem:
            raise _fail(str(problem), {k: v for k, v in problem.fields.items() if k}) from None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return PlainValidator(self.validate).__get_pydantic_core_schema__(source, handler)


def _field(check: Callable[[Any], Any], limit: Limit | None = None) -> Check:
    return Check(check, limit)


def _text_checker(
    limit: int, label: str, kind: str, *, required: str | None, too_long: str | None, optional: bool
) -> Callable:
    def check(value: Any) -> str:
        if value is None and optional:
            return ""
        if not isinstance(value, str):
            raise Problem(
                _(required) if value is None and required else _("{label} must be text.").format(label=_(label))
            )
        long_message = (
            _(too_long)
            if too_long
            else _(
                "{label} is {n:,} characters; the limit is {limit:,}. Shorten it a little — nothing is lost yet."
            ).replace("{label}", _(label))
        )
        if len(value) > max(limit * _HUGE, limit + 4096):
            raise Problem(long_message.format(n=len(value), limit=limit))
        if kind == "name":
            value = " ".join(value.split())
            if unseen(value):
                raise Problem(
                    _(
                        "{label} has hidden control characters in it (they come with pasted text and "
                        "can make it read differently on screen). Please type it again."
                    ).format(label=_(label))
                )
        else:
            value = free_text(value) if kind == "free" else line_text(value)
        if len(value) > limit:
            raise Problem(long_message.format(n=len(value), limit=limit))
        if required is not None and not value:
            raise Problem(_(required))
        return value

    return check


def FreeText(
    limit: int, label: str, *, required: str | None = None, too_long: str | None = None, optional: bool = False
) -> Check:
    """Multi-line text in the person's own words (see the module docstring). `required`: the message
    when it is empty; `optional`: None stands for ""."""
    return _field(
        _text_checker(limit, label, "free", required=required, too_long=too_long, optional=optional),
        Limit(max_chars=limit),
    )


def LineText(
    limit: int, label: str, *, required: str | None = None, too_long: str | None = None, optional: bool = False
) -> Check:
    """One line in the person's own words."""
    return _field(
        _text_checker(limit, label, "line", required=required, too_long=too_long, optional=optional),
        Limit(max_chars=limit),
    )


def Name(
    limit: int, label: str, *, required: str | None = None, too_long: str | None = None, optional: bool = False
) -> Check:
    """Who or what something is, shown to others: hidden characters are refused, not removed."""
    return _field(
        _text_checker(limit, label, "name", required=required, too_long=too_long, optional=optional),
        Limit(max_chars=limit),
    )


def is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def Whole(low: int, high: int, message: str, *, required: str | None = None, optional: bool = True) -> Check:
    """A whole number from `low` to `high` (never a bool or a float). None is allowed unless
    `required` (its message) is given or `optional` is False."""

    def check(value: Any) -> int | None:
        if value is None:
            if required is not None or not optional:
                raise Problem(_(required or message))
            return None
        if not is_whole(value) or not low <= value <= high:
            raise Problem(_(message))
        return value

    return _field(check, Limit(low=low, high=high))


def Number(low: float, high: float, message: str) -> Check:
    """A finite number from `low` to `high` (whole or not; never a bool), or None; stored as a float."""

    def check(value: Any) -> float | None:
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            raise Problem(_(message))
        return float(value)

    return _field(check, Limit(low=low, high=high))


def OneOf(options: Collection[str], message: str, *, optional: bool = False) -> Check:
    """One of a fixed set of words (a choice the form offers), or None when `optional`."""

    def check(value: Any) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or value not in options:
            raise Problem(_(message))
        return value

    return _field(check)


def Flag(message: str) -> Check:
    """Yes or no: True or False, nothing else (not 1, not "no")."""

    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise Problem(_(message))
        return value

    return _field(check)


def is_id(value: Any) -> bool:
    return is_whole(value) and 0 < value <= MAX_ID


def RecordId(message: str, *, optional: bool = False) -> Check:
    """A row's id: a positive 32-bit whole number (whether the row exists is the function's business)."""

    def check(value: Any) -> int | None:
        if value is None and optional:
            return None
        if not is_id(value):
            raise Problem(_(message))
        return value

    return _field(check)


def is_day(value: Any) -> bool:
    """A calendar day: a `date` and not a `datetime` (which is a kind of date in Python)."""
    return type(value) is date


def Day(message: str, *, optional: bool = False) -> Check:
    """A calendar day (not a datetime). How far back or ahead is checked by the function, which
    knows the person's today."""

    def check(value: Any) -> date | None:
        if value is None and optional:
            return None
        if not is_day(value):
            raise Problem(_(message))
        return value

    return _field(check)


def Custom(check: Callable[[Any], Any], limit: Limit | None = None) -> Check:
    """A field with its own check (raise Problem with a message, or a mapping of field -> message)."""
    return _field(check, limit)


# --- forms ---------------------------------------------------------------------------------------


class Form(BaseModel):
    """The input of one write function. `Form.check(**values)` returns the cleaned values or
    raises ValidationError naming every field that is wrong."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, hide_input_in_errors=True)
    registry: ClassVar[dict[str, type[Form]]] = {}
    # Message for a field whose value pydantic itself refused (a missing or unexpected argument).
    MISSING: ClassVar[str] = "Please fill this in."

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        Form.registry[f"{cls.__module__}.{cls.__qualname__}"] = cls

    @classmethod
    def check(cls, **values: Any) -> Self:
        try:
            return cls.model_validate(values)
        except PydanticValidationError as exc:
            raise ValidationError(fields_of(exc, cls)) from None

    @classmethod
    def errors(cls, **values: Any) -> dict[str, str]:
        """The fields that are wrong and why (empty when everything is fine)."""
        try:
            cls.model_validate(values)
        except PydanticValidationError as exc:
            return fields_of(exc, cls)
        return {}

    @classmethod
    def read(cls, **values: Any) -> tuple[Any, dict[str, str]]:
        """(the cleaned form, {}) or (None, the fields that are wrong and why)."""
        try:
            return cls.model_validate(values), {}
        except PydanticValidationError as exc:
            return None, fields_of(exc, cls)

    @classmethod
    def value(cls, name: str, value: Any, errors: dict[str, str]) -> Any:
        """One field's cleaned value, checked alone; when it is wrong its message goes into
        `errors` (first problem per field wins) and None is returned."""
        check = next(m for m in cls.model_fields[name].metadata if isinstance(m, Check))
        try:
            return check.run(value)
        except Problem as problem:
            for field, message in problem.fields.items():
                errors.setdefault(field or name, message)
            return None

    def values(self) -> dict[str, Any]:
        """The cleaned values, as they are (no serialisation: tuples stay tuples)."""
        return {name: getattr(self, name) for name in type(self).model_fields}


def fields_of(exc: PydanticValidationError, model: type[BaseModel]) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        ctx = error.get("ctx") or {}
        if ctx.get("fields"):
            for name, message in ctx["fields"].items():
                found.setdefault(str(name), str(message))
            continue
        name = str(error["loc"][0]) if error.get("loc") else "form"
        found.setdefault(name, str(ctx.get("message") or getattr(model, "MISSING", Form.MISSING)))
    return found


def attributes(value: Any, kind: type, *, field: str = "form") -> dict[str, Any]:
    """The fields of a dataclass input (a CardInput, a PracticeInput ...) as a dict, refusing
    anything that is not one (a dict, None, a string) with a message on `field`."""
    if not (is_dataclass(value) and isinstance(value, kind)):
        raise ValidationError.one(field, _("This form is out of date; open it again."))
    return {f.name: getattr(value, f.name) for f in dataclass_fields(value)}


def Email(pattern: re.Pattern, limit: int, *, message: str = N_("That doesn't look like an email address.")) -> Check:
    """An email address or "" (optional on every form): lower case, no spaces, no hidden characters."""

    def check(value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str) or len(value) > limit * _HUGE:
            raise Problem(_(message))
        value = value.strip().lower()
        if value and (len(value) > limit or unseen(value) or not pattern.fullmatch(value)):
            raise Problem(_(message))
        return value

    return _field(check, Limit(max_chars=limit))


ENTRY_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")
