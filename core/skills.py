"""The skills catalogue, loaded from core/content/skills.yaml and checked at start-up.

Each skill has a name, a one-line summary, when to use it, steps, a practice prompt, everyday
situations it helps with (what search matches), and where needed a caution and an interactive
tool. Saved records refer to skills by id, so ids never change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

CONTENT = Path(__file__).resolve().parent / "content"
CATALOGUE_FILE = CONTENT / "skills.yaml"
TOOLS = {"breathing": "Paced breathing", "grounding": "5-4-3-2-1 grounding",
         "urge_surfing": "Urge surfing", "thought_record": "Thought record"}
MODULE_IDS = ("mindfulness", "distress_tolerance", "emotion_regulation", "interpersonal_effectiveness",
              "cbt", "relapse_prevention")


class CatalogueError(ValueError):
    """A content file is malformed; the message names the file and the problem."""


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


def _text(where: str, value, field: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where} needs '{field}' as non-empty text")
    return " ".join(value.split())


def _texts(where: str, value, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise CatalogueError(f"{where} needs '{field}' as a non-empty list of text")
    return tuple(" ".join(v.split()) for v in value)


def _skill(name: str, module: dict, s) -> Skill:
    if not isinstance(s, dict) or not isinstance(s.get("id"), str) or not s["id"]:
        raise CatalogueError(f"{name}: a skill in module {module['id']!r} has no id")
    where = f"{name}: skill {s['id']!r}"
    tool = s.get("tool") or ""
    if tool not in ("", *TOOLS):
        raise CatalogueError(f"{where} names an unknown tool {tool!r} (known: {', '.join(TOOLS)})")
    return Skill(id=s["id"], name=_text(where, s.get("name"), "name"), module_id=module["id"],
                 module_name=module["name"], summary=_text(where, s.get("summary"), "summary"),
                 when=_text(where, s.get("when"), "when"),
                 situations=tuple(v.lower() for v in _texts(where, s.get("situations"), "situations")),
                 steps=_texts(where, s.get("steps"), "steps"),
                 practice=_text(where, s.get("practice"), "practice"),
                 caution=_text(where, s.get("caution"), "caution", required=False), tool=tool)


def load_catalogue(path: Path = CATALOGUE_FILE) -> tuple[Module, ...]:
    name = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{name}: cannot be read ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("modules"), list):
        raise CatalogueError(f"{name}: expected a top-level 'modules' list")
    modules, seen = [], set()
    for m in data["modules"]:
        if not isinstance(m, dict) or not all(isinstance(m.get(k), str) and m[k] for k in ("id", "name")):
            raise CatalogueError(f"{name}: every module needs an id and a name")
        skills = [_skill(name, m, s) for s in m.get("skills") or []]
        if not skills:
            raise CatalogueError(f"{name}: module {m['id']!r} has no skills")
        for skill in skills:
            if skill.id in seen:
                raise CatalogueError(f"{name}: skill id {skill.id!r} is used twice")
            seen.add(skill.id)
        modules.append(Module(m["id"], m["name"], tuple(skills),
                              intro=_text(f"{name}: module {m['id']!r}", m.get("intro"), "intro")))
    missing = [m for m in MODULE_IDS if m not in {mod.id for mod in modules}]
    if missing:
        raise CatalogueError(f"{name}: module(s) missing: {', '.join(missing)}")
    return tuple(modules)


@lru_cache(maxsize=1)
def catalogue() -> tuple[Module, ...]:
    return load_catalogue()


@lru_cache(maxsize=1)
def skills_by_id() -> dict[str, Skill]:
    return {s.id: s for m in catalogue() for s in m.skills}


def skill(skill_id: str) -> Skill | None:
    return skills_by_id().get(skill_id)


def skill_for_tool(tool: str) -> Skill:
    return next(s for m in catalogue() for s in m.skills if s.tool == tool)


# --- search ---------------------------------------------------------------------------------

_STOPWORDS = frozenset("a an and at be i im i'm is it me my of on or so the to too with feel feeling "
                       "am really very just".split())


def _words(text: str) -> list[str]:
    text = text.lower().replace("’", "'").replace("'", "")
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
        fields = ((4, _words(s.name)), (3, _words(" ".join(s.situations))), (2, _words(s.summary + " " + s.when)),
                  (1, _words(s.module_name + " " + " ".join(s.steps))))
        weights = [max((w for w, haystack in fields if _matches(word, haystack)), default=0) for word in words]
        matched = sum(1 for w in weights if w)
        if matched:
            found.append((-matched, -sum(weights), position, s))
    found.sort()
    if any(-matched == len(words) for matched, *_ in found):
        found = [f for f in found if -f[0] == len(words)]
    return [s for *_, s in found]
