"""The skills catalogue, loaded from core/content/skills.yaml and checked at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

CONTENT = Path(__file__).resolve().parent / "content"
CATALOGUE_FILE = CONTENT / "skills.yaml"


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Skill:
    id: str
    name: str
    module_id: str
    module_name: str
    summary: str


@dataclass(frozen=True)
class Module:
    id: str
    name: str
    skills: tuple[Skill, ...]


def load_catalogue(path: Path = CATALOGUE_FILE) -> tuple[Module, ...]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path.name}: cannot be read ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("modules"), list):
        raise CatalogueError(f"{path.name}: expected a top-level 'modules' list")
    modules, seen = [], set()
    for m in data["modules"]:
        if not isinstance(m, dict) or not all(isinstance(m.get(k), str) for k in ("id", "name")):
            raise CatalogueError(f"{path.name}: every module needs an id and a name")
        skills = []
        for s in m.get("skills") or []:
            missing = [k for k in ("id", "name", "summary") if not isinstance(s, dict) or not s.get(k)]
            if missing:
                raise CatalogueError(f"{path.name}: a skill in {m['id']} lacks {', '.join(missing)}")
            if s["id"] in seen:
                raise CatalogueError(f"{path.name}: skill id {s['id']!r} is used twice")
            seen.add(s["id"])
            skills.append(Skill(s["id"], s["name"], m["id"], m["name"], s["summary"]))
        if not skills:
            raise CatalogueError(f"{path.name}: module {m['id']!r} has no skills")
        modules.append(Module(m["id"], m["name"], tuple(skills)))
    return tuple(modules)


@lru_cache(maxsize=1)
def catalogue() -> tuple[Module, ...]:
    return load_catalogue()


def skills_by_id() -> dict[str, Skill]:
    return {s.id: s for m in catalogue() for s in m.skills}
