"""The skills catalogue, loaded from core/content/skills.yaml (its shape is checked by core.content).

Each skill has a name, a one-line summary, when to use it, steps, a practice prompt, everyday
situations it helps with (what search matches), and where needed a caution and an interactive
tool. Saved records refer to skills by id, so ids never change.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.content import CONTENT, MODULE_IDS, SKILLS_FILE, TOOLS, CatalogueError, read_skills

CATALOGUE_FILE = SKILLS_FILE
__all__ = [
    "CONTENT",
    "CATALOGUE_FILE",
    "MODULE_IDS",
    "TOOLS",
    "CatalogueError",
    "Module",
    "Skill",
    "catalogue",
    "load_catalogue",
    "search",
    "skill",
    "skill_for_tool",
    "skills_by_id",
]


@dataclass(frozen=True)
class Skill:
    id: str
    name: str
    module_id: str
    module_name: str
    summary: str
    when: str = ""
    situations: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    practice: str = ""
    caution: str = ""
    tool: str = ""


@dataclass(frozen=True)
class Module:
    id: str
    name: str
    skills: tuple[Skill, ...]
    intro: str = ""


def load_catalogue(path: Path = CATALOGUE_FILE) -> tuple[Module, ...]:
    """The catalogue in `path`, checked by core.content (a CatalogueError names the file and problem)."""
    return tuple(
        Module(
            m.id,
            m.name,
            tuple(
                Skill(
                    id=s.id,
                    name=s.name,
                    module_id=m.id,
                    module_name=m.name,
                    summary=s.summary,
                    when=s.when,
                    situations=tuple(v.lower() for v in s.situations),
                    steps=tuple(s.steps),
                    practice=s.practice,
                    caution=s.caution or "",
                    tool=s.tool or "",
                )
                for s in m.skills
            ),
            intro=m.intro,
        )
        for m in read_skills(path).modules
    )


@lru_cache(maxsize=1)
def catalogue() -> tuple[Module, ...]:
    return load_catalogue(CATALOGUE_FILE)


@lru_cache(maxsize=1)
def skills_by_id() -> dict[str, Skill]:
    return {s.id: s for m in catalogue() for s in m.skills}


def skill(skill_id: str) -> Skill | None:
    return skills_by_id().get(skill_id)


def skill_for_tool(tool: str) -> Skill:
    return next(s for m in catalogue() for s in m.skills if s.tool == tool)


# --- search ---------------------------------------------------------------------------------

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "at",
        "be",
        "i",
        "im",
        "i'm",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "so",
        "the",
        "to",
        "too",
        "with",
        "feel",
        "feeling",
        "am",
        "really",
        "very",
        "just",
        # Spanish, the same kind of words ("me siento sola", "estoy muy triste", "tengo ganas de ...")
        "al",
        "con",
        "de",
        "del",
        "el",
        "en",
        "es",
        "estoy",
        "la",
        "las",
        "lo",
        "los",
        "mi",
        "mis",
        "muy",
        "para",
        "por",
        "que",
        "se",
        "siento",
        "te",
        "tengo",
        "un",
        "una",
        "y",
        "yo",
    ]
)


def _words(text: str) -> list[str]:
    """Lower-case words without accents, so "pánico", "panico" and "Pánico" are one word."""
    text = text.lower().replace("’", "'").replace("'", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return [w for w in re.findall(r"[a-z0-9]+", text) if w not in _STOPWORDS]


def _matches(word: str, haystack: list[str]) -> bool:
    """A query word matches a catalogue word that starts with it ("crav" finds "craving"),
    or that it starts with, for words of 4+ letters ("cravings" finds "craving")."""
    return any(w.startswith(word) or (len(w) >= 4 and word.startswith(w)) for w in haystack)


def search(query: str, modules: tuple[Module, ...] | None = None) -> list[Skill]:
    """Skills for a name or an everyday situation ("can't sleep", "craving"), best first.

    Skills matching every query word come first; if none does, skills matching some of them
    ("angry at my boss" still finds the anger skills). Name and situations count most.
    """
    words = _words(query)
    if not words:
        return []
    found = []
    for position, s in enumerate(x for m in (modules or catalogue()) for x in m.skills):
        fields = (
            (4, _words(s.name)),
            (3, _words(" ".join(s.situations))),
            (2, _words(s.summary + " " + s.when)),
            (1, _words(s.module_name + " " + " ".join(s.steps))),
        )
        weights = [max((w for w, haystack in fields if _matches(word, haystack)), default=0) for word in words]
        matched = sum(1 for w in weights if w)
        if matched:
            found.append((-matched, -sum(weights), position, s))
    found.sort()
    if any(-matched == len(words) for matched, *_ in found):
        found = [f for f in found if -f[0] == len(words)]
    return [s for *_, s in found]
