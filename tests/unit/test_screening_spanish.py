"""The crisis-word screen in Spanish: a participant who writes in Spanish (with or without accents,
in capitals, with ¿ ¡ or a dash glued to the words, in texting spellings) triggers the same alert as
one who writes in English, whatever language the app is shown in; everyday Spanish idioms about
dying, killing and cutting do not. The English path keeps working (tests/unit/test_screening.py)."""

from datetime import UTC, datetime

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from core import practice, screening
from core.models import Alert
from core.skills import CatalogueError

SPANISH_FILE = screening.CONTENT / "es" / "crisis_phrases.yaml"

SHOULD_MATCH = [
    # suicide
    "He pensado en el suicidio",
    "tengo pensamientos suicidas otra vez",
    "Quiero suicidarme",
    "me voy a suicidar hoy",
    "pienso en suisidarme",  # a common misspelling
    # wanting to die
    "Quiero morir",
    "quiero morirme ya",
    "Me quiero morir",
    "ME QUIERO MORIR",
    "me kiero morir",  # texting spelling
    "Ojalá estuviera muerta",
    "ojala estuviera muerto",
    "No quiero despertar mañana",
    "a veces tengo ganas de morirme",
    "Estaría mejor muerto",
    # killing oneself
    "Me quiero matar",
    "me quiero matar.",
    "¿Y si me mato? No... me voy a matar",
    "No puedo más—me quiero matar",  # an em dash glued to the words
    "no aguanto más.¡Quiero matarme!",
    "he pensado en quitarme la vida",
    "Quiero acabar con mi vida",
    "quiero acabar con todo",
    # not wanting to live
    "No quiero vivir",
    "ya no quiero vivir así",
    "No quiero seguir viviendo",
    "Ya no quiero estar aquí",
    "ya no quiero estar aqui",
    "No tengo razón para vivir",
    "no tengo razon para vivir",
    "¿Para qué vivir?",
    "la vida no vale la pena",
    "Todos estarían mejor sin mí",
    "todos estarian mejor sin mi",
    "Ya no puedo más",
    "me siento sin esperanza",
    "No veo salida",
    # overdose
    "pensé en una sobredosis",
    "Me tomé todas las pastillas",
    "voy a tomarme todas mis pastillas",
    "me tome todo el frasco",
    # self-harm
    "quiero hacerme daño",
    "quiero hacerme dano",
    "tengo ganas de cortarme",
    "Anoche volví a cortarme",
    "me corté los brazos",
    "me corte las venas",
    "me estoy cortando otra vez",
    "autolesiones",
    "ganas de lastimarme",
    "pensé en ahorcarme",
    "quiero pegarme un tiro",
    "quiero tirarme de un puente",
    # texting: shorthand and stretched letters
    "no tengo x q vivir",
    "pa q vivir",
    "ya no tengo porq vivir",
    "me quiero moriiiir",
    "quierooo morir",
    "ME QUIERO MATAAAR",
    # the haircut rewrite keeps a real phrase in the same sentence
    "voy a cortarme el pelo y después cortarme los brazos",
    # switching languages mid-sentence, and the app shown in either language
    "I can't sleep y ya no quiero vivir",
    "hoy fue horrible, I want to die",
    "No me quiero matar",  # negations match on purpose, as in English: a calm panel, not a miss
    "me quiero pegar un tiro",  # (wave 15: the pronoun before the verb, as "me quiero matar" is listed)
    "Me voy a dar un tiro",
    "me quiero tirar de un puente",
    "me voy a aventar de un puente",
    "me quiero cortar las venas",
]

