"""The Spanish content in core/content/es/: every file is read by the same loader (and pydantic
models) as its English twin, has the same ids, keys and order, leaves no field in English, and the
PHQ-9 / GAD-7 keep their official Spanish wording and score exactly like the English (0-3 an item).

The crisis phrases are tested in tests/unit/test_screening_spanish.py."""

import re

import pytest
import yaml

from core import clinical, content, safety, screening, skills

ES = content.CONTENT / "es"
# Names that are the same in both languages: the acronyms the program's groups use, and the
# questionnaires' own names.
SAME_IN_BOTH = {"STOP", "TIPP", "ACCEPTS", "ABC", "PLEASE", "DEAR MAN", "GIVE", "FAST", "HALT", "PHQ-9", "GAD-7"}
# Words that only English text has; the Spanish keeps some English words on purpose, in brackets
# after an acronym's letter ("(pushing away)", "(hungry)"), and none of these.
ENGLISH_WORDS = {"the", "and", "you", "your", "with", "when", "what", "this", "that", "for", "feel", "about"}


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-záéíóúñü]+", text.lower()))


def assert_spanish(es_value: str, en_value: str, where: str) -> None:
    assert es_value.strip(), where
    if es_value in SAME_IN_BOTH:
        return
    assert es_value != en_value, f"{where} is still the English: {es_value!r}"
    english = words(es_value) & ENGLISH_WORDS
    assert not english, f"{where} has English words {sorted(english)}: {es_value!r}"


# --- skills.yaml ----------------------------------------------------------------------------

EN_SKILLS = content.read_skills(content.SKILLS_FILE)
ES_SKILLS = content.read_skills(ES / "skills.yaml")  # the same loader and pydantic models


def pairs():
    for en_module, es_module in zip(EN_SKILLS.modules, ES_SKILLS.modules, strict=True):
        for en_skill, es_skill in zip(en_module.skills, es_module.skills, strict=True):
            yield en_module, es_module, en_skill, es_skill


def test_spanish_skills_have_the_same_modules_skills_tools_and_cautions_in_the_same_order():
    assert [m.id for m in ES_SKILLS.modules] == [m.id for m in EN_SKILLS.modules] == list(skills.MODULE_IDS)
    for en_module, es_module, en_skill, es_skill in pairs():
        assert es_module.id == en_module.id and es_skill.id == en_skill.id
        assert es_skill.tool == en_skill.tool, es_skill.id
        assert (es_skill.caution is None) == (en_skill.caution is None), es_skill.id
        assert len(es_skill.steps) == len(en_skill.steps), es_skill.id  # one step per acronym letter
        assert all(len(step) < 200 for step in es_skill.steps), es_skill.id  # as the English is kept
    modules = skills.load_catalogue(ES / "skills.yaml")  # and the dataclasses the app uses
    assert sum(len(m.skills) for m in modules) == 30


def test_no_skill_field_is_left_in_english():
    for en_module, es_module in zip(EN_SKILLS.modules, ES_SKILLS.modules, strict=True):
        assert_spanish(es_module.name, en_module.name, f"module {es_module.id} name")
        assert_spanish(es_module.intro, en_module.intro, f"module {es_module.id} intro")
    for _, _, en, es in pairs():
        for field in ("name", "summary", "when", "practice", "caution"):
            if getattr(en, field) is not None:
                assert_spanish(getattr(es, field), getattr(en, field), f"{es.id}.{field}")
        for n, (es_step, en_step) in enumerate(zip(es.steps, en.steps, strict=True), start=1):
            assert_spanish(es_step, en_step, f"{es.id} step {n}")
        en_situations = set(en.situations)
        for situation in es.situations:
            assert situation not in en_situations and situation == situation.lower(), (es.id, situation)
            assert_spanish(situation, "", f"{es.id} situation")


def test_tipp_keeps_its_medical_caution_and_urge_surfing_names_the_timer():
    by_id = {s.id: s for _, _, _, s in pairs()}
    caution = by_id["tipp"].caution.lower()
    assert "corazón" in caution and "médico" in caution and "betabloqueadores" in caution
    assert "trastorno de la alimentación" in caution and "presión baja" in caution
    assert f"{clinical.URGE_SURF_DEFAULT_MINUTES} minutos" in by_id["urge_surfing"].practice
    assert "plan de seguridad" in by_id["urge_surfing"].caution and "línea de crisis" in by_id["urge_surfing"].caution
    assert "medicamento" in by_id["please"].caution


def es_ids(query: str) -> list[str]:
    return [s.id for s in skills.search(query, skills.load_catalogue(ES / "skills.yaml"))]


