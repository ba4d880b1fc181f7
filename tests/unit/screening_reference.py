# Verbatim copy of core/screening.py as it was before scr13 (commit 64da23c), the oracle of the
# differential test (test_screening_differential.py) and of bench/screening.py: the faster screen must
# answer exactly as this one does. Do not edit below this comment; when the phrases or a reading change
# on purpose, change core/screening.py and copy it here again with the differences listed.
# ruff: noqa

"""One crisis-word screen for everything a participant types (phrases are data, in
core/content/crisis_phrases.yaml and core/content/es/crisis_phrases.yaml). It answers only whether
the text may mean danger: callers show the crisis lines and open a review alert, and never copy the
words anywhere.

Every text is screened against the phrases of every language, whatever language the app is shown
in: people switch languages mid-sentence, and someone may keep the app in English and write in
Spanish. A phrase of one language that is ordinary speech in the other would be a false alarm, so
tests/unit/test_screening_spanish.py checks ordinary sentences of both against both lists."""

from __future__ import annotations

import json
import re
import string
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from core.skills import CONTENT, CatalogueError

PHRASES_FILE = CONTENT / "crisis_phrases.yaml"
PHRASES_FILES = (PHRASES_FILE, CONTENT / "es" / "crisis_phrases.yaml")
# Apostrophes join the word ("don't", "don’t", "don´t" -> "dont"); the acute accent "´" is what a
# Spanish keyboard often types for one. Removed before accents are folded (NFKD makes "´" a space).
_APOSTROPHES = re.compile("['`\u2018\u2019\u02bc\u00b4\uff07]")
# Everyday contractions and spellings, so one phrase covers them ("do not" and "don't" alike).
_EXPANSIONS = (
    (r"\bwanna\b", "want to"),
    (r"\bgonna\b", "going to"),
    (r"\bcannot\b", "cant"),
    (r"\bcan not\b", "cant"),
    (r"\bdo not\b", "dont"),
    (r"\bi am\b", "im"),
    (r"\bmy self\b", "myself"),
    (r"\bself\s+harm", "self harm"),
    # Spanish texting: "q"/"k" for "que", "x" for "por", "xq"/"pq" for "porque", "pa" for "para"
    # ("no tengo x q vivir", "pa q vivir"); none is an English word a phrase uses.
    (r"\b(?:xq|pq|porq)\b", "porque"),
    (r"\b[qk]\b", "que"),
    (r"\bx\b", "por"),
    (r"\bpa\b", "para"),
    # Spanish: "cortarme" (cut myself) is a crisis phrase, but cutting one's hair, nails or beard, or
    # having the power cut off, is everyday speech ("voy a cortarme el pelo"); said that way it is
    # rewritten so it does not match, while "quiero cortarme" still does.
    (
        r"\bcort(?:arme|andome) ((?:el|la|las|los) (?:pelo|cabello|fleco|flequillo|puntas|barba|bigote|unas|"
        r"luz|agua|gas|telefono|internet|cable|servicio)\b)",
        r"cortar \1",
    ),
)


# Zero-width characters separate words where they stand ("kill\u200bmyself" is two words, as it looks
# on screen); a soft hyphen is a hyphenation point inside a word and goes ("sui\u00adcide"). A zero-width
# space inside one word is caught too: the joined reading drops it (_normalise_joined).
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u180e]")
_SOFT_HYPHEN = "\u00ad"
# Look-alike letters Unicode's confusables data does not list as one, seen written for Latin ones in
# obfuscated text: Cyrillic and Greek lower case that look like a Latin letter in common fonts (the
# data has the capitals: К -> K, but к only as the Latin kra). Only letters a phrase could use.
_LOOK_ALIKES_TOO = {
    "ӏ": "l",  # Cyrillic palochka, a plain stroke: the data reads it as "i"; in lower-case text it stands for "l"
    "к": "k",  # Cyrillic ka
    "м": "m",  # Cyrillic em
    "т": "t",  # Cyrillic te
    "н": "h",  # Cyrillic en (a small capital H)
    "в": "b",  # Cyrillic ve (a small capital B)
    "п": "n",  # Cyrillic pe
    "ь": "b",  # Cyrillic soft sign
    "κ": "k",  # Greek kappa
    "τ": "t",  # Greek tau
    "ε": "e",  # Greek epsilon
    "η": "n",  # Greek eta
    "μ": "u",  # Greek mu
    "ω": "w",  # Greek omega
    "χ": "x",  # Greek chi
    "β": "b",  # Greek beta
}


