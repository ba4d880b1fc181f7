"""The structured suicide-risk follow-up (our own words, not the licensed C-SSRS): offered after
item 9 or a suicidal-thoughts trigger, answers stored once per alert, the derived level on the
alert, and the alert raised — or a new one opened — when the answers warrant it."""

import threading

import pytest
from sqlmodel import Session, select

from core import alerts, clinical, diary
from core.clinical import RiskLevel
from core.errors import AccessDenied, ValidationError
from core.models import Alert, RiskFollowup
from tests.unit.test_alert_loop import DAY, EVENING, People, alert_loop_people

NO = dict.fromkeys(("wish_dead", "thoughts", "behaviour"), False)


@pytest.fixture
def people(session) -> People:
    """The alert-loop tests' program and people (tests/unit/test_alert_loop.py)."""
    return alert_loop_people(session)


@pytest.mark.parametrize(
    "answers, level",
    [
        (NO, RiskLevel.NONE),
        (NO | {"wish_dead": True}, RiskLevel.LOW),
        (NO | {"thoughts": True, "method": False, "intent": False, "plan": False}, RiskLevel.LOW),
        (NO | {"thoughts": True, "method": True, "intent": False, "plan": False}, RiskLevel.MODERATE),
        (NO | {"thoughts": True, "method": True, "intent": True, "plan": False}, RiskLevel.HIGH),
        (NO | {"thoughts": True, "method": False, "intent": False, "plan": True}, RiskLevel.HIGH),
        (NO | {"behaviour": True}, RiskLevel.HIGH),
        (NO | {"method": True, "intent": True}, RiskLevel.NONE),  # not asked without thoughts: not counted
    ],
)
def test_the_derived_level(answers, level):
    assert clinical.check_followup(answers) == {}
    assert clinical.followup_level(answers) is level


def test_the_questions_are_six_and_in_our_own_words():
    assert [k for k, _ in clinical.FOLLOWUP_QUESTIONS] == [
        "wish_dead",
        "thoughts",
        "method",
        "intent",
        "plan",
        "behaviour",
    ]
    licensed_wording = "Have you wished you were dead or wished you could go to sleep and not wake up?"
    assert all(q != licensed_wording for _, q in clinical.FOLLOWUP_QUESTIONS)


def risky_card(session, who, urge=5):
    return diary.save_card(
        session,
        who,
        participant_id=who.id,
        day=DAY,
        now=EVENING,
        card=diary.CardInput(mood=2, urges={"suicidal_thoughts": (urge, False)}),
    ).risk


def test_offered_after_a_suicidal_trigger_and_shown_on_the_alert(session, people):
    outcome = risky_card(session, people.participant)
    assert outcome.followup and outcome.alert_id
    saved = alerts.save_followup(
        session,
        people.participant,
        participant_id=people.participant.id,
        alert_id=outcome.alert_id,
        answers=NO | {"thoughts": True, "method": True, "intent": False, "plan": False},
    )
    assert saved.level is RiskLevel.MODERATE
    [item] = [i for i in alerts.inbox(session, people.therapist, today=DAY) if i.id == outcome.alert_id]
    assert item.followup.level == "moderate"
    assert ("Thought of a way", True) in item.followup.answers and ("Details of a plan", False) in item.followup.answers
    assert any(r.key == "followup" and r.severity.value == "same_day" for r in item.reasons)
    assert item.severity.value == "urgent"  # never lowered


def test_a_high_answer_after_acknowledgement_opens_a_new_urgent_alert(session, people):
    outcome = risky_card(session, people.participant, urge=4)
    alerts.acknowledge(session, people.therapist, alert_id=outcome.alert_id, note="Called; safe tonight.")
    saved = alerts.save_followup(
        session,
        people.participant,
        participant_id=people.participant.id,
        alert_id=outcome.alert_id,
        answers=NO | {"behaviour": True},
    )
    assert saved.level is RiskLevel.HIGH and saved.outcome.state == alerts.ESCALATED
    session.expire_all()
    new = session.get(Alert, saved.outcome.alert_id)
    assert new.severity == "urgent" and new.acknowledged_at is None and new.escalated_from_id == outcome.alert_id


def test_offered_after_phq9_item9_too(session, people):
    from core import checkups

    result = checkups.submit(
        session,
        people.participant,
        participant_id=people.participant.id,
        kind="phq9",
        answers=[1, 1, 1, 1, 0, 0, 0, 0, 1],
        now=EVENING,
    )
    assert result.risk.followup and result.risk.alert_id
    assert not risky_card(session, people.participant, urge=0).followup


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"wish_dead": "yes"},
        NO | {"thoughts": True},
        NO | {"surprise": True},
        None,
        [True] * 6,
        NO | {"behaviour": 1},
    ],
)
def test_answers_are_checked(session, people, answers):
    outcome = risky_card(session, people.participant)
    with pytest.raises(ValidationError):
        alerts.save_followup(
            session,
            people.participant,
            participant_id=people.participant.id,
            alert_id=outcome.alert_id,
            answers=answers,
        )
    assert session.exec(select(RiskFollowup)).first() is None


def test_only_the_participant_answers_and_only_for_their_own_alert(session, people):
    outcome = risky_card(session, people.participant)
    with pytest.raises(AccessDenied):
        alerts.save_followup(
            session, people.therapist, participant_id=people.participant.id, alert_id=outcome.alert_id, answers=NO
        )
    from core.models import Role
    from tests.unit.test_alert_loop import _user

    other = _user(session, "other", Role.PARTICIPANT, people.participant.program_id)
    session.commit()
    with pytest.raises(ValidationError):
        alerts.save_followup(session, other, participant_id=other.id, alert_id=outcome.alert_id, answers=NO)
    for bad in (999_999, "1", True, None):
        with pytest.raises(ValidationError):
            alerts.save_followup(
                session, people.participant, participant_id=people.participant.id, alert_id=bad, answers=NO
            )


def test_answering_twice_at_once_keeps_one_set_of_answers(engine, session, people):
    outcome = risky_card(session, people.participant)
    barrier, failures = threading.Barrier(4), []

    def tap(wish):
        try:
            with Session(engine, expire_on_commit=False) as own:
                barrier.wait()
                alerts.save_followup(
                    own,
                    people.participant,
                    participant_id=people.participant.id,
                    alert_id=outcome.alert_id,
                    answers=NO | {"wish_dead": wish},
                )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=tap, args=(w,)) for w in (True, False, True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failures == []
    session.expire_all()
    assert len(session.exec(select(RiskFollowup)).all()) == 1
