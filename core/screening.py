"""One crisis-word screen for everything a participant types (phrases are data, in
core/content/crisis_phrases.yaml and core/content/es/crisis_phrases.yaml). It answers only whether
the text may mean danger: callers show the crisis lines and open a review alert, and never copy the
words anywhere.

Every text is screened against the phrases of every language, whatever language the app is shown
in: people switch languages mid-sentence, and someone may keep the app in English and write in
Spanish. A phrase of one language that is ordinary speech in the other would be a false alarm, so
tests/unit/test_screening_spanish.py checks ordinary sentences of both against both lists."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
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


def normalise(text: str) -> str:
    """Lower case, no accents or apostrophes, punctuation as spaces, one space between words.

    Accents go ("daño" -> "dano", "aquí" -> "aqui") and so do invisible characters (a zero-width
    space inside a word keeps the word whole); any other character that is not a plain letter or
    digit (¿ ¡ « » — an emoji) separates words, so "más—me quiero matar" is two phrases' words.
    """
    text = unicodedata.normalize("NFKD", _APOSTROPHES.sub("", text)).lower()
    text = "".join(c for c in text if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    text = _APOSTROPHES.sub("", text)  # a fullwidth apostrophe is one only after NFKD
    text = re.sub(r"[^a-z0-9]+", " ", text)
    for pattern, replacement in _EXPANSIONS:
        text = re.sub(pattern, replacement, text)
    return " ".join(text.split())


def _normalise_joined(text: str) -> str:
    """The screen's first normalisation, kept so nothing it caught is missed: every character that
    is not ASCII after folding accents is dropped, joining what was on either side of it."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"['`]", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    for pattern, replacement in _EXPANSIONS:
        text = re.sub(pattern, replacement, text)
    return " ".join(text.split())


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


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in sorted(load_phrases(), key=len, reverse=True)) + r")\b")


# A letter typed three or more times ("moriiiir", "dieeee", "killll myselfff") is stretching a word:
# such a text is also compared with every letter run squeezed to one letter, in the text and in
# the phrases alike ("kill myself" and "killll myselfff" are both "kil myself").
_STRETCHED = re.compile(r"([a-z])\1{2,}")
_RUN = re.compile(r"([a-z])\1+")


def _squeeze(text: str) -> str:
    return _RUN.sub(r"\1", text)


@lru_cache(maxsize=1)
def _squeezed_pattern() -> re.Pattern:
    phrases = dict.fromkeys(_squeeze(p) for p in load_phrases())
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)) + r")\b")


def suggests_crisis(text: str) -> bool:
    """True when the text contains one of the crisis phrases (the one screening function)."""
    if not isinstance(text, str) or not text.strip():
        return False
    plain = normalise(text)
    if _pattern().search(plain) or _pattern().search(_normalise_joined(text)):
        return True
    return bool(_STRETCHED.search(plain)) and _squeezed_pattern().search(_squeeze(plain)) is not None
