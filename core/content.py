"""The content files in core/content/, read and checked against one schema each (pydantic).

A broken file must never reach a person as a traceback: every problem raises CatalogueError whose
message starts with the file's name and says where and what ("skills.yaml: module 'mindfulness',
skill 'wise_mind' needs 'steps'"). app.py loads every file at start-up and shows that message
calmly, with the crisis lines, instead of the app.

core.skills and core.checkups turn the checked models into the dataclasses the rest of the code
uses; this module knows the shape of the files, not what the app does with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    model_validator,
)

from core.i18n import N_

CONTENT = Path(__file__).resolve().parent / "content"
SKILLS_FILE = CONTENT / "skills.yaml"
FAMILY_FILE = CONTENT / "family.md"

TOOLS = {  # shown through _() (core.i18n.N_ marks them for the catalogue)
    "breathing": N_("Paced breathing"),
    "grounding": N_("5-4-3-2-1 grounding"),
    "urge_surfing": N_("Urge surfing"),
    "thought_record": N_("Thought record"),
}
MODULE_IDS = (
    "mindfulness",
    "distress_tolerance",
    "emotion_regulation",
    "interpersonal_effectiveness",
    "cbt",
    "relapse_prevention",
)


class CatalogueError(ValueError):
    """A content file is malformed; the message names the file and the problem."""


def _one_line(value: str) -> str:
    return " ".join(value.split())


# Non-empty text, with runs of white space (YAML's folded lines) made single spaces.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_one_line)]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$")]
Texts = Annotated[list[Text], Field(min_length=1)]


class _Strict(BaseModel):
    # strict: a number where text belongs is an error, not quietly turned into "5";
    # forbid: a misspelt key ("cuation") is an error, not a caution that silently disappears.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


_M = TypeVar("_M", bound=_Strict)
_TAGS = ("plain", "detailed")  # the two spellings of a questionnaire item (see QuestionnaireEntry)


# --- skills.yaml ----------------------------------------------------------------------------


class SkillEntry(_Strict):
    id: Id
    name: Text
    summary: Text
    when: Text
    situations: Texts
    steps: Texts
    practice: Text
    caution: Text | None = None
    tool: Literal["breathing", "grounding", "urge_surfing", "thought_record"] | None = None


class ModuleEntry(_Strict):
    id: Id
    name: Text
    intro: Text
    skills: Annotated[list[SkillEntry], Field(min_length=1)]


class SkillsFile(_Strict):
    modules: list[ModuleEntry]

    @model_validator(mode="after")
    def _whole_catalogue(self) -> SkillsFile:
        seen: set[str] = set()
        for module in self.modules:
            for skill in module.skills:
                if skill.id in seen:
                    raise ValueError(f"skill id {skill.id!r} is used twice")
                seen.add(skill.id)
        found = [m.id for m in self.modules]
        twice = sorted({m for m in found if found.count(m) > 1})
        if twice:
            raise ValueError(f"module id(s) used twice: {', '.join(twice)}")
        missing = [m for m in MODULE_IDS if m not in found]
        if missing:
            raise ValueError(f"module(s) missing: {', '.join(missing)}")
        unknown = [m for m in found if m not in MODULE_IDS]
        if unknown:
            raise ValueError(f"unknown module(s): {', '.join(unknown)} (known: {', '.join(MODULE_IDS)})")
        return self


def read_skills(path: Path = SKILLS_FILE) -> SkillsFile:
    return _parse(SkillsFile, _read_yaml(path), path.name)


# --- questionnaires.yaml --------------------------------------------------------------------


class ItemEntry(_Strict):
    text: Text
    choices: Annotated[list[Text], Field(min_length=2)]


class QuestionnaireEntry(_Strict):
    name: Text
    title: Text
    about: Text
    attribution: Text
    stem: Text
    choices: Annotated[list[Text], Field(min_length=2)] | None = None  # shared by items given as text
    # An item is its text (answered with the shared `choices`) or a mapping with its own choices.
    items: Annotated[
        list[
            Annotated[
                Annotated[Text, Tag("plain")] | Annotated[ItemEntry, Tag("detailed")],
                Discriminator(lambda v: "plain" if isinstance(v, str) else "detailed"),
            ]
        ],
        Field(min_length=1),
    ]
    function_item: Text | None = None
    function_choices: Annotated[list[Text], Field(min_length=2)] | None = None

    @model_validator(mode="after")
    def _every_item_has_choices(self) -> QuestionnaireEntry:
        if any(isinstance(item, str) for item in self.items) and self.choices is None:
            raise ValueError("items given as plain text need the shared 'choices' list")
        if (self.function_item is None) != (self.function_choices is None):
            raise ValueError("'function_item' and 'function_choices' go together")
        return self

    def item_choices(self) -> list[tuple[str, tuple[str, ...]]]:
        """Each item's text and choices (the shared choices for items written as plain text)."""
        return [
            (item, tuple(self.choices or ())) if isinstance(item, str) else (item.text, tuple(item.choices))
            for item in self.items
        ]


