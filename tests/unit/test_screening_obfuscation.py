"""Crisis screening reads obfuscated text the way a person reads it (red team, wave 3): a zero-width
space between two words ("kill\u200bmyself") is a word break, not a join into "killmyself"; a soft
hyphen inside a word is dropped; look-alike letters of other alphabets (Cyrillic "кіll", Greek
"ΚΙLL") and fullwidth or mathematical letters read as the Latin letter they imitate. The phrase
lists are not changed; ordinary Spanish and English stay ordinary."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import screening
from tests.unit import test_screening, test_screening_spanish

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
# A few look-alikes per Latin letter, Cyrillic and Greek first (what a person can type on a phone).
LOOK_ALIKES = {
    "a": "аα",
    "c": "сϲ",
    "e": "еε",
    "i": "іι",
    "j": "ј",
    "k": "кκ",
    "l": "ӏ",
    "m": "м",
    "n": "пη",
    "o": "оοσ",
    "p": "рρ",
    "s": "ѕ",
    "t": "тτ",
    "u": "υ",
    "v": "ν",
    "x": "хχ",
    "y": "уγ",
}


def _disguised(phrase: str, pick: int = 0) -> str:
    return "".join(LOOK_ALIKES[c][pick % len(LOOK_ALIKES[c])] if c in LOOK_ALIKES else c for c in phrase)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


PHRASES = list(screening.load_phrases())


@pytest.mark.parametrize(
    "text",
    [
        "kill\u200bmyself",
        "I want to kill\u200bmyself tonight",
        "quiero\u200bmorir",
        "me\u2060quiero\u2060matar",
        "end\u200dmy\u200dlife",
        "sui\u00adcide",
        "wanna dis\u00adappear, I want to\u00a0die",
        "кіll myself",  # Cyrillic ka and i
        "ΚΙLL MYSELF",  # Greek capitals
        "ѕuісіdе",
        "me quiero mаtаr",  # Cyrillic a
        "ｋｉｌｌ ｍｙｓｅｌｆ",  # fullwidth
        "𝐤𝐢𝐥𝐥 𝐦𝐲𝐬𝐞𝐥𝐟",  # mathematical bold
        "ki\u200bll my\u00adself",
        "kіll\u200bmysеlf",  # all at once
    ],
)
def test_obfuscated_crisis_phrases_match(text):
    """Old code: the zero-width ones were joined ("killmyself") and the look-alike letters split the
    word ("кіll" -> " ll"), so none of the first eleven here matched."""
    assert screening.suggests_crisis(text)


def test_every_phrase_matches_with_zero_width_spaces_look_alikes_or_fullwidth():
    for phrase in PHRASES:
        for zw in ZERO_WIDTH:
            assert screening.suggests_crisis(f"hoy {phrase.replace(' ', zw)} ya"), (phrase, zw)
        for pick in range(3):
            assert screening.suggests_crisis(f"today {_disguised(phrase, pick)}."), (phrase, pick)
        assert screening.suggests_crisis(_fullwidth(phrase.upper())), phrase
        assert screening.suggests_crisis("\u00ad".join(phrase)), phrase  # soft hyphens everywhere


@pytest.mark.parametrize("text", test_screening.MUST_NOT_MATCH + test_screening_spanish.MUST_NOT_MATCH)
def test_ordinary_sentences_stay_ordinary_disguised_or_with_invisible_characters(text):
    assert not screening.suggests_crisis(_disguised(text))
    assert not screening.suggests_crisis(_fullwidth(text))
    assert not screening.suggests_crisis(text.replace(" ", "\u200b"))


def test_spanish_letters_are_never_folded_as_look_alikes():
    """Accents are Spanish, not a disguise: the look-alike table leaves every Spanish letter and mark
    as typed (the accent folding after it reads "daño" as "dano", as before)."""
    spanish = "áéíóúüñÁÉÍÓÚÜÑ¿¡ºª€"
    assert not {ord(c) for c in spanish} & set(screening.look_alikes())
    assert screening.normalise("Mañana, ¿qué tal? Él está aquí; el niño comió piña.") == (
        "manana que tal el esta aqui el nino comio pina"
    )
    assert not any(chr(c).isascii() for c in screening.look_alikes())
    assert set(screening.look_alikes().values()) <= set("abcdefghijklmnopqrstuvwxyz")
    assert all(unicodedata.category(chr(c)).startswith("L") for c in screening.look_alikes())


def test_symbols_that_look_like_letters_are_not_letters():
    """Only letters fold: "3×2" is not "3x2" (x is "por" in Spanish texting), a long dash stays a break."""
    assert screening.normalise("3×2 — ∪") == "3 2"


@settings(max_examples=150, deadline=None)
@given(
    phrase=st.sampled_from(PHRASES),
    picks=st.lists(st.integers(min_value=0, max_value=3), min_size=40, max_size=40),
    breaks=st.lists(st.sampled_from([" ", *ZERO_WIDTH, " \u200b", "\u00a0"]), min_size=6, max_size=6),
    hyphen_at=st.integers(min_value=0, max_value=40),
)
def test_any_mix_of_look_alikes_zero_width_breaks_and_a_soft_hyphen_still_matches(phrase, picks, breaks, hyphen_at):
    words = phrase.split(" ")
    disguised = [
        "".join(
            LOOK_ALIKES[c][p % len(LOOK_ALIKES[c])] if c in LOOK_ALIKES and p else c
            for c, p in zip(word, picks, strict=False)
        )
        for word in words
    ]
    text = disguised[0]
    for word, gap in zip(disguised[1:], breaks, strict=False):
        text += gap + word
    at = min(hyphen_at, len(text))
    if at and text[at - 1].isalpha() and at < len(text) and text[at].isalpha():
        text = text[:at] + "\u00ad" + text[at:]
    assert screening.suggests_crisis(f"notes: {text}!")


@pytest.mark.parametrize(
    "text",
    [
        "Сегодня я ходил в группу, всё хорошо",  # ordinary Russian: folded, still nothing
        "Мне грустно, но я справлюсь",
        "Καλημέρα, είμαι καλά σήμερα",  # ordinary Greek
        "\u200b" * 5000,
        "к" * 5000,
        "\u00ad" * 5000,
        "dí\u200bet\u00ad plan, \u0434\u0438\u0435\u0442\u0430",  # "diet" split: no "die" alone
    ],
)
def test_other_alphabets_and_invisible_floods_stay_ordinary(text):
    assert not screening.suggests_crisis(text)


def test_a_nul_byte_is_a_break_like_any_other_control():
    assert screening.suggests_crisis("kill\x00myself")
    assert screening.suggests_crisis("kіll\x00\u200bmyself")
