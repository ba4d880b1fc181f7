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
from collections.abc import Iterable, Iterator
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
# Everyday contractions and spellings, so one phrase covers them ("do not" and "don't" alike): whole
# words rewritten, in this order. (Before scr13 also "self\s+harm" -> "self harm": a reading already
# has one space between words.)
_EXPANSIONS = (
    ("wanna", "want to"),
    ("gonna", "going to"),
    ("cannot", "cant"),
    ("can not", "cant"),
    ("do not", "dont"),
    ("i am", "im"),
    ("my self", "myself"),
    # Spanish texting: "q"/"k" for "que", "x" for "por", "xq"/"pq" for "porque", "pa" for "para"
    # ("no tengo x q vivir", "pa q vivir"); none is an English word a phrase uses.
    ("xq", "porque"),
    ("pq", "porque"),
    ("porq", "porque"),
    ("q", "que"),
    ("k", "que"),
    ("x", "por"),
    ("pa", "para"),
)
# Spanish: "cortarme" (cut myself) is a crisis phrase, but cutting one's hair, nails or beard, or
# having the power cut off, is everyday speech ("voy a cortarme el pelo"); said that way it is
# rewritten (after the ones above) so it does not match, while "quiero cortarme" still does.
_HAIRCUT = re.compile(  # ("cortarme " -> "cortar " where these follow)
    r"\bcort(?:arme|andome) (?=(?:el|la|las|los) (?:pelo|cabello|fleco|flequillo|puntas|barba|bigote|unas|"
    r"luz|agua|gas|telefono|internet|cable|servicio)\b)"
)
_HAIRCUT_WORDS = frozenset(("cortarme", "cortandome"))
# Each rewrite as its words, and as it stands in a reading with every word between two spaces of its
# own (" i  am "), where str.replace finds whole words as the regex "\bi am\b" did.
_REWRITES = tuple(
    (frozenset(old.split(" ")), f" {old.replace(' ', '  ')} ", f" {new.replace(' ', '  ')} ")
    for old, new in _EXPANSIONS
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


def _translated(text: str, table: dict[int, str], keys: frozenset[str]) -> str:
    """`text.translate(table)` for a table of characters that are not ASCII, each read as an ASCII
    letter, asking only about the characters the text has: usually none of the table's, or a few
    (each replaced in turn), rarely many (translated)."""
    if text.isascii():
        return text
    found = keys.intersection(text)
    if len(found) > _FEW:
        return text.translate(table)
    for c in found:
        text = text.replace(c, table[ord(c)])
    return text


_FEW = 8  # characters replaced one by one (each a pass over the text) rather than translated (one slower pass)


@lru_cache(maxsize=1)
def _look_alike_letters() -> frozenset[str]:
    return frozenset(map(chr, look_alikes()))


@lru_cache(maxsize=1)
def _marked_latin_letters() -> frozenset[str]:
    return frozenset(map(chr, marked_latin()))


def _plain_letters(text: str) -> str:
    """The steps every reading shares: apostrophes out, compatibility forms made plain (fullwidth
    "ｋｉｌｌ", mathematical "𝐤𝐢𝐥𝐥", ligatures: NFKC), and look-alike letters of other alphabets read as
    the Latin letter they imitate."""
    text = _translated(unicodedata.normalize("NFKC", _APOSTROPHES.sub("", text)), look_alikes(), _look_alike_letters())
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


# What each ASCII byte is in a reading: a letter or digit stays, anything else separates words.
_WORD_BYTES = bytes(c if chr(c) in string.ascii_lowercase + string.digits else 0x20 for c in range(256))


def _words_of(text: str) -> str:
    """`" ".join(re.sub(r"[^a-z0-9]+", " ", text).split())`, without a Python step per word: every
    character that is not a-z or 0-9 (a non-ASCII one is "?" first) separates words."""
    return b" ".join(text.encode("ascii", "replace").translate(_WORD_BYTES).split()).decode("ascii")


def _marks_dropped(text: str) -> str:
    """Combining marks dropped, asking Unicode's data once per distinct character of the text rather
    than once per character. (Format characters, Unicode's "Cf", were made spaces here before: any
    character that is not ASCII separates words in _words_of all the same.)"""
    marks = [c for c in set(text) if unicodedata.combining(c)]
    if len(marks) > _FEW:
        return text.translate(dict.fromkeys(map(ord, marks)))
    for c in marks:
        text = text.replace(c, "")
    return text


def _folded(text: str) -> str:
    """normalise() before the everyday spellings are expanded (one space between words)."""
    return _folded_letters(_plain_letters(text))


def _folded_letters(text: str) -> str:
    """_folded() of a text _plain_letters() has made. Plain ASCII needs no folding: it is only lower-cased
    and split into words (NFKD leaves it as it is, and it has no marks, format characters or
    apostrophes left)."""
    if text.isascii():
        return _words_of(text.lower())
    text = _ZERO_WIDTH.sub(" ", _translated(text, marked_latin(), _marked_latin_letters()))
    text = _marks_dropped(unicodedata.normalize("NFKD", text).lower())
    return _words_of(_APOSTROPHES.sub("", text))  # a fullwidth apostrophe is one only after NFKD


def _expand(text: str) -> str:
    return _expanded(text, frozenset(text.split()))[0]


def _expanded(text: str, words: frozenset[str]) -> tuple[str, frozenset[str]]:
    """The reading with the everyday spellings expanded, and its set of words. `text` is words of
    a-z and 0-9 separated by one space, `words` their set: a rewrite whose words are not all there
    cannot match, and is not run. (The words are those before any rewrite: right because no rewrite
    writes a word that another one reads, which tests/unit/test_screening_differential.py checks.)"""
    todo = [(old, new) for needs, old, new in _REWRITES if needs <= words]
    haircut = not _HAIRCUT_WORDS.isdisjoint(words)
    if not todo and not haircut:
        return text, words
    if todo:
        spaced = f" {text.replace(' ', '  ')} "
        for old, new in todo:
            spaced = spaced.replace(old, new)
        text = " ".join(spaced.split())
    if haircut:
        text = " ".join(_HAIRCUT.sub("cortar ", text).split())
    return text, frozenset(text.split())


# Letters spelled out one by one ("k.i.l.l myself", "k i l l myself", "k-i-l-l"): three or more
# one-letter words in a row are also read as the word they spell.
_SPELLED = re.compile(r"(\b[a-z](?: [a-z]\b){2,})")


def _normalise_joined(text: str) -> str:
    """The screen's first normalisation, kept so nothing it caught is missed: every character that
    is not ASCII after folding accents is dropped, joining what was on either side of it (so a
    zero-width space inside one word, "su\u200bicide", keeps it whole here)."""
    return _expand(_joined_letters(_plain_letters(text)))


def _joined_letters(text: str) -> str:
    """_normalise_joined() of a text _plain_letters() has made, before the spellings are expanded."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _words_of(text.replace("'", "").replace("`", ""))


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


class _Phrases:
    """Phrases of whole words, found in a reading (words of a-z and 0-9 separated by one space) where
    `re.search(r"\b(?:one|or another)\b", reading)` finds them, by words instead of characters: a
    phrase can be there only if each of its words is in the reading's set of words (checked in C
    for every phrase at once), and only then is the reading walked word by word."""

    def __init__(self, phrases: Iterable[str]) -> None:
        phrases = tuple(dict.fromkeys(phrases))
        self.empty = "" in phrases  # (an empty phrase matches any reading with a word, as the regex did)
        split = [p.split(" ") for p in phrases if p]
        self.needs = tuple(frozenset(words) for words in split)
        self.single = frozenset(words[0] for words in split if len(words) == 1)
        self.tree: dict = {}  # word -> the words that may follow it; _END where a phrase ends
        for words in split:
            node = self.tree
            for word in words:
                node = node.setdefault(word, {})
            node[_END] = True

    def may_be_in(self, words: frozenset[str]) -> bool:
        return (self.empty and bool(words)) or any(need <= words for need in self.needs)

    def in_reading(self, reading: str, words: frozenset[str]) -> bool:
        """True when a phrase is in the reading; `words` is the reading's set of words."""
        if not self.may_be_in(words):
            return False
        if self.empty or not self.single.isdisjoint(words):
            return True
        seq = reading.split()
        last = len(seq)
        tree = self.tree
        for at, word in enumerate(seq):
            node = tree.get(word)
            nxt = at + 1
            while node is not None:
                if _END in node:
                    return True
                if nxt == last:
                    break
                node = node.get(seq[nxt])
                nxt += 1
        return False


