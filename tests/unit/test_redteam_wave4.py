"""Red team, wave 4: what landed in fix5 (crisis screening's normalisation, the stored-range CHECKs,
the outbox's scope, the quieted loggers), attacked as a hostile or careless person would."""

import pytest

from core import screening

# --- Crisis screening: obfuscations the fix5 normalisation still missed (each failed on ba8632e) ----------

MISSED_BEFORE = [
    "kill\u200emyself",  # a left-to-right mark between the words (invisible; read "killmyself")
    "kill\u200fmyself",  # a right-to-left mark
    "kill\u202amyself",  # a bidi embedding
    "kill\U000e0020myself",  # a tag space
    "kill\u2061myself",  # an invisible function application
    "kiłł myself",  # Latin letters with a stroke (no decomposition: NFKD left them)
    "ḱïłł myself",
    "I want to ðie",  # an eth is no d: stays a miss? (see the test below)
    "ᴋɪʟʟ ᴍʏsᴇʟf",  # small capitals
    "kiill myself",  # a letter doubled, not tripled
    "suiicide",
    "k.i.l.l myself",  # spelled out letter by letter
    "k-i-l-l myself",
    "k i l l myself",
    "s u i c i d e",
    "k.i.l.l.m.y.s.e.l.f",  # spelled out with the words run together
    "i w a n t t o d i e",
    "m.e q.u.i.e.r.o m.a.t.a.r",
]


@pytest.mark.parametrize("text", [t for t in MISSED_BEFORE if "ðie" not in t])
def test_obfuscations_fix5_missed_are_caught(text):
    assert screening.suggests_crisis(text), repr(text)


def test_an_eth_is_not_read_as_a_d():
    """(Kept out on purpose: "ð" is a letter of its own in Icelandic, not a d with a mark.)"""
    assert not screening.suggests_crisis("I want to ðie")


# --- Attempts that found nothing (fix5 caught them already): kept as guards --------------------------------

CAUGHT_ALREADY = [
    "kill\u2060myself",  # word joiner
    "kill\ufeffmyself",  # zero-width no-break space (BOM)
    "kill\u180emyself",  # Mongolian vowel separator
    "ki\u2060ll myself",
    "k\ufeffill myself",
    "k\ufe0fill myself",  # a variation selector inside the word
    "kill\ufe0f myself",
    "k\u0301i\u0301l\u0301l\u0301 myself",  # a combining accent over every letter
    "k" + "\u0301" * 50 + "ill myself",
    "\u202ekill myself\u202c",  # right-to-left override around the phrase
    "ki\u202ell myself",
    "ki\u2066ll myself",  # an isolate inside the word
    "ki\U000e0041ll myself",  # a tag letter inside the word
    "kíll mysélf",
    "kiiill myself",
    "kkiillll mmyysseellff",
    "kill\u3164myself",  # Hangul filler
    "kill\u2800myself",  # Braille blank
    "kill\u00a0myself",
    "kill\u3000myself",
    "ki\u034fll myself",  # combining grapheme joiner
    "ⓚⓘⓛⓛ ⓜⓨⓢⓔⓛⓕ",
    "🄺🄸🄻🄻 myself",
    "ᵏⁱˡˡ myself",
    "me quiero\u2060matar",
    "sui\u200bcide",
]


@pytest.mark.parametrize("text", CAUGHT_ALREADY)
def test_obfuscations_fix5_caught_are_still_caught(text):
    assert screening.suggests_crisis(text), repr(text)


ORDINARY = [
    "I feel good today, my skills class was helpful",
    "J. R. R. Tolkien is my favourite",
    "we went to the U.S.A. and the U.K.",
    "Killian and Bill Killmer came over",
    "I will keep going, see you tomorrow",
    "Me siento bien, fui a la reunión de A A",
    "voy a cortarme el pelo mañana",
    "the kids were all sleeping",
    "I took my pills as prescribed",
    "Hoy corrí y me sentí mejor, la vida sigue",
    "Ana y Óscar vinieron",
    "t h a n k s",
    "l o l",
    "Mi terapeuta dijo q estoy mejorando",
    "I cleaned the house and called Søren and Łukasz",
    "I killed it at the gym today",
    "all good, feeling hopeful",
    "the shoot went great",
    "cuttings from the garden",
    "Plan A y B y C",
    "a b c d e f g",
    "hopelessness",  # one word that only contains a phrase: as before, no match
    "x y z suicidelike",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_english_spanish_and_names_stay_ordinary(text):
    assert not screening.suggests_crisis(text), text


@pytest.mark.parametrize(
    "text",
    [
        "a" + "\u0301" * 100_000,  # 100,000 combining marks on one letter
        ("I felt ok today and went for a walk. " * 30_000)[:1_000_000],  # a megabyte note
        "\u200b" * 1_000_000,
        "a b " * 250_000,  # a megabyte of one-letter words
        "ll " * 330_000,
        "\U000e0041" * 300_000,
        "\x00kill\x00myself\x00",
        "\ud800kill myself",  # a lone surrogate
    ],
    ids=["combining", "megabyte", "zw", "letters", "doubles", "tags", "nul", "surrogate"],
)
def test_pathological_inputs_are_screened_without_raising(text):
    assert screening.suggests_crisis(text) in (True, False)
    assert screening.normalise(text) == screening.normalise(screening.normalise(text))


def test_the_nul_and_surrogate_ones_still_match():
    assert screening.suggests_crisis("\x00kill\x00myself\x00")
    assert screening.suggests_crisis("\ud800kill myself")