MUST_NOT_MATCH = [
    "Me muero de hambre",
    "me muero de ganas de verte",
    "me muero de risa",
    "Este tráfico me está matando",
    "mi jefe me va a matar si llego tarde",
    "me mato trabajando toda la semana",
    "la película me mató de risa",
    "Estoy muerto de cansancio",
    "se me murió el celular",
    "mis plantas se murieron",
    "Voy a cortarme el pelo mañana",
    "voy a cortarme las uñas",
    "me van a cortar la luz",
    "van a cortarme el agua si no pago",
    "me corté el pelo",
    "me corté con el papel",
    "me hice daño en la rodilla en el gimnasio",
    "me lastimé la espalda",
    "Voy a tomar mis pastillas a las 9",
    "me tomé mis pastillas a tiempo",
    "quiero dejar de fumar",
    "No puedo dormir",
    "tengo antojo de un café",
    "tengo ganas de consumir",  # a craving: the skills, not the crisis lines
    "me colgó el teléfono",
    "tengo ganas de comer tacos",
    "la salida está a la derecha",
    "acabamos el pastel",
    "estoy a dieta",
    "no quiero ir a trabajar",
    "no puedo más con este calor",
    "quiero vivir en otra ciudad",
    "mi abuela vive sola",
    "hoy me siento mejor",
    "pensé en mi familia",
    "¿Qué tal? ¡Muy bien!",
    "me muerooo de hambre",
    "estoy taaan cansada",
    "q onda, x fin viernes",
    "pa la próxima",
    "",
    "  ¿ ¡ — ",
]


@pytest.mark.parametrize("text", SHOULD_MATCH)
def test_spanish_phrasings_of_danger_match(text):
    assert screening.suggests_crisis(text), text


@pytest.mark.parametrize("text", MUST_NOT_MATCH)
def test_ordinary_spanish_sentences_do_not_match(text):
    assert not screening.suggests_crisis(text), text


def spanish_phrases() -> list[str]:
    return yaml.safe_load(SPANISH_FILE.read_text(encoding="utf-8"))["phrases"]


def test_every_spanish_phrase_matches_as_typed_with_accents_capitals_and_punctuation():
    """Whatever the file lists matches in a sentence, with the accents a person would type, in
    capitals, and wrapped in Spanish punctuation with no spaces."""
    accents = str.maketrans({"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú", "n": "ñ"})
    for phrase in spanish_phrases():
        for typed in (phrase, phrase.translate(accents), phrase.upper().translate(accents), phrase.title()):
            sentence = f"hoy...¿{typed}?¡no sé!"
            assert screening.suggests_crisis(sentence), sentence


def test_the_file_is_written_the_way_it_is_matched():
    """Phrases are lower case without accents (what normalise() makes of them), and none repeats."""
    phrases = spanish_phrases()
    assert len(phrases) > 100
    assert [screening.normalise(p) for p in phrases] == phrases
    assert len(set(phrases)) == len(phrases)


def test_both_languages_are_screened_and_a_broken_spanish_file_is_named(tmp_path):
    every = screening.load_phrases()
    assert {"better off dead", "me quiero matar", "sobredosis", "hacerme dano"} <= set(every)
    assert "me quiero matar" not in screening.load_phrases(screening.PHRASES_FILE)
    assert SPANISH_FILE in screening.PHRASES_FILES
    with pytest.raises(CatalogueError, match=r"^es/no_such_file.yaml: cannot be read"):
        screening.load_phrases(screening.CONTENT / "es" / "no_such_file.yaml")
    bad = tmp_path / "crisis_phrases.yaml"
    bad.write_text("phrases: [quiero morir, 3]\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"^crisis_phrases.yaml: expected a non-empty"):
        screening.load_phrases(bad)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("¿Quiero MORÍR?", "quiero morir"),
        ("daño—aquí", "dano aqui"),
        ("don´t want to live", "dont want to live"),  # a Spanish keyboard's apostrophe
        ("don\uff07t", "dont"),  # a fullwidth apostrophe
        ("kill\u200bmyself", "kill myself"),  # a zero-width space separates words, as on screen
        ("ki\u200bll myself", "ki ll myself"),  # (inside a word the joined reading still matches it)
        ("sui\u00adcida", "suicida"),  # a soft hyphen inside a word goes
        ("kill😭myself", "kill myself"),  # an emoji between words separates them
        ("«me quiero matar»", "me quiero matar"),
        ("voy a cortarme el pelo", "voy a cortar el pelo"),
        ("cortándome las uñas", "cortar las unas"),
        ("quiero cortarme", "quiero cortarme"),
    ],
)
def test_normalise_folds_spanish_text_and_keeps_english_as_it_was(typed, expected):
    assert screening.normalise(typed) == expected