_END = ""  # (no word of a reading is empty)


@lru_cache(maxsize=1)
def _phrases() -> _Phrases:
    return _Phrases(all_phrases())


# A letter typed more than once ("moriiiir", "dieeee", "killll myselfff", "kiill") may be stretching a
# word: such a text is also compared with every letter run squeezed to one letter, in the text and in
# the phrases alike ("kill myself", "kiill myself" and "killll myselfff" are all "kil myself").
_STRETCHED = re.compile(r"([a-z])\1")
_RUN = re.compile(r"([a-z])\1+")


def _squeeze(text: str) -> str:
    return _RUN.sub(r"\1", text)


@lru_cache(maxsize=1)
def _squeezed_phrases() -> _Phrases:
    return _Phrases(_squeeze(p) for p in load_phrases())


@lru_cache(maxsize=1)
def _run_together() -> tuple[str, ...]:
    """The phrases with their spaces taken out ("killmyself"), for words spelled out letter by letter
    with no word break either ("k.i.l.l.m.y.s.e.l.f"): found anywhere in such a run of letters."""
    return tuple(dict.fromkeys(p.replace(" ", "") for p in load_phrases()))


@lru_cache(maxsize=1)
def _hashtags() -> frozenset[str]:
    """A phrase of several words written as one ("#killmyself", "#selfharm", "wanttodie", or words
    joined by an invisible character inside and between them): the whole word is the phrase."""
    return frozenset(p.replace(" ", "") for p in load_phrases() if " " in p)


