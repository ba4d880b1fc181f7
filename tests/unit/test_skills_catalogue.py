"""The skills catalogue: complete, valid, and a malformed file fails naming itself; search."""

import pytest
import yaml

from core.skills import CATALOGUE_FILE, MODULE_IDS, TOOLS, CatalogueError, catalogue, load_catalogue, search

# Every skill the clinical brief (../shared/docs/clinical.md §3) lists, by module.
BRIEF = {
    "mindfulness": {
        "Wise mind",
        "Observe",
        "Describe",
        "Participate",
        "Non-judgmentally",
        "One-mindfully",
        "Effectively",
    },
    "distress_tolerance": {
        "STOP",
        "Pros and cons",
        "TIPP",
        "ACCEPTS",
        "Self-soothe",
        "IMPROVE the moment",
        "Radical acceptance",
        "Turning the mind",
        "Willingness",
    },
    "emotion_regulation": {"Check the facts", "Opposite action", "Problem solving", "ABC", "PLEASE"},
    "interpersonal_effectiveness": {"DEAR MAN", "GIVE", "FAST"},
    "cbt": {"Thought record", "Behavioural activation"},
    "relapse_prevention": {"Urge surfing", "HALT", "Know your triggers", "Play the tape through"},
}


def test_every_module_and_skill_of_the_brief_is_there_with_every_field():
    modules = {m.id: m for m in catalogue()}
    assert tuple(modules) == MODULE_IDS
    for module_id, names in BRIEF.items():
        assert {s.name for s in modules[module_id].skills} == names
        assert modules[module_id].intro
    for s in (s for m in catalogue() for s in m.skills):
        assert s.summary and s.when and s.practice, s.id
        assert 3 <= len(s.steps) <= 7 and all(len(step) < 200 for step in s.steps), s.id
        assert s.situations, s.id
    ids = [s.id for m in catalogue() for s in m.skills]
    assert len(ids) == len(set(ids)) == 30


def test_tipp_carries_its_medical_caution_and_each_tool_has_one_skill():
    tipp = next(s for m in catalogue() for s in m.skills if s.id == "tipp")
    assert "heart" in tipp.caution and "doctor" in tipp.caution
    assert sorted(s.tool for m in catalogue() for s in m.skills if s.tool) == sorted(TOOLS)


def write(tmp_path, data) -> object:
    path = tmp_path / "my-skills.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def good_data():
    return yaml.safe_load(CATALOGUE_FILE.read_text())


@pytest.mark.parametrize(
    "break_it, message",
    [
        (lambda d: d["modules"][0]["skills"][0].pop("steps"), "skill 'wise_mind' needs 'steps'"),
        (lambda d: d["modules"][1]["skills"][2].update(practice=""), "skill 'tipp' needs 'practice'"),
        (lambda d: d["modules"][1]["skills"][2].update(tool="juggling"), "unknown tool 'juggling'"),
        (lambda d: d["modules"][2]["skills"][0].update(id="wise_mind"), "'wise_mind' is used twice"),
        (lambda d: d["modules"][3].update(skills=[]), "'interpersonal_effectiveness' has no skills"),
        (lambda d: d["modules"].pop(), "missing: relapse_prevention"),
        (lambda d: d["modules"][0]["skills"][1].update(situations="panic"), "'situations' as a non-empty list"),
    ],
)
def test_a_malformed_catalogue_fails_with_the_file_name_and_the_problem(tmp_path, break_it, message):
    data = good_data()
    break_it(data)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(write(tmp_path, data))
    assert str(caught.value).startswith("my-skills.yaml:") and message in str(caught.value)


def test_a_file_that_is_not_yaml_names_itself(tmp_path):
    with pytest.raises(CatalogueError, match="my-skills.yaml: cannot be read"):
        load_catalogue(write(tmp_path, "modules: [unclosed"))


def ids(query):
    return [s.id for s in search(query)]


def test_search_finds_skills_by_everyday_situation_and_by_name():
    assert "please" in ids("can't sleep") and set(ids("cant sleep")) == set(ids("can't sleep"))
    assert "tipp" not in ids("can't sleep") and "tipp" not in ids("sleep")  # cold water and hard exercise: not for bed
    assert {"urge_surfing", "halt", "play_the_tape"} <= set(ids("craving"))
    assert {"opposite_action", "check_the_facts", "stop"} <= set(ids("angry at someone"))
    assert ids("TIPP")[0] == "tipp" and ids("dear man")[0] == "dear_man"
    assert ids("cravings")[:1] and "urge_surfing" in ids("crav")


def test_search_falls_back_to_partial_matches_and_ignores_empty_queries():
    assert "opposite_action" in ids("angry at my boss")  # "boss" is nowhere; "angry" still finds
    assert ids("") == [] and ids("the and of") == [] and ids("zzzz") == []


@pytest.mark.parametrize(
    "query, crisis",
    [
        ("I want to kill myself", True),
        ("self-harm", True),
        ("feeling hopeless", True),
        ("can't sleep", False),
        ("dieting", False),
        ("urge to cut down drinking", False),
    ],
)
def test_a_search_that_sounds_like_danger_brings_the_safety_plan_first(query, crisis):
    from core.screening import suggests_crisis  # the one screen for everything typed (test_screening.py)

    assert suggests_crisis(query) is crisis


def test_paced_breathing_counts_each_phase_down_to_one():
    from ui.coping import breathing_phase

    four_six = ("In 4 · out 6", 4, 0, 6)
    assert [breathing_phase(t, four_six)[:2] for t in (0, 0.5, 3.9, 4, 9.5, 10)] == [
        ("Breathe in", 4),
        ("Breathe in", 4),
        ("Breathe in", 1),
        ("Breathe out", 6),
        ("Breathe out", 1),
        ("Breathe in", 4),
    ]
    assert breathing_phase(5, ("4-7-8", 4, 7, 8))[:2] == ("Hold", 6)