def test_english_phrases_still_match_glued_to_non_ascii_punctuation_or_stretched():
    """Before, a dash or emoji glued to the words was dropped, joining them ("tired—kill" became
    "tiredkill"): a miss. Now it separates them. Stretched letters are read both ways."""
    assert screening.suggests_crisis("so tired—kill myself tonight")
    assert screening.suggests_crisis("I don´t want to live")
    assert screening.suggests_crisis("i want to dieeeee")
    assert screening.suggests_crisis("gonna killll myselfff")
    assert not screening.suggests_crisis("soooo tired, killing it at work tho")
    assert not screening.suggests_crisis("take 1 x 3 a day, q4h")


NOON = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def test_a_spanish_practice_note_opens_the_same_review_alert_without_quoting_it(session, demo):
    from tests.unit.test_diary import fresh_participant

    quinn = fresh_participant(session)
    saved = practice.save_practice(
        session,
        quinn,
        participant_id=quinn.id,
        entry_key=practice.new_entry_key(),
        entry=practice.PracticeInput("tipp", 8, 7, "no", "después de la llamada", "ya no quiero vivir así"),
        now=NOON,
    )
    assert saved.risk.risky
    calm = practice.save_practice(
        session,
        quinn,
        participant_id=quinn.id,
        entry_key=practice.new_entry_key(),
        entry=practice.PracticeInput("tipp", 6, 3, "yes", "el tráfico me estaba matando"),
        now=NOON,
    )
    assert not calm.risk.risky
    rows = session.exec(select(Alert).where(Alert.participant_id == quinn.id)).all()
    assert [r.severity for r in rows] == ["review"]
    said = rows[0].detail + rows[0].latest + str(rows[0].reasons)
    assert "vivir" not in said and "matched" in said


PHRASES = yaml.safe_load(SPANISH_FILE.read_text(encoding="utf-8"))["phrases"]


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_at_all_is_screened_without_crashing(text):
    assert screening.suggests_crisis(text) in (True, False)
    assert screening.normalise(text) == screening.normalise(screening.normalise(text))


@settings(max_examples=300, deadline=None)
@given(
    phrase=st.sampled_from(PHRASES),
    before=st.text(alphabet=st.characters(categories=["L", "Nd"]), max_size=20),
    after=st.text(alphabet=st.characters(categories=["L", "Nd"]), max_size=20),
    gap=st.sampled_from([" ", "\n", "¿", "¡", "—", "...", ", ", " 😢 ", "«", "\u00a0"]),
)
def test_a_spanish_phrase_between_any_words_still_matches(phrase, before, after, gap):
    assert screening.suggests_crisis(f"{before}{gap}{phrase}{gap}{after}")


@settings(max_examples=300, deadline=None)
@given(
    phrase=st.sampled_from(list(screening.load_phrases())),
    inside=st.sampled_from(["\u3164", "\u2800", "\u0142", "\u200b", "\u00ad"]),
    at=st.integers(min_value=1, max_value=8),
)
def test_whatever_the_first_normalisation_caught_is_still_caught(phrase, inside, at):
    """The English path is unaffected: a phrase with an odd character inside a word (which the first
    normalisation dropped, joining the word) still matches, as it did before."""
    at = min(at, len(phrase) - 1)
    assert screening.suggests_crisis(phrase[:at] + inside + phrase[at:])