def read_questionnaires(path: Path, max_totals: Mapping[str, int]) -> dict[str, QuestionnaireEntry]:
    """The questionnaires named in `max_totals`, each checked to add up to its maximum total."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise CatalogueError(f"{path.name}: expected one entry per questionnaire ({', '.join(max_totals)})")
    found = {}
    for kind, expected in max_totals.items():
        if kind not in data:
            raise CatalogueError(f"{path.name}: {kind} is missing")
        entry = _parse(QuestionnaireEntry, data[kind], path.name, where=(kind,))
        total = sum(len(choices) - 1 for _, choices in entry.item_choices())
        if total != expected:
            raise CatalogueError(f"{path.name}: {kind} items add up to {total}, expected {expected}")
        found[kind] = entry
    return found


# --- family.md ------------------------------------------------------------------------------

# A heading ending with this tag is for families of people in a program that tracks substance use
# (overdose and naloxone): other families are not told about drugs their person may never have used.
SUBSTANCE_USE_TAG = "{substance use}"


class FamilySection(_Strict):
    title: Text
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]  # Markdown
    substance_use_only: bool = False


def read_family(path: Path = FAMILY_FILE) -> tuple[FamilySection, ...]:
    """family.md: one or more sections, each a '## Title' line and the Markdown under it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path.name}: cannot be read ({exc})") from exc
    sections: list[tuple[int, str, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("## "):
            sections.append((number, line[3:].strip(), []))
        elif line.startswith("# ") or line.strip() == "##":
            raise CatalogueError(f"{path.name}: line {number}: each section starts with '## ' and its title")
        elif sections:
            sections[-1][2].append(line)
        elif line.strip():
            raise CatalogueError(
                f"{path.name}: line {number}: text before the first '## ' heading would never be shown"
            )
    if not sections:
        raise CatalogueError(f"{path.name}: no sections (each starts with a '## ' heading)")
    found, titles = [], set()
    for number, title, body in sections:
        if not title:
            raise CatalogueError(f"{path.name}: line {number}: the heading has no title")
        if title in titles:
            raise CatalogueError(f"{path.name}: line {number}: the title {title!r} is used twice")
        if not "".join(body).strip():
            raise CatalogueError(f"{path.name}: line {number}: the section {title!r} has no text")
        titles.add(title)
        only = title.endswith(SUBSTANCE_USE_TAG)
        title = title.removesuffix(SUBSTANCE_USE_TAG).strip() if only else title
        found.append(
            _parse(
                FamilySection,
                {"title": title, "body": "\n".join(body), "substance_use_only": only},
                path.name,
                where=(f"line {number}",),
            )
        )
    return tuple(found)


@lru_cache(maxsize=4)
def family_sections(language: str = "en") -> tuple[FamilySection, ...]:
    """Family education in `language` (core/content/es/family.md when it exists, checked to have
    as many sections as the English, each for the same families), else the English."""
    from core import i18n  # (core.i18n imports nothing of ours; local keeps this module's imports plain)

    english = read_family(FAMILY_FILE)
    path = i18n.content_file("family.md", language)
    if path == FAMILY_FILE:
        return english
    translated = read_family(path)
    if [s.substance_use_only for s in english] != [s.substance_use_only for s in translated]:
        raise CatalogueError(
            f"es/{path.name}: its sections differ from the English file's (number or {{substance use}})"
        )
    return translated


# --- reading and explaining -----------------------------------------------------------------

# libyaml's safe loader when PyYAML was built with it: the same documents, ~50x faster to read.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path.name}: cannot be read ({exc})") from exc


def _parse(
    model: type[_M],
    data: Any,
    file_name: str,
    *,
    where: tuple[str, ...] = (),
    labels: Mapping[tuple, str] | None = None,
) -> _M:
    """Validate `data`; on failure, a CatalogueError naming the file, the place and the problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = tuple(k for k in error["loc"] if k not in _TAGS)
        place = [*where, *_place(loc, data, labels or {})]
        raise CatalogueError(f"{file_name}: {_problem(place, loc, error)}") from None


_NOUNS = {
    "modules": "module",
    "skills": "skill",
    "items": "item",
    "sections": "section",
    "steps": "step",
    "situations": "situation",
    "choices": "choice",
    "function_choices": "choice",
}


def _place(loc: tuple, data: Any, labels: Mapping[tuple, str]) -> list[str]:
    """A name for each list entry on the way to the problem: "module 'cbt'", "skill 'tipp'", "item 3"."""
    names, node, container = [], data, ""
    for depth, key in enumerate(loc):
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
        if isinstance(key, int):
            noun = _NOUNS.get(container, "entry")
            has_id = isinstance(node, dict) and isinstance(node.get("id"), str) and node["id"]
            names.append(labels.get(loc[: depth + 1]) or (f"{noun} {node['id']!r}" if has_id else f"{noun} {key + 1}"))
        else:
            container = key
    return names


def _problem(place: list[str], loc: tuple, error: Mapping[str, Any]) -> str:
    kind = error["type"]
    fields = [k for k in loc if isinstance(k, str)]
    field = fields[-1] if fields else ""
    in_list = bool(loc) and isinstance(loc[-1], int)
    where = ", ".join(place) + " " if place else ""
    if kind == "missing":
        return f"{where}needs '{field}'"
    if kind == "extra_forbidden":
        return f"{where}has an unknown key '{field}' (a typo?)"
    if kind == "literal_error" and field == "tool":
        return f"{where}names an unknown tool {error['input']!r} (known: {', '.join(TOOLS)})"
    if kind in ("string_too_short", "string_type") and in_list:
        return f"{where}should be non-empty text"
    if kind in ("string_too_short", "string_type"):
        return f"{where}needs '{field}' as non-empty text"
    if kind == "string_pattern_mismatch":
        return f"{where}needs '{field}' in lower-case letters, digits and _ (not {error['input']!r})"
    if kind in ("list_type", "too_short") and field == "skills":
        return f"{where}has no skills"
    if kind in ("list_type", "too_short"):
        least = (error.get("ctx") or {}).get("min_length", 1)
        return (
            f"{where}needs '{field}' as a list of at least {least}"
            if least > 1
            else f"{where}needs '{field}' as a non-empty list"
        )
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        what = "text, or a mapping with 'text' and 'choices'" if field == "items" and in_list else "a mapping of keys"
        return f"{where}should be {what}" if where else "should be a mapping of keys (is the file empty?)"
    if kind == "value_error":
        return f"{where.rstrip()}{': ' if where else ''}{error['msg'].removeprefix('Value error, ')}"
    return f"{where}'{field}': {error['msg']}"