def test_spanish_search_finds_skills_as_people_type_them_with_or_without_accents():
    assert {"please", "self_soothe"} <= set(es_ids("no puedo dormir"))
    assert "tipp" not in es_ids("no puedo dormir")  # cold water and hard exercise: not for bed
    assert {"urge_surfing", "halt", "play_the_tape"} <= set(es_ids("antojo"))
    assert {"urge_surfing", "halt", "play_the_tape"} <= set(es_ids("tengo ganas de consumir"))
    assert {"opposite_action", "check_the_facts", "stop"} <= set(es_ids("enojado con alguien"))
    assert {"opposite_action", "check_the_facts", "stop"} <= set(es_ids("estoy enojada con alguien"))
    assert es_ids("pánico") == es_ids("panico") == es_ids("PANICO") and "tipp" in es_ids("pánico")
    assert es_ids("sueño") == es_ids("sueno") and "please" in es_ids("sueño")
    assert "halt" in es_ids("me siento sola") and "halt" in es_ids("me siento solo")
    assert es_ids("TIPP")[0] == "tipp" and es_ids("dear man")[0] == "dear_man"
    assert es_ids("") == [] and es_ids("de la que") == []


def test_the_english_search_is_unchanged_by_the_spanish_stopwords():
    assert "please" in [s.id for s in skills.search("can't sleep")]
    assert "opposite_action" in [s.id for s in skills.search("angry at my boss")]
    assert [s.id for s in skills.search("café")] == [s.id for s in skills.search("cafe")]


# --- questionnaires.yaml --------------------------------------------------------------------

OFFICIAL = {"phq9": 27, "gad7": 21}
EN_Q = content.read_questionnaires(content.CONTENT / "questionnaires.yaml", {**OFFICIAL, "pacs": 30})
ES_Q = content.read_questionnaires(ES / "questionnaires.yaml", OFFICIAL)  # same loader, same totals

# The official Spanish for the USA (Pfizer's PHQ Screeners; sources in the file's header), pinned
# here so an edit that "improves" the wording fails: validity depends on the exact text.
PHQ9_ES = (
    "Poco interés o placer en hacer cosas",
    "Se ha sentido decaído(a), deprimido(a) o sin esperanzas",
    "Ha tenido dificultad para quedarse o permanecer dormido(a), o ha dormido demasiado",
    "Se ha sentido cansado(a) o con poca energía",
    "Sin apetito o ha comido en exceso",
    "Se ha sentido mal con usted mismo(a) – o que es un fracaso o que ha quedado mal con usted mismo(a) o "
    "con su familia",
    "Ha tenido dificultad para concentrarse en ciertas actividades, tales como leer el periódico o ver la televisión",
    "¿Se ha movido o hablado tan lento que otras personas podrían haberlo notado? o lo contrario – muy "
    "inquieto(a) o agitado(a) que ha estado moviéndose mucho más de lo normal",
    "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera",
)
GAD7_ES = (
    "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta",
    "No ha sido capaz de parar o controlar su preocupación",
    "Se ha preocupado demasiado por motivos diferentes",
    "Ha tenido dificultad para relajarse",
    "Se ha sentido tan inquieto(a) que no ha podido quedarse quieto(a)",
    "Se ha molestado o irritado fácilmente",
    "Ha tenido miedo de que algo terrible fuera a pasar",
)
STEM_ES = "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los siguientes problemas?"
CHOICES_ES = ("Ningún día", "Varios días", "Más de la mitad de los días", "Casi todos los días")
FUNCTION_ES = (
    "Si marcó cualquiera de los problemas, ¿qué tanta dificultad le han dado estos problemas para hacer su "
    "trabajo, encargarse de las tareas del hogar, o llevarse bien con otras personas?"
)
FUNCTION_CHOICES_ES = ("No ha sido difícil", "Un poco difícil", "Muy difícil", "Extremadamente difícil")


def test_the_spanish_file_has_only_the_official_instruments_and_the_craving_scale_stays_english():
    data = yaml.safe_load((ES / "questionnaires.yaml").read_text(encoding="utf-8"))
    assert list(data) == ["phq9", "gad7"]  # no reviewed Spanish craving scale (issue 21): English-only
    assert set(data["phq9"]) == set(yaml.safe_load(content.CONTENT.joinpath("questionnaires.yaml").read_text())["phq9"])
    with pytest.raises(content.CatalogueError, match="pacs is missing"):
        content.read_questionnaires(ES / "questionnaires.yaml", {**OFFICIAL, "pacs": 30})


def test_phq9_and_gad7_are_the_official_spanish_word_for_word():
    for kind, items in (("phq9", PHQ9_ES), ("gad7", GAD7_ES)):
        q = ES_Q[kind]
        assert tuple(text for text, _ in q.item_choices()) == items, kind
        assert q.stem == STEM_ES and tuple(q.choices) == CHOICES_ES, kind
        assert q.function_item == FUNCTION_ES and tuple(q.function_choices) == FUNCTION_CHOICES_ES, kind
        assert "Pfizer" in q.attribution and "No se requiere permiso" in q.attribution, kind
        for field in ("title", "about", "stem", "attribution", "function_item"):
            assert_spanish(getattr(q, field), getattr(EN_Q[kind], field), f"{kind}.{field}")
        for es_item, en_item in zip(q.items, EN_Q[kind].items, strict=True):
            assert_spanish(es_item, en_item, f"{kind} item")
        assert q.name == EN_Q[kind].name  # "PHQ-9", "GAD-7": the instruments' names