# A Latin letter with a mark that does not decompose (so NFKD leaves it: "ł", "ø", "đ", "ħ", "ɨ") or a
# small capital ("ᴋ", "ɪ", "ʟ") is read as its plain letter, as accented letters are.
_MARKED_LATIN = re.compile(r"LATIN (?:SMALL|CAPITAL) LETTER ([A-Z])(?: WITH .+)?|LATIN LETTER SMALL CAPITAL ([A-Z])")
_LATIN_BLOCKS = (  # where such letters are
    range(0x00C0, 0x0250),  # Latin-1 letters, Latin Extended-A and -B
    range(0x0250, 0x02B0),  # IPA extensions
    range(0x1D00, 0x1D80),  # phonetic extensions (small capitals)
    range(0x1E00, 0x1F00),  # Latin Extended Additional
    range(0x2C60, 0x2C80),  # Latin Extended-C
    range(0xA720, 0xA800),  # Latin Extended-D
    range(0xAB30, 0xAB70),  # Latin Extended-E
)


@lru_cache(maxsize=1)
def marked_latin() -> dict[int, str]:
    """A translation table from Latin letters with a mark NFKD keeps ("ł", "ø") and small capitals to
    the plain letter ("kiłł" -> "kill", "ᴋɪʟʟ" -> "kill"), for the screen's reading only: the joined
    reading drops them as before ("suiłcide" -> "suicide"), so both are caught."""
    table: dict[int, str] = {}
    for block in _LATIN_BLOCKS:
        for code in block:
            c = chr(code)
            found = _MARKED_LATIN.fullmatch(unicodedata.name(c, ""))
            if found and not unicodedata.decomposition(c) and unicodedata.category(c).startswith("L"):
                table[code] = (found.group(1) or found.group(2)).lower()
    return table


@lru_cache(maxsize=1)
def look_alikes() -> dict[int, str]:
    """A translation table from letters of other alphabets that look like a Latin letter to that
    letter, lower case ("кіll" -> "kill", "ΚΙLL" -> "kill"), from Unicode's confusables data (as the
    confusable-homoglyphs package ships it) and the few in _LOOK_ALIKES_TOO. Only letters are folded
    (no symbol: "3×2" stays), and no Latin letter with an accent or a tilde ("ñ", "á" stay as typed,
    for the accent folding after it): a Latin letter is folded only if it has no decomposition
    ("ı", "ɑ"). Capitals that look like "I" fold to "i" and small letters that look like "l" to "l"."""
    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    table: dict[int, str] = {}
    for latin in string.ascii_letters:
        for glyph in data.get(latin, ()):
            c = glyph.get("c", "")
            if (
                len(c) != 1
                or c.isascii()
                or not unicodedata.category(c).startswith("L")
                or ("LATIN" in unicodedata.name(c, "") and unicodedata.decomposition(c))
            ):
                continue
            letter = latin.lower()
            if latin in "Il":  # the one pair the data confuses across cases: read the glyph's own case
                letter = "i" if unicodedata.category(c) == "Lu" else "l"
            # (keyed as NFKC leaves it too: the text is NFKC'd first, and "ϲ" becomes "ς" there)
            for key in dict.fromkeys((c, unicodedata.normalize("NFKC", c))):
                if len(key) == 1 and not key.isascii():
                    table.setdefault(ord(key), letter)
    table.update({ord(c): letter for c, letter in _LOOK_ALIKES_TOO.items()})
    table.update({ord(c.upper()): letter for c, letter in _LOOK_ALIKES_TOO.items() if ord(c.upper()) not in table})
    return table


