"""One crisis-word screen for everything a participant types (phrases are data, in
core/content/crisis_phrases.yaml). It answers only whether the text may mean danger: callers
show the crisis lines and open a review alert, and never copy the words anywhere."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import yaml

from core.skills import CONTENT, CatalogueError

PHRASES_FILE = CONTENT / "crisis_phrases.yaml"
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
)


def normalise(text: str) -> str:
    """Lower case, no accents or apostrophes, punctuation as spaces, one space between words."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"['`\u2019\u2018]", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    for pattern, replacement in _EXPANSIONS:
        text = re.sub(pattern, replacement, text)
    return " ".join(text.split())


def load_phrases(path=PHRASES_FILE) -> tuple[str, ...]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path.name}: cannot be read ({exc})") from exc
    phrases = data.get("phrases") if isinstance(data, dict) else None
    if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
        raise CatalogueError(f"{path.name}: expected a non-empty 'phrases' list of text")
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


def suggests_crisis(text: str) -> bool:
    """True when the text contains one of the crisis phrases (the one screening function)."""
    if not isinstance(text, str) or not text.strip():
        return False
    return _pattern().search(normalise(text)) is not None