@pytest.mark.parametrize("kind", list(OFFICIAL))
def test_scoring_is_identical_each_answer_scores_its_position_0_to_3(kind):
    es, en = ES_Q[kind].item_choices(), EN_Q[kind].item_choices()
    assert len(es) == len(en)
    for (_, es_choices), (_, en_choices) in zip(es, en, strict=True):
        assert len(es_choices) == len(en_choices) == 4  # values 0, 1, 2, 3 by position
    assert len(ES_Q[kind].function_choices) == len(EN_Q[kind].function_choices) == 4
    for value in range(4):
        answers = [value] * len(es)
        assert clinical.screener_total(kind, answers) == value * len(es)
    assert sum(len(c) - 1 for _, c in es) == clinical.MAX_TOTAL[kind]


def test_phq9_item_9_in_spanish_raises_the_same_urgent_alert():
    es_item9 = ES_Q["phq9"].item_choices()[clinical.PHQ9_ITEM9_INDEX]
    assert es_item9[0] == PHQ9_ES[8]  # the safety item is still the ninth
    en_choices = list(EN_Q["phq9"].item_choices()[clinical.PHQ9_ITEM9_INDEX][1])
    answers = [0] * 8 + [1]
    es_reasons = clinical.checkup_reasons("phq9", answers, list(es_item9[1]))
    en_reasons = clinical.checkup_reasons("phq9", answers, en_choices)
    assert [(r.key, r.severity, r.level, r.followup) for r in es_reasons] == [
        (r.key, r.severity, r.level, r.followup) for r in en_reasons
    ]
    assert es_reasons and es_reasons[0].severity is clinical.Severity.URGENT


# --- family.md ------------------------------------------------------------------------------

EN_FAMILY = content.read_family(content.FAMILY_FILE)
ES_FAMILY = content.read_family(ES / "family.md")


def test_family_education_has_the_same_sections_in_spanish():
    assert len(ES_FAMILY) == len(EN_FAMILY) == 5
    for es_section, en_section in zip(ES_FAMILY, EN_FAMILY, strict=True):
        assert es_section.substance_use_only == en_section.substance_use_only, es_section.title
        assert_spanish(es_section.title, en_section.title, "family title")
        for es_par, en_par in zip(es_section.body.split("\n\n"), en_section.body.split("\n\n"), strict=True):
            assert_spanish(es_par, en_par, f"family section {es_section.title!r}")


def test_family_safety_and_overdose_facts_are_there_and_name_no_countrys_numbers():
    text = " ".join((ES / "family.md").read_text(encoding="utf-8").split())
    assert "988" not in text and "911" not in text and "999" not in text
    assert "arma de fuego" in text and "medicinas que haya ido juntando" in text
    assert "no se revisa en tiempo real" in text
    overdose = " ".join(next(s.body for s in ES_FAMILY if s.substance_use_only).split())
    for fact in (
        "pierde tolerancia",
        "fentanilo",
        "respira muy lento",
        "número de emergencias",
        "segunda dosis",
        "puede pasar antes",
        "de lado",
        "sin receta",
        "solo funciona con opioides",
    ):
        assert fact in overdose, fact


# --- safety_plan.yaml -----------------------------------------------------------------------


def test_safety_plan_steps_have_the_same_keys_in_the_same_order_in_spanish():
    data = yaml.safe_load((ES / "safety_plan.yaml").read_text(encoding="utf-8"))
    assert list(data) == ["steps"]
    steps = data["steps"]
    assert [s["key"] for s in steps] == [key for key, _, _ in safety.STEPS]
    for step, (key, title, prompt) in zip(steps, safety.STEPS, strict=True):
        assert set(step) == {"key", "title", "prompt"}, key
        assert_spanish(step["title"], title, f"safety step {key} title")
        assert_spanish(step["prompt"], prompt, f"safety step {key} prompt")
        assert step["prompt"][0].islower(), key  # it follows the title, like the English
    means = next(s["prompt"] for s in steps if s["key"] == "safer_environment")
    assert "arma de fuego" in means and "medicinas" in means and "alcohol" in means


# --- crisis_phrases.yaml ----------------------------------------------------------------------


def test_the_spanish_crisis_phrases_load_like_the_english_and_share_no_phrase():
    es = screening.load_phrases(ES / "crisis_phrases.yaml")
    en = screening.load_phrases(screening.PHRASES_FILE)
    assert es and not set(es) & set(en)
    assert set(yaml.safe_load((ES / "crisis_phrases.yaml").read_text(encoding="utf-8"))) == {"phrases"}


def test_every_spanish_file_has_an_english_twin_or_is_listed_here():
    twins = {p.name for p in content.CONTENT.iterdir() if p.is_file()}
    extra = {"safety_plan.yaml"}  # its English is core/safety.py:STEPS
    english_only = {"screeners.yaml"}  # AUDIT-C and DAST-10: no verified official Spanish yet
    found = {p.name for p in ES.iterdir() if p.is_file()}
    assert found - extra <= twins
    assert twins - found == english_only
