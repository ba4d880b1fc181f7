"""The one crisis-word screen: phrases are data; common phrasings match, ordinary speech does not;
everything a participant types is screened, and the alert never quotes what they wrote."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from core import alerts, practice, screening
from core.models import Alert
from core.skills import CatalogueError

SHOULD_MATCH = [
    "I'd be better off dead",
    "everyone would be better off without me",
    "I just want to end my life",
    "I don't want to be here anymore",
    "i dont wanna be here",
    "I do not want to be here",
    "thinking about taking all my pills".replace("taking", "take"),
    "I could take all my pills tonight",
    "There's no reason to live",
    "nothing to live for",
    "I want to kill myself",
    "kill my self",
    "thinking about suicide",
    "feeling SUICIDAL again",
    "I want to die",
    "wanna die",
    "I wish I was dead",
    "I can't go on like this",
    "I cannot go on",
    "I feel like there's no way out",
    "I hurt myself last night",
    "urge to self-harm",
    "self harming again",
    "I cut myself",
    "thought about an overdose",
    "I'm going to end it all",
    "life is not worth living",
    "I feel hopeless",
    "I don’t want to wake up tomorrow",  # a curly apostrophe
    "Quiero... no, I want to die",
    "I'm not suicidal",  # negations match on purpose: a calm panel, not a miss
    "thought about slitting my wrists",  # (wave 15: the English twins of listed Spanish phrases)
    "I want to jump off a bridge",
    "I want to go to sleep and never wake up",
]
MUST_NOT_MATCH = [
    "I'm dying to see that movie",
    "this traffic is killing me",
    "I could kill for a coffee",
    "I was dead tired after work",
    "my phone died at lunch",
    "deadline tomorrow, stressed",
    "I want to end it with my boyfriend",
    "I cut back on coffee",
    "used the cutting board to make dinner",
    "I killed it at my presentation",
    "I hurt my back at the gym",
    "the end of my shift was long",
    "I overdid it at the gym",
    "my plants are dead",
    "I'm going to take my pills at 9",
    "nothing to do tonight",
    "ran 5 kms today",
    "dieting is hard",
    "urge to cut down drinking",
    "can't sleep",
    "the die was cast",
    "",
    "   ",
]


@pytest.mark.parametrize("text", SHOULD_MATCH)
def test_common_phrasings_of_danger_match(text):
    assert screening.suggests_crisis(text), text


@pytest.mark.parametrize("text", MUST_NOT_MATCH)
def test_ordinary_sentences_do_not_match(text):
    assert not screening.suggests_crisis(text), text


@pytest.mark.parametrize("value", [None, 42, b"kill myself", ["kill myself"], "\x00kill\x00myself"])
def test_wrong_types_never_crash(value):
    assert screening.suggests_crisis(value) in (True, False)


def test_the_phrases_are_data_and_a_broken_file_is_named(tmp_path):
    assert "better off dead" in screening.load_phrases()
    bad = tmp_path / "crisis_phrases.yaml"
    bad.write_text("phrases: [ok, 3]\n")
    with pytest.raises(CatalogueError, match="crisis_phrases.yaml"):
        screening.load_phrases(bad)
    bad.write_text("phrases: [unclosed\n")
    with pytest.raises(CatalogueError, match="cannot be read"):
        screening.load_phrases(bad)


NOON = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def test_practice_and_thought_records_are_screened_and_the_alert_does_not_quote(session, demo):
    from tests.unit.test_diary import fresh_participant

    quinn = fresh_participant(session)
    saved = practice.save_practice(
        session,
        quinn,
        participant_id=quinn.id,
        entry_key=practice.new_entry_key(),
        entry=practice.PracticeInput("tipp", 8, 7, "no", "after the call", "honestly better off dead"),
        now=NOON,
    )
    assert saved.risk.risky
    thought = practice.save_thought_record(
        session,
        quinn,
        participant_id=quinn.id,
        entry_key=practice.new_entry_key(),
        record=practice.ThoughtInput("at home", [("sad", 90, None)], "There's no reason to live"),
        now=NOON,
    )
    assert thought.risk.risky
    calm = practice.save_practice(
        session,
        quinn,
        participant_id=quinn.id,
        entry_key=practice.new_entry_key(),
        entry=practice.PracticeInput("tipp", 6, 3, "yes", "traffic was killing me"),
        now=NOON,
    )
    assert not calm.risk.risky
    rows = session.exec(select(Alert).where(Alert.participant_id == quinn.id)).all()
    assert sorted(r.severity for r in rows) == ["review", "review"]
    for row in rows:
        said = row.detail + row.latest + str(row.reasons)
        assert "better off dead" not in said and "reason to live" not in said and "matched" in said


def test_a_search_opens_one_review_alert_a_day(session, demo):
    from tests.unit.test_diary import fresh_participant

    quinn = fresh_participant(session)
    day = date(2026, 11, 23)
    assert alerts.screen_search(session, quinn, query="how to stop wanting to die", day=day)
    assert alerts.screen_search(session, quinn, query="no reason to live", day=day)
    assert not alerts.screen_search(session, quinn, query="can't sleep", day=day)
    rows = session.exec(select(Alert).where(Alert.participant_id == quinn.id)).all()
    assert len(rows) == 1 and rows[0].severity == "review" and "die" not in rows[0].detail


def test_a_note_fifty_times_too_long_is_screened_whole_before_it_is_refused(session, people):
    """scr13: the note is screened before its length is checked (core/diary.py), all of it: crisis words
    at the very end of a note fifty times the limit open the review alert, and the refusal names the
    note and carries the routed risk, so the page keeps the note and shows the crisis lines."""
    from core import clinical, diary
    from core.alerts import IncompleteWithRisk

    who = people.participant()
    day, evening = date(2026, 11, 23), datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
    filler = "Long day at work, then group, then dinner with my sister. "
    note = (filler * (50 * clinical.NOTE_MAX_CHARS // len(filler) + 1))[: 50 * clinical.NOTE_MAX_CHARS - 14]
    note += "I want to die"
    with pytest.raises(IncompleteWithRisk) as refused:
        diary.save_card(
            session, who, participant_id=who.id, day=day, now=evening, card=diary.CardInput(mood=4, note=note)
        )
    assert set(refused.value.fields) == {"note"}
    assert refused.value.risk.reasons == [clinical.crisis_words_reason("diary note").text]
    [row] = session.exec(select(Alert).where(Alert.participant_id == who.id)).all()
    assert row.source_key == f"diary:{day}" and "die" not in row.detail