# Digits and symbols written for letters inside a word ("k1ll mys3lf", "su1c1de", "$uicide", "k!ll"):
# a text with one next to a letter is also read with them as letters ("1" once as "i", once as "l":
# "k1ll", "ki11"). Digits that stand alone ("I took 2", "at 10") are left as they are.
_LEET_NEXT_TO_LETTER = re.compile(r"((?<=[a-z])[0134579@$!]+|[0134579@$!]+(?=[a-z]))")
_LEET_AS_I = str.maketrans("0134579@$!", "oieastgasi")
_LEET_AS_L = str.maketrans("0134579@$!", "oleastgasi")


def _leet_readings(text: str) -> Iterator[str]:
    """The text with digits and symbols next to letters read as letters, once with "1" as "i" and
    once as "l" (each before _folded()). The runs are translated all at once: split out, joined
    with a NUL (not a digit or symbol read as a letter), translated and split again."""
    lowered = unicodedata.normalize("NFKC", text).lower()
    if not _LEET.search(lowered):  # (a quick look for any such character first)
        return
    parts = _LEET_NEXT_TO_LETTER.split(lowered)
    if len(parts) == 1:
        return
    runs = "\0".join(parts[1::2])
    for table in (_LEET_AS_I, _LEET_AS_L):
        parts[1::2] = runs.translate(table).split("\0")
        yield "".join(parts)


_LEET = re.compile("[0134579@$!]")
_ONE_LETTER_WORDS = frozenset(string.ascii_lowercase)


def _readings(text: str) -> Iterator[tuple[str, frozenset[str] | None, bool]]:
    """The text as the screen reads it, before the everyday spellings are expanded (with its set of
    words where it was needed already), then (each only if the ones before find nothing) as the
    joined reading, with letters spelled out one by one read as the words they spell, and every such
    run of letters alone (True: one text of the runs, one a line, to be searched for phrases run
    together, "k.i.l.l.m.y.s.e.l.f"); then the digits and symbols read as letters."""
    letters = _plain_letters(text)
    folded = _folded_letters(letters)
    words = frozenset(folded.split())
    yield folded, words, False
    if not letters.isascii():  # (the joined reading of ASCII is the one above)
        yield _joined_letters(letters), None, False
    if not _ONE_LETTER_WORDS.isdisjoint(words):  # (no letters spelled out without a one-letter word)
        parts = _SPELLED.split(folded)
        if len(parts) > 1:
            runs = "\n".join(parts[1::2]).replace(" ", "")
            parts[1::2] = runs.split("\n")
            yield "".join(parts), None, False
            yield runs, None, True
    yield from ((_folded(reading), None, False) for reading in _leet_readings(text))


def _found(reading: str, words: frozenset[str] | None) -> bool:
    """A phrase in one reading (before expansion; `words` its set of words, or None): as words, as
    one word (a hashtag), or with its letters' runs squeezed."""
    reading, words = _expanded(reading, frozenset(reading.split()) if words is None else words)
    if _phrases().in_reading(reading, words) or not _hashtags().isdisjoint(words):
        return True
    # A doubled letter is inside a word: the distinct words say whether squeezing may find anything.
    distinct = " ".join(words)
    if not _STRETCHED.search(distinct):
        return False
    squeezed = _squeezed_phrases()
    squeezed_words = frozenset(_squeeze(distinct).split())
    return squeezed.may_be_in(squeezed_words) and squeezed.in_reading(_squeeze(reading), squeezed_words)


def suggests_crisis(text: str) -> bool:
    """True when the text contains one of the crisis phrases (the one screening function)."""
    if not isinstance(text, str) or not text.strip():
        return False
    seen: set[str] = set()
    for reading, words, spelled_run in _readings(text):
        if spelled_run:
            if any(phrase in reading for phrase in _run_together()):
                return True
        elif reading not in seen:  # (a reading equal to one searched already finds nothing new)
            seen.add(reading)
            if _found(reading, words):
                return True
    return False
