"""Every content file is checked against its schema (core/content.py): a broken copy fails with a
CatalogueError that names the file, the place and the problem, never with a traceback."""

import copy

import pytest
import yaml

from core import checkups, content, skills
from core.content import CatalogueError

QUESTIONNAIRES = yaml.safe_load(checkups.QUESTIONNAIRE_FILE.read_text(encoding="utf-8"))
SKILLS = yaml.safe_load(skills.CATALOGUE_FILE.read_text(encoding="utf-8"))
FAMILY = content.FAMILY_FILE.read_text(encoding="utf-8")


def broken_copy(tmp_path, name, data, change):
    data = copy.deepcopy(data)
    change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_shipped_files_pass():
    assert list(checkups.load_questionnaires(checkups.QUESTIONNAIRE_FILE)) == list(checkups.KINDS)
    assert len(skills.load_catalogue(skills.CATALOGUE_FILE)) == len(skills.MODULE_IDS)
    titles = [s.title for s in content.read_family(content.FAMILY_FILE)]
    assert "If you're worried about their safety" in titles
    assert titles[-1] == "Overdose and naloxone, if your person uses alcohol or drugs"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["phq9"].pop("stem"), "questionnaires.yaml: phq9 needs 'stem'"),  # missing key
        (lambda d: d.pop("gad7"), "questionnaires.yaml: gad7 is missing"),
        (lambda d: d["gad7"].update(name=7), "questionnaires.yaml: gad7 needs 'name' as non-empty text"),  # wrong type
        (lambda d: d["gad7"].update(attribution="   "), "gad7 needs 'attribution' as non-empty text"),
        (lambda d: d["phq9"].update(choices="Not at all"), "phq9 needs 'choices' as a non-empty list"),
        (lambda d: d["phq9"]["items"].__setitem__(3, ""), "phq9, item 4 should be non-empty text"),
        (lambda d: d["pacs"]["items"][2].pop("choices"), "pacs, item 3 needs 'choices'"),
        (lambda d: d["pacs"]["items"][2].update(text=5), "pacs, item 3 needs 'text' as non-empty text"),
        (
            lambda d: d["pacs"]["items"].__setitem__(1, 5),
            "pacs, item 2 should be text, or a mapping with 'text' and 'choices'",
        ),
        (
            lambda d: d["pacs"]["items"][0].update(choices=["Never"]),
            "pacs, item 1 needs 'choices' as a list of at least 2",
        ),
        (lambda d: d["phq9"].pop("choices"), "phq9: items given as plain text need the shared 'choices' list"),
        (lambda d: d["phq9"].pop("function_choices"), "phq9: 'function_item' and 'function_choices' go together"),
        (lambda d: d["phq9"].update(itmes=d["phq9"]["items"]), "phq9 has an unknown key 'itmes'"),  # a typo
        (lambda d: d["phq9"]["items"].pop(), "phq9 items add up to 24, expected 27"),  # wrong total
        (
            lambda d: d["gad7"].update(choices=d["gad7"]["choices"] + ["Every hour"]),
            "gad7 items add up to 28, expected 21",
        ),
        (lambda d: d["pacs"]["items"][4]["choices"].pop(), "pacs items add up to 29, expected 30"),
        (lambda d: d.update(phq9=["not", "a", "mapping"]), "phq9 should be a mapping of keys"),
    ],
)
def test_a_broken_questionnaire_file_names_itself_and_the_problem(tmp_path, change, message):
    path = broken_copy(tmp_path, "questionnaires.yaml", QUESTIONNAIRES, change)
    with pytest.raises(CatalogueError) as caught:
        checkups.load_questionnaires(path)
    assert str(caught.value).startswith("questionnaires.yaml: ") and message in str(caught.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "questionnaires.yaml: expected one entry per questionnaire"),
        ("phq9: [unclosed", "questionnaires.yaml: cannot be read"),
        ("- a list\n- of things\n", "questionnaires.yaml: expected one entry per questionnaire"),
    ],
)
def test_a_questionnaire_file_that_is_not_a_mapping_names_itself(tmp_path, text, message):
    path = tmp_path / "questionnaires.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match=message):
        checkups.load_questionnaires(path)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["modules"][0].pop("name"), "module 'mindfulness' needs 'name'"),  # missing key
        (lambda d: d["modules"][0]["skills"][0].update(name=None), "skill 'wise_mind' needs 'name' as non-empty text"),
        (
            lambda d: d["modules"][0]["skills"][0]["steps"].append(3),
            "skill 'wise_mind', step 7 should be non-empty text",
        ),
        (
            lambda d: d["modules"][1]["skills"][2].update(caution=["a", "list"]),
            "skill 'tipp' needs 'caution' as non-empty",
        ),
        (lambda d: d["modules"][1]["skills"][2].update(cuation="x"), "skill 'tipp' has an unknown key 'cuation'"),
        (lambda d: d["modules"][0]["skills"][0].update(id="Wise Mind"), "needs 'id' in lower-case letters"),
        (lambda d: d["modules"].append(copy.deepcopy(d["modules"][0])), "skill id 'wise_mind' is used twice"),
        (lambda d: d["modules"][5].update(id="juggling"), "missing: relapse_prevention"),
        (lambda d: d.update(modules={}), "needs 'modules' as a non-empty list"),
    ],
)
def test_a_broken_skills_file_names_itself_and_the_problem(tmp_path, change, message):
    path = broken_copy(tmp_path, "skills.yaml", SKILLS, change)
    with pytest.raises(CatalogueError) as caught:
        skills.load_catalogue(path)
    assert str(caught.value).startswith("skills.yaml: ") and message in str(caught.value)


APPENDED = FAMILY.count("\n") + 2  # the line a section appended after a blank line starts on


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda t: "Welcome!\n\n" + t, "family.md: line 1: text before the first '## ' heading"),
        (lambda t: "# For families\n" + t, "family.md: line 1: each section starts with '## '"),
        (lambda t: t.replace("## How you can help", "## "), "family.md: line 6: the heading has no title"),
        (
            lambda t: t + "\n## How you can help\nAgain.\n",
            f"family.md: line {APPENDED}: the title 'How you can help' is used twice",
        ),
        (
            lambda t: t + "\n## Where to find a support group\n\n",
            f"family.md: line {APPENDED}: the section 'Where to find a support group' has no text",
        ),
        (lambda t: "", "family.md: no sections"),
        (lambda t: t.replace("## ", "### "), "family.md: line 1: text before the first '## ' heading"),
    ],
)
def test_a_broken_family_page_names_itself_and_the_problem(tmp_path, change, message):
    path = tmp_path / "family.md"
    path.write_text(change(FAMILY), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        content.read_family(path)
    assert str(caught.value).startswith(message)


def test_a_family_page_that_is_not_utf8_names_itself(tmp_path):
    path = tmp_path / "family.md"
    path.write_bytes(b"## Title\n\xff\xfe broken\n")
    with pytest.raises(CatalogueError, match="family.md: cannot be read"):
        content.read_family(path)
