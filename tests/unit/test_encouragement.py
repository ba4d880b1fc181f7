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


def card(
    n: int,
    mood: int = 5,
    *,
    shame=None,
    joy=None,
    urge=0,
    acted=False,
    skills=(),
    urges=None,
    emotions=None,
    sleep=None,
) -> CardView:
    feelings = dict.fromkeys(clinical.EMOTIONS) | {"shame": shame, "joy": joy} | (emotions or {})
    return CardView(
        DAY0 + timedelta(days=n),
        mood,
        feelings,
        urges or {"self_harm": (urge, acted)},
        None,
        list(skills),
        sleep,
        None,
        "",
        False,
        datetime(2026, 3, 1),
    )


def past(total: int, intake: int | None, n: int = 0) -> checkups.Past:
    return checkups.Past(
        DAY0 + timedelta(weeks=n),
        "phq9",
        total,
        clinical.band("phq9", total),
        [],
        None,
        False,
        clinical.change_from_intake("phq9", intake, total),
    )


def test_a_rising_mood_is_named_with_both_averages():
    cards = [card(0, 3), card(1, 3), card(2, 6), card(3, 7)]
    assert words.mood(cards) == "Your mood averaged 6.5 lately, up from 3.0 earlier in this period."


def test_a_flat_mood_is_described_without_a_verdict():
    sentence = words.mood([card(0, 5), card(1, 5), card(2, 5), card(3, 5)])
    assert sentence.startswith("Your mood averaged 5.0 over 4 diary cards.")
    assert not any(word in sentence for word in ("fell", "worse", "lower", " from "))


def test_urges_held_are_counted_not_urges_acted_on():
    assert words.urges([card(0, 5), card(1, 5)]) == "No urges were recorded in this period."
    assert words.urges([card(0, 5, urge=2), card(1, 5, urge=2)]) == (
        "You had urges on 2 days and did not act on them once."
    )


WORSE_FIRST = "talk"  # every "worse" sentence points to the therapist...
PLAN = "safety plan"  # ...and to the safety plan


# (what the cards say, the sentence function, must contain, must not contain): the cases the review found.
CASES = [
    (
        "a self-harm act logged with the urge left unrated",
        [card(0, urges={"self_harm": (None, True)}), card(1), card(2), card(3)],
        words.urges,
        ["You acted on an urge on 1 day", WORSE_FIRST, PLAN],
        ["did not act on them once", "No urges"],
    ),
    (
        "suicidal and self-harm acts logged at urge 0",
        [card(0, urges={"suicidal_thoughts": (0, True), "self_harm": (0, True)}), card(1)],
        words.urges,
        ["You acted on an urge on 1 day"],
        ["No urges were recorded"],
    ),
    (
        "three emotions worse while one eased",
        [
            card(0, emotions={"sadness": 1, "anger": 1, "shame": 1, "anxiety": 4}),
            card(1, emotions={"sadness": 1, "anger": 1, "shame": 1, "anxiety": 4}),
            card(2, emotions={"sadness": 4, "anger": 4, "shame": 4, "anxiety": 1}),
            card(3, emotions={"sadness": 4, "anger": 4, "shame": 4, "anxiety": 1}),
        ],
        words.emotions,
        ["Sadness, anger and shame were stronger lately", WORSE_FIRST, PLAN],
        ["eased"],
    ),
    (
        "joy falling is named as worse",
        [card(0, joy=4), card(1, joy=4), card(2, joy=1), card(3, joy=1)],
        words.emotions,
        ["Joy was lower", WORSE_FIRST],
        ["rose"],
    ),
    (
        "a mood fall from 8 to 1",
        [card(0, 8), card(1, 1)],
        words.mood,
        ["Your mood has been lower lately: 1.0 on average, down from 8.0", WORSE_FIRST, PLAN],
        ["averaged 4.5"],
    ),
    (
        "suicidal urges climbing 1 to 5",
        [card(n, urges={"suicidal_thoughts": (u, False)}) for n, u in enumerate((1, 2, 4, 5))],
        words.urges,
        ["Your urges have been stronger lately", WORSE_FIRST, PLAN],
        ["did not act on them once"],
    ),
    (
        "acts on some days, held on others",
        [card(0, urge=3), card(1, urge=4, acted=True), card(2, urge=2), card(3)],
        words.urges,
        ["You acted on an urge on 1 day", "On 2 other days with urges, you held off."],
        ["did not act on them once"],
    ),
    (
        "a PHQ-9 worse than intake",
        [past(12, None), past(18, 12, 3)],
        lambda p: words.checkup("phq9", p),
        ["18 (moderately severe), higher than at your first check-up (12)", "therapist"],
        ["improvement", "down from"],
    ),
]


