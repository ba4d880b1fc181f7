"""The faster crisis screen (scr13) answers exactly as the one before it: core/screening.py against a
verbatim copy of the old module (tests/unit/screening_reference.py), on every text of the screening
tests' corpora and on generated texts that hide the phrases the ways the screen reads through
(accents, look-alike letters, invisible characters, digits for letters, letters spelled out or
stretched, hashtags, Spanish texting) in ordinary sentences. Speed is measured in bench/screening.py."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import screening
from tests.unit import screening_reference as reference
from tests.unit import test_redteam_wave4, test_screening, test_screening_spanish
from tests.unit.test_screening_obfuscation import ZERO_WIDTH, _disguised, _fullwidth

PHRASES = list(screening.load_phrases())
ORDINARY = [
    t
    for t in test_screening.MUST_NOT_MATCH + test_screening_spanish.MUST_NOT_MATCH + test_redteam_wave4.ORDINARY
    if t.strip()
]


def _same(text: str) -> None:
    """The screen's answer and each reading's text, old and new."""
    assert screening.suggests_crisis(text) is reference.suggests_crisis(text), repr(text)
    assert screening.normalise(text) == reference.normalise(text), repr(text)
    assert screening._normalise_joined(text) == reference._normalise_joined(text), repr(text)


def _corpus() -> list[str]:
    texts = [
        *test_screening.SHOULD_MATCH,
        *test_screening.MUST_NOT_MATCH,
        *test_screening_spanish.SHOULD_MATCH,
        *test_screening_spanish.MUST_NOT_MATCH,
        *test_redteam_wave4.MISSED_BEFORE,
        *test_redteam_wave4.CAUGHT_ALREADY,
        *test_redteam_wave4.ORDINARY,
        # the hostile shapes of test_redteam_wave4 and test_screening_obfuscation, ten kilobytes each
        "a" + "\u0301" * 10_000,
        ("I felt ok today and went for a walk. " * 300)[:10_000],
        "\u200b" * 10_000,
        "a b " * 2_500,
        "ll " * 3_300,
        "\U000e0041" * 3_000,
        "a1 " * 3_300,
        "k1ll " * 2_000,
        "a b c d " * 1_250,
        "😀x" * 5_000,
        "к" * 5_000,
        "\u00ad" * 5_000,
        "\x00kill\x00myself\x00",
        "\ud800kill myself",
        "Сегодня я ходил в группу, всё хорошо",
        "Καλημέρα, είμαι καλά σήμερα",
        "dí\u200bet\u00ad plan, \u0434\u0438\u0435\u0442\u0430",
        "İstanbul'da KILL myself",  # lower() of a dotted capital I adds a combining dot
        "cortándome las uñas",
        "Cortándome el pelo, cortarme los brazos",
        "voy a cortarme el pelo",
        "quiero cortarme",
        "don\uff07t want to live",
        "kill😭myself",
        "«me quiero matar»",
    ]
    for phrase in PHRASES:
        texts += [phrase, f"hoy...¿{phrase}?¡no sé!", phrase.upper(), _fullwidth(phrase.upper())]
        texts += [f"hoy {phrase.replace(' ', zw)} ya" for zw in ZERO_WIDTH]
        texts += [f"today {_disguised(phrase, pick)}." for pick in range(3)]
        texts += ["\u00ad".join(phrase), " ".join(phrase), ".".join(phrase.replace(" ", ""))]
    for text in ORDINARY:
        texts += [_disguised(text), _fullwidth(text), text.replace(" ", "\u200b")]
    return texts


CORPUS = _corpus()


def test_the_screens_agree_on_every_text_of_the_screening_tests():
    answers = set()
    for text in CORPUS:
        _same(text)
        answers.add(screening.suggests_crisis(text))
    assert answers == {True, False}  # (both kinds are in the corpus)


@pytest.mark.parametrize("value", [None, 42, b"kill myself", ["kill myself"], "", "   ", "\u200b"])
def test_the_screens_agree_on_what_is_not_text_or_is_empty(value):
    assert screening.suggests_crisis(value) is reference.suggests_crisis(value)


# --- generated texts ---------------------------------------------------------------------------------

_ACCENTS = str.maketrans({"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú", "n": "ñ", "c": "ç"})
_LEET = {"a": "4@", "e": "3", "i": "1!", "o": "0", "s": "5$", "t": "7", "l": "1", "g": "9"}
_TEXTING = [("que", "q"), ("que", "k"), ("por", "x"), ("porque", "xq"), ("porque", "pq"), ("para", "pa")]
_CONTRACTIONS = [("want to", "wanna"), ("cant", "can not"), ("cant", "cannot"), ("dont", "do not"), ("im", "i am")]
_APOSTROPHE_WORDS = [("dont", "don't"), ("dont", "don’t"), ("dont", "don´t"), ("cant", "can\uff07t")]
_BREAKS = [" ", "  ", "\n", "\u00a0", "—", "...", ", ", " 😢 ", "¿", "«", "\u3164", "\u2800", *ZERO_WIDTH]
_INSIDE = ["\u200b", "\u00ad", "\u200e", "\u0301", "\ufe0f", "\u3164", "ł", "\U000e0041", "'", "-", "."]


def _obfuscate(draw, phrase: str) -> str:
    way = draw(
        st.sampled_from(
            [
                "plain",
                "accents",
                "combining",
                "look-alikes",
                "fullwidth",
                "zero-width",
                "inside",
                "leet",
                "spelled",
                "run-together",
                "stretched",
                "hashtag",
                "texting",
                "contractions",
                "apostrophes",
                "marked",
                "haircut",
                "capitals",
                "mixed",
            ]
        )
    )
    if way != "mixed":
        return _one_way(draw, way, phrase)
    for each in draw(st.lists(st.sampled_from(["accents", "look-alikes", "leet", "stretched", "inside"]), max_size=3)):
        phrase = _one_way(draw, each, phrase)
    return phrase


def _one_way(draw, way: str, text: str) -> str:
    if not text:
        return text
    if way == "accents":
        return "".join(c.translate(_ACCENTS) if draw(st.booleans()) else c for c in text)
    if way == "combining":
        at = draw(st.integers(0, len(text) - 1))
        return text[: at + 1] + draw(st.sampled_from(["\u0301", "\u0308", "\u0303", "\u0301" * 5])) + text[at + 1 :]
    if way == "look-alikes":
        return _disguised(text, draw(st.integers(0, 3)))
    if way == "fullwidth":
        return _fullwidth(text)
    if way == "zero-width":
        return text.replace(" ", draw(st.sampled_from(ZERO_WIDTH)))
    if way == "inside":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(_INSIDE)) + text[at:]
    if way == "leet":
        return "".join(draw(st.sampled_from(_LEET[c])) if c in _LEET and draw(st.booleans()) else c for c in text)
    if way == "spelled":
        return draw(st.sampled_from([" ", ".", "-", ". "])).join(text)
    if way == "run-together":
        return draw(st.sampled_from([".", " ", "-"])).join(text.replace(" ", ""))
    if way == "stretched":
        at = draw(st.integers(0, len(text) - 1))
        return text[:at] + text[at] * draw(st.integers(2, 6)) + text[at:]
    if way == "hashtag":
        return "#" + text.replace(" ", "")
    if way == "texting":
        long, short = draw(st.sampled_from(_TEXTING))
        return re.sub(rf"\b{long}\b", short, text)
    if way == "contractions":
        long, short = draw(st.sampled_from(_CONTRACTIONS))
        return re.sub(rf"\b{long}\b", short, text)
    if way == "apostrophes":
        long, short = draw(st.sampled_from(_APOSTROPHE_WORDS))
        return re.sub(rf"\b{long}\b", short, text)
    if way == "haircut":
        return text.replace("cortarme", draw(st.sampled_from(["cortándome el pelo", "cortarme la luz", "cortandome"])))
    if way == "marked":
        return text.translate(str.maketrans({"l": "ł", "o": "ø", "d": "đ", "h": "ħ", "k": "ᴋ", "i": "ɪ"}))
    if way == "capitals":
        return text.upper()
    return text


@st.composite
def _hidden_in_ordinary_text(draw) -> str:
    """A phrase (or a phrase with a word cut short, or an ordinary sentence: near misses matter as
    much) hidden one of the ways, between pieces of ordinary sentences."""
    kind = draw(st.sampled_from(["phrase", "phrase", "near miss", "ordinary"]))
    if kind == "ordinary":
        core = draw(st.sampled_from(ORDINARY))
    else:
        core = draw(st.sampled_from(PHRASES))
        if kind == "near miss":
            words = core.split(" ")
            at = draw(st.integers(0, len(words) - 1))
            words[at] = words[at][:-1] or "x"
            core = " ".join(words)
    core = _obfuscate(draw, core)
    before = draw(st.sampled_from(["", *ORDINARY]))
    after = draw(st.sampled_from(["", *ORDINARY]))
    gap = draw(st.sampled_from(_BREAKS))
    return f"{before}{gap}{core}{draw(st.sampled_from(_BREAKS))}{after}".strip(draw(st.sampled_from(["", " "])))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_hidden_in_ordinary_text())
def test_the_screens_agree_on_phrases_hidden_in_ordinary_text(text):
    _same(text)


_ODD = "kilmysefdaoutqxp1304579@$!  .'\u200b\u00ad\u0301\u0131łøкіΚΙ😀ñáİ\u3164\uff4b#\n"


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(_ODD), max_size=60) | st.text(max_size=60))
def test_the_screens_agree_on_any_text(text):
    _same(text)


def test_no_rewrite_writes_a_word_another_rewrite_reads():
    """core/screening.py tries the rewrites whose words were all in the reading before any rewrite ran:
    right only while no rewrite writes a word that another one reads."""
    reads = {w for old, _ in screening._EXPANSIONS for w in old.split(" ")} | screening._HAIRCUT_WORDS
    for old, new in screening._EXPANSIONS:
        assert not set(new.split(" ")) & (reads - set(old.split(" "))), new
    assert not {"cortar"} & reads
