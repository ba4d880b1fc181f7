"""The sentence under each progress chart: true of the data, encouraging, never about missed days."""

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from core import checkups, clinical, diary, practice
from core import encouragement as words
from core.access import Actor
from core.diary import CardView
from core.models import AppUser, Role
from core.seed import demo_today

DAY0 = date(2026, 3, 2)


def card(n: int, mood: int, *, shame=None, joy=None, urge=0, acted=False, skills=()) -> CardView:
    emotions = dict.fromkeys(clinical.EMOTIONS) | {"shame": shame, "joy": joy}
    return CardView(DAY0 + timedelta(days=n), mood, emotions, {"self_harm": (urge, acted)}, None, list(skills),
                    None, None, "", False, datetime(2026, 3, 1))


def past(total: int, intake: int | None, n: int = 0) -> checkups.Past:
    return checkups.Past(DAY0 + timedelta(weeks=n), "phq9", total, clinical.band("phq9", total), [], None, False,
                         clinical.change_from_intake("phq9", intake, total))


def test_a_rising_mood_is_named_with_both_averages():
    cards = [card(0, 3), card(1, 3), card(2, 6), card(3, 7)]
    assert words.mood(cards) == "Your mood averaged 6.5 lately, up from 3.0 earlier in this period."


def test_a_flat_or_falling_mood_is_described_without_a_verdict():
    sentence = words.mood([card(0, 6), card(1, 5), card(2, 4), card(3, 4)])
    assert sentence.startswith("Your mood averaged 4.8 over 4 diary cards.")
    assert not any(word in sentence for word in ("fell", "worse", "lower", " from "))


def test_urges_held_are_counted_not_urges_acted_on():
    cards = [card(0, 5, urge=3), card(1, 5, urge=4, acted=True), card(2, 5, urge=2), card(3, 5)]
    assert words.urges(cards) == "You had urges on 3 days and did not act on them on 2 of those days."
    assert words.urges([card(0, 5), card(1, 5)]) == "No urges were recorded in this period."
    assert words.urges([card(0, 5, urge=2), card(1, 5, urge=1)]) == ("You had urges on 2 days and did not act "
                                                                   "on them once.")
    assert "honestly" in words.urges([card(0, 5, urge=4, acted=True)])


def test_the_emotion_that_eased_most_is_named():
    cards = [card(0, 5, shame=4), card(1, 5, shame=4), card(2, 5, shame=2), card(3, 5, shame=2)]
    assert words.emotions(cards) == "Shame eased from 4.0 to 2.0 on average over this period."
    rising_joy = [card(0, 5, joy=1), card(1, 5, joy=1), card(2, 5, joy=3), card(3, 5, joy=3)]
    assert words.emotions(rising_joy) == "Joy rose from 1.0 to 3.0 on average over this period."


def test_skills_used_count_days_with_a_card_and_name_the_module():
    cards = [card(0, 5, skills=["tipp"]), card(1, 5, skills=["stop", "wise_mind"]), card(2, 5)]
    assert words.skills_used(cards) == ("You used skills on 2 of the 3 days you filled in a card, "
                                        "most often from Distress Tolerance.")
    assert words.skills_used(cards[:2]) == "You used skills on every day you filled in a card, most often from " \
                                           "Distress Tolerance."


@pytest.mark.parametrize("total, intake, expected", [
    (9, 16, "Your latest PHQ-9 score is 9 (mild): a real improvement since your first check-up."),
    (13, 16, "Your latest PHQ-9 score is 13 (moderate), down from 16 at your first check-up."),
    (18, 12, "Your latest PHQ-9 score is 18 (moderately severe). Your therapist sees these scores too"),
])
def test_checkup_sentence_is_calm_whichever_way_the_score_went(total, intake, expected):
    assert words.checkup("phq9", [past(intake, None), past(total, intake, 3)]).startswith(expected)


def test_practice_that_did_not_lower_distress_is_not_called_a_failure():
    entry = practice.PracticeView(1, "k", "tipp", "TIPP", "Distress Tolerance", DAY0, "", 6, 6, "no", "", "",
                                  datetime(2026, 3, 2))
    assert "builds the skill" in words.helpfulness([entry])
    better = practice.PracticeView(2, "k2", "tipp", "TIPP", "Distress Tolerance", DAY0, "", 8, 3, "yes", "", "",
                                   datetime(2026, 3, 2))
    assert words.helpfulness([better]) == "On average your distress fell 5.0 points after practising."


def test_no_data_means_no_sentence_except_the_welcome():
    assert words.first_card([]) == "Your charts will grow from your first diary card."
    for sentence in (words.mood([]), words.urges([]), words.emotions([]), words.skills_used([]),
                     words.helpfulness([]), words.adherence([]), words.checkup("gad7", [])):
        assert sentence == ""


def test_every_demo_participant_every_period_gets_kind_true_sentences(session, demo):
    today = demo_today()
    for user in session.exec(select(AppUser).where(AppUser.role == Role.PARTICIPANT)).all():
        who = Actor.of(user)
        for days in (14, 28, 84):
            start = today - timedelta(days=days - 1)
            cards = diary.cards_between(session, who, who.id, start, today)
            entries = practice.practice_between(session, who, who.id, start, today)
            records = practice.thought_records(session, who, who.id, start, today)
            said = [words.mood(cards), words.urges(cards), words.emotions(cards), words.skills_used(cards),
                    words.practice(practice.practised_per_day(entries, records)), words.helpfulness(entries),
                    words.adherence(cards)]
            said += [words.checkup(k, checkups.history(session, who, who.id, k)) for k in checkups.KINDS]
            for sentence in filter(None, said):
                assert "miss" not in sentence.lower() and "fail" not in sentence.lower(), sentence
            if cards:
                assert f"{len(cards)} diary card" in words.adherence(cards)
