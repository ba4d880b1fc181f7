"""Languages: English and Spanish, for participants and family members.

Plain gettext (the standard library's `gettext` module) over catalogues that Babel extracts and
compiles: `locale/messages.pot` (every marked string), `locale/es/LC_MESSAGES/messages.po` (the
Spanish, written for this project) and its compiled `messages.mo`. The .mo is committed, so a
clean checkout (CI, `make run`) needs no build step; `make i18n` extracts, updates and compiles
again, and tests/unit/test_i18n.py fails when the .mo is older than the .po or a marked string has
no Spanish.

The language of what is being drawn is a context variable: the UI sets it once per script run
(ui/i18n.py, from the viewer's choice), and core's user-visible messages (validation messages,
chart sentences) read it through `_()` here, so core needs no Streamlit and defaults to English.
Therapist and admin screens stay English; they see the language a participant answered in.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

ENGLISH, SPANISH = "en", "es"
# The languages a person may choose, each named in its own language (what the chooser shows).
LANGUAGES: dict[str, str] = {ENGLISH: "English", SPANISH: "Español"}
DEFAULT = ENGLISH
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
CONTENT_DIR = Path(__file__).resolve().parent / "content"

_current: ContextVar[str | None] = ContextVar("iop_language", default=None)
# Set by the UI (ui/i18n.py): the viewer's language when nothing was set in this context, e.g. a
# Streamlit fragment's rerun, which runs one function and not the script that called `use()`.
_viewer: Callable[[], str | None] | None = None


def normalise(language: object) -> str:
    """A known language code, or the default for anything else (None, "", "fr", 3, "ES ")."""
    if isinstance(language, str) and language in LANGUAGES:  # (the usual case: asked hundreds of times a run)
        return language
    if isinstance(language, str) and language.strip().lower() in LANGUAGES:
        return language.strip().lower()
    return DEFAULT


def is_language(value: object) -> bool:
    return isinstance(value, str) and value in LANGUAGES


@lru_cache(maxsize=len(LANGUAGES))
def translator(language: str) -> _gettext.NullTranslations:
    """The catalogue of `language` (English is the source text: no catalogue)."""
    language = normalise(language)
    if language == ENGLISH:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language])


def current() -> str:
    """The language being drawn right now (English outside a script run)."""
    chosen = _current.get()
    if chosen is None and _viewer is not None:
        chosen = _viewer()
    return normalise(chosen)


def set_viewer(provider: Callable[[], str | None]) -> None:
    """Where `current()` asks when no language was set in this context (the UI's session)."""
    global _viewer
    _viewer = provider


def use(language: object) -> str:
    """Draw in `language` from here on in this context (the UI calls it at the top of each run)."""
    code = normalise(language)
    _current.set(code)
    return code


@contextmanager
def using(language: object) -> Iterator[str]:
    """`language` inside the block only (tests, and building one text in a known language)."""
    token = _current.set(normalise(language))
    try:
        yield normalise(_current.get())
    finally:
        _current.reset(token)


# Messages formatted once, at import time, from a marked template (F_): their English text -> the
# template and its values, so `_()` can give the same message in another language later.
_FORMATTED: dict[str, tuple[str, dict]] = {}


def _(message: str) -> str:
    """`message` in the current language (the catalogue's Spanish, else the English as written)."""
    language = current()
    if language != ENGLISH and message in _FORMATTED:
        template, values = _FORMATTED[message]
        return translator(language).gettext(template).format(**values)
    return translator(language).gettext(message)


def F_(template: str, **values: object) -> str:
    """A message made at import time from a marked template and constants ("Mood is a whole number
    from {low} to {high}."): the English text now, and `_()` of it gives any other language later.
    Only for constants (a module-level registry): messages formatted per call use `_().format()`."""
    text = template.format(**values)
    _FORMATTED[text] = (template, values)
    return text


def ngettext(singular: str, plural: str, n: int) -> str:
    return translator(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it (constants read at import time);
    whoever shows it calls `_()` on it then."""
    return message


def content_file(name: str, language: object) -> Path:
    """core/content/es/<name> when the viewer reads Spanish and that file exists, else the English
    core/content/<name>. (The Spanish files have the English file's structure and ids.)"""
    if normalise(language) != ENGLISH:
        translated = CONTENT_DIR / normalise(language) / name
        if translated.is_file():
            return translated
    return CONTENT_DIR / name


def has_content(name: str, language: object) -> bool:
    """True when `name` exists in `language` (English always does)."""
    return normalise(language) == ENGLISH or (CONTENT_DIR / normalise(language) / name).is_file()


def short_day(day) -> str:
    """ "Thu Nov 26" in English, "jue 26 nov" in Spanish (the current language)."""
    if current() == ENGLISH:
        return f"{day:%a %b} {day.day}"
    from babel.dates import format_date

    return format_date(day, "EEE d MMM", locale=current())


def long_day(day) -> str:
    """ "Thursday, November 26" in English, "jueves, 26 de noviembre" in Spanish."""
    if current() == ENGLISH:
        return f"{day:%A, %B} {day.day}"
    from babel.dates import format_date

    return format_date(day, "EEEE, d 'de' MMMM", locale=current())


def plain_list(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C' ('A, B y C' in Spanish)."""
    if len(names) <= 1:
        return "".join(names)
    return _("{first} and {last}").format(first=", ".join(names[:-1]), last=names[-1])


def weekday(day) -> str:
    """ "Thu" in English, "jue" in Spanish."""
    if current() == ENGLISH:
        return f"{day:%a}"
    from babel.dates import format_date

    return format_date(day, "EEE", locale=current())


def full_date(day) -> str:
    """ "Nov 26, 2026" in English, "26 nov 2026" in Spanish."""
    if current() == ENGLISH:
        return f"{day:%b} {day.day}, {day.year}"
    from babel.dates import format_date

    return format_date(day, "d MMM y", locale=current())


def month_day(day) -> str:
    """ "Nov 23" in English, "23 nov" in Spanish."""
    if current() == ENGLISH:
        return f"{day:%b} {day.day}"
    from babel.dates import format_date

    return format_date(day, "d MMM", locale=current())
