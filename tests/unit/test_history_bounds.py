"""What a screen reads does not grow with the participant's history (issue #22's "flat" targets),
counted, never timed: the Review reads the check-ups of its span (and the intake every change is
measured from), and the triggers map tests a card for a lapse by that card's own rows, never by a
list of every lapse in the clinic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, text

from core import db, diary, recovery, review
from core.checkups import INTAKE_SLOT
from core.models import Checkup

TODAY = date(2026, 11, 23)
NY_EVENING = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)  # Nov 23, 22:30 in New York


def _weekly_phq9(session, participant_id: int, weeks: int) -> None:
    """A PHQ-9 every week for `weeks` weeks: the intake (19, moderately severe) `weeks` weeks ago,
    then 12 each week after."""
    session.execute(
        insert(Checkup.__table__),
        [
            {
                "participant_id": participant_id,
                "kind": "phq9",
                "slot_key": INTAKE_SLOT if w == weeks else f"p{weeks - w}",
                "day": TODAY - timedelta(weeks=w),
                "answers": [2] * 9 if w == weeks else [1] * 9,
                "total": 19 if w == weeks else 12,
                "band": "Moderately severe" if w == weeks else "Moderate",
                "late": False,
                "taken_at": NY_EVENING - timedelta(weeks=w),
            }
            for w in range(weeks, 0, -1)
        ],
    )
    session.commit()


def test_the_review_reads_the_check_ups_of_its_span_and_the_intake_whatever_the_history(session, people):
    therapist = people.actor(people.therapist)
    short, long = people.participant("short", name="Short Stay"), people.participant("long", name="Long Stay")
    _weekly_phq9(session, short.id, review.REVIEW_WEEKS - 2)  # inside the span
    _weekly_phq9(session, long.id, 52)
    seen = {}
    for who in (short, long):
        with db.counting(session.get_bind()) as counted:
            r = review.review_of(
                session, therapist, participant_id=who.id, week_start=TODAY - timedelta(6), today=TODAY
            )
        seen[who.username] = (r, counted.total)
    short_review, long_review = seen["short"][0], seen["long"][0]
    # The short stay: every check-up (its intake is inside the span).
    assert [p.day for p in short_review.checkups["phq9"]] == [
        TODAY - timedelta(weeks=w) for w in range(review.REVIEW_WEEKS - 2, 0, -1)
    ]
    # The year: the intake, then only the span's (REVIEW_WEEKS weekly ones), not 52.
    phq9 = long_review.checkups["phq9"]
    assert phq9[0].day == TODAY - timedelta(weeks=52) and phq9[0].total == 19
    assert [p.day for p in phq9[1:]] == [TODAY - timedelta(weeks=w) for w in range(review.REVIEW_WEEKS, 0, -1)]
    # Each change is still measured from the intake, a year back: 12 - 19.
    assert phq9[-1].change.from_intake == -7
    assert seen["short"][1] == seen["long"][1], "statements: the same for six weeks and a year"


def test_the_triggers_map_tests_each_card_by_its_own_rows(session, people):
    """The lapse test is correlated with the card (EXISTS on its urges and use); the uncorrelated
    `diary_card.id IN (SELECT card_id FROM diary_urge …)` made the database list every acted-on
    substance urge in the clinic first (on SQLite a scan of diary_urge: 26 ms in a clinic of 2,000)."""
    quinn, other = people.participant(), people.participant("other", name="Other Person")
    for who, triggers in ((quinn, ["lonely"]), (other, ["lonely", "people"])):
        diary.save_card(
            session,
            who,
            participant_id=who.id,
            day=TODAY,
            card=diary.CardInput(mood=5, urges={"substance_use": (4, True)}, triggers=triggers),
            now=NY_EVENING,
        )
    engine = session.get_bind()
    with db.counting(engine) as counted:
        counts = recovery.trigger_counts(session, quinn, quinn.id, TODAY - timedelta(days=30), TODAY)
    statements = [s for s in counted.sql if "card_trigger" in s]
    assert [(c.trigger, c.urges, c.lapses) for c in counts] == [("lonely", 0, 1)]  # hers only
    (sql,) = statements
    flat = " ".join(sql.split())
    assert "diary_card.id IN" not in flat
    assert "diary_urge.card_id = diary_card.id" in flat and "substance_use.card_id = diary_card.id" in flat
    if engine.dialect.name == "sqlite":  # the plan: her cards by index, their urges and use by card
        with engine.connect() as conn:  # (a plan does not depend on the values: one for every parameter)
            plan = [row[-1] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql.replace("?", ":p")), {"p": 1})]
        assert not [step for step in plan if step.startswith("SCAN") and "diary_target" not in step], plan
        assert not [step for step in plan if "LIST SUBQUERY" in step], plan