@pytest.mark.parametrize("cards, sentence_of, must, must_not", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_worse_is_said_calmly_first_and_every_act_counts(cards, sentence_of, must, must_not):
    sentence = sentence_of(cards)
    for part in must:
        assert part in sentence, (part, sentence)
    for part in must_not:
        assert part not in sentence, (part, sentence)
    first_good = min(
        (sentence.find(w) for w in ("held off", "eased", "didn't act", "up from") if w in sentence),
        default=len(sentence),
    )
    first_worse = min(
        (sentence.find(w) for w in ("lower", "stronger", "acted", "higher") if w in sentence), default=len(sentence)
    )
    assert first_worse <= first_good  # never lead with the one good number


def test_a_positive_item9_gets_no_praise_even_when_the_total_improved():
    latest = checkups.Past(
        DAY0 + timedelta(weeks=3),
        "phq9",
        6,
        "Mild",
        [0, 1, 1, 1, 1, 1, 0, 0, 1],
        None,
        False,
        clinical.change_from_intake("phq9", 16, 6),
    )
    sentence = words.checkup("phq9", [past(16, None), latest])
    assert "improvement" not in sentence and "down from" not in sentence and "safety plan" in sentence


def test_remission_is_named():
    assert "remission" in words.checkup(
        "gad7",
        [
            past(12, None),
            checkups.Past(
                DAY0 + timedelta(weeks=2),
                "gad7",
                3,
                "Minimal",
                [],
                None,
                False,
                clinical.change_from_intake("gad7", 12, 3),
            ),
        ],
    )


def test_sleep_is_described():
    assert words.sleep([card(0, sleep=6.0), card(1, sleep=8.0), card(2)]) == (
        "You recorded your sleep on 2 nights, 7.0 hours on average."
    )
    assert words.sleep([card(0)]) == ""


def test_the_emotion_that_eased_most_is_named():
    cards = [card(0, 5, shame=4), card(1, 5, shame=4), card(2, 5, shame=2), card(3, 5, shame=2)]
    assert words.emotions(cards) == "Shame eased from 4.0 to 2.0 on average over this period."
    rising_joy = [card(0, 5, joy=1), card(1, 5, joy=1), card(2, 5, joy=3), card(3, 5, joy=3)]
    assert words.emotions(rising_joy) == "Joy rose from 1.0 to 3.0 on average over this period."


def test_skills_used_count_days_with_a_card_and_name_the_module():
    cards = [card(0, 5, skills=["tipp"]), card(1, 5, skills=["stop", "wise_mind"]), card(2, 5)]
    assert words.skills_used(cards) == (
        "You used skills on 2 of the 3 days you filled in a card, most often from Distress Tolerance."
    )
    assert (
        words.skills_used(cards[:2]) == "You used skills on every day you filled in a card, most often from "
        "Distress Tolerance."
    )


@pytest.mark.parametrize(
    "total, intake, expected",
    [
        (9, 16, "Your latest PHQ-9 score is 9 (mild): a real improvement since your first check-up."),
        (13, 16, "Your latest PHQ-9 score is 13 (moderate), down from 16 at your first check-up."),
        (18, 12, "Your latest PHQ-9 score is 18 (moderately severe), higher than at your first check-up (12)."),
        (12, 12, "Your latest PHQ-9 score is 12 (moderate). Your therapist sees these scores too"),
    ],
)
def test_checkup_sentence_is_calm_whichever_way_the_score_went(total, intake, expected):
    assert words.checkup("phq9", [past(intake, None), past(total, intake, 3)]).startswith(expected)


def test_practice_that_did_not_lower_distress_is_not_called_a_failure():
    entry = practice.PracticeView(
        1, "k", "tipp", "TIPP", "Distress Tolerance", DAY0, "", 6, 6, "no", "", "", datetime(2026, 3, 2)
    )
    assert "builds the skill" in words.helpfulness([entry])
    better = practice.PracticeView(
        2, "k2", "tipp", "TIPP", "Distress Tolerance", DAY0, "", 8, 3, "yes", "", "", datetime(2026, 3, 2)
    )
    assert words.helpfulness([better]) == "On average your distress fell 5.0 points after practising."


def test_no_data_means_no_sentence_except_the_welcome():
    assert words.first_card([]) == "Your charts will grow from your first diary card."
    for sentence in (
        words.mood([]),
        words.urges([]),
        words.emotions([]),
        words.skills_used([]),
        words.helpfulness([]),
        words.adherence([]),
        words.checkup("gad7", []),
    ):
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
            said = [
                words.mood(cards),
                words.urges(cards),
                words.emotions(cards),
                words.skills_used(cards),
                words.practice(practice.practised_per_day(entries, records)),
                words.helpfulness(entries),
                words.adherence(cards),
            ]
            said += [words.checkup(k, checkups.history(session, who, who.id, k)) for k in checkups.KINDS]
            for sentence in filter(None, said):
                assert "miss" not in sentence.lower() and "fail" not in sentence.lower(), sentence
            if cards:
                assert f"{len(cards)} diary card" in words.adherence(cards)