def _plain_letters(text: str) -> str:
    """The steps every reading shares: apostrophes out, compatibility forms made plain (fullwidth
    "ｋｉｌｌ", mathematical "𝐤𝐢𝐥𝐥", ligatures: NFKC), and look-alike letters of other alphabets read as
    the Latin letter they imitate."""
    text = unicodedata.normalize("NFKC", _APOSTROPHES.sub("", text)).translate(look_alikes())
    return _APOSTROPHES.sub("", text).replace(_SOFT_HYPHEN, "")  # (a fullwidth apostrophe is one after NFKC)


def normalise(text: str) -> str:
    """Lower case, no accents or apostrophes, punctuation as spaces, one space between words.

    Accents go ("daño" -> "dano", "aquí" -> "aqui"); look-alike letters of other alphabets and
    fullwidth ones are read as the Latin letter (_plain_letters); an invisible character (a
    zero-width space or joiner, a direction mark, a tag character: Unicode's "format" characters)
    separates words where it stands (dropped, it made "kill\u200emyself" one word "killmyself" and
    hid the phrase; one inside a word, "ki\u200ell", is caught by the joined reading), a soft hyphen
    is dropped (the word stays whole); any other character that is not a plain letter or digit
    (¿ ¡ « » — an emoji) separates words, so "más—me quiero matar" is two phrases' words.
    """
    return _expand(_folded(text))


def _folded(text: str) -> str:
    """normalise() before the everyday spellings are expanded (one space between words)."""
    text = _ZERO_WIDTH.sub(" ", _plain_letters(text).translate(marked_latin()))
    text = unicodedata.normalize("NFKD", text).lower()
    text = "".join(" " if unicodedata.category(c) == "Cf" else c for c in text if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("", text)  # a fullwidth apostrophe is one only after NFKD
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _expand(text: str) -> str:
    for pattern, replacement in _EXPANSIONS:
        text = re.sub(pattern, replacement, text)
    return " ".join(text.split())


# Letters spelled out one by one ("k.i.l.l myself", "k i l l myself", "k-i-l-l"): three or more
# one-letter words in a row are also read as the word they spell.
_SPELLED = re.compile(r"\b[a-z](?: [a-z]\b){2,}")


def _normalise_joined(text: str) -> str:
    """The screen's first normalisation, kept so nothing it caught is missed: every character that
    is not ASCII after folding accents is dropped, joining what was on either side of it (so a
    zero-width space inside one word, "su\u200bicide", keeps it whole here)."""
    text = unicodedata.normalize("NFKD", _plain_letters(text)).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"['`]", "", text)
    return _expand(re.sub(r"[^a-z0-9]+", " ", text))


def load_phrases(path: Path | None = None) -> tuple[str, ...]:
    """The phrases of one file, or of every language's file when no path is given, normalised
    (a CatalogueError names a broken file; app start-up calls this to check them all)."""
    if path is None:
        return tuple(dict.fromkeys(p for each in PHRASES_FILES for p in load_phrases(each)))
    name = path.relative_to(CONTENT).as_posix() if path.is_relative_to(CONTENT) else path.name  # "es/crisis_..."
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{name}: cannot be read ({exc})") from exc
    phrases = data.get("phrases") if isinstance(data, dict) else None
    if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
        raise CatalogueError(f"{name}: expected a non-empty 'phrases' list of text")
    return tuple(dict.fromkeys(normalise(p) for p in phrases))


def all_phrases() -> tuple[str, ...]:
    """The English phrases and those of every translation that exists (core/content/es/...): a
    person may write in either language whatever language their screens are in."""
    from core import i18n

    found = list(load_phrases(PHRASES_FILE))
    for language in i18n.LANGUAGES:
        path = i18n.content_file("crisis_phrases.yaml", language)
        if path != PHRASES_FILE:
            found.extend(load_phrases(path))
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in sorted(all_phrases(), key=len, reverse=True)) + r")\b")


# A letter typed more than once ("moriiiir", "dieeee", "killll myselfff", "kiill") may be stretching a
# word: such a text is also compared with every letter run squeezed to one letter, in the text and in
# the phrases alike ("kill myself", "kiill myself" and "killll myselfff" are all "kil myself").
_STRETCHED = re.compile(r"([a-z])\1")
_RUN = re.compile(r"([a-z])\1+")


def _squeeze(text: str) -> str:
    return _RUN.sub(r"\1", text)


@lru_cache(maxsize=1)
def _squeezed_pattern() -> re.Pattern:
    phrases = dict.fromkeys(_squeeze(p) for p in load_phrases())
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)) + r")\b")


@lru_cache(maxsize=1)
def _run_together_pattern() -> re.Pattern:
    """The phrases with their spaces taken out ("killmyself"), for words spelled out letter by letter
    with no word break either ("k.i.l.l.m.y.s.e.l.f")."""
    phrases = dict.fromkeys(p.replace(" ", "") for p in load_phrases())
    return re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)))


@lru_cache(maxsize=1)
def _hashtag_pattern() -> re.Pattern:
    """A phrase of several words written as one ("#killmyself", "#selfharm", "wanttodie", or words
    joined by an invisible character inside and between them): the whole word is the phrase."""
    phrases = dict.fromkeys(p.replace(" ", "") for p in load_phrases() if " " in p)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)) + r")\b")


# Digits and symbols written for letters inside a word ("k1ll mys3lf", "su1c1de", "$uicide", "k!ll"):
# a text with one next to a letter is also read with them as letters ("1" once as "i", once as "l":
# "k1ll", "ki11"). Digits that stand alone ("I took 2", "at 10") are left as they are.
_LEET_NEXT_TO_LETTER = re.compile(r"(?<=[a-z])[0134579@$!]+|[0134579@$!]+(?=[a-z])")
_LEET_AS_I = str.maketrans("0134579@$!", "oieastgasi")
_LEET_AS_L = str.maketrans("0134579@$!", "oleastgasi")


def _leet_readings(text: str) -> Iterator[str]:
    lowered = unicodedata.normalize("NFKC", text).lower()
    if not _LEET_NEXT_TO_LETTER.search(lowered):
        return
    for table in (_LEET_AS_I, _LEET_AS_L):

        def as_letters(found: re.Match[str], table: dict[int, int] = table) -> str:
            return found.group().translate(table)

        yield _expand(_folded(_LEET_NEXT_TO_LETTER.sub(as_letters, lowered)))


def _readings(text: str) -> Iterator[tuple[str, bool]]:
    """The text as the screen reads it, then (each only if the ones before find nothing) as the joined
    reading, with letters spelled out one by one read as the words they spell, and each such run of
    letters alone (True: to be searched for phrases run together, "k.i.l.l.m.y.s.e.l.f")."""
    folded = _folded(text)
    plain = _expand(folded)
    yield plain, False
    joined = _normalise_joined(text)
    if joined != plain:
        yield joined, False
    runs = [m.group().replace(" ", "") for m in _SPELLED.finditer(folded)]
    if runs:
        yield _expand(_SPELLED.sub(lambda m: m.group().replace(" ", ""), folded)), False
        yield from ((run, True) for run in runs)
    yield from ((reading, False) for reading in _leet_readings(text))


def suggests_crisis(text: str) -> bool:
    """True when the text contains one of the crisis phrases (the one screening function)."""
    if not isinstance(text, str) or not text.strip():
        return False
    for reading, spelled_run in _readings(text):
        if spelled_run:
            if _run_together_pattern().search(reading):
                return True
        elif (
            _pattern().search(reading)
            or _hashtag_pattern().search(reading)
            or (_STRETCHED.search(reading) and _squeezed_pattern().search(_squeeze(reading)))
        ):
            return True
    return False
